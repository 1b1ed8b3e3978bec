"""Cortex: an AI-assisted package manager for Linux.

Cortex turns natural-language requests ("set up a CUDA dev box") into
package-manager commands, records what it did so it can be undone, and
caches LLM answers so repeated questions are cheap.

Submodules are imported lazily by the CLI; importing :mod:`cortex` itself
has no side effects.
"""

__version__ = "0.4.2"

__all__ = ["__version__"]
