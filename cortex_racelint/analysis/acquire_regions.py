"""Where `lock.acquire()` ... `lock.release()` holds a lock, for either syntax tree.

The rules read LibCST (`analysis.locks`), the project summary reads CPython's `ast`
(`project.summary`: calls made under a lock); both ask this one model through a small
adapter (`Syntax`), so a call or an update is held in both or in neither. Held means
certainly held (a lock not seen held reports a race or takes the lock again in a fix, so
the model is exact or says "not held"):
- `x.acquire()` as a statement, blocking (no argument, `True`/`1`, `blocking=True`, no
  timeout or `timeout=-1`/`None`), holds `x` for the following statements of its block, up to
  `x.release()` as a statement;
- a `try` whose `finally` releases `x` ends the region at the `try`: both
  `x.acquire(); try: ... finally: x.release()` and `try: x.acquire(); ... finally: x.release()`;
- `if x.acquire(False):` / `if x.acquire(timeout=t):` holds `x` in its body only (the branch
  that got it); `if not x.acquire(...): return|raise ...` and `while not x.acquire(...): ...`
  hold it for the statements after;
- a release in a branch (`if`, `except`, a loop) ends the region after that statement, unless
  the branch then leaves the function (`return`, `raise`); an acquire in a branch holds
  nothing after it;
- anything else holds nothing: a non-blocking or timed acquire used as a statement (its
  result is dropped), an acquire whose result is stored, a lock passed around.
- except a lock whose acquire raises on failure instead of returning False (`filelock.FileLock`,
  `SoftFileLock`: `Timeout`), known by what its name is bound to: any acquire of it used as a
  statement holds it when it returns. The adapter tells (its `blocking` flag is then True).
"""

from __future__ import annotations

from typing import Any, Generic, Optional, Protocol, Sequence, TypeVar

Node = TypeVar("Node")

#: a literal argument the adapter could not read
UNKNOWN = object()


class Syntax(Protocol[Node]):
    """What the model needs from a tree: one statement at a time."""

    def lock_calls(self, stmt: Node) -> Optional[list[tuple[str, str, bool]]]:
        """For a simple statement line: `(lock, "acquire"|"release", blocking)` of each bare
        `x.acquire(...)`/`x.release()` on a lock (also `if x is not None: x.acquire()`); None when
        `stmt` is a compound statement."""

    def guard(self, stmt: Node) -> Optional[tuple[str, str]]:
        """`(lock, "body")` for `if x.acquire(...):`, `(lock, "after")` for `if not x.acquire(...):
        <leaves>` and `while not x.acquire(...): ...` (no `break`); else None."""

    def try_parts(self, stmt: Node) -> Optional[tuple[Sequence[Node], Sequence[Node], list[Sequence[Node]]]]:
        """For a `try`: its body, its `finally` body (empty when none), its handlers' and `else` bodies."""

    def blocks(self, stmt: Node) -> list[Sequence[Node]]:
        """The statement lists nested in a compound statement (not in a def, lambda or class)."""

    def leaves(self, stmt: Node) -> bool:
        """`return` or `raise`: the statements after it in its block do not run."""


def blocking(args: Sequence[tuple[Optional[str], Any]]) -> bool:
    """Whether `acquire(*args)` waits until it holds the lock (`(keyword or None, literal or UNKNOWN)`)."""
    positional = [value for keyword, value in args if keyword is None]
    keywords = {keyword: value for keyword, value in args if keyword is not None}
    wait = keywords.get("blocking", positional[0] if positional else True)
    timeout = keywords.get("timeout", positional[1] if len(positional) > 1 else -1)
    if wait is UNKNOWN or timeout is UNKNOWN or not wait:
        return False
    return timeout is None or timeout == -1


class Regions(Generic[Node]):
    """The locks an acquire region holds before each statement of a block, memoised per block and statement."""

    def __init__(self, syntax: Syntax[Node]) -> None:
        self.syntax = syntax
        #: id(block) -> (the block, id(stmt) -> index, the balance before each index and after the last);
        #: the block is kept so its id cannot be reused by another list while cached
        self._blocks: dict[int, tuple[Sequence[Node], dict[int, int], list[dict[str, int]]]] = {}
        self._effects: dict[int, tuple[Node, dict[str, int]]] = {}

    def before(self, body: Sequence[Node], child: Node) -> dict[str, int]:
        """Net acquires of the earlier statements of `body` (a child not in it: of the whole block)."""
        _, index, balances = self._scan(body)
        return balances[index.get(id(child), len(body))]

    def final(self, body: Sequence[Node]) -> dict[str, int]:
        return self._scan(body)[2][-1]

    def _scan(self, body: Sequence[Node]) -> tuple[Sequence[Node], dict[int, int], list[dict[str, int]]]:
        cached = self._blocks.get(id(body))
        if cached is None or cached[0] is not body:
            index: dict[int, int] = {}
            balances: list[dict[str, int]] = []
            current: dict[str, int] = {}
            for position, stmt in enumerate(body):
                index.setdefault(id(stmt), position)
                balances.append(current)
                effect = self.effect(stmt)
                if effect:
                    current = dict(current)
                    for key, delta in effect.items():
                        current[key] = current.get(key, 0) + delta
            balances.append(current)
            cached = (body, index, balances)
            self._blocks[id(body)] = cached
        return cached

    def effect(self, stmt: Node) -> dict[str, int]:
        """How `stmt` changes the locks held after it (+1 acquired, -1 released)."""
        cached = self._effects.get(id(stmt))
        if cached is None or cached[0] is not stmt:
            cached = (stmt, self._effect(stmt))
            self._effects[id(stmt)] = cached
        return cached[1]

    def _effect(self, stmt: Node) -> dict[str, int]:
        syntax = self.syntax
        calls = syntax.lock_calls(stmt)
        if calls is not None:
            effect: dict[str, int] = {}
            for key, verb, waits in calls:
                if verb == "release":
                    effect[key] = effect.get(key, 0) - 1
                elif waits:
                    effect[key] = effect.get(key, 0) + 1
            return effect
        guard = syntax.guard(stmt)
        if guard is not None and guard[1] == "after":
            return {guard[0]: 1}
        parts = syntax.try_parts(stmt)
        if parts is not None:
            body, final, others = parts
            effect = combine(self.final(body), self.final(final))
            return combine(effect, self._branch_releases(others))  # `except: lock.release(); log()`
        branches = syntax.blocks(stmt)
        if guard is not None and branches:  # `if x.acquire(False):` the body starts holding x
            first = combine(self.final(branches[0]), {guard[0]: 1})
            return self._branch_releases(branches[1:], first if not _leaves(syntax, branches[0]) else None)
        return self._branch_releases(branches)

    def _branch_releases(self, branches: list[Sequence[Node]], first: Optional[dict[str, int]] = None) -> dict[str, int]:
        """Locks a branch that falls through may have released: not held after the statement."""
        effect: dict[str, int] = {}
        finals = [first] if first is not None else []
        finals += [self.final(branch) for branch in branches if not _leaves(self.syntax, branch)]
        for balance in finals:
            for key, count in balance.items():
                if count < 0:
                    effect[key] = min(effect.get(key, 0), count)
        return effect


def held(counts: dict[str, int]) -> list[str]:
    return [key for key, count in counts.items() if count > 0]


def combine(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    if not b:
        return a
    total = dict(a)
    for key, count in b.items():
        total[key] = total.get(key, 0) + count
    return total


def _leaves(syntax: Syntax[Node], branch: Sequence[Node]) -> bool:
    return bool(branch) and syntax.leaves(branch[-1])
