"""The public loan calculator."""
