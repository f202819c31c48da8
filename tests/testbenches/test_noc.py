"""Runs the mesh's cocotb testbench (testbenches/noc_tb.py) under Verilator.

Meshes are generated into ``sim_build/noc_src/`` (not ``rtl/``) and built once per
session. CI: a 2x2 with SECDED links and two local ports (every test, including the
upsets in flight; the router logic is the same for every protection). Under the ``regress``
marker (``make regress``): the same testbench on an unprotected 2x2, a 2x2 with TMR, and
the 4x4 meshes of ``NOC_CONFIGS``.
"""

from __future__ import annotations

import pytest

from hdl_gen.noc import emit_mesh
from orbitbench import sim
from orbitbench.spec import knobs
from orbitbench.spec.noc import NOC_CONFIGS, NocConfig

SEED = knobs.SEED.get_int() or 20261124

CI_CONFIGS = {
    "ci2x2_secded": NocConfig(mesh_x=2, mesh_y=2, local_ports=2, protection="secded",
                              name="ci2x2_secded"),
}
#: Heavier builds, nightly only.
REGRESS_CONFIGS = {
    "ci2x2": NocConfig(mesh_x=2, mesh_y=2, name="ci2x2"),
    "ci2x2_hard": NocConfig(mesh_x=2, mesh_y=2, local_ports=2, protection="secded", tmr=True,
                            name="ci2x2_hard"),
    **NOC_CONFIGS,
}


def mesh_design(cfg: NocConfig) -> sim.Design:
    """The mesh of ``cfg`` generated into ``sim_build/noc_src/``.

    Visible to cocotb: the top's ports and counters, and in every router the input buffer
    slots and pointers (the upset test deposits there); the rest stays private so that
    Verilator optimises it and the build stays short.
    """
    path = sim.SIM_BUILD / "noc_src" / f"{cfg.top_name}.v"
    text = emit_mesh(cfg)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    routers = f"{cfg.top_name}.router_*"
    public = ((cfg.top_name, "*"), (routers, "in*_slot*"), (routers, "in*_wp"),
              (routers, "in*_rp"))
    return sim.Design(top=cfg.top_name, sources=(path,), params=cfg.as_dict(), public=public)


@pytest.fixture(scope="session", params=sorted(CI_CONFIGS))
def noc_model(request):
    return sim.build(mesh_design(CI_CONFIGS[request.param]))


def test_mesh_testbench(noc_model):
    result = sim.run(noc_model, "testbenches.noc_tb", seed=SEED)
    assert result.passed, (f"reproduce: ORBITBENCH_SEED={SEED} .venv/bin/python -m pytest "
                           f"tests/testbenches/test_noc.py -k {noc_model.design.top}")


@pytest.mark.regress
@pytest.mark.parametrize("name", sorted(REGRESS_CONFIGS))
def test_mesh_regress(name):
    model = sim.build(mesh_design(REGRESS_CONFIGS[name]))
    result = sim.run(model, "testbenches.noc_tb", seed=SEED)
    assert result.passed
