"""Candidate arguments for a driven function, inferred from the module's own code (no annotations needed).

`fib(n)` cannot be driven with a neutral value: nothing says `n` is an int. The module says more
than its annotations: its literal call sites (`fib(10)` under `__main__`), what the body does with a
parameter (`n < 2` and `n - 1`: an int; `key == "url"` or `TREE[key]`: one of those strings;
`node.left`: an object with a `left`; `for x in items`: a list), followed into the module functions
the parameter is passed to (`_make(key)`). Each parameter gets a few values, chosen to take both
sides of the comparisons it meets (`fib(3)` recurses, `fib(1)` does not); the sets are the
combinations, literal call sites first. The DPOR child tries them and keeps the one that runs the
act most often without error (`dpor_child.pick_arguments`): coverage should not depend on luck.

Values are Python expressions (a literal's `repr`, or `SimpleNamespace(...)` built here), kept as
text so a spec stays plain data; `arguments.evaluate` turns them into values in the child.
"""

from __future__ import annotations

import ast
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Optional

#: values tried per parameter, and argument sets per function
PER_PARAMETER = 4
MAX_SETS = 6
#: how deep a parameter is followed into the module functions it is passed to
FOLLOW = 2
FALLBACK = ("'racelint'", "1")
SCALAR_KINDS: dict[str, type] = {"int": int, "str": str, "float": float, "bytes": bytes}


@dataclass
class Evidence:
    """What the module shows about one parameter."""

    compared: list[str] = field(default_factory=list)  # strings it is compared with: each takes a branch
    values: list[str] = field(default_factory=list)  # keys of the mappings it indexes
    ints: set[int] = field(default_factory=set)  # integers it is compared with
    numeric: bool = False
    attributes: dict[str, str] = field(default_factory=dict)  # attribute -> "list" | "value"
    iterated: bool = False
    keyed: bool = False  # used as a key of a mapping the module does not spell out
    called: bool = False  # a callable: no neutral value can be guessed

    def add(self, expression: str) -> None:
        if expression not in self.values:
            self.values.append(expression)

    @property
    def known(self) -> bool:
        return bool(self.compared or self.values or self.ints or self.numeric or self.attributes or self.iterated or self.keyed)


def _literal(node: ast.AST) -> Optional[str]:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return repr(value)


def _of_kind(expression: str, kind: type) -> bool:
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return False  # a SimpleNamespace
    return isinstance(value, kind) and not isinstance(value, bool)


