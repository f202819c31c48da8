"""The single-event-transient model (``--model set``): nets, the transient, its derating.

Outcomes are known by hand: on the probe (examples/avf_probe, T = 60, L = 40) the nets are
``read_out``, ``tmr_bad`` and ``voted``; only ``tmr_bad`` inverted in the read-out cycle L
changes a flop (the TMR disagreement counter ``fixes``, a "corrected" event). On
``set_probe.v`` (its header) ``sum`` is captured in cycle LOAD only and ``load`` is the
capture enable, so exactly 8 + (1 + L - 1 - LOAD) transients are SDC; nets that feed no flop
(``shown``, ``read_out``) are always masked.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.db import CampaignDB
from fault_campaigns.plan import make_plan, population
from fault_campaigns.prepare import select_targets
from fault_campaigns.recipes import from_recipe
from fault_campaigns.replay import replay
from fault_campaigns.stats import (
    DEFAULT_CLOCK_PERIOD_S,
    DEFAULT_SET_PULSE_WIDTH_S,
    failure_rate,
    set_derating,
    wilson,
)
from fault_campaigns.summary import summarize
from fault_campaigns.targets import enumerate_nets, enumerate_state
from fault_campaigns.workload import Workload
from orbitbench.cli import main
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import ParameterError

from .probe import L, T, probe_workload

SET_V = Path(__file__).resolve().with_name("set_probe.v")
LOAD = 10
SET_NETS = {"load": 1, "read_out": 1, "shown": 8, "spare": 8, "sum": 8}
PROBE_ARGS = ("--top", "avf_probe", "--sources", str(probe_workload().sources[0]),
              "--elem-bits", "8", "--verilator-arg=-GT=60", "--verilator-arg=-GL=40")


#: the fixture as a recipe, so that its databases replay (orbitbench replay)
SET_RECIPE = {"kind": "verilog", "name": "set-probe", "top": "set_probe",
              "sources": [str(SET_V)], "elem_bits": 8,
              "args": [f"-GT={T}", f"-GLOAD={LOAD}", f"-GL={L}"]}


def set_workload() -> Workload:
    return from_recipe(SET_RECIPE)


def _results(db: Path) -> list[tuple[str, int, int, str]]:
    """(target, bit, cycle, outcome) of every result."""
    with CampaignDB.open_existing(db) as d:
        return [(r["target"], r["bit"], r["cycle"], r["outcome"]) for r in d.results()]


@pytest.fixture(scope="module")
def set_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("set") / "set_probe.db"
    run_campaign(CampaignSpec(set_workload(), model="set", sampling="exhaustive",
                              recipe=SET_RECIPE), db, workers=2)
    return db


@pytest.fixture(scope="module")
def probe_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("set") / "probe.db"
    run_campaign(CampaignSpec(probe_workload(), model="set", sampling="exhaustive"), db,
                 workers=2)
    return db


# --- targets ------------------------------------------------------------------------------

def test_nets_of_the_probe_are_its_three_wires():
    nets = enumerate_nets(probe_workload().sources, "avf_probe", SIM_BUILD / "targets")
    assert {(v.path, v.width, v.kind) for v in nets} == {
        ("read_out", 1, "net"), ("tmr_bad", 1, "net"), ("voted", 8, "net")}
    # state (registers, memories) and the top's ports are not nets
    assert not {v.path for v in nets} & {"cnt", "data", "mem", "done", "out_data"}


def test_a_net_crossing_a_boundary_is_listed_once_where_it_is_driven(tmp_path):
    src = tmp_path / "hier.v"
    src.write_text(
        "module child(input wire [3:0] a, output wire [3:0] y);\n"
        "  wire [3:0] t = a + 4'd1;\n  assign y = t ^ 4'h5;\nendmodule\n"
        "module hier(input wire clk, output reg [3:0] q);\n"
        "  wire [3:0] w;\n  reg [3:0] r;\n  child u(.a(r), .y(w));\n"
        "  always @(posedge clk) begin r <= r + 4'd1; q <= w; end\nendmodule\n")
    nets = enumerate_nets([src], "hier", tmp_path / "targets")
    assert [(v.path, v.module, v.module_type) for v in nets] == [
        ("u.t", "u", "child"), ("u.y", "u", "child")]  # not hier.w, nor the input u.a


def test_nets_and_state_are_cached_apart(tmp_path):
    enumerate_state([SET_V], "set_probe", tmp_path)
    before = sorted(p.name for p in tmp_path.glob("state-*.json"))
    enumerate_nets([SET_V], "set_probe", tmp_path)
    after = sorted(p.name for p in tmp_path.glob("state-*.json"))
    assert len(before) == 1 and len(after) == 2 and before[0] in after
    assert '"net"' not in (tmp_path / before[0]).read_text()  # the old layout, unchanged


def test_select_nets_and_plan():
    _, targets = select_targets(set_workload(), nets=True)
    assert {v.path: v.width for v in targets.vars} == SET_NETS
    assert targets.net_bits == targets.bits == 26 and targets.ff_bits == targets.mem_bits == 0
    assert population(targets, T, model="set") == 26 * T
    plan = make_plan(targets, T, 26 * T, 1, "set", sampling="exhaustive")
    assert plan.value is None and set(plan.size.tolist()) == {1}


# --- the transient ------------------------------------------------------------------------

def test_exhaustive_set_on_the_probe_matches_the_analysis(probe_db):
    db = probe_db
    s = summarize(db)
    assert s["model"] == "set" and s["complete"] and s["planned"] == 10 * T
    assert {k: v for k, v in s["overall"]["outcomes"].items() if v} == {
        "corrected": 1, "masked": 10 * T - 1}
    (hit,) = [r for r in _results(db) if r[3] != "masked"]
    assert hit == ("tmr_bad", 0, L, "corrected")  # the disagreement check of cycle L


def test_set_that_reaches_a_live_flop_is_sdc(set_db):
    bad = Counter((t, c) for t, _, c, o in _results(set_db) if o == "sdc")
    # every bit of sum, in the capture cycle only: the transient is released after the edge
    assert {c for t, c in bad if t == "sum"} == {LOAD} and bad[("sum", LOAD)] == 8
    # the enable: off in LOAD, on in LOAD+1 .. L-1 (acc takes another value before read-out)
    assert sorted(c for t, c in bad if t == "load") == list(range(LOAD, L))
    assert set(t for t, _ in bad) == {"sum", "load"}
    s = summarize(set_db)
    assert s["overall"]["outcomes"]["sdc"] == 8 + (L - LOAD) and s["done"] == 26 * T


def test_a_set_replays_as_recorded(set_db):
    with CampaignDB.open_existing(set_db) as d:
        sdc = next(r for r in d.results() if r["outcome"] == "sdc")
    out = replay(set_db, sdc["id"])
    assert out["outcome"] == "sdc" and out["matches_database"] is True
    assert (out["target"], out["cycle"]) == (sdc["target"], sdc["cycle"])


def test_negative_control_set_on_a_net_that_feeds_no_flop_is_always_masked(set_db, probe_db):
    outcomes = Counter(o for t, _, _, o in _results(set_db) if t in ("shown", "read_out"))
    assert outcomes == Counter({"masked": 9 * T})
    # the same on the probe: its voter output feeds only the output port
    assert Counter(o for t, _, _, o in _results(probe_db) if t == "voted") == Counter(
        {"masked": 8 * T})


def test_stuck_at_on_a_net_is_forced_to_the_end(tmp_path):
    db = tmp_path / "stuck-nets.db"  # every net (the build of set_db), three cycles
    run_campaign(CampaignSpec(set_workload(), model="stuck", nets=True, sampling="exhaustive",
                              at_cycles=(0, 20, 50)), db, workers=2)
    with CampaignDB.open_existing(db) as d:
        results = d.results()
    assert len(results) == 26 * 3 * 2
    got = {(r["cycle"], r["value"]): r["outcome"] for r in results if r["target"] == "load"}
    # stuck at 1 reloads acc every cycle until read-out; stuck at 0 before LOAD never loads
    assert got == {(0, 1): "sdc", (20, 1): "sdc", (50, 1): "masked",
                   (0, 0): "sdc", (20, 0): "masked", (50, 0): "masked"}
    # a net whose register nothing reads: masked, stuck or not
    assert {r["outcome"] for r in results if r["target"] == "spare"} == {"masked"}
    # unlike a transient, a stuck bit on the output's net is seen where it differs from the
    # golden value (shown = acc ^ 0x0F = 0xA0 at the read-out; acc is 0 before LOAD)
    shown = Counter((r["cycle"], r["outcome"]) for r in results if r["target"] == "shown")
    assert shown[(0, "sdc")] == shown[(20, "sdc")] == 8 and shown[(50, "sdc")] == 0


def test_nets_refuse_the_flip_models():
    with pytest.raises(ParameterError, match="nets take the set or stuck model; 'seu' flips"):
        CampaignSpec(set_workload(), model="seu", nets=True)
    assert CampaignSpec(set_workload(), model="set").on_nets


# --- derating -----------------------------------------------------------------------------

def test_set_derating_values():
    assert DEFAULT_SET_PULSE_WIDTH_S == 300e-12 and DEFAULT_CLOCK_PERIOD_S == 1e-9
    assert set_derating(300e-12, 1e-9) == pytest.approx(0.3)
    assert set_derating(300e-12, 2e-9) == pytest.approx(0.15)  # 500 MHz
    assert set_derating(300e-12, 300e-12) == 1.0
    assert set_derating(5e-9, 1e-9) == 1.0  # a glitch longer than a period: always latched
    for args, name in (((0.0, 1e-9), "pulse_width_s"), ((-1e-12, 1e-9), "pulse_width_s"),
                       ((1e-10, float("nan")), "clock_period_s"),
                       ((1e-10, float("inf")), "clock_period_s")):
        with pytest.raises(ValueError, match=f"{name} must be a positive finite number"):
            set_derating(*args)
    a = wilson(3, 10)
    plain, derated = failure_rate(100, "leo400", a), failure_rate(100, "leo400", a, 0.3)
    assert derated.fit == pytest.approx(0.3 * plain.fit)
    assert derated.fit_high == pytest.approx(0.3 * plain.fit_high)
    with pytest.raises(ValueError, match=r"derating must be in \(0, 1\]"):
        failure_rate(100, "leo400", a, 1.5)


def test_a_set_campaign_fit_carries_the_derating(set_db):
    s = summarize(set_db)
    full = summarize(set_db, set_pulse_width_s=1e-9)  # as wide as the clock period: 1
    assert s["set_derating"]["derating"] == pytest.approx(0.3)
    assert full["set_derating"]["derating"] == 1.0
    for o in s["orbits"]:
        assert s["orbits"][o]["sdc"]["fit"] == pytest.approx(0.3 * full["orbits"][o]["sdc"]["fit"])
        assert s["orbits"][o]["sdc"]["fit"] > 0
    assert s["cross_section"]["sdc"]["estimate"][-1] == pytest.approx(
        0.3 * full["cross_section"]["sdc"]["estimate"][-1])


def test_the_report_says_the_fit_is_derated(set_db, tmp_path, capsys):
    html = tmp_path / "r.html"
    assert main(["report", str(set_db), "--set-pulse-width", "2e-10", "--html", str(html)]) == 0
    out = capsys.readouterr().out
    said = (r"SET rates derated by the latching window, min\(1, pulse width 200 ps / clock "
            r"period 1 ns\) = 0\.2")
    assert re.search(said, out) and re.search(said, html.read_text())
    assert main(["report", str(set_db), "--html", str(html)]) == 0  # the defaults: 0.3
    assert "= 0.3, applied to orbit rates (FIT)" in html.read_text()


# --- command line -------------------------------------------------------------------------

BAD = [
    ("nets with seu", ["--model", "seu", "--nets"],
     r"--nets takes --model set or stuck, not seu \(it flips stored bits: flip-flops and "
     r"memories\)"),
    ("negative pulse", ["--model", "set", "--set-pulse-width=-1e-10"],
     r"--set-pulse-width must be a positive number of seconds \(e\.g\. 3e-10\), not -1e-10"),
    ("zero clock", ["--model", "set", "--clock-period", "0"],
     r"--clock-period must be a positive number of seconds \(e\.g\. 1e-09\), not 0"),
    ("derating without set", ["--model", "stuck", "--clock-period", "1e-9"],
     r"--clock-period derates the rate of transients: it needs --model set, not stuck"),
    ("no such net", ["--model", "set", "--include", "nosuch*"],
     r"include \['nosuch\*'\] / exclude \[\] selects none of the design's 3 nets \(e\.g\. "
     r"read_out, tmr_bad, voted\)"),
]


@pytest.mark.parametrize("case, args, message", BAD, ids=[c[0] for c in BAD])
def test_bad_set_input_is_one_line_and_exit_2(case, args, message, tmp_path, capsys):
    db = tmp_path / "x.db"
    assert main(["campaign", *PROBE_ARGS, *args, "--count", "5", "--db", str(db)]) == 2
    out = capsys.readouterr()
    errors = [line for line in out.out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and re.fullmatch(f"error: {message}", errors[0]), out.out
    assert "Traceback" not in out.out + out.err and not db.exists()


def test_targets_nets_lists_the_nets(capsys):
    assert main(["targets", *PROBE_ARGS, "--nets", "--list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^voted\s+net\s+8x1\s+8$", out, re.M)  # rich expands the tabs
    assert re.search(r"^│ total\s+│\s+10 │\s+3 │$", out, re.M)
