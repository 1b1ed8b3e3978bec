"""Helper modules racelint's fixes import, written into a project by `racelint scaffold`.

The migrated Cortex tree's `cortex/utils/` is exactly this scaffold's output.
"""
