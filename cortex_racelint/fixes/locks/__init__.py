"""Which lock a fix adds or reuses: the one place that decides.

Every fix that serialises something asks this package for its lock; no fix or rule module
creates one itself (`tests/test_layout.py` checks it). `placement` names and places module,
class and instance locks and decides which existing attribute really is a lock; the other
modules hold each family's choice of which of those a fix takes, and when taking a lock could
deadlock (a lock the code is already reached under).
"""
