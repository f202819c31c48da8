"""``make bench``: performance figures of the default tile on one core.

(a) raw Verilator speed: a native C++ loop drives the verilated tile (no VPI, no public
    signals, -O3 + profile-guided optimisation) through a 64x64x64 GEMM: load, run, read back.
(b) the cocotb/pyuvm testbench's speed on the same workload, done the way the testbench does
    it (operands over the bus through the harness's bus player, result read back over the
    bus, the whole result memory compared with the golden model), after one warm-up GEMM.
(c) (b) / (a). Target: >= 10 %.
(d) golden-model GEMM throughput (NumPy, the full requantized GEMM per call).
(e) raw speed of the hardening profiles against their plain twin (``--compare``, default
    small, small_ecc, small_tmr: each against small) on a 32x32x32 GEMM.

Honest figures (:mod:`orbitbench.apps.bench.honest`): speeds are per CPU second of the
simulating process (wall time beside them in the JSON), and every figure is measured in
``--rounds`` interleaved rounds (each round runs (a), (b), (b'), (e) once, in that order);
ratios are taken within a round and printed as median (min-max) over the rounds.

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
from orbitbench.apps.bench.honest import Spread, interleave, ratios, spread
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
    calls, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        gemm_requant(case.a, case.b, case.bias, case.mult, case.shift, **args)
        calls += 1
    wall = time.perf_counter() - t0
    elapsed = time.process_time() - cpu0
    macs = dims[0] * dims[1] * dims[2]
    return {"gemms_per_s": calls / elapsed, "macs_per_s": calls * macs / elapsed,
            "calls": calls, "cpu_seconds": elapsed, "wall_seconds": wall}


def _sp(runs: list[dict], key: str) -> Spread:
    return spread([r[key] for r in runs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.bench.run",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="default")
    parser.add_argument("--dims", default="64,64,64", help="M,K,N (default 64,64,64)")
    parser.add_argument("--seconds", type=float, default=1.0, help="raw run length per round")
    parser.add_argument("--repeats", type=int, default=3, help="testbench GEMMs per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 1)")
    parser.add_argument("--compare", default="small,small_ecc,small_tmr",
                        help="(e): configurations whose raw speed is compared with the first "
                             "('' to skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repeats < 1 or args.seconds <= 0:
        parser.error("--rounds and --repeats must be >= 1 and --seconds > 0")
    cfg = get_config(args.config)
    dims = tuple(int(x) for x in args.dims.split(","))
    compare = [get_config(c) for c in args.compare.split(",") if c]
    # One core for everything, as the raw figure is defined: the highest allowed CPU.
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    arms = {
        "raw": lambda: measure_raw(cfg, seconds=args.seconds, seed=args.seed, gemm=dims,
                                   cpu=cpu),
        "tb": lambda: measure_testbench(cfg, dims, args.repeats, "frontdoor", args.seed),
        "tb_back": lambda: measure_testbench(cfg, dims, args.repeats, "backdoor", args.seed),
        **{f"raw_{c.name}": (lambda c=c: measure_raw(c, seconds=args.seconds, seed=args.seed,
                                                     gemm=(32, 32, 32), cpu=cpu))
           for c in compare},
    }
    with console.status("building (cached) raw harnesses and testbench models"):
        for c in {cfg.name: cfg, **{c.name: c for c in compare}}.values():
            measure_raw(c, seconds=0.01, gemm=(8, 8, 8), cpu=cpu, max_repeats=1)
    runs = interleave(arms, args.rounds,
                      lambda r, a: console.log(f"round {r + 1}/{args.rounds}: {a}"))
    golden = measure_golden(cfg, dims, 1.0, args.seed)
    ratio = ratios(runs, "tb", "raw", "cycles_per_cpu_s")
    ratio_back = ratios(runs, "tb_back", "raw", "cycles_per_cpu_s")
    twins = {c.name: ratios(runs, f"raw_{c.name}", f"raw_{compare[0].name}", "cycles_per_cpu_s")
             for c in compare[1:]}
    exact = all(r["bit_exact"] for rs in runs.values() for r in rs)
    figures = {
        "config": cfg.name, "dims": list(dims), "cpu": cpu, "rounds": args.rounds,
        "load_avg_1min": os.getloadavg()[0],
        "a_raw": runs["raw"][0] | {"rounds": runs["raw"]},
        "a_raw_cycles_per_cpu_s": _sp(runs["raw"], "cycles_per_cpu_s").json(),
        "a_raw_cycles_per_wall_s": _sp(runs["raw"], "cycles_per_s").json(),
        "b_testbench": {"rounds": runs["tb"]},
        "b_testbench_cycles_per_cpu_s": _sp(runs["tb"], "cycles_per_cpu_s").json(),
        "b_testbench_cycles_per_wall_s": _sp(runs["tb"], "cycles_per_s").json(),
        "b_testbench_backdoor": {"rounds": runs["tb_back"]},
        "c_ratio": ratio.json(), "c_ratio_backdoor": ratio_back.json(),
        "c_target": TARGET, "d_golden": golden,
        "e_raw_cycles_per_cpu_s": {c.name: _sp(runs[f"raw_{c.name}"], "cycles_per_cpu_s").json()
                                   for c in compare},
        "e_over_twin": {n: s.json() for n, s in twins.items()},
        "bit_exact": exact,
    }
    raw_sp, tb_sp = _sp(runs["raw"], "cycles_per_cpu_s"), _sp(runs["tb"], "cycles_per_cpu_s")
    tb = runs["tb"][0]
    table = Table(f"make bench: tile '{cfg.name}' ({cfg.rows}x{cfg.cols}), "
                  f"GEMM {'x'.join(map(str, dims))}, one core (cpu {cpu}), {args.rounds} "
                  "interleaved rounds: median (min-max), per CPU second",
                  ["figure", "value", "detail"], left=("figure", "detail"))
    table.add_row("(a) raw Verilator", raw_sp.text("{:.3f}", 1e-6) + " M cycles/s",
                  f"C++ loop, {runs['raw'][0]['cycles_per_repeat']} cycles per GEMM; wall "
                  + _sp(runs["raw"], "cycles_per_s").text("{:.3f}", 1e-6) + " M/s")
    table.add_row("(b) cocotb testbench", tb_sp.text("{:.1f}", 1e-3) + " k cycles/s",
                  f"{tb['repeats']} GEMMs, {tb['cycles'] // tb['repeats']} cycles each, "
                  f"{tb['bus_transfers']} bus transfers; wall "
                  + _sp(runs["tb"], "cycles_per_s").text("{:.1f}", 1e-3) + " k/s")
    table.add_row("(c) (b) / (a), per round", ratio.text("{:.1f}%", 100.0),
                  Mark(f"target >= {TARGET:.0%}: met", "good") if ratio.median >= TARGET
                  else Mark(f"target >= {TARGET:.0%}: NOT met"))
    table.add_row("(b') backdoor loads",
                  _sp(runs["tb_back"], "cycles_per_cpu_s").text("{:.1f}", 1e-3) + " k cycles/s",
                  f"ratio {ratio_back.text('{:.1f}%', 100.0)} (operands poked, no bus cycles)")
    table.add_row("(d) golden model", f"{golden['gemms_per_s']:.0f} GEMMs/s",
                  f"{golden['macs_per_s'] / 1e6:.0f} M MAC/s (NumPy, requantized, per CPU s)")
    for c in compare:
        sp = _sp(runs[f"raw_{c.name}"], "cycles_per_cpu_s")
        detail = (f"{twins[c.name].text('{:.0f}%', 100.0)} of {compare[0].name}, same rounds"
                  if c.name in twins else "32x32x32 GEMM, the twin")
        table.add_row(f"(e) raw {c.name}", sp.text("{:.0f}", 1e-3) + " k cycles/s", detail)
    if not exact:
        table.add_row("bit-exact", Mark("NO"), "a run read back a wrong result")
    console.print(table.rich())
    write_json(args.out, figures)
    page = write_tables(args.out.with_suffix(".html"), "orbitbench make bench", [table],
                        figures, notes=[__doc__.split("\n\n")[0]])
    console.print(f"wrote {args.out}, {page}")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
