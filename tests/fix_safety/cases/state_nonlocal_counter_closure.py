"""A `nonlocal` counter in a closure handed to threads: the CRL4 rules read `self.` attributes only,
so this race is not reported (a known gap, recorded here so it cannot pass silently)."""

import threading


def count_in_threads(workers=2):
    count = 0

    def work():
        nonlocal count
        count += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count


# --- drivers ---
UNTOUCHED = "closure variables (nonlocal) are not shared-state findings: only self attributes are analysed"


def single_threaded(m):
    return [m.count_in_threads(), m.count_in_threads(3)]


def threaded(m):
    return [m.count_in_threads, m.count_in_threads]
