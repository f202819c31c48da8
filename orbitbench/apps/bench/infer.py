"""``make bench-infer``: inferences per second on the RTL, the raw Verilator bound, LiteRT.

For one model and tile configuration (default ``digits_cnn`` on ``default``, the first
``--images`` test images), in interleaved rounds (A B C A B C ...):

RTL (cocotb)
    ``orbitbench infer``'s run (:func:`orbitbench.apps.infer.run_inference`): host stages in
    NumPy, every GEMM job's tile program played through the harness's bus player; CPU seconds
    of the simulator process (Verilator and Python), wall beside them. Build time excluded.
raw Verilator bound
    The same bus program, the whole inference at once
    (:func:`orbitbench.driver.network.inference_bus_program`: the jobs' operands from the tile
    model, since the C++ loop cannot run the host stages), played once by the native harness
    of :mod:`orbitbench.apps.bench.raw` pinned to one core: CPU seconds of that loop, its
    wall seconds beside them; its reads must be bit-exact.
LiteRT
    ``ai-edge-litert``'s interpreter on the CPU, image by image: reference kernels
    (``BUILTIN_REF``, what the RTL is checked against) and the default optimised kernels;
    CPU seconds, wall beside them.

Reported per engine: inferences/s (min / median / max over rounds, from CPU seconds), and the
ratios of medians. Writes ``bench/out/infer.json`` and ``bench/out/infer.html``. Never run
inside tests: timing is not asserted anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from orbitbench.apps.bench.raw import measure_raw
from orbitbench.apps.infer import load_model, prepare_inputs, run_inference
from orbitbench.apps.report import Table, write_json, write_tables
from orbitbench.apps.ui import console
from orbitbench.driver.network import compile_network, inference_bus_program
from orbitbench.spec.params import CONFIGS, get_config
from orbitbench.spec.paths import BENCH_OUT

OUT = BENCH_OUT / "infer.json"


def _litert(path: Path, x: np.ndarray, resolver) -> tuple[float, float]:
    """(CPU s, wall s) of one invoke per image, after one warm-up."""
    interp = Interpreter(model_path=str(path), experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    i = interp.get_input_details()[0]["index"]
    interp.set_tensor(i, x[:1])
    interp.invoke()
    cpu, wall = time.process_time(), time.perf_counter()
    for image in x:
        interp.set_tensor(i, image[None])
        interp.invoke()
    return time.process_time() - cpu, time.perf_counter() - wall


def _spread(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def measure(model: str, config: str, images: int, rounds: int) -> dict:
    cfg = get_config(config)
    path, net, _ = load_model(model)
    x, _, _ = prepare_inputs(net, None, images)
    bus = inference_bus_program(compile_network(net, cfg, len(x)), x)
    runs: dict[str, list[dict]] = {"rtl": [], "raw": [], "litert_ref": [], "litert_opt": []}
    run_inference(model, cfg, images=1)  # build (and warm) the cocotb model outside the rounds
    for r in range(rounds):
        res = run_inference(model, cfg, images=images, batch=images)
        s = res.summary
        if not res.passed:
            raise RuntimeError("the RTL differs from LiteRT: not a benchmark")
        runs["rtl"].append({"cpu_s": s["rtl_cpu_s"], "wall_s": s["rtl_wall_s"]})
        raw = measure_raw(cfg, seconds=0.0, program=bus, max_repeats=1)
        if not raw["bit_exact"]:
            raise RuntimeError("the raw harness read wrong words: not a benchmark")
        runs["raw"].append({"cpu_s": raw["cpu_seconds"], "wall_s": raw["seconds"],
                            "cycles": raw["cycles"]})
        for key, resolver in (("litert_ref", OpResolverType.BUILTIN_REF),
                              ("litert_opt", OpResolverType.AUTO)):
            cpu, wall = _litert(path, x, resolver)
            runs[key].append({"cpu_s": cpu, "wall_s": wall})
        console.print(f"round {r + 1}/{rounds}: " + ", ".join(
            f"{k} {v[-1]['cpu_s']:.3f} CPU s" for k, v in runs.items()))
    rates = {k: _spread([images / run["cpu_s"] for run in v]) for k, v in runs.items()}
    walls = {k: _spread([images / run["wall_s"] for run in v]) for k, v in runs.items()}
    med = {k: v["median"] for k, v in rates.items()}
    return {"model": model, "config": config, "images": images, "rounds": rounds,
            "program_ops": len(bus.ops), "program_tile_cycles": bus.gemm_cycles,
            "raw_cycles": runs["raw"][0]["cycles"], "inferences_per_cpu_s": rates,
            "inferences_per_wall_s": walls, "runs": runs,
            "ratios": {"raw / rtl": med["raw"] / med["rtl"],
                       "litert_ref / rtl": med["litert_ref"] / med["rtl"],
                       "litert_ref / raw": med["litert_ref"] / med["raw"]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.bench.infer",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="digits_cnn")
    parser.add_argument("--config", default="default", choices=sorted(CONFIGS))
    parser.add_argument("--images", type=int, default=30, help="test images per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    res = measure(args.model, args.config, args.images, args.rounds)
    table = Table(f"make bench-infer: {args.model} on obt_tile_{args.config}, "
                  f"{args.images} images x {args.rounds} rounds",
                  ["engine", "inferences/CPU s min", "median", "max", "median per wall s"],
                  left=("engine",))
    names = {"rtl": "RTL (cocotb, bus player)", "raw": "raw Verilator bound (C++)",
             "litert_ref": "LiteRT reference kernels", "litert_opt": "LiteRT optimised"}
    for key, label in names.items():
        r, w = res["inferences_per_cpu_s"][key], res["inferences_per_wall_s"][key]
        table.add_row(label, f"{r['min']:.1f}", f"{r['median']:.1f}", f"{r['max']:.1f}",
                      f"{w['median']:.1f}")
    console.print(table.rich())
    notes = [f"{k}: {v:.1f}x" for k, v in res["ratios"].items()]
    console.print("  ratios of medians: " + ", ".join(notes))
    write_json(args.out, res)
    page = write_tables(args.out.with_suffix(".html"), "orbitbench make bench-infer", [table],
                        res, notes=notes)
    console.print(f"wrote {args.out}, {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
