"""The benchmarks' timing method (orbitbench.apps.bench.honest): interleaving order, per-round
ratios, spreads, CPU clocks and the physical-limit check. No timing is asserted: the CPU
clocks are only checked to count the work of the right process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orbitbench.apps.bench import honest
from orbitbench.apps.bench.honest import interleave, over_limit, ratios, spread


def test_arms_alternate_round_by_round():
    order: list[str] = []
    runs = interleave({"a": lambda: order.append("a") or {"v": len(order)},
                       "b": lambda: order.append("b") or {"v": len(order)}}, 3)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert [r["v"] for r in runs["a"]] == [1, 3, 5]
    assert [r["v"] for r in runs["b"]] == [2, 4, 6]


def test_ratios_pair_runs_of_the_same_round():
    # A machine that slows down 10x in round 2 slows both arms of that round: the per-round
    # ratio stays 2, where dividing medians of separately timed figures would not.
    runs = {"a": [{"x": 20.0}, {"x": 2.0}, {"x": 20.0}],
            "b": [{"y": 10.0}, {"y": 1.0}, {"y": 10.0}]}
    s = ratios(runs, "a", "b", "x", "y")
    assert s.values == (2.0, 2.0, 2.0)
    assert (s.min, s.median, s.max) == (2.0, 2.0, 2.0)


def test_spread_and_text():
    s = spread([3.0, 1.0, 2.0])
    assert (s.min, s.median, s.max) == (1.0, 2.0, 3.0)
    assert s.text("{:.0f}%", 100.0) == "200% (100%-300%)"
    assert s.json() == {"min": 1.0, "median": 2.0, "max": 3.0, "rounds": [3.0, 1.0, 2.0]}


def test_limit_flags_any_round_above_it():
    assert not over_limit(spread([0.5, 0.99, 1.0]), 1.0)
    # Negative control: one impossible round is enough to call the method broken.
    assert over_limit(spread([0.5, 0.6, 1.01]), 1.0)


@pytest.mark.parametrize("call", [lambda: interleave({}, 3), lambda: interleave(
    {"a": dict}, 0), lambda: spread([])])
def test_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_proc_cpu_counts_the_busy_process_not_the_idle_one():
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # Wait (without a clock) until the busy process has at least 0.2 CPU seconds.
        while honest.proc_cpu(busy.pid) < 0.2:
            os.sched_yield()
        assert honest.proc_cpu(idle.pid) < 0.2
    finally:
        for p in (busy, idle):
            p.kill()
            p.wait()
    with pytest.raises(OSError):
        honest.proc_cpu(busy.pid)  # reaped: no such process


def test_own_and_children_cpu_includes_reaped_children():
    before = honest.own_and_children_cpu()
    subprocess.run([sys.executable, "-c", "x = 0\nwhile x < 3_000_000: x += 1"], check=True)
    assert honest.own_and_children_cpu() > before
