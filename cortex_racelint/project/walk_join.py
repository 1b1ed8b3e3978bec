"""CRL405 on process-wide shared objects: a walk of `self.<attr>` and a change of its size that thread
entries reach (CRL404's reach, `join._reach`) on two threads, with no lock held in common.

Fed by `join.join` for every (entry, method of a shared class) it reaches; the facts go under the
class's `walks` key: one row per racing walk, `[attr, ordinal, method, consumer, change, appends, paths]`
(`ordinal`: which walk of `self.<attr>` in the method, in source order; `change` = `[method, ordinal,
how many size changes race it, entry label]` of one racing size change; `appends`: every racing change is an `append`/`extend`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

Node = tuple[str, str]
#: size changes at a list's end: a walk sees the new items or stops before them (harmless for a list)
_APPENDS = frozenset({"append", "extend"})


class WalkTally:
    """The walks and size changes of shared objects' attributes, per entry that reaches them."""

    def __init__(self) -> None:
        #: (class, attr) -> side ("walks" | "sizes") -> rows (entry site, copies, guard, method, row, path)
        self.rows: dict[tuple[Node, str], dict[str, list]] = {}

    def note(
        self, graph: Any, cls: Node, method: Node, info: dict, site: Any, copies: bool, locks: frozenset, path: list,
        origin: Any = None,
    ) -> None:
        """One entry (`site`, running `copies` or not) reaches `method` holding `locks` on every path.
        `origin`: the hand-over that made the object (`handover_join.py`): objects of two origins are two
        objects, so only sides of one origin race (None: the process-wide object)."""
        for side in ("walks", "sizes"):
            for row in info.get(side, ()):
                own = {graph.lock_id(method[0], method[1], *ref) for ref in row[3]}
                guard = locks | frozenset(k for k in own if graph.is_lock(k))
                sides = self.rows.setdefault((cls, row[0], origin), {"walks": [], "sizes": []})
                sides[side].append((site, copies, guard, method[1], row, path, info))

    def facts(self, graph: Any, facts: dict[str, dict], describe: Optional[Callable[[Node], tuple[str, dict]]] = None) -> None:
        """Add a `walks` row for each walk some size change races (two threads, no common lock).
        `describe(cls)`: how the object is shared and its data (default: the join's process-wide objects)."""
        done: set[tuple] = set()
        for (cls, attr, _), sides in sorted(self.rows.items(), key=lambda item: (item[0][0], item[0][1], repr(item[0][2]))):
            for w_site, w_copies, w_guard, w_method, w_row, w_path, w_info in sides["walks"]:
                key = (cls, w_method, w_row[1], w_row[2])
                if key in done:
                    continue
                racing = [s for s in sides["sizes"] if (s[0] != w_site or w_copies or s[1]) and not (w_guard & s[2])]
                if not racing:
                    continue
                appends = all(s[4][4] in _APPENDS for s in racing)
                partner = next((s for s in racing if s[4][4] not in _APPENDS), racing[0])
                ordinal = sorted((r[1], r[2]) for r in w_info["walks"] if r[0] == attr).index((w_row[1], w_row[2]))
                done.add(key)
                entry = facts.setdefault(graph.path(cls[0]), {"classes": {}})
                if describe is None:
                    shared, data = graph.how[cls], {**graph.objects[cls], "class": f"{cls[0]}.{cls[1]}"}
                else:
                    shared, data = describe(cls)
                klass = entry["classes"].setdefault(cls[1], {"shared": shared, "object": data, "methods": {}})
                c_info = partner[6]
                c_ordinal = sorted((r[1], r[2]) for r in c_info["sizes"] if r[0] == attr).index((partner[4][1], partner[4][2]))
                changers = len({(s[3], s[4][1], s[4][2]) for s in racing})
                change = [partner[3].split(".", 1)[1], c_ordinal, changers, partner[5][0][3]]
                klass.setdefault("walks", []).append(
                    [attr, ordinal, w_method.split(".", 1)[1], w_row[4], change, appends, [w_path]]
                )


def merge_walks(mine: dict, found: dict) -> None:
    """Add a class's hand-over `walks` rows (`handover_join.merge`) to the ones the join found, once each."""
    rows = mine.setdefault("walks", [])
    have = {(row[0], row[1], row[2]) for row in rows}
    rows.extend(row for row in found.get("walks", ()) if (row[0], row[1], row[2]) not in have)
    if not rows:
        del mine["walks"]


def uses_own_lock(graph: Any, cls: Node) -> bool:
    """Some method of the class takes a lock of its own (`with self._lock:` around a call, a walk or a size
    change). For a handed-over object the index cannot name that lock (`join.lock_id` names `self.<lock>`
    of process-wide objects only), so a walk held under it by a caller would look unguarded: such a
    class's walks are not reported through hand-overs (the conservative answer)."""
    prefix = f"{cls[1]}."
    for qual, info in graph.summary(cls[0])["functions"].items():
        if not qual.startswith(prefix):
            continue
        refs = [ref for row in info.get("under", ()) for ref in row[2]]
        refs += [ref for key in ("walks", "sizes") for row in info.get(key, ()) for ref in row[3]]
        for kind, text in (ref[:2] for ref in refs):
            head, _, attr = text.partition(".")
            if kind == "n" and head == "self" and attr and "." not in attr and graph.is_lock(("attr", cls, attr)):
                return True
    return False
