"""Sampling without replacement, exhaustive campaigns and the finite-population correction."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.plan import distinct_draw, make_plan, parse_cycles, population
from fault_campaigns.stats import wilson
from fault_campaigns.summary import summarize
from fault_campaigns.targets import StateVar, TargetSet
from golden_models.radiation import DEFAULT_DEVICE, Device, WeibullParams, upset_rate
from orbitbench.spec.errors import ParameterError

from .probe import BITS, PROBE_V, L, T, expected_counts, probe_workload

REPO = Path(__file__).resolve().parents[2]
TS = TargetSet((StateVar("ff", "", "m", "ff", 8, 1, False),
                StateVar("mem", "", "m", "mem", 16, 4, True)))  # 72 bits


def _keys(plan) -> list[tuple]:
    return list(zip(plan.var.tolist(), plan.elem.tolist(), plan.bit.tolist(),
                    plan.cycle.tolist(), strict=True))


@pytest.mark.parametrize("n, count", [(10, 10), (1000, 300), (10**12, 5000)])
def test_distinct_draw_is_distinct_seeded_and_in_range(n, count):
    a = distinct_draw(np.random.default_rng(1), n, count)
    assert len(a) == count == len(set(a.tolist()))
    assert a.min() >= 0 and a.max() < n
    assert np.array_equal(a, distinct_draw(np.random.default_rng(1), n, count))


def test_distinct_draw_is_uniform():
    hits = np.zeros(50)
    rng = np.random.default_rng(2)
    for _ in range(2000):
        hits[distinct_draw(rng, 50, 5)] += 1
    assert abs(hits / 2000 - 0.1).max() < 0.03  # each value drawn with p = 5/50


def test_distinct_plan_never_repeats_a_fault_and_replacement_does():
    plan = make_plan(TS, 10, 700, 4)  # 720 faults
    assert len(set(_keys(plan))) == 700
    legacy = make_plan(TS, 10, 700, 4, sampling="replacement")
    assert len(set(_keys(legacy))) < 700  # negative control: with replacement, repeats
    with pytest.raises(ParameterError, match="count 721 is more than the 720 distinct faults"):
        make_plan(TS, 10, 721, 4)


def test_exhaustive_plan_is_every_fault_once_in_order():
    plan = make_plan(TS, 3, 216, 9, sampling="exhaustive")
    keys = _keys(plan)
    assert keys == sorted(set(keys)) and len(keys) == 216 == population(TS, 3)
    assert keys[:4] == [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 0, 2), (0, 0, 1, 0)]
    with pytest.raises(ParameterError, match="an exhaustive plan has 216 injections, not 5"):
        make_plan(TS, 3, 5, 9, sampling="exhaustive")


def test_chosen_cycles():
    plan = make_plan(TS, 50, 144, 1, sampling="exhaustive", at_cycles=(7, 3))
    assert set(plan.cycle.tolist()) == {3, 7} and population(TS, 50, (3, 7)) == 144
    assert parse_cycles("9, 3,3") == (3, 9)
    with pytest.raises(ParameterError, match="cycles must be from 0 to 49"):
        make_plan(TS, 50, 10, 1, at_cycles=(50,))
    with pytest.raises(ParameterError, match="cycles must look like '0,10,39', not 'x'"):
        parse_cycles("x")


def test_spec_rejects_exhaustive_with_count_or_cluster_model():
    with pytest.raises(ParameterError, match="give no count"):
        CampaignSpec(probe_workload(), count=10, sampling="exhaustive")
    with pytest.raises(ParameterError,
                       match=r"needs a model of \('seu', 'stuck', 'set'\), not 'mbu'"):
        CampaignSpec(probe_workload(), model="mbu", sampling="exhaustive")


@pytest.fixture(scope="module")
def exhaustive_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("exh") / "exh.db"
    run_campaign(CampaignSpec(probe_workload(), sampling="exhaustive"), db, workers=2)
    return db


def test_exhaustive_campaign_equals_the_analytic_counts(exhaustive_db):
    s = summarize(exhaustive_db)
    assert s["planned"] == s["done"] == BITS * T == s["population"]
    assert s["sampling"] == "exhaustive" and s["finite_population_correction"]
    got = {k: v for k, v in s["overall"]["outcomes"].items() if v}
    assert got == expected_counts()
    sdc = s["overall"]["sdc_avf"]
    assert sdc["low"] == sdc["estimate"] == sdc["high"] == expected_counts()["sdc"] / (BITS * T)
    for m in s["modules"].values():  # every module fully enumerated: exact too
        assert m["sdc_avf"]["low"] == m["sdc_avf"]["high"]


def test_distinct_sample_interval_narrower_than_with_replacement(tmp_path):
    """A distinct sample of 60 % of the probe: its corrected interval covers the exact AVF and
    is narrower than the plain Wilson interval of the same counts."""
    n = int(0.6 * BITS * T)
    db = tmp_path / "d.db"
    run_campaign(CampaignSpec(probe_workload(), count=n, seed=5), db, workers=2)
    s = summarize(db)
    truth = expected_counts()["sdc"] / (BITS * T)
    a = s["overall"]["sdc_avf"]
    assert a["low"] <= truth <= a["high"]
    plain = wilson(a["successes"], n)
    assert plain.high - plain.low > 1.5 * (a["high"] - a["low"])


def test_cli_exhaustive_at_cycles(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-m", "orbitbench.cli", "campaign", "--top", "avf_probe",
            "--sources", str(PROBE_V), "--exclude", "cnt", "--event", "fixes:corrected",
            "--event", "err:detected", "--elem-bits", "8", f"--verilator-arg=-GT={T}",
            f"--verilator-arg=-GL={L}", "--exhaustive", "--at-cycles", "0,10,45",
            "--db", str(tmp_path / "e.db"), "--json", "e.json"]
    out = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    s = summarize(tmp_path / "e.db")
    assert s["done"] == 3 * BITS and s["at_cycles"] == [0, 10, 45]
    # SDC (probe.expected_counts): fin at cycle 0; data, mem[0] and fin at cycle 10; none
    # at 45, after the read-out at 40
    assert s["overall"]["outcomes"]["sdc"] == 1 + 25
    bad = subprocess.run([*args[:-4], "--count", "5"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--exhaustive runs every fault once" in bad.stdout


# ------------------------------------------------------------------------------------------
# FIT per orbit from the device's Weibull fit, and the predicted cross-section, on the
# exhaustive probe (exact AVFs make every figure a closed form)


def test_fit_per_orbit_comes_from_the_device_model(exhaustive_db):
    s = summarize(exhaustive_db)
    bits = s["design"]["target_bits"]
    sdc = expected_counts()["sdc"] / (BITS * T)
    for name in ("leo400", "sso550", "geo"):
        o = s["orbits"][name]
        rate = upset_rate(DEFAULT_DEVICE, name).total
        assert o["seu_per_bit_day"] == rate and o["device"] == DEFAULT_DEVICE.name
        assert o["sdc"]["fit"] == pytest.approx(bits * rate * sdc / 24 * 1e9, rel=1e-12)
        assert "Petersen (1998)" in o["source"] and "ASSUMPTION" in o["source"]
    assert s["orbits"]["alsat1"]["seu_per_bit_day"] == 4.04e-7
    big = Device("big", WeibullParams(1e-8, 0.5, 15.0, 1.5))  # twice the default sigma_sat
    s2 = summarize(exhaustive_db, device=big)
    assert s2["orbits"]["geo"]["sdc"]["fit"] == pytest.approx(
        2 * s["orbits"]["geo"]["sdc"]["fit"], rel=1e-12)
    assert s2["orbits"]["alsat1"] == s["orbits"]["alsat1"]  # measured: device ignored


def test_predicted_cross_section_is_bits_sigma_avf(exhaustive_db):
    s = summarize(exhaustive_db)
    cs = s["cross_section"]
    bits = s["design"]["target_bits"]
    sigma = DEFAULT_DEVICE.weibull.cross_section(np.array(cs["let"]))
    for kind in ("sdc", "due"):
        a = s["overall"][f"{kind}_avf"]["estimate"]
        assert np.allclose(cs[kind]["estimate"], bits * sigma * a, rtol=1e-12)
        assert cs[kind]["low"] == cs[kind]["high"] == cs[kind]["estimate"]  # exact AVF
    assert np.allclose(cs["raw"], bits * sigma, rtol=1e-12)
    assert cs["raw"][0] == 0.0  # LET 0.5 = the default threshold: nothing upsets
    assert 0 < cs["sdc"]["estimate"][-1] < cs["raw"][-1]  # some upsets are masked


def test_report_names_sources_and_plots_the_cross_section(exhaustive_db, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "orbitbench.cli", "report", str(exhaustive_db),
                          "--weibull", "1e-8,0.5,15,1.5", "--html", "r.html", "--json", "r.json"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "r.html").read_text()
    assert "Predicted device cross-section" in html and "Petersen (1998)" in html
    assert "weibull(1e-8,0.5,15,1.5)" in html and "Alsat-1" in html
    assert html.count("<svg") >= 4
    for bad, msg in (("1e-8,0.5,15", "--weibull needs 4 comma-separated numbers"),
                     ("1e-8,0.5,0,1.5", "--weibull: width must be a positive finite")):
        proc = subprocess.run([sys.executable, "-m", "orbitbench.cli", "report",
                               str(exhaustive_db), "--weibull", bad], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr
