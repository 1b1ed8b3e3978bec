"""Unit tests for the Cortex trees (legacy fixture and migrated package)."""
