"""CRL303 (check-then-create of a shared file): which spellings it reports, how it shares the write with
CRL301, the fix's forms, and where it withholds the fix and why."""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, fix_source, lint_source

from .conftest import in_this_repo

UNSAFE = in_this_repo(Config(unsafe_fixes=True))


def _source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(text: str, config: Config = UNSAFE):
    result = lint_source(_source(text), "store.py", config)
    assert result.error is None
    return [f for f in result.findings if f.code.startswith("CRL3")]


def fixed(text: str) -> str:
    result = fix_source(_source(text), "store.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    compile(result.new_source, "store.py", "exec")
    return result.new_source.decode()


def method(body: str, imports: str = "import os\n") -> str:
    """A class holding `self.path` with one method `get(self)` whose body is `body`."""
    return (
        imports
        + "\n\nclass Store:\n    def __init__(self, path):\n        self.path = path\n\n    def get(self):\n"
        + textwrap.indent(_source(body), " " * 8)
    )


CHECKS = ["not self.path.exists()", "not self.path.is_file()", "not os.path.exists(self.path)", "not os.path.isfile(self.path)"]
CREATES = [
    'self.path.write_text("x")',
    'self.path.write_bytes(b"x")',
    'fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\nos.close(fd)',
    'with open(self.path, "w") as f:\n    f.write("x")',
    'with self.path.open("wb") as f:\n    f.write(b"x")',
]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("create", CREATES)
def test_every_check_and_create_spelling_is_one_crl303_finding(check, create):
    source = method(f"if {check}:\n" + textwrap.indent(create, "    ") + "\n")
    assert [f.code for f in findings(source)] == ["CRL303"]


@pytest.mark.parametrize(
    "create",
    [
        'fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)\nos.close(fd)',  # already exclusive
        'with open(self.path, "x") as f:\n    f.write("x")',
        'with open(self.path, "a") as f:\n    f.write("x")\n    f.write("y")',  # an append: CRL301's
    ],
)
def test_exclusive_creates_and_appends_are_not_check_then_create(create):
    source = method("if not self.path.exists():\n" + textwrap.indent(create, "    ") + "\n")
    assert "CRL303" not in [f.code for f in findings(source)]


def test_crl301_reports_the_write_when_crl303_is_not_selected():
    source = method('if not self.path.exists():\n    self.path.write_text("x")\n')
    assert [f.code for f in findings(source, in_this_repo(Config(select=("CRL301",))))] == ["CRL301"]
    assert [f.code for f in findings(source, in_this_repo(Config(ignore=("CRL303",))))] == ["CRL301"]
    assert [f.code for f in findings(source)] == ["CRL303"]


def test_a_parameter_path_and_a_broad_handler_are_not_crl303():
    parameter = "def ensure(path):\n    if not path.exists():\n        path.write_text('x')\n"
    assert findings(parameter) == []
    broad = method(
        """
        try:
            return self.path.read_text()
        except OSError:
            pass
        self.path.write_text("x")
        """
    )
    assert [f.code for f in findings(broad)] == ["CRL301"]  # a permission error would also reach the create


def test_os_open_flags_become_exclusive_in_the_module_s_spelling():
    source = method(
        """
        if not self.path.exists():
            fd = os.open(self.path, O_WRONLY | O_CREAT | O_TRUNC)
            os.close(fd)
        """,
        imports="import os\nfrom os import O_CREAT, O_TRUNC, O_WRONLY\n",
    )
    out = fixed(source)
    assert "os.open(self.path, O_WRONLY | O_CREAT | O_EXCL)" in out
    assert "O_EXCL" in out.split("class Store")[0]  # imported beside the other flags
    appended = fixed(method("if not self.path.exists():\n    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT)\n    os.close(fd)\n"))
    assert "os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)" in appended


def test_write_text_keeps_its_encoding_and_newline():
    out = fixed(method('if not self.path.exists():\n    self.path.write_text("x", "utf-8", newline="\\n")\n'))
    assert 'with self.path.open("x", encoding="utf-8", newline="\\n") as f:\n' in out
    assert 'f.write("x")' in out


def test_the_statements_after_the_create_run_only_for_the_creator():
    out = fixed(
        method(
            """
            if not self.path.exists():
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.write(fd, b"1")
                os.close(fd)
            return self.path.read_bytes()
            """
        )
    )
    assert "except FileExistsError:\n                    pass\n                else:\n                    os.write(fd, b\"1\")" in out


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            """
            value = None
            if not self.path.exists():
                value = os.urandom(8)
                self.path.write_bytes(value)
            return value or self.path.read_bytes()
            """,
            "keeps `value`",
        ),
        (
            """
            if not self.path.exists():
                value = os.urandom(8)
                self.path.write_bytes(value)
                self.value = value
            else:
                pass
            return self.value
            """,
            "sets `self.value`",
        ),
        (
            """
            if not self.path.exists():
                self.path.write_bytes(b"")
            elif self.path.stat().st_size:
                return self.path.read_bytes()
            """,
            "`elif`",
        ),
        (
            """
            try:
                return self.path.read_bytes()
            except FileNotFoundError:
                pass
            except ValueError:
                pass
            self.path.write_bytes(b"")
            """,
            "other handlers",
        ),
    ],
)
def test_no_fix_when_a_loser_could_not_end_as_if_it_found_the_file(body, reason):
    (finding,) = findings(method(body))
    assert finding.code == "CRL303" and finding.fix_applicability is None
    assert reason in (finding.no_fix_reason or "")


