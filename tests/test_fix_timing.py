"""CRL401's unsafe fix keeps each shared read where it ran relative to the waits around it.

A read evaluated after a wait (later in the loop condition, or in the body of a loop whose
condition waits) is copied after that wait, never before it; a field an `if` tests and its body
uses is read once. The behaviour under threads is shown by the fix-safety cases
`lock_read_after_wait_in_loop_condition` and `state_test_then_use_same_field`; this file pins the
rewritten text and the no-fix reasons.
"""

from __future__ import annotations

import textwrap

import libcst as cst

from cortex_racelint import Config, fix_source, lint_source

CRL4 = Config(select=("CRL4",), unsafe_fixes=True)


def src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def fixed(code: str) -> str:
    result = fix_source(code, "example.py", CRL4)
    assert result.fix_error is None
    return result.new_source.decode() if result.new_source is not None else code


def reasons(code: str) -> list[str]:
    return [f.no_fix_reason or "" for f in lint_source(code, "example.py", CRL4).findings]


def method(text: str, name: str) -> str:
    """The source of method `name` in `text` (up to the next `def`)."""
    return f"    def {name}(" + text.split(f"    def {name}(")[1].split("\n    def ")[0]


_PINGER = """
import threading


class Pinger:
    def __init__(self, sock):
        self._lock = threading.Lock()
        self.stop = threading.Event()
        self.running = True
        self.sock = sock
        self.interval = 1
        self.payload = b""

    def start(self):
        threading.Thread(target=self._ping).start()

    def _ping(self):
{loop}

    def configure(self, interval, payload):
        self.interval = interval
        self.payload = payload

    def resume(self, sock):
        self.sock = sock
        self.running = True

    def close(self):
        self.running = False
        self.sock = None
"""


def pinger(loop: str) -> str:
    return _PINGER.format(loop=textwrap.indent(src(loop), " " * 8))


def test_a_read_after_the_wait_in_the_loop_condition_is_copied_after_it():
    text = fixed(
        pinger(
            """
            while not self.stop.wait(self.interval) and self.running is True:
                if self.sock:
                    self.sock.ping(self.payload)
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                while True:
                    with self._lock:
                        interval = self.interval
                    if self.stop.wait(interval):
                        break
                    with self._lock:
                        if self.running is not True:
                            break
                        sock = self.sock
                        payload = self.payload
                    if sock:
                        sock.ping(payload)
                """
            ),
            " " * 8,
        )
        in method(text, "_ping")
    )


def test_the_bodys_copies_follow_a_wait_in_the_last_operand():
    text = fixed(
        pinger(
            """
            while self.running and not self.stop.wait(1):
                self.sock.ping(self.payload)
            """
        )
    )
    body = method(text, "_ping")
    guarded, copies = body.split("if self.stop.wait(1):")
    assert "if not self.running:" in guarded and "sock = self.sock" not in guarded
    assert "with self._lock:\n                sock = self.sock\n                payload = self.payload" in copies
    assert "sock.ping(payload)" in copies


def test_a_copy_the_condition_takes_after_its_last_wait_serves_the_body():
    """`while not stop.wait(t) and self.sock.connected:`: no second read of `self.sock` for the body."""
    text = fixed(
        pinger(
            """
            while not self.stop.wait(1) and self.sock:
                self.sock.ping(b"")
            """
        )
    )
    body = method(text, "_ping")
    assert body.count("= self.sock") == 1
    assert "if not self.sock:\n                    break\n                sock = self.sock" in body


def test_a_read_after_a_wait_inside_one_operand_gets_no_fix_and_says_why():
    code = pinger(
        """
        while self.stop.wait(1) or self.running:
            self.sock.ping(b"")
        """
    )
    assert any("`self.running` is read after a wait inside one operand of the loop condition" in r for r in reasons(code))
    assert "while self.stop.wait(1) or self.running:" in fixed(code)


def test_a_condition_that_does_not_wait_keeps_the_one_guarded_test():
    text = fixed(
        pinger(
            """
            while self.running:
                self.sock.ping(self.payload)
                self.stop.wait(1)
            """
        )
    )
    body = method(text, "_ping")
    assert "with self._lock:\n                if not self.running:\n                    break\n                sock = self.sock" in body


_HANDLER = """
import threading


class Handler:
    def __init__(self, stream):
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.stream = stream

    def start(self):
        threading.Thread(target=self.flush).start()

    def flush(self):
{body}

    def close(self):
        self.stream = None
"""


def handler(body: str) -> str:
    return _HANDLER.format(body=textwrap.indent(src(body), " " * 8))


