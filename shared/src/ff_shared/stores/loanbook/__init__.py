"""The loan book: Anchor LMS's database as restored for the platform (SQL Server via aioodbc)."""
