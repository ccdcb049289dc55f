"""Shared plumbing for Collective's services. Never a domain concept lives here."""
