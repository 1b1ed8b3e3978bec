"""`confirm` and `--certify` on this session's new shapes (issue 18): CRL404, CRL108, CRL303, CRL402 on a
locked property, and CRL501's refusal.

Each racy package is confirmed (frontrun's DPOR for the object races, the barrier for the file create),
and its fix certified on the text `--fix` writes; a wrong fix (a per-call lock, the original text) fails
its certificate, so the assertions can fail.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.cli import main as racelint_main
from cortex_racelint.confirm import Status, certify_fix, missing_frontrun
from cortex_racelint.confirm.cli import confirm_paths

pytestmark = pytest.mark.skipif(missing_frontrun() is not None, reason=str(missing_frontrun()))

STATS = '''
    import time


    class DownloadStats:
        """Built with a clock: a fresh instance cannot be made from neutral arguments."""

        def __init__(self, clock):
            self.clock = clock
            self.started = clock()
            self.done = 0
            self.cipher = None

        def record(self, size):
            self.done += 1

        def get_cipher(self):
            if self.cipher is None:
                self.cipher = make_cipher()
            return self.cipher


    def make_cipher():
        return object()


    _stats = DownloadStats(time.monotonic)


    def get_stats():
        return _stats
'''

WORK = '''
    from concurrent.futures import ThreadPoolExecutor

    from .stats import get_stats


    def download(url):
        get_stats().record(len(url))
        get_stats().get_cipher()
        return url


    def download_all(urls):
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(download, urls))
'''

KEYS = '''
    import os
    import secrets
    from pathlib import Path

    STATE_DIR = Path.home() / ".vault"
    MACHINE_ID = STATE_DIR / "machine-id"


    def machine_id():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        if MACHINE_ID.is_file():
            return MACHINE_ID.read_text().strip()
        value = secrets.token_hex(16)
        MACHINE_ID.write_text(value + "\\n")
        return value


    class SecretStore:
        def __init__(self):
            self.secret_file = os.path.join(os.path.expanduser("~"), ".vault-secret")

        def get_secret(self):
            if os.path.exists(self.secret_file):
                with open(self.secret_file, "rb") as f:
                    return f.read()
            secret = os.urandom(32)
            fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, secret)
            finally:
                os.close(fd)
            return secret
'''

PROPERTY = '''
    import threading


    class Counter:
        def __init__(self):
            self._guard = threading.{lock}()
            self._count = 0

        @property
        def count(self):
            with self._guard:
                return self._count

        @count.setter
        def count(self, value):
            with self._guard:
                self._count = value

        def start(self, workers=2):
            threads = [threading.Thread(target=self._work) for _ in range(workers)]
            for thread in threads:
                thread.start()
            return threads

        def _work(self):
            self.count += 1
'''

LOOPS = '''
    import asyncio
    from concurrent.futures import ThreadPoolExecutor


    class QuoteClient:
        def __init__(self, backend):
            self._backend = backend
            self._lock = asyncio.Lock()
            self._pool = ThreadPoolExecutor(max_workers=4)

        async def _quote(self, symbol):
            async with self._lock:
                return await self._backend.fetch(symbol)

        def quote(self, symbol):
            return asyncio.run(self._quote(symbol))

        def quotes(self, symbols):
            return list(self._pool.map(self.quote, symbols))
'''


def _package(root: Path, name: str, modules: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    for module, text in modules.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def _confirm(folder: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for confirmation in confirm_paths([str(folder)], None, runs=3, threads=8):
        found.setdefault(confirmation.finding.code, []).append(confirmation)
    return found


def _certify(folder: Path, tmp_path: Path, capsys) -> tuple[Path, str]:
    """A copy of `folder` after `racelint check --fix --unsafe-fixes --certify`; (copy, what it printed)."""
    copy = tmp_path / "certified" / folder.name
    shutil.copytree(folder, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--fix", "--unsafe-fixes", "--certify", "--certify-runs", "5", "--no-cache"])
    printed = capsys.readouterr()
    return copy, printed.out + printed.err


# -- CRL404 and CRL108: the object the project index found, in another module ------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("shop"), "shop", {"stats": STATS, "work": WORK})


@pytest.fixture(scope="module")
def shop_verdicts(shop) -> dict[str, list]:
    return _confirm(shop)


def test_crl404_lost_update_is_confirmed_on_the_shared_object(shop_verdicts):
    (confirmation,) = shop_verdicts["CRL404"]
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.engine == "frontrun"
    # the accessor's object (built with `time.monotonic`), not a fresh instance neutral arguments cannot build
    assert confirmation.spec.shared_object == "shop.stats.get_stats()"
    assert "a lost update" in confirmation.reason and "DownloadStats.record(" in confirmation.reason


def test_crl404_fix_is_certified_and_a_per_call_lock_is_not(shop, shop_verdicts, tmp_path, capsys):
    (confirmation,) = shop_verdicts["CRL404"]
    copy, printed = _certify(shop, tmp_path, capsys)
    assert "CRL404 certified: no race and no deadlock" in printed, printed
    fixed = (copy / "stats.py").read_text(encoding="utf-8")
    assert "with self._lock:\n            self.done += 1" in fixed
    wrong = fixed.replace("with self._lock:", "with threading.Lock():")
    ok, message = certify_fix(confirmation, wrong)
    assert not ok and "lost update" in message, message


def test_crl404_through_a_module_global_imported_by_name(tmp_path):
    work = WORK.replace("from .stats import get_stats", "from .stats import _stats").replace("get_stats()", "_stats")
    stats = STATS.split("\n\n    def get_stats")[0]  # no accessor: the index names the global itself
    assert "get_stats" not in stats
    folder = _package(tmp_path, "shop2", {"stats": stats, "work": work})
    (confirmation,) = _confirm(folder)["CRL404"]
    assert confirmation.spec.shared_object == "shop2.stats._stats"
    assert confirmation.status is Status.CONFIRMED, confirmation.reason


def test_crl108_duplicate_creation_is_confirmed_and_a_lock_around_the_check_holds(shop_verdicts):
    (confirmation,) = shop_verdicts["CRL108"]
    assert confirmation.finding.fix_applicability is None  # report-only: nothing to certify from racelint
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert "`self.cipher = make_cipher()` ran more often than in any serial order" in confirmation.reason
    source = Path(confirmation.finding.path).read_text(encoding="utf-8")
    check = "        if self.cipher is None:\n            self.cipher = make_cipher()\n"
    assert check in source
    body = "            if self.cipher is None:\n                self.cipher = make_cipher()\n"
    locked = source.replace("import time\n", "import threading\nimport time\n", 1).replace(
        check, "        with _cipher_lock:\n" + body).replace("_stats = Dow", "_cipher_lock = threading.Lock()\n_stats = Dow")
    ok, message = certify_fix(confirmation, locked)
    assert ok, message
    per_call = locked.replace("with _cipher_lock:", "with threading.Lock():")
    ok, message = certify_fix(confirmation, per_call)
    assert not ok and "two instances" in message, message


# -- CRL303: two first users between the check and the create (barrier) ---------------------------


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("vault"), "vault", {"keys": KEYS})


def test_crl303_both_first_users_create_and_keep_different_keys(vault):
    verdicts = _confirm(vault)["CRL303"]
    assert [c.finding.line for c in verdicts] == [14, 27]
    for confirmation in verdicts:
        assert confirmation.status is Status.CONFIRMED, confirmation.reason
        assert confirmation.engine == "barrier"
        assert "3/3 runs" in confirmation.reason and "callers returned a value the file does not hold" in confirmation.reason
        original = Path(confirmation.finding.path).read_text(encoding="utf-8")
        ok, message = certify_fix(confirmation, original, runs=2)  # the racy text itself is never certified
        assert not ok and "still raced" in message, message


def test_crl303_exclusive_create_under_the_lock_is_certified(vault, tmp_path, capsys):
    copy, printed = _certify(vault, tmp_path, capsys)
    assert printed.count("CRL303 certified 5/5") == 2, printed
    assert "one create of each file (the hold timed out); every caller returned what the file holds" in printed
    fixed = (copy / "keys.py").read_text(encoding="utf-8")
    assert "O_EXCL" in fixed and 'open("x")' in fixed


# -- CRL402 through a property whose getter and setter lock separately -----------------------------


@pytest.mark.parametrize("lock", ["RLock", "Lock"])
def test_crl402_property_read_modify_write(lock, tmp_path, capsys):
    folder = _package(tmp_path, f"prop_{lock.lower()}", {"counter": PROPERTY.replace("{lock}", lock)})
    (confirmation,) = _confirm(folder)["CRL402"]
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert "`self.count` ended with a value no serial order" in confirmation.reason
    copy, printed = _certify(folder, tmp_path, capsys)
    if lock == "RLock":  # the fix holds the same RLock around the statement: certified
        assert "CRL402 certified: no race and no deadlock" in printed, printed
    else:  # a plain Lock would be taken twice: no fix offered, nothing written
        assert confirmation.finding.fix_applicability is None and confirmation.finding.no_fix_reason
        assert (copy / "counter.py").read_text(encoding="utf-8") == (folder / "counter.py").read_text(encoding="utf-8")


# -- CRL501: not driven, and says why -----------------------------------------------------------------


def test_crl501_is_not_runnable_with_the_reason(tmp_path):
    folder = _package(tmp_path, "quotes", {"client": LOOPS})
    verdicts = _confirm(folder)["CRL501"]
    assert verdicts
    for confirmation in verdicts:
        assert confirmation.status is Status.NOT_RUNNABLE
        assert "bound to another event loop" in confirmation.reason and "docs/CONFIRM.md" in confirmation.reason
