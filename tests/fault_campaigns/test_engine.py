"""The injection engine on a design whose outcomes are known exactly (examples/avf_probe)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.engine import Engine
from fault_campaigns.prepare import GoldenMismatch, prepare
from fault_campaigns.summary import summarize

from .probe import BITS, L, T, expected_counts, probe_workload


@pytest.fixture(scope="module")
def probe():
    return prepare(probe_workload(), checkpoint=8)  # T is short: compare state often


@pytest.fixture(scope="module")
def probe_all():
    """The probe with every state bit a target, the timer included."""
    return prepare(probe_workload(exclude=()))


def _var(prep, path: str) -> int:
    return [v.path for v in prep.targets.vars].index(path)


def _exhaustive(prep):
    injections, i = [], 0
    for vi, v in enumerate(prep.targets.vars):
        for elem in range(v.depth):
            for bit in range(v.width):
                for cycle in range(prep.cycles):
                    injections.append((i, cycle, [(vi, elem, bit)]))
                    i += 1
    return injections


def test_targets_and_golden(probe):
    assert probe.cycles == T
    assert probe.targets.bits == BITS
    assert {v.path: (v.width, v.depth, v.kind) for v in probe.targets.vars}["mem"] == (
        8, 4, "mem")
    assert probe.golden == ((0x5A << 16) | 0xA5C3, (0x96 << 8) | 0x3C)


@pytest.mark.parametrize("snapshot", ["copy", "fork"])
@pytest.mark.parametrize("early_stop", [True, False])
def test_exhaustive_outcomes_match_the_analysis(probe, snapshot, early_stop):
    injections = _exhaustive(probe)
    with Engine(probe.build, probe.config) as engine:
        engine.golden()
        results = list(engine.run(injections, early_stop=early_stop, snapshot=snapshot))
    assert sorted(r.id for r in results) == list(range(len(injections)))
    assert Counter(r.outcome for r in results) == expected_counts()
    by_id = {r.id: r for r in results}
    paths = [probe.targets.vars[f[0][0]].path for _, _, f in injections]
    outcome_of = lambda path: Counter(by_id[i].outcome for i, p in enumerate(paths)  # noqa: E731
                                      if p == path)
    assert outcome_of("dead") == {"masked": 16 * T}
    assert outcome_of("data") == {"sdc": 16 * (L - 1), "masked": 16 * (T - L + 1)}
    if early_stop:  # upsets overwritten before use end at the next checkpoint
        assert any(r.early for r in results)


def test_sampled_campaign_interval_covers_the_true_avf(probe, tmp_path):
    truth = expected_counts()
    spec = CampaignSpec(probe_workload(), count=1500, seed=11)
    run_campaign(spec, tmp_path / "probe.db", workers=2)
    s = summarize(tmp_path / "probe.db")
    for kind in ("sdc", "due"):
        p = s["overall"][f"{kind}_avf"]
        assert p["low"] <= truth[kind] / (BITS * T) <= p["high"], (kind, p)


@pytest.fixture(scope="module")
def engine_all(probe_all):
    with Engine(probe_all.build, probe_all.config) as engine:
        engine.golden()
        yield engine


def _one(engine, prep, path, elem, bit, cycle):
    (r,) = engine.run([(0, cycle, [(_var(prep, path), elem, bit)])])
    return r


# Negative controls of the classifier: each outcome class from a fault placed on purpose.

def test_masked_control(engine_all, probe_all):
    assert _one(engine_all, probe_all, "dead", 0, 5, 10).outcome == "masked"


def test_sdc_control_records_count_and_magnitude(engine_all, probe_all):
    r = _one(engine_all, probe_all, "data", 0, 3, 10)
    assert (r.outcome, r.wrong, r.max_err) == ("sdc", 1, 8)
    r = _one(engine_all, probe_all, "mem", 0, 7, 10)  # sign bit of an unsigned element
    assert (r.outcome, r.wrong, r.max_err) == ("sdc", 1, 128)


def test_corrected_control(engine_all, probe_all):
    assert _one(engine_all, probe_all, "tmr_q", 1, 0, 10).outcome == "corrected"


def test_due_control(engine_all, probe_all):
    assert _one(engine_all, probe_all, "par_p", 0, 0, 10).outcome == "due"


def test_hang_control(engine_all, probe_all):
    r = _one(engine_all, probe_all, "cnt", 0, 15, 5)  # the timer jumps past done
    assert r.outcome == "hang"
    assert r.end_cycle == 2 * T + 1000  # the bound: hang_factor x golden + hang_extra


def test_without_the_parity_event_a_parity_upset_is_sdc(tmp_path):
    """The DUE class depends on the declared event: drop it and the same upset is SDC."""
    prep = prepare(probe_workload(events=()))
    with Engine(prep.build, prep.config) as engine:
        engine.golden()
        (r,) = engine.run([(0, 10, [(_var(prep, "par_q"), 0, 0)])])
    assert r.outcome == "sdc"


def test_golden_run_must_match_the_expected_output():
    work = probe_workload(expected=(0x5AA5C2, 0x963C))
    with pytest.raises(GoldenMismatch, match="word 0: got 0x5aa5c3, expected 0x5aa5c2"):
        prepare(work)
    assert prepare(probe_workload(expected=(None, 0x963C))).cycles == T


def test_missing_source_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no such source"):
        probe_workload(sources=(Path("nowhere.v"),))
