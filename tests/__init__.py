"""racelint test suite."""
