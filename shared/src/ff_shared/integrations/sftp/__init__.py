"""SFTP: the client that fetches Anchor LMS's backups (host key pinned), and an in-process server
for the local stack and the tests."""
