"""Reusable consumption: the shared record type, dead letters, record/replay and DLQ redrive."""
