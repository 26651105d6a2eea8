class CommandError(Exception):
    """A failure the operator can act on: printed as one line, exit status 1."""
