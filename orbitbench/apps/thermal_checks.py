"""Checks on one closed-loop thermal run, and the throughput it lost to throttling.

A run is a dict (the JSON the co-simulation writes): ``trace`` (per step, see
:class:`golden_models.thermal_loop.ClosedLoop`), ``gemms_checked``, ``gemm_mismatches`` (list of
strings), ``baseline_cycles`` (cycles per GEMM at level 0), ``cycles_per_step``, ``mode``
(``rtl`` or ``model``) and, for upset runs, ``upset``. The thresholds are the reference
controller's (:class:`Limits`).

Every check returns ``(name, passed, detail)``; tests feed each one a broken trace on
purpose (negative controls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Limits", "check_junction", "check_hysteresis", "check_shutdown", "check_bit_exact",
           "check_controller_match", "check_expectations", "check_run", "throughput"]


@dataclass(frozen=True)
class Limits:
    """Controller thresholds in sensor codes (the register defaults of the contract)."""

    trips: tuple[int, int, int] = (1192, 1272, 1352)  # 85, 95, 105 degC
    crit: int = 1432  # 115 degC
    hyst: int = 32  # 4 degC
    safe_level: int = 2
    stuck_samples: int = 64

    @classmethod
    def of(cls, ctrl) -> Limits:
        """The thresholds a reference controller instance holds."""
        return cls(trips=tuple(int(x) for x in ctrl.trips), crit=int(ctrl.crit),
                   hyst=int(ctrl.hyst), safe_level=int(ctrl.safe_level),
                   stuck_samples=int(ctrl.stuck_samples))

    def up(self, code: int) -> int:
        return sum(code >= t for t in self.trips)


def check_junction(trace: Mapping, limit_c: float):
    peak = float(np.max(trace["die_c"]))
    return ("junction", peak <= limit_c, f"peak {peak:.2f} degC, limit {limit_c:.1f} degC")


def check_hysteresis(trace: Mapping, lim: Limits):
    """Every level change must be one the trip/hysteresis rule allows for the code sensed at
    that sample: raises only to the number of trips reached (or 4 at CRIT), drops one level
    at a time and only below ``trip[L] - HYST``. So between a raise into a level and the next
    drop out of it the sensed temperature fell by more than HYST (and conversely): the level
    cannot oscillate faster than the hysteresis allows. Samples with an implausible reading
    (safe level) are exempt; a software CLEAR resets the level to 3."""
    level, code = trace["level"], trace["code"]
    fault, clear = trace["fault"], trace["clear"]
    bad, changes, dwell = [], 0, []
    last_raise: dict[int, int] = {}
    for j in range(1, len(level)):
        prev = 3 if clear[j - 1] and level[j - 1] == 4 else level[j - 1]
        now, c = level[j], code[j]
        if now == prev or fault[j]:
            continue
        changes += 1
        if now > prev:
            ok = (now == 4 and c >= lim.crit) or (now <= 3 and lim.up(c) == now
                                                   and c < lim.crit)
            for lv in range(prev + 1, now + 1):
                last_raise[lv] = j
        else:
            ok = (now == prev - 1 and 1 <= prev <= 3
                  and c < lim.trips[prev - 1] - lim.hyst)
            if prev in last_raise:
                dwell.append(j - last_raise[prev])
        if not ok:
            bad.append(f"step {j}: level {prev}->{now} at code {c}")
    detail = (f"{changes} level changes, shortest raise-to-drop dwell "
              f"{min(dwell) if dwell else '-'} samples")
    if bad:
        detail += f"; {len(bad)} not allowed by the hysteresis rule: " + "; ".join(bad[:4])
    return ("hysteresis", not bad, detail)


def check_shutdown(trace: Mapping, lim: Limits, expect: bool | None):
    """Critical shutdown is clean: every plausible sample at or above CRIT gives level 4,
    the datapath does no work while at 4, and work resumes after the software's CLEAR."""
    level, code = np.asarray(trace["level"]), np.asarray(trace["code"])
    fault, feed = np.asarray(trace["fault"]), np.asarray(trace["feed"])
    gemms, clear = np.asarray(trace["gemms"]), np.asarray(trace["clear"])
    bad = []
    hot = np.nonzero((code >= lim.crit) & ~fault)[0]
    if np.any(level[hot] != 4):
        bad.append(f"{int(np.sum(level[hot] != 4))} samples at >= CRIT without shutdown")
    # A step that starts at level 4 and has no CLEAR runs no datapath cycle at all.
    held = np.nonzero((level == 4) & ~clear)[0]
    if np.any(feed[held] != 0):
        bad.append(f"array fed in {int(np.sum(feed[held] != 0))} steps held in shutdown")
    shutdowns = int(np.sum((level[1:] == 4) & (level[:-1] != 4)) + (level[:1] == 4).sum())
    if shutdowns:
        last = int(np.nonzero(level == 4)[0][-1])
        if not clear.any():
            bad.append("never cleared")
        elif level[-1] != 4 and gemms[last + 1:].sum() == 0:
            bad.append("no GEMM completed after the last clear")
    if expect is True and not shutdowns:
        bad.append("expected a critical shutdown, none happened")
    if expect is False and shutdowns:
        bad.append(f"{shutdowns} unexpected critical shutdowns")
    detail = f"{shutdowns} shutdowns, {int(clear.sum())} clears"
    return ("shutdown", not bad, detail + ("; " + "; ".join(bad) if bad else ""))


