"""orbitbench explore: the interval front, the space file's errors, a tiny run that resumes."""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import pytest

from orbitbench.apps.explore.measure import SPOT_TOLERANCE, spot_verdict
from orbitbench.apps.explore.pareto import dominates, dominates_point, front
from orbitbench.apps.explore.report import budget_table, safety_table
from orbitbench.apps.explore.run import NETWORK_OBJECTIVES, explore, objectives_of, trades
from orbitbench.apps.explore.safety import asil, mechanism_of, safety
from orbitbench.apps.explore.space import load_space, parse_space
from orbitbench.cli.main import main
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.params import TileConfig, get_config
from orbitbench.spec.paths import REPO

OBJ = ("a", "b")


def _p(a, b, wa=0.0, wb=0.0):
    return {"a": (a, a - wa, a + wa), "b": (b, b - wb, b + wb)}


def test_front_of_a_synthetic_space_with_known_dominance():
    pts = [_p(1, 5), _p(2, 2), _p(5, 1), _p(3, 3), _p(6, 6), _p(2, 2)]
    dom = front(pts, OBJ)
    # (3,3) is dominated by (2,2) twice; (6,6) by every other point; equal points keep each other
    assert [not d for d in dom] == [True, True, True, False, False, True]
    assert sorted(dom[3]) == [1, 5]
    assert sorted(dom[4]) == [0, 1, 2, 3, 5]


def test_overlapping_intervals_are_not_called_dominated():
    better, worse = _p(1.0, 1.0, 0.6, 0.6), _p(2.0, 2.0, 0.6, 0.6)
    assert dominates_point(better, worse, OBJ)  # the point estimates say dominated ...
    assert not dominates(better, worse, OBJ)  # ... the intervals do not
    # negative control: the same points measured tighter are dominated
    assert dominates(_p(1.0, 1.0, 0.1, 0.1), _p(2.0, 2.0, 0.1, 0.1), OBJ)
    assert front([better, worse], OBJ) == [[], []]


def test_an_interval_that_does_not_hold_its_value_is_refused():
    with pytest.raises(ValueError, match="outside its interval"):
        dominates({"a": (5, 0, 1), "b": (0, 0, 0)}, _p(1, 1), OBJ)


