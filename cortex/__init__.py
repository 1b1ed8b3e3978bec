"""Cortex: the migrated tree whose thread-safety helpers racelint fixes import."""
