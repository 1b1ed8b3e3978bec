"""`positions.py` must give exactly LibCST's `PositionProvider` ranges, for less work."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from cortex_racelint.engine.positions import LazyPositions, record_positions

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "fixtures" / "cortex_legacy" / "cortex").rglob("*.py"))[:8] + [
    Path(sys.modules["json"].__file__).parent / "decoder.py",
    Path(cst.__file__).parent / "_nodes" / "statement.py",
]

TRICKY = (
    "# leading comment\r\n"
    "@decorator(1)\r\n"
    "async def f(a, *, b=2) -> 'x':  # trailing\r\n"
    "    x = [i for i in range(3) if i]; y = lambda: (yield)\r\n"
    "    with (open(p) as f, lock):\r\n"
    "        return f'{x!r:>{y}}'\r\n"
    "class C(Base, metaclass=M):\r\n"
    "    '''doc'''\r\n"
    "    def g(self): return self.h[1:2, ...]\r\n"
    "if a:\r\n    pass\r\nelif b: pass\r\nelse:\r\n\tpass\r\n"
)


def _expected(module: cst.Module) -> dict:
    return dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


@pytest.mark.parametrize("source", [p.read_text(encoding="utf-8") for p in SAMPLES] + [TRICKY], ids=[p.name for p in SAMPLES] + ["tricky"])
def test_every_range_equals_position_provider(source):
    module = cst.parse_module(source)
    assert record_positions(module) == _expected(module)


def test_only_the_roots_and_their_descendants_are_recorded_and_they_are_exact():
    module = cst.parse_module(TRICKY)
    expected = _expected(module)
    klass = module.body[1]
    method = klass.body.body[1]
    elif_clause = module.body[2].orelse
    ranges = record_positions(module, [method, elif_clause])
    assert ranges and all(ranges[node] == expected[node] for node in ranges)
    assert method in ranges and method.body in ranges and elif_clause.test in ranges
    assert klass not in ranges and module.body[0] not in ranges and klass.body.body[0] not in ranges


def test_a_node_outside_the_roots_is_still_found():
    module = cst.parse_module(TRICKY)
    expected = _expected(module)
    positions = LazyPositions(module, [module.body[2]])
    function = module.body[0]
    assert positions[function] == expected[function]  # falls back to a full recording
    assert module.body[2] in positions and positions.get(cst.Name("unrelated")) is None
    with pytest.raises(KeyError):
        positions[cst.Name("unrelated")]
