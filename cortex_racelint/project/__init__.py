"""The project-wide index (issue 18): per-file summaries, their join, and the facts phase 2 lints with.

Phase 1 (the per-file pass) also builds each file's `summary` (`summary.py`, from CPython's
`ast`, cached with the file's result). `join.py` joins the summaries without parsing:
which classes have process-wide shared instances and which of their methods thread entries
in any module reach. `facts.py` carries the result to phase 2, which re-lints only the files
whose facts are non-empty (`phase.py`). `thread_reach.py` finds the private modules no
thread of the project reaches (the two-thread rules do not report there).
"""
