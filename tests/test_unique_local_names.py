"""CRL301: a file name made unique per call stays unique through a local (issue 15; Twisted's
`relaymanager` names each queue file `f"{os.getpid()}_{time.time()}_{self.n}_{id(self)}"` and
writes `os.path.join(self.directory, fname + "-H")`). A local built from a caller's key is not
unique, and one assigned twice counts only when every assignment is unique."""

from __future__ import annotations

import pytest

from cortex_racelint import lint_source

HEAD = "import os, time, uuid\nclass Queue:\n    def __init__(self, directory):\n        self.directory = directory\n"

QUIET = {
    "f-string of pid and time": "    def new(self):\n        fname = f\"{os.getpid()}_{time.time()}\"\n"
    "        with open(os.path.join(self.directory, fname + \"-H\"), \"wb\") as f:\n            f.write(b\"x\")\n",
    "through two locals": "    def new(self):\n        fname = str(uuid.uuid4())\n        path = os.path.join(self.directory, fname)\n"
    "        with open(path, \"wb\") as f:\n            f.write(b\"x\")\n",
    "every assignment unique": "    def new(self, fast):\n        if fast:\n            fname = str(time.time())\n        else:\n"
    "            fname = uuid.uuid4().hex\n        with open(os.path.join(self.directory, fname), \"wb\") as f:\n            f.write(b\"x\")\n",
}
REPORTED = {
    "a caller's key": "    def save(self, key):\n        name = key + \".json\"\n        with open(os.path.join(self.directory, name), \"w\") as f:\n"
    "            f.write(\"x\")\n",
    "one assignment not unique": "    def new(self, fast):\n        fname = str(time.time())\n        if fast:\n            fname = \"latest\"\n"
    "        with open(os.path.join(self.directory, fname), \"wb\") as f:\n            f.write(b\"x\")\n",
    "a fixed name through a local": "    def new(self):\n        fname = \"state\" + \".json\"\n"
    "        with open(os.path.join(self.directory, fname), \"wb\") as f:\n            f.write(b\"x\")\n",
}


@pytest.mark.parametrize("name", sorted(QUIET))
def test_a_unique_name_through_a_local_is_not_shared(name: str) -> None:
    assert [f.code for f in lint_source(HEAD + QUIET[name], "m.py").findings] == []


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_a_name_that_is_not_unique_is_still_reported(name: str) -> None:
    assert [f.code for f in lint_source(HEAD + REPORTED[name], "m.py").findings] == ["CRL301"]
