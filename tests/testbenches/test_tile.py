"""Runs the tile's cocotb/pyuvm testbenches under Verilator, one build per configuration.

CI tier: one fixed seed (``ORBITBENCH_SEED``, default below) so a gate is deterministic,
every configuration but :data:`NIGHTLY_ONLY`.
Nightly tier (``make regress``): ``ORBITBENCH_SEEDS`` fresh seeds per configuration, each in
the test id; a failure prints the command that reproduces it.
"""

import time

import pytest

from orbitbench import sim
from orbitbench.spec import knobs
from orbitbench.spec.params import CONFIGS

SEED = knobs.SEED.get_int() or 20261124


#: Configurations whose testbenches run only in the nightly tier, each costing a Verilator
#: build: ``small_ecc_tmr`` (over a CPU-minute; its ECC and TMR run in CI alone, in
#: ``small_ecc`` and ``small_tmr``, and together with ABFT in ``small_ecc_tmr_abft``),
#: ``default_tmr`` (TMR runs in CI on ``small_tmr``, the 8x8 geometry on ``default``), and
#: two of the three selective-TMR tiles (``small_sel10`` shows one bit-exact in CI).
NIGHTLY_ONLY = ("small_ecc_tmr", "default_tmr", "small_sel5", "small_sel25")


@pytest.fixture(scope="session", ids=lambda name: name, params=[
    pytest.param(name, marks=pytest.mark.regress) if name in NIGHTLY_ONLY else name
    for name in sorted(CONFIGS)])
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
    count = knobs.SEEDS.get_int() or 0
    base = knobs.REGRESS_BASE.get_int() or int(time.time()) % 1_000_000
    return [base + i for i in range(count)]


@pytest.mark.regress
@pytest.mark.parametrize("seed", _regress_seeds(), ids=lambda s: f"seed={s}")
def test_regress(tile_model, seed):
    items = 32
    result = sim.run(tile_model, "testbenches.uvm_tile", seed=seed,
                     extra_env=knobs.ITEMS.env(items), results_name=f"regress_{seed}")
    assert result.passed, _reproduce(tile_model, seed, items)
    result = sim.run(tile_model, "testbenches.tile_directed", seed=seed,
                     results_name=f"regress_directed_{seed}")
    assert result.passed, _reproduce(tile_model, seed)
