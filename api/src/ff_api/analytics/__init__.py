"""Staff analytics over the journey tracker: funnels, duplicate applications, extracts."""
