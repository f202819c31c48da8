"""cocotb workload for ``make bench`` figure (b): GEMMs run the way the testbench runs them.

After one untimed warm-up GEMM, each repetition loads fresh operands, programs and runs the
command, waits for the interrupt, reads the result back and checks the whole result memory
against the golden model: exactly what :meth:`GemmTileTestbench.gemm` does in the regression.
Simulated cycles and wall time of that loop (not of start-up) go to the JSON file
``ORBITBENCH_PERF_OUT``.

Knobs: ``ORBITBENCH_PERF_DIMS`` ("64,64,64"), ``ORBITBENCH_PERF_REPEATS`` (3),
``ORBITBENCH_LOAD`` ("frontdoor" or "backdoor").
"""

from __future__ import annotations

import json
import time

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from golden_models.stimulus import random_case
from orbitbench.spec.knobs import LOAD, PERF_DIMS, PERF_OUT, PERF_REPEATS

from .tile_tb import GemmTileTestbench

PERIOD_NS = 10


@cocotb.test()
async def gemm_throughput(dut):
    m, k, n = (int(x) for x in PERF_DIMS.get().split(","))
    repeats = PERF_REPEATS.get_int()
    path = LOAD.get()
    tb = GemmTileTestbench(dut, period_ns=PERIOD_NS)
    await tb.reset()
    rng = np.random.default_rng([cocotb.RANDOM_SEED, 1])
    cases = [random_case(tb.cfg, rng, m=m, k=k, n=n) for _ in range(repeats + 1)]
    # One untimed warm-up GEMM: cocotb creates each simulator handle on first access
    # (~15 us each, once per process), like the model build this is set-up, not throughput.
    warmup = cases.pop()
    await tb.gemm(warmup.image(tb.cfg, tb.shadow), warmup.cmd, path=path,
                  readback=path == "frontdoor")
    transfers0 = tb.bus_transfers
    t0_sim = get_sim_time("ns")
    t0, cpu0 = time.perf_counter(), time.process_time()
    gemm_cycles = 0
    for case in cases:
        result = await tb.gemm(case.image(tb.cfg, tb.shadow), case.cmd, path=path,
                               readback=path == "frontdoor")
        gemm_cycles += result.cycles
    seconds = time.perf_counter() - t0
    # CPU seconds of the simulator process (Verilator model, cocotb and this Python alike).
    cpu_seconds = time.process_time() - cpu0
    cycles = int(get_sim_time("ns") - t0_sim) // PERIOD_NS
    figures = {
        "dims": [m, k, n], "repeats": repeats, "load": path, "cycles": cycles,
        "gemm_cycles": gemm_cycles, "seconds": seconds, "cycles_per_s": cycles / seconds,
        "cpu_seconds": cpu_seconds, "cycles_per_cpu_s": cycles / max(cpu_seconds, 1e-9),
        "bus_transfers": tb.bus_transfers - transfers0, "warmup_gemms": 1, "bit_exact": True,
    }
    dut._log.info("perf: %s", figures)
    out = PERF_OUT.get()
    if out:
        with open(out, "w") as f:
            json.dump(figures, f)
