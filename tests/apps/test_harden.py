"""orbitbench harden: ranking by measured SDC contribution, greedy choice within the budget,
the emitted configuration, and bad input (one line, exit 2)."""

import dataclasses
import shutil
import sqlite3
from pathlib import Path

import pytest

from orbitbench.apps import harden
from orbitbench.apps.area import tmr_register_cost
from orbitbench.apps.harden import choose, config_snippet, parse_budget, plan, rank
from orbitbench.cli.main import main
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import CONFIGS, TileConfig, tmr_group_names

FIXTURES = Path(__file__).parent.parent / "fixtures"
SMALL = CONFIGS["small"]


def _structure(bits, injections, sdc):
    est = sdc / injections
    return {"bits": bits, "injections": injections,
            "outcomes": {"sdc": sdc, "masked": injections - sdc},
            "sdc_avf": {"estimate": est, "low": est / 2, "high": min(1.0, est * 2)}}


#: A synthetic campaign summary with a known answer: contributions (AVF x bits) are
#: reg_k 16 x 0.5 = 8, a_zp 8 x 0.75 = 6, ctrl_state 3 x 1.0 = 3, cycles 32 x 0.05 = 1.6,
#: qmult 32 x 0 = 0; throttle.therm_trip1 not targeted; a scratchpad and an array row.
SYNTHETIC = {"structures": {
    "tile.regfile.reg_k": _structure(16, 100, 50),
    "tile.regfile.a_zp": _structure(8, 100, 75),
    "tile.controller.ctrl_state": _structure(3, 40, 40),
    "tile.controller.cycles": _structure(32, 200, 10),
    "tile.regfile.qmult": _structure(32, 200, 0),
    "tile.scratchpads.a_bank*.mem": _structure(8192, 1000, 300),
    "tile.datapath.array.pe_*_*.acc": _structure(512, 100, 20),
}}


def test_ranking_of_a_synthetic_summary_is_the_known_answer():
    rows, other = rank(SYNTHETIC, SMALL)
    measured = [r.group for r in rows if r.contribution > 0]
    assert measured == ["regfile.reg_k", "regfile.a_zp", "controller.ctrl_state",
                        "controller.cycles"]
    assert [r.contribution for r in rows[:4]] == pytest.approx([8, 6, 3, 1.6])
    assert [r.cost for r in rows[:4]] == [32, 16, 6, 64]  # 2 x bits
    assert len(rows) == len(tmr_group_names(SMALL))  # every group listed, measured or not
    trip = next(r for r in rows if r.group == "throttle.therm_trip1")
    assert (trip.injections, trip.sdc_avf, trip.contribution) == (0, None, 0.0)
    assert other["scratchpads"]["bits"] == 8192 and other["datapath"]["sdc"] == 20


def test_greedy_choice_respects_the_budget_and_skips_what_does_not_fit():
    rows, _ = rank(SYNTHETIC, SMALL)
    for budget in range(0, 130, 3):
        chosen, spent = choose(rows, budget)
        assert spent <= budget
        assert spent == sum(r.cost for r in rows if r.group in chosen)
    # 60 bits: reg_k (32) + a_zp (16) + ctrl_state (6) = 54; cycles (64) refused: over budget.
    chosen, spent = choose(rows, 60)
    assert chosen == ["regfile.reg_k", "regfile.a_zp", "controller.ctrl_state"] and spent == 54
    # 40 bits: reg_k (32); a_zp (16) would exceed it and is skipped; ctrl_state (6) still fits.
    assert choose(rows, 40) == (["regfile.reg_k", "controller.ctrl_state"], 38)
    # never a group with no measured SDC (qmult), whatever the budget
    assert "regfile.qmult" not in choose(rows, 10**6)[0]


def test_negative_control_a_ranking_that_ignores_avf_picks_differently():
    rows, _ = rank(SYNTHETIC, SMALL)
    by_bits = sorted((r for r in rows if r.contribution > 0), key=lambda r: -r.bits)
    blind = [dataclasses.replace(r, sdc_avf=1.0) for r in by_bits]  # every bit equally bad
    ranked, ignorant = choose(rows, 70)[0], choose(blind, 70)[0]
    assert ranked == ["regfile.reg_k", "regfile.a_zp", "controller.ctrl_state"]
    assert ignorant == ["controller.cycles", "controller.ctrl_state"]  # the widest first
    protected = {r.group: r.contribution for r in rows}
    assert sum(map(protected.get, ignorant)) < sum(map(protected.get, ranked)) / 3