def test_a_field_tested_and_used_in_the_block_is_read_once():
    text = fixed(
        handler(
            """
            if self.stream and not self.stream.closed:
                self.stream.flush()
            else:
                print(self.stream)
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                with self._lock:
                    stream = self.stream
                if stream and not stream.closed:
                    stream.flush()
                else:
                    print(stream)
                """
            ),
            " " * 8,
        )
        in method(text, "flush")
    )


def test_a_use_after_a_wait_in_the_block_keeps_its_own_read():
    """What follows the wait must see what the other thread wrote before ending it."""
    text = fixed(
        handler(
            """
            if self.stream is not None:
                self.stream.flush()
                self.ready.wait()
                self.stream.flush()
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                if stream is not None:
                    stream.flush()
                    self.ready.wait()
                    with self._lock:
                        stream_value = self.stream
                    stream_value.flush()
                """
            ),
            " " * 8,
        )
        in method(text, "flush")
    )


def test_a_use_in_a_loop_that_waits_keeps_its_own_read():
    text = fixed(
        handler(
            """
            if self.stream is not None:
                for _ in range(2):
                    self.stream.flush()
                    self.ready.wait()
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                if stream is not None:
                    for _ in range(2):
                        with self._lock:
                            stream_value = self.stream
                        stream_value.flush()
                        self.ready.wait()
                """
            ),
            " " * 8,
        )
        in method(text, "flush")
    )


def test_the_use_under_a_test_shares_the_tests_fix():
    """The use's site is fixed by the test's plan (one finding, one copy), not by a copy of its own."""
    code = handler(
        """
        if self.stream and not self.stream.closed:
            self.stream.flush()
        """
    )
    findings = [f for f in lint_source(code, "example.py", CRL4).findings if f.code == "CRL401" and "flush()" in f.message]
    assert len(findings) == 1 and findings[0].fix_message is not None
    use_line = code.splitlines().index("            self.stream.flush()") + 1
    assert use_line in {span.start.line for span in findings[0].related}


def test_a_use_under_a_test_without_a_fix_gets_none_either():
    """`if self.stream: self.stream.close(); self.stream = None` is a check-then-act across I/O (no fix):
    a copy for the `close()` alone would leave the test and the use reading the field twice."""
    code = handler(
        """
        if self.stream and not self.stream.closed:
            self.stream.close()
            self.stream = None
        """
    )
    findings = [f for f in lint_source(code, "example.py", CRL4).findings if "is read by thread target" in f.message]
    assert len(findings) == 1 and findings[0].fix_message is None  # the use is a site of the test's finding
    assert "the check-then-act on `self.stream` spans a call" in (findings[0].no_fix_reason or "")
    use_line = code.splitlines().index("            self.stream.close()") + 1
    assert use_line in {span.start.line for span in findings[0].related}
    assert "self.stream.close()" in method(fixed(code), "flush")


def test_a_guard_and_the_uses_after_it_read_one_copy():
    """zeroconf: `assert self.loop is not None` / `self.loop.call_soon_threadsafe(...)`."""
    text = fixed(
        handler(
            """
            assert self.stream is not None
            self.stream.write("x")
            self.stream.flush()
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                with self._lock:
                    stream = self.stream
                assert stream is not None
                stream.write("x")
                stream.flush()
                """
            ),
            " " * 8,
        )
        in method(text, "flush")
    )


def test_a_guard_that_returns_shares_its_copy_up_to_a_wait():
    text = fixed(
        handler(
            """
            if self.stream is None:
                return
            self.stream.write("x")
            self.ready.wait()
            self.stream.flush()
            """
        )
    )
    assert (
        textwrap.indent(
            src(
                """
                with self._lock:
                    stream = self.stream
                if stream is None:
                    return
                stream.write("x")
                self.ready.wait()
                with self._lock:
                    stream = self.stream
                stream.flush()
                """
            ),
            " " * 8,
        )
        in method(text, "flush")
    )


def test_a_negated_identity_or_membership_test_is_spelt_with_its_operator():
    """`not (a is b)` reads as `a is not b` (E714), `not (k in d)` as `k not in d` (E713); `==` stays
    under `not`, since a class may define `__ne__` apart from `__eq__`."""
    from cortex_racelint.fixes.blocks import negated

    module = cst.parse_module("")
    spelt = {
        source: module.code_for_node(negated(cst.parse_expression(source)))
        for source in ("x is True", "x is not None", "k in d", "k not in d", "a == b", "a is b is c", "(x is None)")
    }
    assert spelt == {
        "x is True": "x is not True", "x is not None": "x is None", "k in d": "k not in d", "k not in d": "k in d",
        "a == b": "not a == b", "a is b is c": "not a is b is c", "(x is None)": "not (x is None)",
    }
