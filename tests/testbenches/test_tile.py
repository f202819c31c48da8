"""Runs the tile's cocotb/pyuvm testbenches under Verilator, one build per configuration."""

import pytest

from orbitbench.params import CONFIGS
from testbenches import sim


@pytest.fixture(scope="session", params=sorted(CONFIGS), ids=lambda name: name)
def tile_model(request):
    """The verilated tile for one configuration, built once per test session."""
    return sim.build(sim.tile_design(CONFIGS[request.param]))


def test_directed(tile_model):
    result = sim.run(tile_model, "testbenches.tile_directed")
    assert result.passed, result


def test_uvm(tile_model):
    result = sim.run(tile_model, "testbenches.uvm_tile")
    assert result.passed, result
