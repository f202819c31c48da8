"""``orbitbench infer``: int8 TFLite network inferences on the RTL tile, checked against LiteRT.

Exit 0 every activation tensor of every image equals LiteRT's (reference kernels), 1 some
tensor differs (or a tile command differs from the tile model), 2 bad input or simulation
failure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from orbitbench.apps.infer import DEFAULT_BATCH, model_names, run_inference
from orbitbench.apps.report import Mark, Table, write_json
from orbitbench.driver.network import CORRUPTIONS
from orbitbench.spec.params import CONFIGS, get_config

__all__ = ["add_commands"]

console = Console(stderr=False)


def _pct(value) -> str:
    return "n/a (no labels)" if value is None else f"{value:.2%}"


def _infer(args: argparse.Namespace) -> int:
    cfg = get_config(args.config)
    inputs = None if args.inputs is None else Path(args.inputs)
    with console.status(f"{args.model} on obt_tile_{cfg.name} (verilating on first use)"):
        res = run_inference(args.model, cfg, images=args.images, inputs=inputs,
                            batch=args.batch, corrupt=args.corrupt)
    s, per = res.summary, res.summary["per_inference"]
    acc = s["accuracy"]
    table = Table(f"orbitbench infer: {s['model']} on {cfg.top_name}", ["field", "value"],
                  left=("field", "value"), header=False)
    table.add_row("images", f"{s['images']} ({s['source']}), batch {s['batch']}, "
                  f"{s['jobs']} tile commands")
    table.add_row("accuracy float", _pct(acc["float"]) + (
        "  (networks/models.json, whole test split)" if acc["float"] is not None else ""))
    table.add_row("accuracy LiteRT int8", _pct(acc["litert"]))
    table.add_row("accuracy RTL", _pct(acc["rtl"]))
    table.add_row("cycles / inference", f"{per['tile_cycles']:.0f} tile (CYCLES), "
                  f"{per['sim_cycles']:.0f} simulated with bus traffic")
    table.add_row("MAC utilisation", f"{per['mac_utilisation']:.1%} of {cfg.rows * cfg.cols} "
                  f"PEs ({per['macs']} MACs / inference)")
    table.add_row("energy / inference", f"{per['energy_j'] * 1e9:.2f} nJ tile dynamic "
                  f"(ACT_FEED {s['act_feed']}, ACT_SRAM {s['act_sram']})")
    table.add_row("bus transfers / inference", f"{per['bus_transfers']:.0f}")
    table.add_row("simulation", f"{s['rtl_cpu_s']:.1f} CPU s ({s['rtl_wall_s']:.1f} s wall); "
                  f"LiteRT {s['litert_cpu_s']:.2f} CPU s")
    if args.corrupt != "none":
        table.add_row("corrupted", Mark(f"{args.corrupt} (on purpose: must FAIL)", "warn"))
    if res.passed:
        verdict = Mark(f"PASS {s['images_bit_exact']}/{s['images']} images bit-exact with "
                       f"LiteRT on all {s['tensors_compared']} tensors", "good")
    else:
        verdict = Mark(f"FAIL {s['images'] - s['images_bit_exact']}/{s['images']} images "
                       "differ from LiteRT")
    table.add_row("result", verdict)
    console.print(table.rich())
    for label, count in s["mismatched_tensors"].items():
        console.print(f"[red]{label}: {count} images differ[/]")
    for line in s["tile_mismatches"][:5]:
        console.print(f"[red]{line}[/]")
    if not s["roundings_honoured"]:
        console.print(f"[yellow]config {cfg.name!r} rounds every command {cfg.rounding}: "
                      "LiteRT rounds FC layers differently (a selectable tile is exact)[/]")
    if args.json:
        write_json(Path(args.json), {
            **s, "outputs": [{"index": i, "output": res.outputs[i].reshape(-1).tolist(),
                              "class": int(res.classes[i])} for i in range(len(res.classes))]})
    return 0 if res.passed else 1


def add_commands(sub) -> None:
    p = sub.add_parser("infer", help="run an int8 TFLite network on the RTL, check vs LiteRT")
    p.add_argument("--model", default="digits_cnn", choices=model_names(),
                   help="model in networks/ (default: digits_cnn)")
    p.add_argument("--config", default="default", choices=sorted(CONFIGS),
                   help="tile configuration (default: default)")
    p.add_argument("--images", type=int, metavar="N",
                   help="first N images (default: all: the 360 of the digits test split)")
    p.add_argument("--inputs", metavar="FILE.npy",
                   help="your own images: int8, or float quantized with the model's input "
                        "scale and zero point, shape [N, *input shape]")
    p.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                   help=f"images per tile program (default {DEFAULT_BATCH})")
    p.add_argument("--corrupt", default="none", choices=CORRUPTIONS,
                   help="negative control: a wrong weight, the other rounding or a wrong "
                        "zero point in the program; the check must then fail (exit 1)")
    p.add_argument("--json", metavar="FILE",
                   help="write the figures and every image's int8 output and class")
    p.set_defaults(func=_infer)
