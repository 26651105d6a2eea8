"""SFTP: the client that fetches Anchor LMS's backups (host key pinned)."""
