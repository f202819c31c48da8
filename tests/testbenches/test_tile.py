"""Runs the tile's cocotb/pyuvm testbenches under Verilator, one build per configuration.

CI tier: one fixed seed (``ORBITBENCH_SEED``, default below) so a gate is deterministic.
Nightly tier (``make regress``): ``ORBITBENCH_SEEDS`` fresh seeds per configuration, each in
the test id; a failure prints the command that reproduces it.
"""

import os
import time

import pytest

from orbitbench.params import CONFIGS
from testbenches import sim

SEED = int(os.environ.get("ORBITBENCH_SEED", "20261124"))


@pytest.fixture(scope="session", params=sorted(CONFIGS), ids=lambda name: name)
def tile_model(request):
    """The verilated tile for one configuration, built once per test session."""
    return sim.build(sim.tile_design(CONFIGS[request.param]))


def _reproduce(model, seed, items=None):
    env = f"ORBITBENCH_SEED={seed}" + (f" ORBITBENCH_ITEMS={items}" if items else "")
    return (f"reproduce: {env} .venv/bin/python -m pytest tests/testbenches/test_tile.py "
            f"-k '{model.design.params['name']}'")


def test_directed(tile_model):
    result = sim.run(tile_model, "testbenches.tile_directed", seed=SEED)
    assert result.passed, _reproduce(tile_model, SEED)


def test_uvm(tile_model):
    result = sim.run(tile_model, "testbenches.uvm_tile", seed=SEED)
    assert result.passed, _reproduce(tile_model, SEED)


def test_upsets(tile_model):
    result = sim.run(tile_model, "testbenches.tile_upsets", seed=SEED)
    assert result.passed, _reproduce(tile_model, SEED)


def _regress_seeds():
    count = int(os.environ.get("ORBITBENCH_SEEDS", "0"))
    base = int(os.environ.get("ORBITBENCH_REGRESS_BASE", str(int(time.time()) % 1_000_000)))
    return [base + i for i in range(count)]


@pytest.mark.regress
@pytest.mark.parametrize("seed", _regress_seeds(), ids=lambda s: f"seed={s}")
def test_regress(tile_model, seed):
    items = 32
    result = sim.run(tile_model, "testbenches.uvm_tile", seed=seed,
                     extra_env={"ORBITBENCH_ITEMS": str(items)}, results_name=f"regress_{seed}")
    assert result.passed, _reproduce(tile_model, seed, items)
    result = sim.run(tile_model, "testbenches.tile_directed", seed=seed,
                     results_name=f"regress_directed_{seed}")
    assert result.passed, _reproduce(tile_model, seed)
