"""The cocotb-style fault injector of ``make bench-campaign`` (a faithful minimal peer).

What a cocotb user writes to inject upsets: the design built the cocotb default way
(``--public-flat-rw``), every injection re-run from reset in the same simulator process,
and the upset made from Python: read the signal's value, xor the bit, deposit it back. The
clock runs from cocotb; after ``reset_cycles`` rising edges with ``rst`` high, cycle ``c``
is the c-th rising edge after reset, and the flip happens after it (at the falling edge
that follows), the engine's numbering (``fault_campaigns/engine.cpp``). Outputs are sampled
at each falling edge. The job (``ORBITBENCH_PEER_JOB``, JSON) lists the preloads (written
once: they are read-only memories, never targets), the event variables, the hang bound and
the injections (id, cycle, flips as [path, element or -1, bit]); injection id -1 with no
flips is the fault-free run. The list is run again until ``seconds`` of wall time are spent;
the figures (``ORBITBENCH_PERF_OUT``, JSON) hold the first pass's runs (done, output words,
event values) and the CPU seconds of this process over the whole loop.
"""

from __future__ import annotations

import json
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from orbitbench.spec.knobs import PEER_JOB, PERF_OUT


def _handle(dut, path: str, elem: int):
    h = dut
    for part in path.split("."):
        h = getattr(h, part)
    return h[elem] if elem >= 0 else h


async def _one(dut, job: dict, inj: list) -> dict:
    ident, at, flips = inj
    await FallingEdge(dut.clk)
    dut.rst.value = 1
    for _ in range(job["reset_cycles"]):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    cycle, done, words = 0, False, []
    while cycle < job["bound"]:
        if cycle == at:
            # Read, xor, deposit; one write per element (a deposit is applied later in the
            # time step, so a second read in this step would still see the old value).
            masks: dict[tuple[str, int], int] = {}
            for path, elem, bit in flips:
                masks[path, elem] = masks.get((path, elem), 0) ^ (1 << bit)
            for (path, elem), mask in masks.items():
                h = _handle(dut, path, elem)
                h.value = int(h.value) ^ mask
        await FallingEdge(dut.clk)
        cycle += 1
        if int(dut.out_valid.value):
            words.append(int(dut.out_data.value))
        if int(dut.done.value):
            done = True
            break
    events = [int(_handle(dut, path, -1).value) for path in job["events"]]
    return {"id": ident, "done": done, "end": cycle, "words": words, "events": events}


@cocotb.test()
async def inject(dut):
    with open(PEER_JOB.require()) as f:
        job = json.load(f)
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    for path, elem, value in job["preload"]:
        _handle(dut, path, elem).value = value
    t0, cpu0 = time.perf_counter(), time.process_time()
    first: list[dict] = []
    count, passes = 0, 0
    while passes == 0 or time.perf_counter() - t0 < job["seconds"]:
        for inj in job["injections"]:
            run = await _one(dut, job, inj)
            if passes == 0:
                first.append(run)
            count += inj[0] >= 0
        passes += 1
    figures = {"runs": first, "injections": count, "cpu_s": time.process_time() - cpu0,
               "wall_s": time.perf_counter() - t0}
    with open(PERF_OUT.require(), "w") as f:
        json.dump(figures, f)
