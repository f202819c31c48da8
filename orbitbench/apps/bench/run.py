"""``make bench``: performance figures of the default tile on one core.

(a) raw Verilator speed: a native C++ loop drives the verilated tile (no VPI, no public
    signals, -O3 + profile-guided optimisation) through a 64x64x64 GEMM: load, run, read back.
(b) the cocotb/pyuvm testbench's speed on the same workload, done the way the testbench does
    it (operands over the bus through the harness's bus player, result read back over the
    bus, the whole result memory compared with the golden model), after one warm-up GEMM.
(c) (b) / (a). Target: >= 10 %.
(d) golden-model GEMM throughput (NumPy, the full requantized GEMM per call).

Prints a table and writes ``bench/out/bench.json`` and ``bench/out/bench.html`` (the table
and the raw figures). Never run inside tests: timing is not asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from golden_models.gemm import gemm_requant
from golden_models.stimulus import random_case
from orbitbench import sim
from orbitbench.apps.bench.raw import measure_raw
from orbitbench.apps.report import Mark, Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.spec.knobs import LOAD, PERF_DIMS, PERF_OUT, PERF_REPEATS
from orbitbench.spec.params import get_config
from orbitbench.spec.paths import BENCH_OUT

OUT = BENCH_OUT / "bench.json"
TARGET = 0.10


def measure_testbench(cfg, dims, repeats: int, load: str, seed: int) -> dict:
    """Figure (b): run testbenches/perf_tile.py in its own simulator process."""
    model = sim.build(sim.tile_design(cfg))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "perf.json"
        result = sim.run(model, "testbenches.perf_tile", seed=seed,
                         log_file=model.build_dir / "runs" / "bench_perf.log",
                         results_name="bench_perf",
                         extra_env={**PERF_OUT.env(out), **PERF_DIMS.env(",".join(map(str, dims))),
                                    **PERF_REPEATS.env(repeats), **LOAD.env(load),
                                    "COCOTB_LOG_LEVEL": "WARNING"})
        if not result.passed:
            raise RuntimeError(f"testbench workload failed; see {model.build_dir}/runs")
        return json.loads(out.read_text())


def measure_golden(cfg, dims, seconds: float, seed: int) -> dict:
    """Figure (d): requantized GEMMs per second of the NumPy golden model."""
    case = random_case(cfg, np.random.default_rng(seed), m=dims[0], k=dims[1], n=dims[2],
                       per_channel=True)
    c = case.cmd
    args = dict(a_zp=c.a_zp, b_zp=c.b_zp, out_zp=c.out_zp, act_min=c.act_min,
                act_max=c.act_max)
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        gemm_requant(case.a, case.b, case.bias, case.mult, case.shift, **args)
        calls += 1
    elapsed = time.perf_counter() - t0
    macs = dims[0] * dims[1] * dims[2]
    return {"gemms_per_s": calls / elapsed, "macs_per_s": calls * macs / elapsed,
            "calls": calls, "seconds": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="default")
    parser.add_argument("--dims", default="64,64,64", help="M,K,N (default 64,64,64)")
    parser.add_argument("--seconds", type=float, default=2.0, help="raw run length")
    parser.add_argument("--repeats", type=int, default=5, help="testbench GEMMs timed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    cfg = get_config(args.config)
    dims = tuple(int(x) for x in args.dims.split(","))
    # One core for everything, as the raw figure is defined: the highest allowed CPU.
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    with console.status("(a) raw Verilator: building (cached) and running the C++ loop"):
        raw = measure_raw(cfg, seconds=args.seconds, seed=args.seed, gemm=dims, cpu=cpu)
    with console.status("(b) cocotb/pyuvm testbench: frontdoor (bus player) workload"):
        tb = measure_testbench(cfg, dims, args.repeats, "frontdoor", args.seed)
    with console.status("(b') same with backdoor operand loads"):
        tb_back = measure_testbench(cfg, dims, args.repeats, "backdoor", args.seed)
    with console.status("(d) golden model"):
        golden = measure_golden(cfg, dims, 1.0, args.seed)
    ratio = tb["cycles_per_s"] / raw["cycles_per_s"]
    figures = {
        "config": cfg.name, "dims": list(dims), "cpu": cpu,
        "load_avg_1min": os.getloadavg()[0],
        "a_raw": raw, "b_testbench": tb, "b_testbench_backdoor": tb_back,
        "c_ratio": ratio, "c_ratio_backdoor": tb_back["cycles_per_s"] / raw["cycles_per_s"],
        "c_target": TARGET, "d_golden": golden,
        "bit_exact": bool(raw["bit_exact"] and tb["bit_exact"] and tb_back["bit_exact"]),
    }
    table = Table(f"make bench: tile '{cfg.name}' ({cfg.rows}x{cfg.cols}), "
                  f"GEMM {'x'.join(map(str, dims))}, one core (cpu {cpu})",
                  ["figure", "value", "detail"], left=("figure", "detail"))
    table.add_row("(a) raw Verilator", f"{raw['cycles_per_s'] / 1e6:.3f} M cycles/s",
                  f"C++ loop, {raw['repeats']} GEMMs x {raw['cycles_per_repeat']} cycles, "
                  f"bit-exact {raw['bit_exact']}")
    table.add_row("(b) cocotb testbench", f"{tb['cycles_per_s'] / 1e3:.1f} k cycles/s",
                  f"{tb['repeats']} GEMMs, {tb['cycles'] // tb['repeats']} cycles each "
                  f"(CYCLES {tb['gemm_cycles'] // tb['repeats']}), {tb['bus_transfers']} "
                  "bus transfers")
    table.add_row("(c) (b) / (a)", f"{ratio:.1%}",
                  Mark(f"target >= {TARGET:.0%}: met", "good") if ratio >= TARGET
                  else Mark(f"target >= {TARGET:.0%}: NOT met"))
    table.add_row("(b') backdoor loads", f"{tb_back['cycles_per_s'] / 1e3:.1f} k cycles/s",
                  f"ratio {figures['c_ratio_backdoor']:.1%} (operands poked, no bus cycles)")
    table.add_row("(d) golden model", f"{golden['gemms_per_s']:.0f} GEMMs/s",
                  f"{golden['macs_per_s'] / 1e6:.0f} M MAC/s (NumPy, requantized)")
    console.print(table.rich())
    write_json(args.out, figures)
    page = write_tables(args.out.with_suffix(".html"), "orbitbench make bench", [table],
                        figures, notes=[__doc__.split("\n\n")[0]])
    console.print(f"wrote {args.out}, {page}")
    return 0 if figures["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