def _module_dicts(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level names bound to a non-empty dict literal (its keys) or set/list/tuple literal (its members),
    with module-level constants resolved (`_STATUSES = {STATUS_OK, STATUS_FAILED}`) -> the literal values."""
    bound: list[tuple[str, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bound.append((node.targets[0].id, node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            bound.append((node.target.id, node.value))
    constants = {name: text for name, value in bound if (text := _literal(value)) is not None}

    def resolve(element: Optional[ast.AST]) -> Optional[str]:
        if isinstance(element, ast.Name):
            return constants.get(element.id)
        return _literal(element) if element is not None else None

    found: dict[str, list[str]] = {}
    for name, value in bound:
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("set", "frozenset", "tuple", "list") \
                and len(value.args) == 1:
            value = value.args[0]
        members = value.keys if isinstance(value, ast.Dict) else value.elts if isinstance(value, (ast.Set, ast.List, ast.Tuple)) else []
        keys = [resolve(k) for k in members]
        if keys and all(keys):
            found[name] = keys  # type: ignore[assignment]
    return found


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


class _Reader:
    """Collects the evidence about parameter `name` in one function body."""

    def __init__(self, tree: ast.Module, functions: dict[str, ast.FunctionDef], dicts: dict[str, list[str]]) -> None:
        self.tree, self.functions, self.dicts = tree, functions, dicts

    def _keys_of(self, container: ast.AST) -> Optional[list[str]]:
        if isinstance(container, ast.Dict):
            keys = [_literal(k) for k in container.keys if k is not None]
            return keys if keys and all(keys) else None  # type: ignore[return-value]
        if isinstance(container, ast.Name):
            return self.dicts.get(container.id)
        return None

    def _constants(self, node: ast.AST, evidence: Evidence) -> None:
        """A value the parameter is compared with (or tested for membership in)."""
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                self._constants(element, evidence)
            return
        text = _literal(node)
        if text is None:
            return
        value = ast.literal_eval(text)
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int):
            evidence.ints.add(value)
        elif isinstance(value, float):
            evidence.numeric = True
        elif isinstance(value, (str, bytes)) and text not in evidence.compared:
            evidence.compared.append(text)

    def read(self, function: ast.FunctionDef, name: str, evidence: Evidence, depth: int = 0) -> None:
        iterated_nodes = set()
        for node in ast.walk(function):
            if isinstance(node, (ast.For, ast.comprehension)):
                iterated_nodes.add(id(node.iter))
                if _is(node.iter, name):
                    evidence.iterated = True
            elif isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                for index, side in enumerate(sides):
                    if not _is(side, name):
                        continue
                    for other_index, other in enumerate(sides):
                        if other_index == index:
                            continue
                        op = node.ops[min(index, other_index)]
                        keys = self._keys_of(other) if isinstance(op, (ast.In, ast.NotIn)) and other_index > index else None
                        if keys is not None:
                            for key in keys:
                                evidence.add(key)
                        elif isinstance(op, (ast.In, ast.NotIn)) and other_index > index and not isinstance(other, (ast.Tuple, ast.List, ast.Set)):
                            evidence.keyed = True
                        else:
                            self._constants(other, evidence)
            elif isinstance(node, ast.BinOp) and (_is(node.left, name) or _is(node.right, name)):
                other = node.right if _is(node.left, name) else node.left
                text = _literal(other)
                if text is not None and isinstance(ast.literal_eval(text), (int, float)) and not isinstance(ast.literal_eval(text), bool):
                    evidence.numeric = True
            elif isinstance(node, ast.Subscript) and _is(node.slice, name):
                keys = self._keys_of(node.value)
                if keys is not None:
                    for key in keys:
                        evidence.add(key)
                else:
                    evidence.keyed = True
            elif isinstance(node, ast.Attribute) and _is(node.value, name):
                evidence.attributes.setdefault(node.attr, "value")
            elif isinstance(node, ast.Call):
                self._call(node, name, evidence, depth)
        for node in ast.walk(function):  # attributes that are iterated hold lists
            if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Attribute) and _is(node.iter.value, name):
                evidence.attributes[node.iter.attr] = "list"

    def _call(self, call: ast.Call, name: str, evidence: Evidence, depth: int) -> None:
        func = call.func
        if _is(func, name):
            evidence.called = True
        if isinstance(func, ast.Name) and func.id == "range" and any(_is(a, name) for a in call.args):
            evidence.numeric = True
        if isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault", "pop") and call.args and _is(call.args[0], name):
            keys = self._keys_of(func.value)
            if keys is not None:
                for key in keys:
                    evidence.add(key)
            else:
                evidence.keyed = True
        if depth >= FOLLOW or not isinstance(func, ast.Name) or func.id not in self.functions:
            return
        callee = self.functions[func.id]
        params = [a.arg for a in callee.args.posonlyargs + callee.args.args]
        for index, argument in enumerate(call.args):
            if _is(argument, name) and index < len(params):
                self.read(callee, params[index], evidence, depth + 1)
        for keyword in call.keywords:
            if keyword.arg and _is(keyword.value, name):
                self.read(callee, keyword.arg, evidence, depth + 1)


def _namespace(attributes: dict[str, str], inner: Optional[str]) -> str:
    """`SimpleNamespace(a=..., b=...)`: list attributes hold `[inner]` (or `[]`), the others `inner` (or None)."""
    parts = []
    for attr, kind in sorted(attributes.items()):
        if kind == "list":
            parts.append(f"{attr}=[{inner}]" if inner else f"{attr}=[]")
        else:
            parts.append(f"{attr}={inner or 'None'}")
    return f"SimpleNamespace({', '.join(parts)})"


def _values(evidence: Evidence) -> list[str]:
    """A few values for one parameter, the most telling first; [] when nothing is known or it is called."""
    if evidence.called:
        return []
    values = evidence.compared + [v for v in evidence.values if v not in evidence.compared]
    if evidence.ints:
        # one past each bound takes the other branch once (`n < 2`: 2 recurses, to 1 and 0); the bound itself does not
        for bound in sorted(evidence.ints):
            for value in (bound + 1, bound + 2, bound):
                if repr(value) not in values:
                    values.append(repr(value))
    elif evidence.numeric:
        values += ["2", "1"]
    if evidence.attributes:
        leaf = _namespace(evidence.attributes, None)
        values += [_namespace(evidence.attributes, leaf), leaf]
    if evidence.iterated and not evidence.attributes:
        values += ["[1, 2]", "[]"]
    if evidence.keyed and not values:
        values.append("'racelint'")
    return values[:PER_PARAMETER]


def _function(tree: ast.Module, qualified: str) -> Optional[tuple[ast.FunctionDef, bool]]:
    """The function node of `qualified` and whether its first parameter is bound (self/cls)."""
    if "." not in qualified:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == qualified:
                return node, False
        return None
    owner, name = qualified.split(".", 1)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    static = any(_is(d, "staticmethod") for d in item.decorator_list)
                    return item, not static
    return None


def _call_sites(tree: ast.Module, qualified: str, params: list[str]) -> list[dict[str, str]]:
    """Argument sets of the module's calls to `qualified` whose arguments are all literals."""
    name = qualified.split(".")[-1]
    owner = qualified.split(".")[0] if "." in qualified else None
    sets = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if owner is None:
            hit = _is(func, name)
        else:
            hit = isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name) \
                and func.value.id in ("self", "cls", owner)
        if not hit or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        values = dict(zip(params, (_literal(a) for a in node.args)))
        values.update({k.arg: _literal(k.value) for k in node.keywords if k.arg})
        if values and all(v is not None for v in values.values()) and values not in sets:
            sets.append(values)  # type: ignore[arg-type]
    return sets  # type: ignore[return-value]


