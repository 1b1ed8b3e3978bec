"""Fix forms: the code a fix writes, one module per form, and `locks`, which decides every lock a
fix adds or reuses. Rules build their fixes from these; the engine applies them."""
