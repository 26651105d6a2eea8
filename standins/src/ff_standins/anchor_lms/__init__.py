"""Anchor LMS SOAP simulator."""
