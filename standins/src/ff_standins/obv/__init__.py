"""Open Banking Vision simulator."""