def test_plan_on_a_tile_database_emits_a_usable_config():
    p = plan(FIXTURES / "tile_small_v1.db", 10, "ffbits", base_area=2000)
    assert p.base == SMALL and p.budget == 200 and p.spent <= p.budget
    cfg = p.config
    assert cfg.tmr_groups == p.chosen and cfg.hardening == "none"
    assert cfg.name == f"small_sel_{cfg.tmr_digest}" if p.chosen else "small_sel_none"
    snippet = config_snippet(cfg)
    assert all(len(line) <= 100 for line in snippet.splitlines())
    entry = eval(snippet.strip().split(":", 1)[1].rstrip(","), {"TileConfig": TileConfig})
    assert entry == cfg
    # the registered curve configurations are what harden emits for their budgets
    for name in ("small_sel5", "small_sel10", "small_sel25"):
        assert CONFIGS[name].tmr_groups and CONFIGS[name].hardening == "none"


def test_groups_are_part_of_the_identity():
    a = dataclasses.replace(SMALL, tmr_groups=("regfile.reg_k",), name="x")
    b = dataclasses.replace(SMALL, tmr_groups=("regfile.reg_m",), name="x")
    assert a != b and a.tmr_digest != b.tmr_digest and a.as_dict() != b.as_dict()


@pytest.mark.parametrize("text", ["0", "0%", "101%", "-5%", "ten", "", "5%%"])
def test_bad_budget(text):
    with pytest.raises(ParameterError, match="--budget must be a percentage"):
        parse_budget(text)
    assert parse_budget("10%") == parse_budget("10") == 10.0


def _cli(capsys, *argv):
    rc = main(["harden", *argv])
    out = capsys.readouterr()
    return rc, out.out


def _no_yosys(monkeypatch):
    monkeypatch.setattr(harden, "measure", lambda cfg: type("A", (), {"ff_bits": 2000})())


def test_cli_bad_inputs_exit_2_in_one_line(capsys, tmp_path, monkeypatch):
    _no_yosys(monkeypatch)
    db = FIXTURES / "tile_small_v1.db"
    cases = [
        (["--from", str(tmp_path / "missing.db"), "--budget", "10%"], "no such campaign"),
        (["--from", str(FIXTURES / "noc_secded_v1.db"), "--budget", "10%"],
         "not a campaign on the tile"),
        (["--from", str(db), "--budget", "0%"], "--budget must be"),
        (["--from", str(db), "--budget", "10%", "--name", "small_tmr"], "registered"),
        (["--from", str(db), "--budget", "10%", "--name", "9bad"], "--name"),
    ]
    for argv, message in cases:
        rc, out = _cli(capsys, *argv)
        assert rc == 2, argv
        assert message in out and len(out.strip().splitlines()) == 1, out


def test_cli_refuses_a_database_of_a_triplicated_config(capsys, tmp_path, monkeypatch):
    db = tmp_path / "tmr.db"
    shutil.copy(FIXTURES / "tile_small_v1.db", db)
    with sqlite3.connect(db) as con:
        con.execute("update meta set value = ? where key = 'recipe'",
                    ('{"config": "small_tmr", "gemm": [8, 8, 8], "kind": "tile", "seed": 1}',))
    rc, out = _cli(capsys, "--from", str(db), "--budget", "10%")
    assert rc == 2 and "already triplicates" in out


def test_cli_prints_the_ranking_and_the_config(capsys, tmp_path, monkeypatch):
    _no_yosys(monkeypatch)
    rc, out = _cli(capsys, "--from", str(FIXTURES / "tile_small_v1.db"), "--budget", "10%",
                   "--json", str(tmp_path / "plan.json"))
    assert rc == 0
    assert "orbitbench harden: small, budget 10 % of 2,000 FF bits = 200" in out
    assert "TileConfig(rows=4, cols=4" in out and (tmp_path / "plan.json").is_file()


def test_the_diagnostics_are_paid_once_with_the_first_group():
    rows, _ = rank(SYNTHETIC, SMALL)
    # 60 bits with 33 fixed: reg_k (32 + 33 = 65) no longer fits; a_zp (16 + 33) does, then
    # ctrl_state (6): 55
    assert choose(rows, 60, fixed=33) == (["regfile.a_zp", "controller.ctrl_state"], 55)
    assert choose(rows, 20, fixed=33) == ([], 0)


def test_cells_cost_is_the_yosys_measurement_of_the_register():

    rows, _ = rank(SYNTHETIC, SMALL, unit="cells")
    cost = {r.group: r.cost for r in rows}
    assert cost["regfile.reg_k"] == tmr_register_cost(16)["cells"] > 2 * 16
    assert cost["controller.ctrl_state"] == tmr_register_cost(3)["cells"]
    assert tmr_register_cost(16)["ff_bits"] == 32  # two more copies of 16 bits
