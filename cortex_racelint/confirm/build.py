"""Pick the reproducer builder for a finding: check-then-create races are held by an inserted
statement (`spec.py`), the other families by runtime hooks (`families.py`)."""

from __future__ import annotations

from ..ftypes import Finding
from .families import build_family_spec
from .spec import CREATION_RACES, ReproducerSpec, build_creation_spec


def build_spec(finding: Finding, source: bytes) -> ReproducerSpec:
    if finding.code in CREATION_RACES:
        return build_creation_spec(finding, source)
    return build_family_spec(finding, source)
