"""Check-then-create of a key file (CRL303), run against the legacy tree and the migrated tree.

The window between the key store's `exists()` check and its create is held open: the key
generation waits on a barrier until both first callers are inside. On the legacy tree both
create the file and each keeps its own key (the earlier one is lost: the file holds the other);
on the migrated tree the lock keeps the second caller out until the first has written the key,
the barrier times out, and both callers end with the key the file holds.
"""

from __future__ import annotations

import pytest

from cortex_racelint.racetest import WindowHold, run_together

from .cortex_trees import TREES, loaded_tree, purge_cortex_modules


@pytest.fixture(params=TREES)
def tree(request):
    yield loaded_tree(request.param)
    purge_cortex_modules()


@pytest.mark.parametrize("instances", [1, 2], ids=["one store", "two stores"])
def test_first_users_of_the_key_store_end_with_one_key(tree, tmp_path, instances):
    """Two threads on one store, or on two stores of the same key file (a second component that
    makes its own store: an instance lock would not keep them apart, the per-path lock does)."""
    module = tree.load("encryption_keys")
    stores = [module.EncryptionKeyStore(key_dir=tmp_path / "keys") for _ in range(instances)]
    hold = WindowHold(parties=2, timeout=1.0)

    def holding(generate):
        def held_generate() -> bytes:  # inside the window: after the check, before the create
            hold()
            return generate()

        return held_generate

    for store in stores:
        store._generate_key = holding(store._generate_key)
    run = run_together(2, lambda index: stores[index % instances].get_key())
    assert not run.errors, run.errors
    on_disk = (tmp_path / "keys" / "master.key").read_bytes()
    lost = [key for key in run.results if key != on_disk]
    if tree.racy:
        assert hold.arrivals == 2 and not hold.serialised, "both first callers should have been inside the window"
        assert lost, "the legacy key store should lose a key (each caller keeps its own), but it did not"
    else:
        assert hold.serialised, "the migrated key store let both callers between the check and the create"
        assert lost == [], f"a caller keeps a key the file does not hold: {len(lost)} lost"
        token = stores[0].encrypt("api-key")
        assert module.EncryptionKeyStore(key_dir=tmp_path / "keys").decrypt(token) == "api-key"
