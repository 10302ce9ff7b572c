"""Package structure: no import cycle, every mapping implements its Protocol, `dim` a plain int."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import phase_space
from phase_space import (
    BreitWignerInvariant,
    ChannelMapping,
    Chili,
    FastRambo,
    FlatInvariant,
    HadronicChannelMapping,
    InvariantMapping,
    Luminosity,
    PhaseSpaceMapping,
    PowerLawInvariant,
    Rambo,
    RamboOnDiet,
    Topology,
)

PACKAGE = Path(phase_space.__file__).parent


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (at any level of the file)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        name = path.stem
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1 and module:
                    targets.add(module.split(".")[0])
                elif node.level == 1:  # from . import x
                    targets.update(alias.name for alias in node.names)
                elif module.startswith("phase_space."):
                    targets.add(module.split(".")[1])
                elif module == "phase_space":
                    targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("phase_space."):
                        targets.add(alias.name.split(".")[1])
        graph[name] = targets - {name}
    return graph


def test_no_import_cycle():
    graph = import_graph()
    assert "rambo" in graph and "decay_chain" in graph
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target == "__init__" or target not in graph:
                continue
            assert state.get(target) != 1, f"import cycle: {' -> '.join(path + [target])}"
            if target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def full_mappings():
    lumi = Luminosity(1000.0, s_hat_min=100.0**2)
    topology = Topology.multi_peripheral((0.0, 0.0, 0.0))
    return [
        Rambo([0.0, 0.0, 0.0], 100.0),
        RamboOnDiet([0.0, 0.0, 0.0], 100.0),
        FastRambo([0.0, 0.0, 0.0], 100.0),
        Chili([0.0, 0.0, 0.0], 100.0),
        ChannelMapping(topology, 100.0),
        HadronicChannelMapping(topology, lumi),
    ]


@pytest.mark.parametrize("mapping", full_mappings(), ids=lambda m: type(m).__name__)
def test_full_mappings_implement_the_protocol(mapping):
    assert isinstance(mapping, PhaseSpaceMapping)
    assert type(mapping.dim) is int
    # a plain attribute: stored on the instance, not computed by a property
    assert not isinstance(getattr(type(mapping), "dim", None), property)


@pytest.mark.parametrize(
    "mapping", [FlatInvariant(), PowerLawInvariant(), BreitWignerInvariant(91.2, 2.5)]
)
def test_invariant_mappings_implement_the_protocol(mapping):
    assert isinstance(mapping, InvariantMapping)
    assert mapping.dim == 1
    assert not isinstance(getattr(type(mapping), "dim", None), property)
