"""``make bench-noc``: accepted throughput and latency of the mesh against offered load.

For each configuration (default: ``mesh4x4``, ``mesh4x4_secded``) and traffic pattern
(uniform, transpose, hotspot) the HDL traffic generators of :mod:`hdl_gen.harness.noc_traffic`
run at every offered load of the sweep (flits/cycle per active source, packets of one
header + ``length`` payload flits): after ``warmup`` cycles the counters are cleared and
``measure`` cycles are counted.

Printed per point: accepted throughput (ejected flits/cycle per active source), average,
median (p50), p99 (of up to 4096 latencies sampled from the endpoints in rotation) and
largest packet latency (head injection to tail ejection; queueing in the source is not
included). Per pattern: the saturation throughput (the largest accepted throughput in the
sweep) and the first offered load whose accepted throughput falls below 95 % of the offered
load. Per configuration: the zero-load latency measured at the lowest uniform load against
:func:`golden_models.noc.zero_load_latency` averaged over all (source, destination) pairs of
uniform traffic, and their ratio.

Writes ``bench/out/noc.json`` and ``bench/out/noc.html`` (the tables and the raw figures).
Never run inside tests: timing is not asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from golden_models.noc import zero_load_latency
from hdl_gen.harness.noc_traffic import emit_traffic
from orbitbench import sim
from orbitbench.apps.report import Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.spec.knobs import NOC_OUT, NOC_POINTS
from orbitbench.spec.noc import get_noc_config
from orbitbench.spec.paths import BENCH_OUT

OUT = BENCH_OUT / "noc.json"
LOADS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PATTERNS = ("uniform", "transpose", "hotspot")
HOT_FRACTION = 0.2  # hotspot pattern: share of packets to endpoint 0


def _design(cfg) -> sim.Design:
    top, text = emit_traffic(cfg)
    path = sim.SIM_BUILD / "noc_bench" / f"{top}.v"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sim.Design(top=top, sources=(path,), params=cfg.as_dict(), public=((top, "*"),))


def _active(cfg, pattern: str) -> int:
    if pattern == "transpose":
        return cfg.endpoints - cfg.mesh_x * cfg.local_ports  # the diagonal stays idle
    return cfg.endpoints


def _percentile(samples: list[int], q: float) -> float:
    return float(np.percentile(samples, q)) if samples else float("nan")


def run_config(name: str, length: int, warmup: int, measure: int, loads) -> dict:
    cfg = get_noc_config(name)
    t0 = time.perf_counter()
    model = sim.build(_design(cfg))
    build_s = time.perf_counter() - t0
    points = [{"pattern": pattern, "load": load, "length": length,
               "rate": max(1, round(load / (length + 1) * 65536)),
               "hot_rate": round(HOT_FRACTION * 65536), "hotspot": 0,
               "warmup": warmup, "measure": measure}
              for pattern in PATTERNS for load in loads]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "noc.json"
        t0 = time.perf_counter()
        result = sim.run(model, "testbenches.noc_bench", log_file=model.build_dir / "bench.log",
                         results_name="bench_noc",
                         extra_env={**NOC_POINTS.env(json.dumps(points)), **NOC_OUT.env(out),
                                    "COCOTB_LOG_LEVEL": "WARNING"})
        sim_s = time.perf_counter() - t0
        if not result.passed:
            raise RuntimeError(f"bench run failed; see {model.build_dir}/bench.log")
        rows = json.loads(out.read_text())
    cycles = 0
    for r in rows:
        active = _active(cfg, r["pattern"])
        r["accepted"] = r["flits_out"] / (r["cycles"] * active)
        r["offered_measured"] = r["flits_in"] / (r["cycles"] * active)
        r["lat_avg"] = r["lat_sum"] / r["packets_out"] if r["packets_out"] else float("nan")
        r["lat_p50"] = _percentile(r["samples"], 50)
        r["lat_p99"] = _percentile(r["samples"], 99)
        r["samples"] = len(r.pop("samples"))
        cycles += r["warmup"] + r["measure"] + 3
    summary = {}
    for pattern in PATTERNS:
        pts = [r for r in rows if r["pattern"] == pattern]
        sat = max(r["accepted"] for r in pts)
        knee = next((r["load"] for r in pts if r["accepted"] < 0.95 * r["load"]), None)
        summary[pattern] = {"saturation_throughput": sat, "saturation_load": knee}
    n = cfg.endpoints
    formula = sum(zero_load_latency(cfg, s, d, length) for s in range(n) for d in range(n)
                  if s != d) / (n * (n - 1))
    low = min((r for r in rows if r["pattern"] == "uniform"), key=lambda r: r["load"])
    return {"config": name, "length": length, "points": rows, "summary": summary,
            "zero_load": {"load": low["load"], "measured": low["lat_avg"],
                          "formula": formula, "ratio": low["lat_avg"] / formula},
            "build_s": build_s, "sim_s": sim_s, "sim_cycles": cycles,
            "cycles_per_s": cycles / sim_s}


def _tables(res: dict) -> tuple[Table, Table]:
    """The sweep of one configuration, and its saturation per pattern."""
    sweep = Table(f"{res['config']}: {res['length']}-flit payload packets "
                  f"(flits/cycle per active source; latency in cycles)",
                  ["pattern", "offered", "accepted", "avg lat", "p50", "p99", "max"], left=())
    for r in res["points"]:
        sweep.add_row(r["pattern"], f"{r['offered_measured']:.3f} ({r['load']:.2f})",
                      f"{r['accepted']:.3f}", f"{r['lat_avg']:.1f}", f"{r['lat_p50']:.1f}",
                      f"{r['lat_p99']:.1f}", r["lat_max"])
    saturation = Table(f"{res['config']}: saturation", ["pattern", "saturation throughput",
                                                         "accepted < 95 % of offered from"])
    for pattern, s in res["summary"].items():
        knee = f"{s['saturation_load']:.2f}" if s["saturation_load"] is not None else "> sweep"
        saturation.add_row(pattern, f"{s['saturation_throughput']:.3f} flits/cycle/source",
                           f"load {knee}")
    return sweep, saturation


def _notes(res: dict) -> list[str]:
    z = res["zero_load"]
    return [f"{res['config']}: zero-load latency (uniform, load {z['load']}): measured "
            f"{z['measured']:.2f} cycles, formula {z['formula']:.2f}, ratio {z['ratio']:.3f}",
            f"{res['config']}: simulated {res['sim_cycles']} cycles in {res['sim_s']:.1f} s "
            f"wall, counter and latency-sample read-back included "
            f"({res['cycles_per_s'] / 1e3:.0f} k cycles/s); build {res['build_s']:.0f} s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.bench.noc",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=["mesh4x4", "mesh4x4_secded"])
    parser.add_argument("--length", type=int, default=4, help="payload flits per packet")
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--measure", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not 1 <= args.length <= 63:
        parser.error(f"--length must be from 1 to 63, not {args.length}")
    results, tables, notes = [], [], []
    for name in args.configs:
        res = run_config(name, args.length, args.warmup, args.measure, LOADS)
        for table in _tables(res):
            console.print(table.rich())
            tables.append(table)
        for note in _notes(res):
            console.print(f"  {note}")
            notes.append(note)
        results.append(res)
    data = {"loads": list(LOADS), "results": results}
    write_json(args.out, data)
    page = write_tables(args.out.with_suffix(".html"), "orbitbench make bench-noc", tables,
                        data, notes=notes)
    console.print(f"wrote {args.out}, {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
