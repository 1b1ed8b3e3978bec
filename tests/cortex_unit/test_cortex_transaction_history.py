from __future__ import annotations

import pytest


@pytest.fixture
def th(load):
    return load("transaction_history")


@pytest.fixture
def history(th, tmp_path):
    return th.TransactionHistory(db_path=tmp_path / "tx.db")


def test_begin_complete_get(th, history):
    tx = history.begin(th.TransactionType.INSTALL, ["nginx", "curl"], ["sudo apt-get install -y nginx curl"])
    assert tx.status is th.TransactionStatus.PENDING
    assert history.complete(tx.id) is True
    stored = history.get(tx.id)
    assert stored is not None
    assert stored.packages == ["nginx", "curl"]
    assert stored.commands == ["sudo apt-get install -y nginx curl"]
    assert stored.status is th.TransactionStatus.COMPLETED
    assert stored.completed_at is not None
    assert history.get("missing") is None
    assert history.complete("missing") is False


def test_fail_records_error_and_list_filters(th, history):
    ok = history.begin("install", ["git"])
    bad = history.begin("remove", ["vim"])
    history.complete(ok.id)
    history.fail(bad.id, "dpkg lock held")
    assert history.count() == 2
    failed = history.list_recent(status=th.TransactionStatus.FAILED)
    assert [t.id for t in failed] == [bad.id]
    assert failed[0].error == "dpkg lock held"
    assert [t.id for t in history.list_recent()] == [bad.id, ok.id]
    assert len(history.list_recent(limit=1)) == 1


def test_undo_install_creates_remove_and_rolls_back(th, history):
    tx = history.begin(th.TransactionType.INSTALL, ["htop"])
    history.complete(tx.id)
    ran = []
    undo = th.UndoManager(history=history, runner=lambda cmds: ran.append(cmds) or 0)
    assert undo.can_undo(tx.id) == (True, "ok")
    inverse = undo.undo(tx.id)
    assert inverse.type is th.TransactionType.REMOVE
    assert inverse.status is th.TransactionStatus.COMPLETED
    assert ran == [["sudo apt-get remove -y htop"]]
    assert history.get(tx.id).status is th.TransactionStatus.ROLLED_BACK
    ok, reason = undo.can_undo(tx.id)
    assert not ok and "rolled_back" in reason
    with pytest.raises(ValueError):
        undo.undo(tx.id)


def test_undo_failure_and_unsupported(th, history):
    upgrade = history.begin(th.TransactionType.UPGRADE, ["linux-image"])
    history.complete(upgrade.id)
    undo = th.UndoManager(history=history, runner=lambda cmds: 1)
    assert undo.can_undo(upgrade.id)[0] is False
    assert undo.can_undo("nope")[0] is False
    removal = history.begin(th.TransactionType.REMOVE, ["nano"])
    history.complete(removal.id)
    inverse = undo.undo_last()
    assert inverse.type is th.TransactionType.INSTALL
    assert inverse.status is th.TransactionStatus.FAILED
    assert history.get(removal.id).status is th.TransactionStatus.COMPLETED


def test_undo_last_without_runner_is_record_only(th, history):
    undo = th.UndoManager(history=history)
    assert undo.undo_last() is None
    tx = history.begin("install", ["jq"])
    history.complete(tx.id)
    inverse = undo.undo_last()
    assert inverse.commands == ["sudo apt-get remove -y jq"]


def test_accessors_return_same_object(th, home):
    first = th.get_history()
    assert th.get_history() is first
    assert (home / ".cortex" / "transactions.db").exists()
    manager = th.get_undo_manager()
    assert th.get_undo_manager() is manager
    assert manager.history is first
