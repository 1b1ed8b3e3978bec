"""Shared analyses every rule reads: names, locks, lazy initialisation, traversal context."""
