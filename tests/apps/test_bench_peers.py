"""The VPI-style peer injector of make bench-campaign (orbitbench.apps.bench.peers): on the
analytic probe design its outcomes equal the engine's injection by injection, over every
outcome kind; a peer that injects one cycle late, or a classifier given the wrong golden
run, disagrees (negative controls). Never asserts on speed.

Nightly tier (``make regress``): the peers exist only for ``make bench-campaign``, and their
builds (a VPI and a cocotb model of the probe) cost about half a CPU-minute."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from fault_campaigns.engine import Engine
from fault_campaigns.plan import make_plan
from fault_campaigns.prepare import prepare
from orbitbench.apps.bench.campaign import WORKLOADS
from orbitbench.apps.bench.peers import (
    build_cocotb_peer,
    build_vpi_peer,
    classify,
    run_cocotb_peer,
    run_vpi_peer,
)

pytestmark = pytest.mark.regress


@pytest.fixture(scope="module")
def probe():
    prep = prepare(WORKLOADS["short"]())
    plan = make_plan(prep.targets, prep.cycles, 400, 7)
    with Engine(prep.build, prep.config) as e:
        e.golden()
        engine = {r.id: r.outcome for r in e.run(
            (i, int(plan.cycle[i]), plan.flips(i)) for i in range(len(plan)))}
    return prep, plan, build_vpi_peer(prep.workload), engine


def test_peer_outcomes_equal_the_engines(probe):
    prep, plan, exe, engine = probe
    run = run_vpi_peer(exe, prep, plan, list(range(len(plan))), 0.0)
    assert run.outcomes == engine
    assert {"masked", "corrected", "sdc", "due"} <= set(Counter(engine.values()))
    assert run.injections == len(plan) and run.cpu_s > 0 and run.wall_s > 0


def test_negative_control_late_injection_disagrees(probe):
    prep, plan, exe, engine = probe
    late = replace(plan, cycle=np.minimum(plan.cycle + 1, prep.cycles - 1))
    run = run_vpi_peer(exe, prep, late, list(range(len(plan))), 0.0)
    assert run.outcomes != engine


def test_negative_control_classifier_sees_wrong_words(probe):
    prep, _, _, _ = probe
    work = prep.workload
    golden = (list(prep.golden), [0] * len(work.events))
    assert classify(work, golden, True, list(prep.golden), [0] * len(work.events)) == "masked"
    wrong = [prep.golden[0] ^ 1, *prep.golden[1:]]
    assert classify(work, golden, True, wrong, [0] * len(work.events)) == "sdc"
    assert classify(work, golden, True, list(prep.golden)[:-1], [0, 0]) == "sdc"
    assert classify(work, golden, False, list(prep.golden), [0, 0]) == "hang"


@pytest.fixture(scope="module")
def cocotb_model(probe):
    return build_cocotb_peer(probe[0].workload)


def test_cocotb_peer_outcomes_equal_the_engines(probe, cocotb_model):
    prep, plan, _, engine = probe
    ids = list(range(120))
    run = run_cocotb_peer(cocotb_model, prep, plan, ids, 0.0)
    assert run.outcomes == {i: engine[i] for i in ids}
    assert {"masked", "corrected", "sdc", "due"} <= set(run.outcomes.values())


def test_cocotb_negative_control_late_injection_disagrees(probe, cocotb_model):
    """The injections whose outcome depends on the cycle (the engine's own one-cycle-late run
    tells which): a cocotb peer one cycle late must disagree with the engine there."""
    prep, plan, _, engine = probe
    late = replace(plan, cycle=np.minimum(plan.cycle + 1, prep.cycles - 1))
    with Engine(prep.build, prep.config) as e:
        e.golden()
        engine_late = {r.id: r.outcome for r in e.run(
            (i, int(late.cycle[i]), late.flips(i)) for i in range(len(late)))}
    ids = [i for i in range(len(plan)) if engine_late[i] != engine[i]][:40]
    assert ids, "no injection of the plan depends on its cycle: the control would be void"
    run = run_cocotb_peer(cocotb_model, prep, late, ids, 0.0)
    assert run.outcomes != {i: engine[i] for i in ids}
    assert run.outcomes == {i: engine_late[i] for i in ids}
