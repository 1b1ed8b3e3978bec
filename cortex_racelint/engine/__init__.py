"""The engine: from paths to findings and fixed files.

discovery (which files) -> prefilter (which rules could match) -> lint (one LibCST parse, one batched
visit) -> suppressions -> fixer (the fix loop), with the result cache, positions, source-file I/O
and the run's garbage-collector tuning beside them. Interfaces (`cli`, `api`, `flake8_plugin`) call
into it; rules never do.
"""
