"""The gate's file and front end (the gate campaign itself, and its negative control with
threshold 1e-6, run in tests/fault_campaigns/test_campaign.py)."""

from __future__ import annotations

import json

import pytest

from orbitbench.apps import gate
from orbitbench.apps.gate import GATE_FILE, GateFileError, gate_suite, load_gate
from orbitbench.apps.suites import DATAPATH_TARGETS

CHECKED_IN = json.loads(GATE_FILE.read_text())


def test_the_checked_in_gate_file_loads():
    fields = load_gate(GATE_FILE)
    assert fields == CHECKED_IN
    suite = gate_suite(fields)
    none, hard, abft = suite.profiles
    assert (none.db_file, hard.db_file, abft.db_file) == (
        "small.db", "small_ecc_tmr_abft.db", "small_abft_dp.db")
    assert abft.include == DATAPATH_TARGETS
    assert (hard.count, hard.seed, hard.model, hard.confidence) == (
        CHECKED_IN["count"], CHECKED_IN["seed"], CHECKED_IN["model"], CHECKED_IN["confidence"])
    assert hard.recipe == {"kind": "tile", "config": "small_ecc_tmr_abft",
                           "gemm": CHECKED_IN["gemm"], "seed": CHECKED_IN["gemm_seed"]}


@pytest.mark.parametrize("change, message", [
    ({"count": None}, "no field 'count'"),
    ({"count": "many"}, "count must be an integer, not 'many'"),
    ({"count": 0}, "count must be at least 1"),
    ({"model": "alpha"}, "model must be one of seu, mbu, stuck, set, not 'alpha'"),
    ({"hardened_config": "huge"}, "config must be one of"),
    ({"hardened_config": "small"}, "database small.db appears twice"),
    ({"gemm": [16, 32]}, "gemm is"),
    ({"max_sdc_avf_upper": True}, "max_sdc_avf_upper must be a number, not True"),
    ({"max_abft_datapath_sdc_avf_upper": None}, "no field 'max_abft_datapath_sdc_avf_upper'"),
])
def test_a_bad_gate_file_is_refused_with_its_reason(tmp_path, change, message):
    fields = {k: v for k, v in {**CHECKED_IN, **change}.items() if v is not None}
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(fields))
    with pytest.raises(GateFileError, match=f"gate file {path}: .*{message}"):
        load_gate(path)


def test_a_bad_gate_file_exits_2_before_any_campaign(tmp_path, capsys):
    assert gate.main(["--gate-file", str(tmp_path / "missing.json"), "--out",
                      str(tmp_path)]) == 2
    assert "error: gate file" in capsys.readouterr().out
    (tmp_path / "broken.json").write_text("{not json")
    assert gate.main(["--gate-file", str(tmp_path / "broken.json"), "--out",
                      str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*.db"))
