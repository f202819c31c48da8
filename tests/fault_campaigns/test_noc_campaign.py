"""The campaign engine on the NoC alone (fault_campaigns/noc_workload.py).

Single upsets restricted to the flits in flight (every router's input buffer slots,
:data:`~fault_campaigns.noc_workload.LINK_BUFFERS`): with SECDED links none may become
SDC and some must be corrected; the unprotected mesh, same plan, must show SDC (the
negative control: a workload or classifier that cannot see NoC corruption would report 0
for both). Two-router meshes keep CI short; the 2x2 and 4x4 meshes run under ``regress``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.db import CampaignDB
from fault_campaigns.noc_workload import (
    LINK_BUFFERS,
    expected_output,
    noc_schedule,
    noc_workload,
)
from orbitbench.spec.noc import NocConfig

COUNT = 200


def _outcomes(db) -> dict[str, int]:
    counts = {"masked": 0, "corrected": 0, "due": 0, "sdc": 0, "hang": 0}
    with CampaignDB.open_existing(db) as d:
        for row in d.results():
            counts[row["outcome"]] += 1
    return counts


def test_secded_links_cli_zero_sdc(tmp_path):
    out = tmp_path / "secded.json"
    cmd = [sys.executable, "-m", "orbitbench.cli", "campaign",
           "--workload", "fault_campaigns.noc_workload:mesh2x1_secded",
           "--include", LINK_BUFFERS, "--count", str(COUNT), "--seed", "1",
           "--db", str(tmp_path / "secded.db"), "--workers", "2", "--json", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = json.loads(out.read_text())["overall"]["outcomes"]
    print("mesh2x1_secded, link/buffer SEUs:", outcomes)
    assert sum(outcomes.values()) == COUNT
    assert outcomes["sdc"] == 0 and outcomes["hang"] == 0
    assert outcomes["corrected"] > 0


def test_unprotected_links_show_sdc(tmp_path):
    spec = CampaignSpec(noc_workload("mesh2x1", packets=4), count=COUNT, seed=1,
                        include=(LINK_BUFFERS,))
    db = run_campaign(spec, tmp_path / "none.db", workers=2)
    outcomes = _outcomes(db)
    print("mesh2x1, link/buffer SEUs:", outcomes)
    assert outcomes["sdc"] > 0
    assert outcomes["corrected"] == outcomes["due"] == 0


def test_expected_output_is_canonical():
    """Slots are in (source, tag, flit) order and carry the destination; the count is last."""
    cfg = NocConfig(mesh_x=2, mesh_y=1)
    sched = noc_schedule(cfg, 3, 2, seed=7)
    words = expected_output(cfg, sched)
    assert len(words) == 2 * 3 * 3 + 1 and words[-1] == 18
    first = sched[1][2]
    assert words[(1 * 3 + 2) * 3] == (first.header.pack() | 1 << 32
                                      | first.dst(cfg) << 34)
    with pytest.raises(ValueError, match="^packets must be from 1 to 256, not 0$"):
        noc_workload(cfg, packets=0)
    with pytest.raises(ValueError, match="^flit_width must leave room for the endpoint"):
        noc_workload(NocConfig(flit_width=64))


@pytest.mark.regress
@pytest.mark.parametrize("config", ["mesh2x2", "mesh2x2_secded", "mesh4x4", "mesh4x4_secded",
                                    "mesh4x4_hard"])
def test_regress_link_campaign(config, tmp_path):
    spec = CampaignSpec(noc_workload(config), count=1000, seed=2, include=(LINK_BUFFERS,))
    outcomes = _outcomes(run_campaign(spec, tmp_path / "c.db", workers=2))
    print(config, outcomes)
    if "secded" in config or "hard" in config:
        assert outcomes["sdc"] == 0 and outcomes["corrected"] > 0
    else:
        assert outcomes["sdc"] > 0
