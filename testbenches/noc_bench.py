"""cocotb side of ``make bench-noc``: sets the knobs of :mod:`hdl_gen.harness.noc_traffic`, waits
and reads its counters, one sweep point after another (no per-cycle Python).

``ORBITBENCH_NOC_POINTS``: JSON list of ``{"pattern", "rate", "hot_rate", "hotspot",
"length", "warmup", "measure"}``; results (the counters of every point) are written as JSON
to ``ORBITBENCH_NOC_OUT``; ``samples`` holds up to 4096 sampled packet latencies.
"""

from __future__ import annotations

import json

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, Timer

from orbitbench.spec.knobs import NOC_OUT, NOC_POINTS

PATTERNS = {"uniform": 0, "transpose": 1, "hotspot": 2}
PERIOD_NS = 10


async def _wait(dut, cycles: int) -> None:
    await Timer(cycles * PERIOD_NS, unit="ns")  # one trigger, not one per cycle


@cocotb.test()
async def sweep(dut):
    points = json.loads(NOC_POINTS.require())
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    await FallingEdge(dut.clk)
    results = []
    for pt in points:
        dut.rst.value = 1
        dut.enable.value = 0
        dut.clear.value = 0
        dut.pattern.value = PATTERNS[pt["pattern"]]
        dut.rate.value = pt["rate"]
        dut.hot_rate.value = pt.get("hot_rate", 0)
        dut.hotspot.value = pt.get("hotspot", 0)
        dut.length.value = pt["length"]
        await ClockCycles(dut.clk, 2)
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        dut.enable.value = 1
        await _wait(dut, pt["warmup"])
        dut.clear.value = 1
        await ClockCycles(dut.clk, 1)
        await FallingEdge(dut.clk)
        dut.clear.value = 0
        await _wait(dut, pt["measure"])
        await FallingEdge(dut.clk)
        row = {name: int(getattr(dut, name).value) for name in
               ("cycles", "flits_in", "flits_out", "packets_out", "lat_sum", "lat_max",
                "n_samples")}
        n = min(row["n_samples"] if "n_samples" in row else int(dut.n_samples.value), 4096)
        samples = []
        for a in range(n):
            dut.sample_addr.value = a
            await Timer(1, unit="ps")
            samples.append(int(dut.sample_data.value))
        row["samples"] = samples
        results.append({**pt, **row})
    with open(NOC_OUT.require(), "w") as f:
        json.dump(results, f)
