"""Marketing analytics: Google Analytics traffic joined with the platform's own journeys."""
