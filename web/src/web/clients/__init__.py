"""Typed HTTP clients for the services the web composes."""
