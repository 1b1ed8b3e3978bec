"""Tools for adopting racelint on an existing codebase: a baseline of accepted findings and `--add-noqa`."""
