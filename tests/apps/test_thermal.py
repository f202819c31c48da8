"""Thermal scenarios: the checks (each with a negative control), the reference-controller
loop, the CLI, and one short scenario through the RTL under Verilator."""

import json

import numpy as np
import pytest

from golden_models.thermal_loop import SCENARIOS, ActivityModel, code_of
from golden_models.throttle import ThrottleController, code_from_celsius
from orbitbench.apps import thermal as thermal_app
from orbitbench.apps.thermal import run_model, run_rtl, run_scenario
from orbitbench.apps.thermal_checks import (
    Limits,
    check_bit_exact,
    check_controller_match,
    check_expectations,
    check_hysteresis,
    check_junction,
    check_shutdown,
    throughput,
)
from orbitbench.apps.thermal_checks import check_run as _check_run
from orbitbench.cli import main
from orbitbench.spec.params import CONFIGS

LIM = Limits.of(ThrottleController())
SEED = 20261124


def _trace(codes, levels=None, clears=None, feed=None):
    """A trace whose levels are the reference controller's for ``codes`` (unless given)."""
    codes = np.asarray(codes, dtype=np.int64)
    if levels is None:
        levels = ThrottleController().run_trace(codes, clears)
    n = len(codes)
    return {"code": codes.tolist(), "level": list(levels), "ref_level": list(levels),
            "fault": [False] * n, "clear": [False] * n if clears is None else list(clears),
            "die_c": [float(c) / 8 - 64 for c in codes], "feed": feed or [10] * n,
            "gemms": [1] * n}


def test_limits_are_the_reference_defaults():
    assert LIM.trips == (code_from_celsius(85), code_from_celsius(95), code_from_celsius(105))
    assert (LIM.crit, LIM.hyst, LIM.safe_level) == (code_from_celsius(115), 32, 2)
    assert code_of(85.0) == code_from_celsius(85)


def test_junction_check_and_negative_control():
    tr = _trace(code_of(np.linspace(20, 100, 50)))
    assert check_junction(tr, 125.0)[1]
    tr["die_c"][20] = 125.5  # the junction overshoots its limit once
    name, ok, detail = check_junction(tr, 125.0)
    assert not ok and "peak 125.50" in detail


def test_hysteresis_check_passes_a_real_controller_trace():
    t = np.concatenate([np.linspace(60, 110, 80), np.linspace(110, 60, 80),
                        86 + 3 * np.sin(np.arange(100))])  # hovering at TRIP1 +- 3 degC
    tr = _trace(code_of(t))
    name, ok, detail = check_hysteresis(tr, LIM)
    assert ok, detail
    assert max(tr["level"]) == 3


def test_hysteresis_check_negative_control_fast_oscillation():
    """The level toggles 0/1 while the sensed temperature sits at TRIP1: faster than the
    hysteresis allows."""
    codes = [LIM.trips[0]] * 10
    levels = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    name, ok, detail = check_hysteresis(_trace(codes, levels), LIM)
    assert not ok and "level 1->0 at code" in detail
    # A drop of two levels in one sample is also refused.
    codes = [LIM.trips[2]] * 3 + [code_of(20.0)] * 3
    name, ok, detail = check_hysteresis(_trace(codes, [3, 3, 3, 1, 0, 0]), LIM)
    assert not ok and "3->1" in detail


def test_shutdown_check_and_negative_controls():
    hot = code_of(np.concatenate([np.linspace(100, 118, 40), np.linspace(118, 100, 40)]))
    clears = [False] * 80
    ctrl = ThrottleController()
    levels = []
    for i, code in enumerate(hot):
        if i and levels[-1] == 4 and ctrl.cool:
            ctrl.clear()
            clears[i - 1] = True
        levels.append(ctrl.sample(int(code)))
    feed = [0 if lv == 4 else 10 for lv in levels]
    tr = _trace(hot, levels, clears, feed)
    ok_run = check_shutdown(tr, LIM, expect=True)
    assert ok_run[1], ok_run[2]
    assert check_hysteresis(tr, LIM)[1]
    # Work done while held in shutdown: the datapath did not stop.
    bad = dict(tr, feed=[10] * 80)
    assert not check_shutdown(bad, LIM, expect=True)[1]
    # A sample above CRIT that did not shut down.
    bad = dict(tr, level=[min(lv, 3) for lv in levels])
    name, ok, detail = check_shutdown(bad, LIM, expect=None)
    assert not ok and "without shutdown" in detail
    # Expected shutdown that never came, and an unexpected one.
    assert not check_shutdown(_trace(code_of(np.full(5, 50.0))), LIM, expect=True)[1]
    assert not check_shutdown(tr, LIM, expect=False)[1]


def test_bit_exact_and_controller_match_negative_controls():
    good = {"mode": "rtl", "gemms_checked": 5, "gemm_mismatches": []}
    assert check_bit_exact(good)[1]
    assert not check_bit_exact(dict(good, gemm_mismatches=["GEMM 3: 1 words differ"]))[1]
    assert not check_bit_exact(dict(good, gemms_checked=0))[1]  # nothing checked: no pass
    tr = _trace(code_of(np.linspace(80, 100, 20)))
    assert check_controller_match(tr, True)[1]
    tr["level"] = list(tr["level"])
    tr["level"][7] ^= 1
    name, ok, detail = check_controller_match(tr, True)
    assert not ok and "first at step 7" in detail
    assert check_controller_match(tr, False)[1]  # reported only (unhardened upset)


