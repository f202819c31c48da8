"""Thermal throttling through the verilated tile: cocotb module testbenches.tile_throttle.

Runs on an unhardened and a hardened (ECC + TMR + ABFT) configuration; the Verilator builds are the
same cached ones test_tile.py uses (sim.build keys them by content), so a session that runs
both verilates each configuration once.
"""


import pytest

from orbitbench import sim
from orbitbench.spec import knobs
from orbitbench.spec.params import CONFIGS

SEED = knobs.SEED.get_int() or 20261124
THROTTLE_CONFIGS = ("small", "small_ecc_tmr_abft")


@pytest.fixture(scope="session", params=THROTTLE_CONFIGS, ids=lambda name: name)
def throttle_model(request):
    """The verilated tile (testbench harness top) for one configuration, built once."""
    return sim.build(sim.tile_design(CONFIGS[request.param]))


def test_throttle(throttle_model):
    result = sim.run(throttle_model, "testbenches.tile_throttle", seed=SEED,
                     results_name="throttle")
    assert result.passed, (
        f"reproduce: ORBITBENCH_SEED={SEED} .venv/bin/python -m pytest "
        f"tests/testbenches/test_throttle.py -k '{throttle_model.design.params['name']}'")


@pytest.mark.regress
@pytest.mark.parametrize("name", sorted(set(CONFIGS) - set(THROTTLE_CONFIGS)))
def test_throttle_other_configs(name):
    """Nightly: the same module on the other configurations (bit-exact everywhere)."""
    model = sim.build(sim.tile_design(CONFIGS[name]))
    result = sim.run(model, "testbenches.tile_throttle", seed=SEED, results_name="throttle")
    assert result.passed, (
        f"reproduce: ORBITBENCH_SEED={SEED} .venv/bin/python -m pytest -m regress "
        f"tests/testbenches/test_throttle.py -k '{name}'")
