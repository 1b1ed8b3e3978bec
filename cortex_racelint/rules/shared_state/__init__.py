"""CRL4xx: attributes shared between a class's background threads and its other methods.

Both rules read one per-class analysis (`analysis.threads.class_threads`): which methods
run on another thread, every `self.<attr>` access with its kind and the locks held, and
which pairs of accesses race. `shared_state_findings` turns it into findings once per
class (memoised on the context); CRL401 reports plain racing reads and writes, CRL402
read-modify-writes on the thread side, CRL405 a container walked while another thread
changes its size (`iteration_race`; walks are `analysis.iteration_sites`').

The fix (unsafe) plans one edit per finding, each as small as possible:

* the statement holding the access goes under the object's lock (one lock per object or,
  for an object that may be copied or pickled, per class: `fixes.locks.shared_fields`; an
  existing lock that a holder takes around a call into the fixed code, or holds across a
  wait for the threads, is not reused: no fix, and why), consecutive statements touching
  shared attributes in one block share one `with` (`fixes.critical_section`);
* a `while` whose test reads shared state becomes `while True:` + `with lock: if not
  <test>: break; <copy the shared fields the body reads into locals>`, the body using the
  locals, so I/O, sleeps and joins run outside the lock (the seed's spinner;
  `fixes.read_under_lock`);
* a statement that also does I/O or calls back into the object keeps its call outside the
  lock: shared reads are copied into locals under the lock first (`copy_reads`), a value to
  be stored is computed first (`precompute`); where neither applies, no fix, and why.

Each fix touches only its own statements, so fixes of one class can be applied in one
round; overlapping ones (a statement inside a rewritten loop) wait for the next round of
the fix loop, which re-analyses the fixed code.

Here: `racing_access` (CRL401) and `read_modify_write` (CRL402), their common base and doc
sections in `class_rule`, the per-class findings (messages, race windows) in `findings`, and
which fix form each finding gets in `fix_choice`.
"""
