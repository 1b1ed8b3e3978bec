"""Imports a fix adds land where isort / Ruff's `I` rules would put them.

Each case is a module whose fix adds `import threading` (a lazy global, CRL101) or the
file helper (a shared write, CRL301); the import block of the fixed module is compared
whole, and every fixed module must pass `ruff check --select I` (Ruff comes with the
`test` extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from cortex_racelint import Config, fix_source

from .conftest import in_this_repo

UNSAFE = in_this_repo(Config(unsafe_fixes=True))
LAZY = "\n_x = None\n\n\ndef get():\n    global _x\n    if _x is None:\n        _x = object()\n    return _x\n"
WRITE = (
    "\nSTATE = Path('state.json')\n\n\ndef save(text):\n    STATE.write_text(text)\n\n\n"
    "def load():\n    return STATE.read_text()\n"
)

CASES = {
    "stdlib import in alphabetical order among plain imports": (
        "import json\nimport time\nfrom pathlib import Path\n\nimport yaml\n" + LAZY,
        "import json\nimport threading\nimport time\nfrom pathlib import Path\n\nimport yaml\n",
    ),
    "stdlib import after the last plain import": (
        "import abc\nfrom pathlib import Path\n" + LAZY,
        "import abc\nimport threading\nfrom pathlib import Path\n",
    ),
    "before the from-imports when there is no plain import": (
        "from pathlib import Path\nfrom typing import Any\n" + LAZY,
        "import threading\nfrom pathlib import Path\nfrom typing import Any\n",
    ),
    "a new first section keeps the comment above the block": (
        "# third-party only\nimport requests\nimport yaml\n" + LAZY,
        "# third-party only\nimport threading\n\nimport requests\nimport yaml\n",
    ),
    "a new section after __future__": (
        "from __future__ import annotations\n" + LAZY,
        "from __future__ import annotations\n\nimport threading\n",
    ),
    "helper into a new first-party section after third party": (
        "import threading\nfrom pathlib import Path\n\nimport yaml\n" + WRITE,
        "import threading\nfrom pathlib import Path\n\nimport yaml\n\nfrom cortex.utils.fileio import atomic_write_text\n",
    ),
    "helper into the existing first-party section, in order": (
        "from pathlib import Path\n\nfrom cortex.a import b\nfrom cortex.z import y\n" + WRITE,
        "import threading\nfrom pathlib import Path\n\nfrom cortex.a import b\n"
        "from cortex.utils.fileio import atomic_write_text\nfrom cortex.z import y\n",
    ),
    "helper before the relative imports": (
        "from pathlib import Path\n\nfrom . import sibling\n" + WRITE,
        "import threading\nfrom pathlib import Path\n\nfrom cortex.utils.fileio import atomic_write_text\n\nfrom . import sibling\n",
    ),
}


def _import_block(source: str) -> str:
    lines = source.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line.startswith(("_x", "STATE", "_state")))
    return "".join(lines[:end]).rstrip("\n") + "\n"


def _fixed(source: str) -> str:
    result = fix_source(source.encode(), "example.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    return result.new_source.decode()


@pytest.mark.parametrize("source,expected", CASES.values(), ids=CASES.keys())
def test_added_import_lands_in_its_section(source, expected):
    assert _import_block(_fixed(source)) == expected


def test_a_name_merged_into_an_existing_import_stays_where_the_author_put_it():
    source = "import threading\n\nfrom cortex.utils.fileio import atomic_write  # the helper\nimport yaml\n" + WRITE
    block = _import_block(_fixed(source))
    assert block.startswith("import threading\n\nfrom cortex.utils.fileio import ")
    assert block.endswith("atomic_write  # the helper\nimport yaml\n") and "atomic_write_text" in block


def test_a_module_without_imports_gets_the_import_first():
    assert _fixed('"""Doc."""' + LAZY).startswith('"""Doc."""\nimport threading\n\n_x = None\n')
    assert _fixed(LAZY.lstrip("\n")).startswith("import threading\n\n_x = None\n")


def test_two_blank_lines_before_a_class_after_a_new_first_import():
    source = "class Holder:\n    _instance = None\n\n    @classmethod\n    def get(cls):\n"
    source += "        if cls._instance is None:\n            cls._instance = cls()\n        return cls._instance\n"
    assert _fixed(source).startswith("import threading\n\n\nclass Holder:\n")


RUFF = shutil.which("ruff") or shutil.which("ruff", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(RUFF is None, reason="ruff not installed (pip install -e '.[test]')")
@pytest.mark.parametrize("source", [case[0] for case in CASES.values()], ids=CASES.keys())
def test_ruff_finds_the_fixed_imports_sorted(source, tmp_path):
    path = tmp_path / "example.py"
    path.write_text(_fixed(source))
    ruff = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "I", "--config", "lint.isort.known-first-party=['cortex']", str(path)],
        capture_output=True, text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
