"""Campaign databases written before the layering (checked-in fixtures) still work.

``tests/fixtures/*_v1.db`` were made by main at a94ff68 (2026-11-24), each a 24-injection
campaign stopped after 10 results:

* ``noc_secded_v1.db``: the 2x2 SECDED mesh (``make campaign-noc`` profile ``noc_secded``),
  whose recipe names the factory ``fault_campaigns.noc_nightly:noc_profile_workload``: a
  module that no longer exists (the alias table in :mod:`fault_campaigns.recipes` resolves
  it). The mesh's Verilog is unchanged, so the campaign resumes, reports and replays.
* ``tile_small_v1.db``: the small tile, GEMM 8x8x8, ``mbu``: reports. Its workload's
  harness has changed since (one bus player, one op encoding) and so have the tile's state
  variable names (the tile is now a hierarchy of components), so its identity differs and
  it is refused for resuming; its stored recipe, run afresh, has the same fault-free run.
  That the figures are unchanged is shown by campaigns, not per injection (the same plan
  index now names another bit): see the closing note of the architecture issue.

Each test works on a copy: the fixtures are never written.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fault_campaigns.campaign import resume_spec, run_campaign
from fault_campaigns.db import CampaignDB, CampaignDBError
from fault_campaigns.summary import summarize

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _copy(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copy(FIXTURES / name, dst)
    return dst


def _results(db_path: Path) -> dict[int, tuple]:
    with CampaignDB.open_existing(db_path) as db:
        return {r["id"]: (r["outcome"], r["sim_cycles"], r["end_cycle"], r["wrong"],
                          r["max_err"], r["early"]) for r in db.results()}


@pytest.mark.parametrize("name", ["noc_secded_v1.db", "tile_small_v1.db"])
def test_old_database_reports(name, tmp_path):
    db = _copy(name, tmp_path)
    summary = summarize(db)
    assert (summary["done"], summary["planned"]) == (10, 24)
    out = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "orbitbench.cli", "report", str(db),
                             "--json", str(out)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text())[db.stem]["done"] == 10


def test_old_noc_database_resumes_and_replays(tmp_path):
    db = _copy("noc_secded_v1.db", tmp_path)
    before = _results(db)
    spec = resume_spec(db)
    assert spec.recipe["ref"] == "fault_campaigns.noc_nightly:noc_profile_workload"
    run_campaign(spec, db, workers=1)
    after = _results(db)
    assert len(after) == 24
    assert {i: after[i] for i in before} == before  # the old results are untouched
    result = subprocess.run([sys.executable, "-m", "orbitbench.cli", "replay", str(db),
                             str(min(before))], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _meta(db_path: Path, key: str):
    with CampaignDB.open_existing(db_path) as db:
        return db.meta(key)


def test_old_tile_database_is_refused_and_its_recipe_still_runs(tmp_path):
    """The tile fixture predates the tile's split into components and the one bus player:
    its harness (workload digest) and its state variables (names, hence the targets digest)
    changed, so resuming it is refused with a clear message rather than mixing two designs.
    Its stored recipe still builds the same campaign on today's code: the same fault-free
    run (cycles and output digest) and the same plan parameters."""
    db = _copy("tile_small_v1.db", tmp_path)
    spec = resume_spec(db)
    with pytest.raises(CampaignDBError, match=r"holds a different campaign \(differs in "
                                              r"targets_digest, workload\); give another "
                                              r"--db, or delete the file to start over"):
        run_campaign(spec, db, workers=1)
    fresh = tmp_path / "fresh.db"
    run_campaign(spec, fresh, workers=1)
    assert len(_results(fresh)) == 24
    old, new = _meta(db, "campaign"), _meta(fresh, "campaign")
    assert old["workload"]["digest"] != new["workload"]["digest"]
    assert old["workload"]["params"] == new["workload"]["params"]
    for key in ("golden_cycles", "golden_digest", "count", "seed", "model", "sizes"):
        assert old[key] == new[key], key


def test_a_database_without_recipe_cannot_be_resumed_alone(tmp_path):
    db = _copy("noc_secded_v1.db", tmp_path)
    with CampaignDB.open_existing(db) as handle:
        handle.conn.execute("DELETE FROM meta WHERE key = 'recipe'")
    with pytest.raises(CampaignDBError, match="stores no workload recipe"):
        resume_spec(db)