def test_expectation_checks():
    cold = _trace(code_of(np.full(10, 40.0)))
    assert check_expectations(cold, LIM, False, False)[1]
    assert not check_expectations(cold, LIM, True, False)[1]  # throttling must engage
    stuck = _trace([code_of(25.0)] * 80)
    stuck["fault"] = [i >= 64 for i in range(80)]
    stuck["level"] = [0] * 64 + [2] * 16
    assert check_expectations(stuck, LIM, None, True)[1]
    stuck["level"][70] = 0  # a faulty sample not at the safe level
    assert not check_expectations(stuck, LIM, None, True)[1]
    assert not check_expectations(cold, LIM, None, True)[1]  # the fault never flagged


def test_invalid_scenario_parameters_name_the_parameter():
    from dataclasses import replace

    base = SCENARIOS["leo_eclipse"]
    with pytest.raises(ValueError, match="sensor must be 'healthy', 'stuck' or 'rail_high', "
                                         "not 'flaky'"):
        replace(base, sensor="flaky")
    with pytest.raises(ValueError, match="cycles_per_step must be at least 64, not 8"):
        replace(base, cycles_per_step=8)


def test_activity_model_and_throughput():
    cfg = CONFIGS["small"]
    act = ActivityModel(cfg, (32, 32, 32))
    per_gemm = act.baseline_cycles
    feed, sram, gemms = act.run(per_gemm * 10, 0)
    assert gemms == 10 and feed == 10 * act.feed
    slow = ActivityModel(cfg, (32, 32, 32))
    _, _, gemms3 = slow.run(per_gemm * 10, 3)
    assert 0 < gemms3 < 10
    run = {"trace": {"gemms": [1, 0, 1, 0]}, "cycles_per_step": per_gemm,
           "baseline_cycles": per_gemm}
    assert throughput(run, window=2)["lost"] == pytest.approx(0.5)


def _hot_case_claims(run: dict) -> list[str]:
    """What the hot case must show; returns the claims that do not hold."""
    tr = run["trace"]
    level, code = np.asarray(tr["level"]), np.asarray(tr["code"])
    broken = []
    if level.max() < 1:
        broken.append("never throttles")
    else:
        first = int(np.argmax(level >= 1))
        if code[first] < LIM.trips[0]:
            broken.append(f"throttles at code {code[first]}, below TRIP1 {LIM.trips[0]}")
    if not all(ok for _, ok, _ in check_run_for(run)):
        broken.append("a rule check fails")
    if throughput(run)["lost"] <= 0:
        broken.append("loses no throughput")
    return broken


def check_run_for(run: dict):
    return _check_run(SCENARIOS["hot_degraded"], run, LIM)


def test_model_only_loop_throttles_the_hot_case(monkeypatch):
    """The hot case throttles, only after crossing TRIP1, by the trip/hysteresis rule, and the
    throttling is what holds the junction: the same loop with the controller held at level 0
    (negative control) gets hotter and breaks the claims."""
    run = run_model(SCENARIOS["hot_degraded"], 0.25, SEED)
    assert _hot_case_claims(run) == []
    assert max(run["trace"]["die_c"]) < 125

    monkeypatch.setattr(thermal_app, "ref_sample", lambda ctrl, code: (0, False))
    unthrottled = run_model(SCENARIOS["hot_degraded"], 0.25, SEED)
    assert "never throttles" in _hot_case_claims(unthrottled)
    assert max(unthrottled["trace"]["die_c"]) > max(run["trace"]["die_c"]) + 1.0


def test_cli_model_only_and_bad_input(tmp_path, capsys):
    assert main(["thermal", "--scenario", "leo_eclipse", "--model-only", "--orbits", "0.05",
                 "--out", str(tmp_path)]) == 0
    run = json.loads((tmp_path / "leo_eclipse.json").read_text())
    assert run["passed"] and run["mode"] == "model"
    assert "<svg" in (tmp_path / "report.html").read_text()
    assert main(["thermal", "--scenario", "venus", "--model-only"]) == 2
    assert "unknown scenario 'venus'" in capsys.readouterr().out
    assert main(["thermal", "--all", "--orbits", "0", "--model-only"]) == 2


def test_short_scenario_through_the_rtl():
    """A few minutes of orbit in the hot case on the small tile: throttling engages at once,
    every GEMM is bit-exact, the RTL agrees with the reference controller at every sample."""
    run = run_scenario(SCENARIOS["hot_degraded"], 0.02, SEED, model_only=False)
    checks = {name: (ok, detail) for name, ok, detail in run["checks"]}
    assert run["passed"], checks
    assert max(run["trace"]["level"]) >= 1
    assert run["gemms_checked"] >= 5
    assert 0 < run["throughput"]["lost"] < 1


def test_short_scenario_negative_control_corrupted_result():
    run = run_rtl(SCENARIOS["hot_degraded"], 0.005, SEED, corrupt="result")
    name, ok, detail = check_bit_exact(run)
    assert not ok and "1 words differ" in detail
