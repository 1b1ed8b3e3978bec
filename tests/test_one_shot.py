"""CRL301/CRL302 leave alone code that one short-lived caller runs: tests, script entry points (issue 15)."""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, lint_source

SERVICE = '''
import json, os
STATE = os.path.join(os.path.expanduser("~"), "state.json")
'''


def _codes(source: str, path: str = "app.py") -> list[str]:
    return [f.code for f in lint_source(textwrap.dedent(source), path, Config()).findings if f.code.startswith("CRL3")]


WRITE = '    with open(STATE, "w") as f:\n        f.write("{}")\n'

NOT_SERVICE = {
    "a unittest method": "import unittest\nclass T(unittest.TestCase):\n  def test_it(self):\n" + WRITE.replace("    ", "    ", 1),
    "a setUp": "import unittest\nclass T(unittest.TestCase):\n  def setUp(self):\n" + WRITE,
    "a pytest function": "def test_it():\n" + WRITE,
    "main() called from the main guard": "def main():\n" + WRITE + "\nif __name__ == '__main__':\n    main()\n",
    "a click command": "import click\n@click.command()\ndef export():\n" + WRITE,
    "a management command": "class Command(BaseCommand):\n  def handle(self, *args):\n" + WRITE,
    "a unique file name per call": "import uuid\ndef put():\n    with open(STATE + uuid.uuid4().hex, 'w') as f:\n        f.write('{}')\n",
    "a temp folder of the object": (
        "import tempfile\nclass Spool:\n  def __init__(self):\n    self.tmp = tempfile.mkdtemp()\n"
        "  def put(self):\n    with open(os.path.join(self.tmp, 'x'), 'w') as f:\n        f.write('{}')\n"
    ),
}


@pytest.mark.parametrize("name", sorted(NOT_SERVICE))
def test_one_short_lived_caller_is_not_reported(name: str) -> None:
    assert _codes(SERVICE + NOT_SERVICE[name]) == []


SERVICE_CODE = {
    "a plain function": "def save():\n" + WRITE,
    "a helper that main() calls": "def save():\n" + WRITE + "\ndef main():\n    save()\n\nif __name__ == '__main__':\n    main()\n",
    "a method of a class that is not a test": "class Store:\n  def test_mode(self):\n" + WRITE,
    "a folder shared by every call": "def put(name):\n    with open(os.path.join(os.path.dirname(STATE), 'index'), 'w') as f:\n        f.write('{}')\n",
}


@pytest.mark.parametrize("name", sorted(SERVICE_CODE))
def test_service_code_is_still_reported(name: str) -> None:
    assert _codes(SERVICE + SERVICE_CODE[name]) == ["CRL301"]


@pytest.mark.parametrize("path", ["test_store.py", "store_test.py", "conftest.py", "tests/store.py", "pkg/testing/s.py"])
def test_a_test_module_is_test_code(path: str) -> None:
    assert _codes(SERVICE + SERVICE_CODE["a plain function"], path) == []


def test_folders_above_an_absolute_path_say_nothing() -> None:
    assert _codes(SERVICE + SERVICE_CODE["a plain function"], "/builds/tests/app/store.py") == ["CRL301"]
