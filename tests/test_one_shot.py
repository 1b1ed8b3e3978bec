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


APP = "from traitlets.config import Application\nclass TrimApp(Application):\n"

APPLICATIONS = {
    "an application's start()": APP + "  def start(self):\n" + WRITE,
    "an application's init_*()": APP + "  def init_files(self):\n" + WRITE,
    "a method only set-up methods call": APP + "  def initialize(self):\n    self.stage()\n  def stage(self):\n" + WRITE,
    "a cliff command's take_action()": "from cliff.command import Command\nclass Export(Command):\n  def take_action(self, args):\n" + WRITE,
    "a function that parses sys.argv": "import argparse\ndef run_once():\n    args = argparse.ArgumentParser().parse_args()\n" + WRITE,
}


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_and_command_classes_run_once_per_process(name: str) -> None:
    assert _codes(SERVICE + APPLICATIONS[name]) == []


STILL_SERVICE = {
    # a method the application hands to a thread runs while the application serves
    "a thread target of an application": APP + "  def start(self):\n    threading.Thread(target=self.flush).start()\n"
    "  def flush(self):\n" + WRITE,
    "a method called from a nested def": APP + "  def start(self):\n    def tick():\n        self.flush()\n"
    "    return tick\n  def flush(self):\n" + WRITE,
    "a method also called by a service method": APP + "  def start(self):\n    self.flush()\n"
    "  def on_request(self):\n    self.flush()\n  def flush(self):\n" + WRITE,
    "a service method of an application": APP + "  def on_request(self):\n" + WRITE,
    "a class that is not an application": "class Trimmer:\n  def start(self):\n" + WRITE,
    "parse_args of given arguments": "def handle(parser, argv):\n    args = parser.parse_args(argv)\n" + WRITE,
}


@pytest.mark.parametrize("name", sorted(STILL_SERVICE))
def test_service_code_of_an_application_is_still_reported(name: str) -> None:
    assert _codes("import threading\n" + SERVICE + STILL_SERVICE[name]) == ["CRL301"]
