"""The suite runner: the table of suites (every recipe resolves, database names stay), the
command-line options, and the one error policy, on the analytic probe design (a profile with
a bad recipe or no fault targets is reported and skipped, the others run, exit status 1; a
bug still raises)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fault_campaigns.plan import FAULT_MODELS
from fault_campaigns.recipes import WorkloadError, check_recipe
from orbitbench.apps import nightly, noc_nightly, suites
from orbitbench.apps.gate import GATE_FILE, gate_suite, load_gate
from orbitbench.apps.suites import (
    SUITES,
    Overrides,
    Profile,
    Suite,
    SuiteError,
    run_suite,
    suite_main,
    suite_parser,
)
from orbitbench.spec.multitile import MULTITILE_CONFIGS

REPO = Path(__file__).resolve().parents[2]
PROBE_V = REPO / "examples" / "avf_probe" / "avf_probe.v"
#: The probe of tests/fault_campaigns/probe.py as a recipe (same engine build).
PROBE = {"kind": "verilog", "top": "avf_probe", "sources": [str(PROBE_V)], "exclude": ["cnt"],
         "events": ["fixes:corrected", "err:detected"], "elem_bits": 8,
         "args": ["-GT=60", "-GL=40"]}

ALL_SUITES = {**SUITES, "gate": gate_suite(load_gate(GATE_FILE))}


@pytest.mark.parametrize("suite", ALL_SUITES.values(), ids=ALL_SUITES)
def test_every_profile_of_every_suite_resolves(suite):
    """Recipes, names and sampling of each row, without building anything."""
    assert suite.profiles
    for p in suite.profiles:
        check_recipe(p.recipe)
        assert json.loads(json.dumps(p.recipe)) == p.recipe  # stored in the database
        assert p.model in FAULT_MODELS
        assert p.count is None or p.count >= 1
        assert 0 < p.margin < 1 and 0 < p.confidence < 1
        assert p.db_file.endswith(".db") and "/" not in p.db_file
        if p.include is not None:
            assert p.include and all(isinstance(g, str) for g in p.include)


def test_database_names_and_recipes_are_those_existing_directories_hold():
    """Existing campaigns/nightly, campaigns/noc and campaigns/gate resume: same file names,
    same recipes (the workload identity comes from them)."""
    assert {p.name: p.db_file for p in SUITES["nightly"].profiles} == {
        "none": "small.db", "tmr": "small_tmr.db", "ecc": "small_ecc.db",
        "ecc_tmr": "small_ecc_tmr.db", "abft": "small_abft.db",
        "ecc_tmr_abft": "small_ecc_tmr_abft.db", "ecc_tmr_dp": "ecc_tmr_dp.db",
        "abft_dp": "abft_dp.db"}
    assert SUITES["nightly"].profiles[1].recipe == {"kind": "tile", "config": "small_tmr",
                                                    "gemm": [16, 32, 16], "seed": 1}
    assert all((p.model, p.count, p.margin) == ("mbu", None, 0.01)
               for p in SUITES["nightly"].profiles)
    noc = SUITES["noc"]
    assert noc.names == ["mt_none", "mt_hard", "mt_none_link", "mt_hard_link", "noc_none",
                         "noc_secded", "noc_crc", "noc_hard"]
    assert [p.db_file for p in noc.profiles] == [f"{n}.db" for n in noc.names]
    assert all((p.model, p.count) == ("seu", 200) for p in noc.profiles)
    mt_hard = noc.select("mt_hard").profiles[0]
    assert mt_hard.recipe == {
        "kind": "factory", "ref": "fault_campaigns.multitile_workload:multitile_workload",
        "kwargs": {"config": "mt2x2_hard", "gemm": [32, 16, 16], "seed": 1}}
    assert MULTITILE_CONFIGS[mt_hard.recipe["kwargs"]["config"]].noc.protection == "secded"
    assert noc.select("noc_crc").profiles[0].recipe["kwargs"] == {
        "protection": "crc", "mesh_x": 2, "mesh_y": 2, "seed": 1}
    assert [p.include is not None for p in noc.profiles] == [False, False, True, True,
                                                             False, False, False, False]
    gate = ALL_SUITES["gate"]
    assert gate.names == ["none (small)", "hardened (small_ecc_tmr_abft)",
                          "abft datapath (small_abft)"]
    assert [p.db_file for p in gate.profiles] == ["small.db", "small_ecc_tmr_abft.db",
                                                  "small_abft_dp.db"]
    assert nightly.PROFILES == ("none", "tmr", "ecc", "ecc_tmr", "abft", "ecc_tmr_abft",
                                "ecc_tmr_dp", "abft_dp")
    assert set(noc_nightly.PROFILES) >= {"mt_none", "mt_hard", "mt_hard_link", "noc_crc"}


def test_select_keeps_the_order_given_and_refuses_unknown_names():
    noc = SUITES["noc"]
    assert noc.select("noc_crc, mt_none").names == ["noc_crc", "mt_none"]
    with pytest.raises(SuiteError, match="profiles must be a comma-separated subset of "
                                         "mt_none, mt_hard, .*not 'mt_none,bogus'"):
        noc.select("mt_none,bogus")
    with pytest.raises(SuiteError, match="comma-separated subset"):
        noc.select(" , ")


def test_a_suite_refuses_duplicate_names_and_databases():
    row = Profile("a", PROBE, count=10)
    with pytest.raises(ValueError, match="suite 'x': profile a appears twice"):
        Suite("x", "x", Path("x"), (row, row))
    with pytest.raises(ValueError, match="suite 'x': database a.db appears twice"):
        Suite("x", "x", Path("x"), (row, Profile("b", PROBE, db="a")))
    with pytest.raises(ValueError, match="'errors' is not a profile name"):
        Suite("x", "x", Path("x"), (Profile("errors", PROBE),))


def test_options_override_only_the_recipes_that_have_the_parameter():
    noc = SUITES["noc"]
    args = suite_parser(noc, "p", "d").parse_args(
        ["--gemm", "8x8x8", "--mesh", "3x2", "--count", "50", "--model", "mbu"])
    over = suites.overrides_from_args(args)
    mt, mesh = (over.apply(noc.select(n).profiles[0]) for n in ("mt_none", "noc_none"))
    assert mt.recipe["kwargs"] == {"config": "mt2x2", "gemm": [8, 8, 8], "seed": 1}
    assert mesh.recipe["kwargs"] == {"protection": "none", "mesh_x": 3, "mesh_y": 2,
                                     "seed": 1}
    assert (mt.count, mt.model, mt.seed) == (50, "mbu", 1)
    assert noc.profiles[0].recipe["kwargs"]["gemm"] == [32, 16, 16]  # the table is untouched
    tile = Overrides(params={"gemm": [4, 4, 4]}).apply(SUITES["nightly"].profiles[0])
    assert tile.recipe["gemm"] == [4, 4, 4] and tile.count is None and tile.model == "mbu"


def test_each_front_end_keeps_its_options(capsys):
    nightly_opts = suite_parser(SUITES["nightly"], "p", "d").format_help()
    noc_opts = suite_parser(SUITES["noc"], "p", "d").format_help()
    for opt in ("--count", "--margin", "--seed", "--model", "--workers", "--executor",
                "--scheduler", "--out", "--profiles"):
        assert opt in nightly_opts
    for opt in ("--count", "--seed", "--model", "--workers", "--executor", "--scheduler",
                "--out", "--profiles", "--gemm", "--mesh"):
        assert opt in noc_opts
    for argv in (["--profiles", "mt_none,bogus"], ["--count", "0"], ["--mesh", "2"],
                 ["--gemm", "8x8"]):
        with pytest.raises(SystemExit) as exc:
            noc_nightly.main(argv)
        assert exc.value.code == 2
    assert "profiles must be a comma-separated subset of" in capsys.readouterr().err


def _probe_suite() -> Suite:
    return Suite("probe", "probe suite", Path("unused"), (
        Profile("good", PROBE, count=60, seed=3),
        Profile("bad_recipe", {"kind": "factory", "ref": "no_such_module_xyz:workload"}),
        Profile("no_targets", PROBE, include=("no_such_target*",), count=10),
        Profile("good2", PROBE, count=30, seed=4, model="mbu"),
    ))


def test_a_failing_profile_is_reported_and_skipped_the_others_run(tmp_path, capsys):
    status = suite_main(_probe_suite(), ["--out", str(tmp_path), "--workers", "1"],
                        prog="probe", description="probe")
    out = capsys.readouterr().out
    assert status == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == {"good", "good2", "errors"}
    assert summary["good"]["done"] == 60 and summary["good2"]["done"] == 30
    assert summary["good2"]["model"] == "mbu"
    errors = summary["errors"]
    assert set(errors) == {"bad_recipe", "no_targets"}
    assert errors["bad_recipe"].startswith("WorkloadError: workload 'no_such_module_xyz:")
    assert errors["no_targets"].startswith("TargetError: include ['no_such_target*']")
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["good.db", "good2.db"]
    html = (tmp_path / "report.html").read_text()
    assert "Profiles that did not run" in html and "no_such_module_xyz" in html
    assert "profile bad_recipe failed" in out and "failed: no_targets" in out
    assert "FAILED" in out  # the summary table's row
    # Re-running resumes the good ones (nothing left to do) and fails the same way.
    again = run_suite(_probe_suite(), tmp_path, workers=1)
    assert again.status == 1 and set(again.errors) == {"bad_recipe", "no_targets"}
    assert again.summaries["good"]["overall"] == summary["good"]["overall"]


def test_a_suite_that_passes_exits_0(tmp_path):
    suite = _probe_suite().select("good")
    result = run_suite(suite, tmp_path, workers=1)
    assert result.status == 0 and not result.errors and result.as_json().keys() == {"good"}


def test_a_bug_is_not_a_failed_profile(tmp_path, monkeypatch):
    def broken(recipe):
        raise KeyError("a bug in a workload factory")

    monkeypatch.setattr(suites, "from_recipe", broken)
    with pytest.raises(KeyError, match="a bug in a workload factory"):
        run_suite(_probe_suite().select("good"), tmp_path, workers=1)


def test_check_recipe_refuses_what_cannot_be_built():
    with pytest.raises(WorkloadError, match="config must be one of"):
        check_recipe({"kind": "tile", "config": "huge", "gemm": [1, 1, 1], "seed": 1})
    with pytest.raises(WorkloadError, match="gemm is"):
        check_recipe({"kind": "tile", "config": "small", "gemm": [1, 1], "seed": 1})
    with pytest.raises(WorkloadError, match="unexpected keyword argument 'mesh'"):
        check_recipe({"kind": "factory", "ref": "fault_campaigns.noc_workload:"
                      "noc_profile_workload", "kwargs": {"mesh": 2}})
    with pytest.raises(WorkloadError, match="no file"):
        check_recipe({**PROBE, "sources": ["/nonexistent/x.v"]})
    with pytest.raises(WorkloadError, match="recipe kind must be"):
        check_recipe({"kind": "vhdl"})
