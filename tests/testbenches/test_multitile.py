"""Runs the multi-tile top's cocotb tests under Verilator, one build per configuration.

CI tier: the unprotected top ``mt2x2`` only, one fixed seed, one random GEMM (its Verilator
build is the cheaper one; that SECDED links correct single upsets with exact results is
also checked in CI by tests/fault_campaigns/test_multitile_campaign.py). ``make regress``
adds ``mt2x2_hard`` and ``ORBITBENCH_SEEDS`` fresh seeds with 4 random GEMMs each on both.
The Verilog comes from ``rtl/``, or see :func:`orbitbench.sim.mt_rtl_dir`
(``ORBITBENCH_MT_RTL=none``: what the generators emit now, before ``make rtl``).
"""

import time

import pytest

from orbitbench import sim
from orbitbench.sim import mt_rtl_dir
from orbitbench.spec import knobs
from orbitbench.spec.multitile import MULTITILE_CONFIGS
from testbenches.multitile_tb import multitile_design

SEED = knobs.SEED.get_int() or 20261124


#: Configurations of the CI tier; the others run under ``make regress`` only (Verilator
#: builds: about 2 CPU-minutes for mt2x2, several for mt2x2_hard).
CI_CONFIGS = ("mt2x2",)


@pytest.fixture(scope="session", ids=lambda name: name, params=[
    name if name in CI_CONFIGS else pytest.param(name, marks=pytest.mark.regress)
    for name in sorted(MULTITILE_CONFIGS)])
def mt_model(request):
    """The verilated multi-tile top for one configuration, built once per test session."""
    return sim.build(multitile_design(MULTITILE_CONFIGS[request.param], mt_rtl_dir()))


def _reproduce(model, seed, items=None):
    env = f"ORBITBENCH_SEED={seed}" + (f" ORBITBENCH_ITEMS={items}" if items else "")
    return (f"reproduce: {env} .venv/bin/python -m pytest tests/testbenches/test_multitile.py "
            f"-k '{model.design.params['name']}'")


def test_directed(mt_model):
    result = sim.run(mt_model, "testbenches.multitile_directed", seed=SEED)
    assert result.passed, _reproduce(mt_model, SEED)


def _regress_seeds():
    count = knobs.SEEDS.get_int() or 0
    base = knobs.REGRESS_BASE.get_int() or int(time.time()) % 1_000_000
    return [base + i for i in range(count)]


@pytest.mark.regress
@pytest.mark.parametrize("seed", _regress_seeds(), ids=lambda s: f"seed={s}")
def test_regress(mt_model, seed):
    items = 4
    result = sim.run(mt_model, "testbenches.multitile_directed", testcase="random_gemms",
                     seed=seed, extra_env=knobs.ITEMS.env(items),
                     results_name=f"regress_{seed}")
    assert result.passed, _reproduce(mt_model, seed, items)
