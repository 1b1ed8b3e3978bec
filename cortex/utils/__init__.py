"""Hand-written thread-safety helpers imported by racelint fixes (stdlib only)."""
