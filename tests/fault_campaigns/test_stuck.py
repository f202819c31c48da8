"""The stuck-at fault model on the probe (examples/avf_probe): outcomes known by hand.

A bit stuck at ``v`` from cycle ``c`` is wrong in every later cycle whose golden value is not
``v``; it is seen when one of those cycles is live. On the probe (T = 60, L = 40): the TMR
copies hold TMRV = 0x3C from reset and are checked at read-out (cycle L), so a copy bit stuck
at the opposite value from any cycle <= L is outvoted and reported (corrected), and at its
own value it is masked; ``data`` holds DATA = 0xA5C3 from cycle 1 and is read out at L, so a
bit stuck at the opposite value from a cycle <= L - 1 is SDC; ``dead`` is never read.
"""

from __future__ import annotations

from collections import Counter

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.engine import _injection_line
from fault_campaigns.plan import make_plan
from fault_campaigns.summary import summarize
from fault_campaigns.targets import StateVar, TargetSet

from .probe import L, probe_workload

CYCLES = (0, 20, L - 1, L + 10)


def _exhaustive(tmp_path, include: str) -> dict:
    db = tmp_path / f"{include}.db"
    run_campaign(CampaignSpec(probe_workload(), model="stuck", sampling="exhaustive",
                              at_cycles=CYCLES, include=(include,)), db, workers=2)
    return summarize(db)


def test_stuck_on_a_tmr_copy_is_corrected_or_masked_never_sdc(tmp_path):
    s = _exhaustive(tmp_path, "tmr_q")
    # 24 copy bits x 4 cycles x 2 values; the opposite value at the 3 cycles <= L: corrected
    assert s["planned"] == s["done"] == 24 * 4 * 2
    got = {k: v for k, v in s["overall"]["outcomes"].items() if v}
    assert got == {"corrected": 24 * 3, "masked": 24 * 4 * 2 - 24 * 3}
    assert s["overall"]["sdc_avf"]["high"] == 0.0  # exhaustive: exactly no SDC


def test_negative_control_stuck_on_an_unprotected_register_is_sdc(tmp_path):
    s = _exhaustive(tmp_path, "data")
    # 16 bits x 4 cycles x 2 values; the opposite value at cycles 0, 20, L - 1: SDC
    got = {k: v for k, v in s["overall"]["outcomes"].items() if v}
    assert got == {"sdc": 16 * 3, "masked": 16 * 4 * 2 - 16 * 3}


def test_stuck_on_a_dead_register_is_always_masked(tmp_path):
    s = _exhaustive(tmp_path, "dead")
    assert s["overall"]["outcomes"]["masked"] == s["done"] == 16 * 4 * 2


def test_stuck_plan_and_engine_line():
    ts = TargetSet((StateVar("dead", "", "m", "ff", 16, 1, False),))
    plan = make_plan(ts, 60, 64, 1, "stuck", sampling="exhaustive", at_cycles=(0, 5))
    assert sorted(Counter(plan.value.tolist()).items()) == [(0, 32), (1, 32)]
    assert plan.flips(1) == [(0, 0, 0, 1)] and plan.stuck(0) == 0
    assert _injection_line(7, 5, [(0, 0, 3, 1)]) == "stuck 7 5 1 1 0 0 3\n"
    assert _injection_line(7, 5, [(0, 0, 3)]) == "inj 7 5 1 0 0 3\n"
    with pytest.raises(ValueError, match="stuck bits need one value for all"):
        _injection_line(7, 5, [(0, 0, 3, 1), (0, 0, 4, 0)])