def test_constant_content_is_a_torn_read_a_generated_one_a_lost_update():
    constant = findings(method('if not self.path.exists():\n    self.path.write_text("[core]\\n")\n'))
    generated = findings(method("if not self.path.exists():\n    self.path.write_bytes(os.urandom(8))\n"))
    assert constant[0].message.endswith("(torn read)")
    assert generated[0].message.endswith("(lost update)")


def test_the_fix_is_unsafe_and_idempotent():
    source = method("if self.path.exists():\n    return self.path.read_bytes()\nkey = os.urandom(8)\nself.path.write_bytes(key)\nreturn key\n")
    (finding,) = findings(source)
    assert finding.fix_applicability is not None and finding.fix_applicability.value == "unsafe"
    safe = fix_source(_source(source), "store.py", in_this_repo(Config()))
    assert safe.new_source is None  # not applied without --unsafe-fixes
    out = fixed(source)
    assert fix_source(out, "store.py", UNSAFE).new_source is None
    assert "except FileExistsError:\n                return self.path.read_bytes()" in out


def test_the_lock_is_the_per_path_lock_with_the_helpers_else_the_one_crl301_takes():
    source = method('if not self.path.exists():\n    self.path.write_text("x")\n')
    assert "with locked(self.path):\n" in fixed(source)  # other instances and processes too
    bare = fix_source(_source(source), "store.py", Config(unsafe_fixes=True)).new_source.decode()
    assert "with self._lock:\n" in bare and "locked" not in bare


def test_other_writes_of_a_created_file_take_the_same_per_path_lock():
    source = method('if not self.path.exists():\n    self.path.write_text("x")\n') + (
        "\n    def reset(self):\n        self.path.write_text('y')\n"
    )
    out = fixed(source)
    assert out.count("with locked(self.path):\n") == 2, out


def test_a_write_that_is_not_the_first_after_the_check_is_not_a_create():
    # a second write of the file after the create: made exclusive, it would fail on one thread
    twice = method('if self.path.exists():\n    return\nself.path.write_text("a")\nself.path.write_text("b")\n')
    assert [(f.code, f.line) for f in findings(twice)] == [("CRL303", 11), ("CRL301", 12)]
    # a create in a loop below the check finds, on the next iteration, the file it made
    loop = method(
        'if self.path.exists():\n    return\nfor part in ("a", "b"):\n    with open(self.path, "w") as f:\n        f.write(part)\n'
    )
    assert [f.code for f in findings(loop)] == ["CRL301"]


def test_statements_after_the_locked_span_move_into_the_else_once():
    out = fixed(
        method(
            """
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.write(fd, b"x")
                os.close(fd)
                self.log.append("created")
            return self.path.read_bytes()
            """
        )
    )
    assert out.count('self.log.append("created")') == 1, out
    handler = out.split("except FileExistsError:")[1]
    assert "data = self.path.read_bytes()" in handler and 'else:\n' in handler, out


@pytest.mark.parametrize("check", ["not os.path.exists(self.path)", "not self.path.exists()"])
def test_touching_a_marker_file_is_no_write(check):
    """`os.close(os.open(p, O_CREAT | O_WRONLY))` (stdlib `mailbox.Maildir.add_folder`) makes an empty
    file or leaves the existing one as it was: two racing callers change nothing, so neither rule reports it.
    With `O_TRUNC` the second caller empties the file: still reported."""
    touch = "os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o666))\n"
    assert findings(method(f"if {check}:\n    " + touch)) == []
    assert findings(method(touch)) == []
    truncating = touch.replace("os.O_WRONLY", "os.O_WRONLY | os.O_TRUNC")
    assert [f.code for f in findings(method(f"if {check}:\n    " + truncating))] == ["CRL303"]