def infer_for(tree: ast.Module, qualified: str) -> list[dict[str, str]]:
    """Candidate argument sets (parameter -> expression) for the required parameters of `qualified`.

    Annotated parameters with no evidence are left out (the child builds them from the annotation);
    an unannotated one with none gets a neutral string, then an int. [] when nothing is required, or
    when an unannotated parameter is called (a callable cannot be guessed) and no call site passes a literal.
    """
    found = _function(tree, qualified)
    if found is None:
        return []
    function, bound = found
    args = function.args
    everything = args.posonlyargs + args.args
    positional = everything[1:] if bound and everything else everything
    required = everything[: len(everything) - len(args.defaults)][1 if bound else 0 :]
    required += [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    if not required:
        return []
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    reader = _Reader(tree, functions, _module_dicts(tree))
    per_parameter: list[list[str]] = []
    for param in required:
        evidence = Evidence()
        reader.read(function, param.arg, evidence)
        values = _values(evidence)
        if param.annotation is not None:  # the annotation wins, unless the evidence is of its scalar type
            kind = SCALAR_KINDS.get(param.annotation.id) if isinstance(param.annotation, ast.Name) else None
            values = [v for v in values if kind is not None and _of_kind(v, kind)]
        if not values and param.annotation is None and not evidence.called:
            values = list(FALLBACK)  # used in no way the module shows: any neutral value drives it
        elif not values and param.annotation is None:
            return []  # a callable nothing in the module passes: not runnable, the parameter is named
        per_parameter.append(values)
    names = [p.arg for p in required]
    sets = [s for s in _call_sites(tree, qualified, [a.arg for a in positional]) if set(names) <= set(s)]
    inferred = [(n, v) for n, v in zip(names, per_parameter) if v]
    for combination in itertools.product(*(v for _, v in inferred)):
        candidate = dict(zip((n for n, _ in inferred), combination))
        if candidate not in sets:
            sets.append(candidate)
        if len(sets) >= MAX_SETS:
            break
    return [s for s in sets[:MAX_SETS] if s]


def infer_arguments(tree: ast.Module, qualified: str, *others: str) -> str:
    """JSON text `{qualified name: [argument set, ...]}` for the driven function and the others it needs
    (its class's constructor, a caller); "" when none needs any."""
    table: dict[str, Any] = {}
    for name in (qualified, *others):
        if name and name not in table:
            sets = infer_for(tree, name)
            if sets:
                table[name] = sets
    return json.dumps(table, sort_keys=True) if table else ""
