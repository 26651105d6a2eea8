"""Dynamics 365 simulator."""
