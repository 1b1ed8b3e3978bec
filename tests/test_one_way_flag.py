"""CRL403 (opt-in): a one-way flag read late is harmless; anything else about the flag stays CRL401."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source

HEAD = "import threading\n\nclass W:\n    def __init__(self):\n        self.running = True\n        threading.Thread(target=self._loop).start()\n\n"
STOP = "    def stop(self):\n        self.running = False\n"

SHAPES = {
    "while flag": ("    def _loop(self):\n        while self.running:\n            pass\n\n" + STOP, "CRL403"),
    "if not flag": ("    def _loop(self):\n        while True:\n            if not self.running:\n                break\n\n" + STOP, "CRL403"),
    "set back elsewhere": (
        "    def _loop(self):\n        while self.running:\n            pass\n\n" + STOP + "\n    def resume(self):\n        self.running = True\n",
        "CRL401",
    ),
    "read as a value": ("    def _loop(self):\n        while self.running:\n            print(self.running)\n\n" + STOP, "CRL401"),
    "handed to a call in the test": ("    def _loop(self):\n        while check(self.running):\n            pass\n\n" + STOP, "CRL401"),
    "written a computed value": ("    def _loop(self):\n        while self.running:\n            pass\n\n    def stop(self):\n        self.running = compute()\n", "CRL401"),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_only_a_one_way_flag_read_as_a_condition_is_crl403(name: str) -> None:
    body, code = SHAPES[name]
    opted_in = [f.code for f in lint_source(HEAD + body, "w.py", Config(extend_select=("CRL403",))).findings]
    assert opted_in == [code]
    default = [f.code for f in lint_source(HEAD + body, "w.py", Config()).findings]
    assert default == ([] if code == "CRL403" else [code])
