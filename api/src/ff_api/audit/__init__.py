"""The audit trail: written by every feature through ``service``, read by admins."""