def check_bit_exact(run: Mapping):
    if run.get("mode") == "model":
        return ("bit_exact", True, "n/a (--model-only: no RTL results)")
    checked, bad = run.get("gemms_checked", 0), run.get("gemm_mismatches", [])
    ok = checked > 0 and not bad
    tr = run.get("trace", {})
    throttled = sum(g for g, lv in zip(tr.get("gemms", []), tr.get("level", []), strict=True)
                    if lv > 0)
    detail = (f"{checked} GEMMs checked against golden_models.tile ({throttled} finished "
              f"while throttled), {len(bad)} differ")
    if bad:
        detail += ": " + bad[0][:200]
    return ("bit_exact", ok, detail)


def check_controller_match(trace: Mapping, expect_match: bool):
    level, ref = np.asarray(trace["level"]), np.asarray(trace["ref_level"])
    diff = np.nonzero(level != ref)[0]
    detail = f"{len(diff)} of {len(level)} samples differ from the reference controller"
    if len(diff):
        detail += f" (first at step {int(diff[0])}: RTL {int(level[diff[0]])}, reference " \
                  f"{int(ref[diff[0]])})"
    if not expect_match:
        return ("controller_match", True, detail + " [reported, not required]")
    return ("controller_match", not len(diff), detail)


def check_expectations(trace: Mapping, lim: Limits, expect_throttle: bool | None,
                       expect_fault: bool):
    level, fault = np.asarray(trace["level"]), np.asarray(trace["fault"])
    bad = []
    if expect_throttle is True and level.max() == 0:
        bad.append("throttling never engaged")
    if expect_throttle is False and level.max() > 0:
        bad.append(f"throttled in {int(np.sum(level > 0))} steps, expected none")
    if expect_fault:
        if not fault.any():
            bad.append("the sensor fault was never flagged")
        elif np.any((level[fault] != lim.safe_level) & (level[fault] != 4)):
            wrong = int(np.sum((level[fault] != lim.safe_level) & (level[fault] != 4)))
            bad.append(f"{wrong} implausible samples neither at the safe level "
                       f"{lim.safe_level} nor in a latched shutdown")
    elif fault.any():
        bad.append(f"{int(fault.sum())} samples flagged implausible with a healthy sensor")
    detail = (f"max level {int(level.max())}, throttled {np.mean(level > 0):.1%} of samples, "
              f"{int(fault.sum())} implausible samples")
    return ("expectations", not bad, detail + ("; " + "; ".join(bad) if bad else ""))


def throughput(run: Mapping, window: int = 30) -> dict:
    """GEMMs done against an unthrottled run of the same cycles (``baseline_cycles`` each).

    Returns ``lost`` (fraction of the whole run) and ``per_window`` (relative throughput
    in windows of ``window`` steps, for the plots)."""
    gemms = np.asarray(run["trace"]["gemms"], dtype=np.float64)
    per_step = run["cycles_per_step"] / run["baseline_cycles"]
    relative = gemms.sum() / (per_step * len(gemms)) if len(gemms) else 0.0
    n = len(gemms) // window
    windows = (gemms[:n * window].reshape(n, window).sum(axis=1) / (per_step * window)
               if n else np.zeros(0))
    return {"lost": float(max(0.0, 1.0 - relative)), "relative": float(relative),
            "gemms": int(gemms.sum()), "per_window": windows.tolist(), "window": window}


def _head(trace: Mapping, stop: int) -> dict:
    return {key: list(values)[:stop] for key, values in trace.items()}


def check_run(scenario, run: Mapping, lim: Limits) -> list[tuple[str, bool, str]]:
    """Every check of ``scenario`` on ``run``.

    After an upset on an unhardened controller the RTL no longer follows the rule, by
    design of the experiment: the rule checks (hysteresis, shutdown, expectations) then
    cover the samples before the upset, and ``upset_effect`` reports what happened after
    it. The junction limit and bit-exactness hold for the whole run in every case.
    """
    trace = run["trace"]
    upset = run.get("upset")
    ruled = trace
    if upset and not upset.get("tmr"):
        ruled = _head(trace, int(upset["step"]) + 1)
    checks = [check_junction(trace, scenario.junction_limit_c),
              check_hysteresis(ruled, lim),
              check_shutdown(ruled, lim, scenario.expect_shutdown),
              check_bit_exact(run),
              check_controller_match(trace, scenario.expect_match),
              check_expectations(ruled, lim, scenario.expect_throttle, scenario.expect_fault)]
    if upset and upset.get("tmr"):
        ok = bool(upset.get("tmr_mismatch"))
        checks.append(("upset_outvoted", ok, f"flipped {upset['signal']} bit {upset['bit']} at "
                       f"step {upset['step']}; STATUS.TMR_MISMATCH="
                       f"{int(bool(upset.get('tmr_mismatch')))}"))
    elif upset:
        after = slice(int(upset["step"]) + 1, None)
        levels = sorted(set(trace["level"][after]))
        gemms = sum(trace["gemms"][after])
        checks.append(("upset_effect", True, f"flipped {upset['signal']} bit {upset['bit']} "
                       f"({upset['before']} -> {upset['before'] ^ (1 << upset['bit'])}) at "
                       f"step {upset['step']}; afterwards levels {levels}, "
                       f"{upset.get('diverged_samples', 0)} samples differ from the "
                       f"reference, {gemms} GEMMs completed [reported]"))
    return checks
