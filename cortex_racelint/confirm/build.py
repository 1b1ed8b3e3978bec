"""Pick the reproducer builder for a finding: check-then-create races are held by an inserted
statement (`spec.py`), the other families by runtime hooks (`families.py`); the caller a
certificate also drives is found in the module (`callers.py`); the arguments of the driven calls are
inferred from the module (`inference.py`)."""

from __future__ import annotations

import ast
from dataclasses import replace

from ..ftypes import Finding
from .callers import find_caller
from .families import build_family_spec
from .inference import infer_arguments
from .spec import CREATION_RACES, ReproducerSpec, build_creation_spec


def build_spec(finding: Finding, source: bytes) -> ReproducerSpec:
    if finding.code in CREATION_RACES:
        spec = build_creation_spec(finding, source)
    else:
        spec = build_family_spec(finding, source)
    tree = ast.parse(source)
    if spec.family in ("creation", "rmw") and not spec.entry.endswith("()"):
        caller = find_caller(tree, spec.function)
        if caller:
            spec = replace(spec, caller=caller)
    constructors = {f"{name.split('.')[0]}.__init__" for name in (spec.function, spec.other_function, spec.caller) if "." in name}
    return replace(spec, arguments=infer_arguments(tree, spec.function, spec.other_function, spec.caller, *sorted(constructors)))