@pytest.mark.parametrize("text, message", [
    ('colour = "red"', "colour: unknown key; allowed: name, orbit"),
    ('[tile]\narrays = ["4x4"]', "tile.arrays: unknown key; allowed: array, scratchpad"),
    ('[tile]\nhardening = ["steel"]', "tile.hardening[0] must be one of none, tmr"),
    ('[tile]\narray = ["4by4"]', "tile.array[0] must be 'ROWSxCOLS'"),
    ('[tile]\narray = ["3x4"]', "rows must be a power of two"),
    ('orbit = "mars"', "orbit must be one of leo400"),
    ('[runtime]\ntrip_c = [[95, 85, 105]]', "runtime.trip_c[0] must rise"),
    ('[runtime]\ndvfs_level = [4]', "runtime.dvfs_level[0] must be an integer from 0 to 3"),
    ('[workload]\ngemm = [[64, 32, 16]]', "does not fit tile.scratchpad 32"),
    ('[campaign]\nmodel = "stuck"', "campaign.model must be one of"),
    ('[campaign]\ninitial = 500\nmax = 100', "campaign.max must be an integer from 500"),
    ("[tile\n", "not valid TOML"),
    ('[workload]\nnetwork = "resnet"', "workload.network must be one of digits_cnn, digits_mlp"),
    ('[workload]\nnetwork = "digits_mlp"\ngemm = [[4, 4, 4]]', "give gemm or network, not both"),
    ('[workload]\nimages = 3', "workload.images needs workload.network"),
    ('[workload]\nnetwork = "digits_mlp"\nimages = 31',
     "workload.images must be an integer from 1 to 30"),
    ('[workload]\nnetwork = "digits_mlp"', "workload.network digits_mlp does not fit tile "
     "array 4x4, scratchpad 32"),
    ('[campaign]\nstuck = -1', "campaign.stuck must be an integer from 0"),
    ('[tile]\ntmr_groups = [["controller.nope"]]',
     "tile.tmr_groups[0]: tmr_groups: 'controller.nope' is not a register group"),
    ('[tile]\ntmr_groups = [[1]]', "tile.tmr_groups[0] must be a list of register group"),
    ('[checks]\nthermal_rtl = -1', "checks.thermal_rtl must be an integer from 0"),
    ('[checks]\nthermal = 1', "checks.thermal: unknown key; allowed: thermal_rtl"),
])
def test_bad_space_files_name_the_key(tmp_path, capsys, text, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n")
    assert main(["explore", str(bad), "--out", str(tmp_path / "out")]) == 2
    out = capsys.readouterr().out
    assert message in " ".join(out.split()), out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing computed, nothing written


def test_missing_space_file(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().out


def test_knobs_that_cannot_matter_are_not_multiplied_out():
    s = parse_space({"tile": {"hardening": ["none", "ecc"], "ecc_interleave": [1, 2]},
                     "runtime": {"scrub_interval": [64, 4096]}})
    labels = [p.label for p in s.points]
    # none: one point (no interleave, no scrubber); ecc: 2 interleaves x 2 scrub intervals
    assert len([x for x in labels if " none " in x]) == 1
    assert len([x for x in labels if " ecc " in x]) == 4
    assert [d.registered for d in s.designs] == [True, False, True]  # small, -, small_ecc


def test_tiny_space_explores_and_resumes_without_recomputing(tmp_path):
    space = load_space(REPO / "spaces" / "tiny.toml")
    first = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert first["run"]["computed"] > 0
    for p in first["points"]:  # every number comes with the measurement that made it
        ev = p["evidence"]
        assert ev["rtl"]["runs"][0]["act_feed"] == 512  # 16 blocks x K 32 on the 4x4 array
        assert ev["campaign"]["done"] >= space.initial
        assert ev["thermal"]["converged"] and ev["thermal"]["orbits_to_steady"] >= 2
    again = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert again["run"]["computed"] == 0
    assert [p["metrics"] for p in again["points"]] == [p["metrics"] for p in first["points"]]
    # a run killed before its thermal metrics: only those are computed again
    with sqlite3.connect(tmp_path / "explore.db") as db:
        lost = db.execute("DELETE FROM metrics WHERE kind = 'thermal'").rowcount
    third = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert lost == len(space.points) and third["run"]["computed"] == lost


def test_cli_writes_the_report(tmp_path, capsys):
    assert main(["explore", str(Path(REPO / "spaces" / "tiny.toml")), "--out",
                 str(tmp_path), "--workers", "1"]) == 0
    assert (tmp_path / "front.json").exists()
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") == 3 and "The front" in html


# Safety metrics (orbitbench.apps.explore.safety) on campaigns with known counts.

def _camp(**modules):
    """{"modules": {instance: {"bits", "outcomes"}}} from ``name=(bits, {outcome: n})``."""
    return {"modules": {m.replace("__", "."): {"bits": b, "outcomes": o}
                        for m, (b, o) in modules.items()}}


HARD = TileConfig(rows=4, cols=4, max_m=32, max_k=32, max_n=32, hardening="ecc_tmr_abft",
                  name="t")


def test_mechanisms_are_the_profiles_own():
    none = get_config("small")
    for mod, mech in (("tile.scratchpads.a_bank0", "SECDED"), ("tile.regfile", "TMR"),
                      ("tile.controller", "TMR"), ("tile.throttle", "TMR"),
                      ("tile.datapath.array.pe_0_0", "ABFT"), ("tile", "none")):
        assert mechanism_of(mod, HARD) == mech
        assert mechanism_of(mod, none) == "none"
    sel = get_config("small_sel5")  # selective TMR: only the components with a group
    assert {mechanism_of(f"tile.{c}", sel) for c in ("regfile", "controller")} <= {"TMR", "none"}


def test_coverage_spfm_lfm_and_the_budget_from_known_counts():
    transient = _camp(tile__scratchpads__a_bank0=(800, {"masked": 50, "corrected": 40,
                                                        "sdc": 10}),
                      tile__datapath=(200, {"masked": 20, "due": 5}))
    permanent = _camp(tile__scratchpads__a_bank0=(800, {"masked": 30, "corrected": 60,
                                                        "sdc": 10}),
                      tile=(10, {"masked": 100}))  # masked with no mechanism: safe, not latent
    s = safety(HARD, transient, permanent, "leo400")
    assert s["coverage"]["SECDED"][0] == pytest.approx(40 / 50)
    assert s["coverage"]["ABFT"][0] == 1.0
    assert s["spfm_transient"][0] == pytest.approx(1 - 10 / 125)
    assert s["spfm_permanent"][0] == pytest.approx(1 - 10 / 200)
    assert s["latent"]["latent"] == 30
    assert s["lfm"][0] == pytest.approx(1 - 30 / 190)
    raw = {r["mechanism"]: r for r in s["budget"]}
    assert raw["SECDED"]["raw_fit"] == pytest.approx(800 * s["fit_per_bit"])
    assert raw["SECDED"]["residual_fit"] == pytest.approx(raw["SECDED"]["raw_fit"] * 0.1)
    assert sum(r["safe_fit"] + r["detected_fit"] + r["residual_fit"] for r in s["budget"]) \
        == pytest.approx(s["raw_fit"])
    assert s["asil"] == "below B"  # 92 % SPFM at most, thousands of FIT


def test_an_escaping_mechanism_loses_coverage_and_the_asil():
    """Negative control: the same counts with the mechanism's escapes turned into
    detections reach ASIL D; with escapes they do not, and their coverage drops."""
    tiny = {"sdc": (0.0, 0.0, 0.0), "due": (0.0, 0.0, 0.0)}
    good = _camp(tile__scratchpads__a_bank0=(1, {"masked": 10000, "corrected": 10000}))
    held = _camp(tile__scratchpads__a_bank0=(1, {"corrected": 10000, "sdc": 1}))
    s_good = safety(HARD, good, held, "leo400", tiny)
    assert s_good["asil"] == "ASIL D", s_good
    bad = _camp(tile__scratchpads__a_bank0=(1, {"masked": 10000, "corrected": 7000,
                                                "sdc": 3000}))
    s_bad = safety(HARD, bad, held, "leo400", tiny)
    assert s_bad["coverage"]["SECDED"][2] < s_good["coverage"]["SECDED"][1]
    assert s_bad["asil"] == "below B"
    latent = _camp(tile__scratchpads__a_bank0=(1, {"masked": 5000, "corrected": 5000}))
    assert safety(HARD, good, latent, "leo400", tiny)["asil"] == "below B"  # LFM ~50 %
    assert safety(HARD, good, None, "leo400", tiny)["asil"].startswith("unknown")


def test_a_design_without_mechanisms_has_no_latent_metric():
    camp = _camp(tile__regfile=(100, {"masked": 90, "sdc": 10}))
    s = safety(get_config("small"), camp, camp, "leo400")
    assert s["lfm"] is None and s["coverage"] == {}
    assert asil(s) == "below B"


def test_selective_tmr_is_a_design_choice():
    space = parse_space({"tile": {"hardening": ["none", "tmr", "abft"], "tmr_groups": [
        [], ["controller.ctrl_state", "controller.k"]]}})
    assert [d.label for d in space.designs] == [
        "4x4 s32 none", "4x4 s32 none+sel2", "4x4 s32 tmr", "4x4 s32 abft", "4x4 s32 abft+sel2"]
    sel = space.designs[1].cfg
    assert sel.tmr_groups == ("controller.ctrl_state", "controller.k") and not sel.tmr
    assert mechanism_of("tile.controller", sel) == "TMR"
    assert mechanism_of("tile.regfile", sel) == "none"


def test_network_space_objectives_are_changed_answers():
    space = load_space(REPO / "spaces" / "default.toml")
    assert objectives_of(space) == NETWORK_OBJECTIVES
    assert all(d.cfg.rounding == "selectable" for d in space.designs)  # LiteRT's rounding
    shapes = space.gemms_of(space.designs[0])
    assert shapes == ((2, 64, 64), (2, 64, 32), (2, 32, 10))  # the MLP's three FC layers


@pytest.mark.regress
def test_tiny_network_space_measures_accuracy_and_safety(tmp_path):
    """The network path end to end on the registered default tile: the RTL equals LiteRT on
    the whole test split, a network campaign and a stuck-at campaign, safety metrics."""
    space = load_space(REPO / "spaces" / "tiny_network.toml")
    res = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    (p,) = res["points"]
    ev = p["evidence"]
    assert ev["rtl"]["images_bit_exact"] == ev["rtl"]["images"] == 360
    assert p["metrics"]["accuracy"][0] == pytest.approx(0.983333, abs=1e-6)
    assert ev["campaign"]["done"] == 30 and ev["stuck"]["done"] == 30
    lo = p["metrics"]["accuracy_upset"]
    assert lo[1] <= lo[0] <= lo[2] <= p["metrics"]["accuracy"][0]
    assert p["safety"]["lfm"] is None and p["safety"]["spfm_permanent"] is not None
    assert "FIT budget" in budget_table(p).title and safety_table(res).columns[0] == "point"


def test_trades_need_separated_failure_intervals_and_no_more_energy():
    def row(label, key, cells, fail, energy):
        return {"label": label, "design_key": key, "on_front": True,
                "metrics": {"cells": (cells,) * 3, "f": fail, "energy_j": (energy,) * 3,
                            "latency_s": (1.0,) * 3}}
    big = row("big", "b", 200, (1.0, 0.8, 1.2), 1.0)
    small = row("small", "s", 100, (3.0, 2.5, 3.5), 1.1)
    assert [(t["better"], t["than"]) for t in trades([big, small], "f")] == [("big", "small")]
    # negative controls: overlapping failure intervals, or more energy: no trade
    close = row("close", "c", 100, (1.5, 1.1, 2.0), 1.1)
    assert trades([big, close], "f") == []
    hungry = row("hungry", "h", 100, (3.0, 2.5, 3.5), 0.9)
    assert trades([big, hungry], "f") == []


def test_scheduler_needs_dask(tmp_path, capsys):
    assert main(["explore", str(REPO / "spaces" / "tiny.toml"), "--out", str(tmp_path),
                 "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


@pytest.mark.regress
def test_dask_campaigns_give_the_local_counts(tmp_path):
    """The same space with campaigns on a Dask LocalCluster: the same injections, the same
    outcomes, hence the same metrics as on local workers."""
    space = load_space(REPO / "spaces" / "tiny.toml")
    local = explore(space, tmp_path / "local", workers=1, build_root=SIM_BUILD,
                    say=lambda s: None)
    dask = explore(space, tmp_path / "dask", workers=1, build_root=SIM_BUILD,
                   say=lambda s: None, executor="dask")
    assert [p["metrics"] for p in dask["points"]] == [p["metrics"] for p in local["points"]]
    assert [p["evidence"]["campaign"]["outcomes"] for p in dask["points"]] == \
        [p["evidence"]["campaign"]["outcomes"] for p in local["points"]]


def test_a_thermal_spot_check_that_disagrees_says_so():
    row = {"throughput_rtl": 0.834, "throughput_model": 0.837, "checks_failed": []}
    assert spot_verdict(row)["agrees"]
    # negative controls: a throughput off by more than the tolerance, or a failed RTL check
    assert not spot_verdict({**row, "throughput_rtl": 0.837 - 2 * SPOT_TOLERANCE})["agrees"]
    assert not spot_verdict({**row, "checks_failed": ["bit_exact"]})["agrees"]


@pytest.mark.regress
def test_thermal_spot_check_on_the_rtl_agrees_with_the_model(tmp_path):
    text = (REPO / "spaces" / "tiny.toml").read_text() + "\n[checks]\nthermal_rtl = 1\n"
    space = parse_space(tomllib.loads(text))
    res = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    (spot,) = res["thermal_spot_checks"]
    assert spot["agrees"] and spot["gemm_mismatches"] == 0 and spot["gemms_checked"] > 1000
    assert spot["point"].endswith("dvfs0 trip85/95/105")
