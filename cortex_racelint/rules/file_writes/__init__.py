"""CRL3xx: writes to shared files outside a lock, reads that skip the writers' lock, and files
created after an existence check (check-then-create, CRL303: `analysis/file_creates.py`).

The rules read `analysis.file_writes.FileAnalysis` (one pass per module, memoised):
which calls write or read a file, whether the path is shared across calls, which locks
guard each call (directly, or through every caller of a private helper), and which
statements a lock must cover. The fix style comes from `file-write-fix`:

* `lock`: wrap the write (and, through CRL302, the reads) in a lock;
* `atomic`: rewrite the write to the atomic-write helpers (temp file + `os.replace`);
* `lock+atomic` (default): both.
"""
