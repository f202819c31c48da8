"""``orbitbench gemm`` and ``orbitbench configs``: one GEMM on the RTL, the configurations.

``gemm`` runs one GEMM on the generated RTL under Verilator and checks it bit-exactly against
the golden model (exit 0 pass, 1 mismatch, 2 bad input or simulation failure).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rich.console import Console

from orbitbench import sim
from orbitbench.apps.report import Mark, Table, write_json
from orbitbench.spec.errors import UsageError
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.params import CONFIGS, get_config

__all__ = ["add_commands"]

console = Console(stderr=False)


def _gemm(args: argparse.Namespace) -> int:
    cfg = get_config(args.config)
    for dim, value, limit in (("m", args.m, cfg.max_m), ("k", args.k, cfg.max_k),
                              ("n", args.n, cfg.max_n)):
        if not 1 <= value <= limit:
            raise UsageError(f"--{dim} must be from 1 to {limit} for config '{cfg.name}', "
                             f"not {value}")
    design = sim.tile_design(cfg)
    with console.status(f"verilating {design.top} (first run of a configuration only)"):
        model = sim.build(design, waves=args.waves is not None)
    with tempfile.TemporaryDirectory() as tmp:
        request, reply = Path(tmp) / "request.json", Path(tmp) / "reply.json"
        request.write_text(json.dumps({"m": args.m, "k": args.k, "n": args.n,
                                       "seed": args.seed, "quant": args.quant,
                                       "load": args.load, "corrupt": args.corrupt}))
        log = model.build_dir / "runs" / "orbitbench_gemm.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with console.status(f"running {args.m}x{args.k}x{args.n} on {design.top}"):
            result = sim.run(model, "testbenches.cli_gemm", seed=args.seed, log_file=log,
                             extra_env={**REQUEST.env(request), **REPLY.env(reply)})
        if not result.passed or not reply.exists():
            console.print(f"[bold red]simulation failed[/]; log: {log}")
            return 2
        out = json.loads(reply.read_text())
    if args.waves is not None:
        waves = model.build_dir / "runs" / "dump.vcd"
        if waves.exists():
            Path(args.waves).write_bytes(waves.read_bytes())
    cmd = out["cmd"]
    macs = cmd["m"] * cmd["k"] * cmd["n"]
    util = macs / (out["cycles"] * cfg.rows * cfg.cols) if out["cycles"] else 0.0
    table = Table(f"orbitbench gemm: {cfg.top_name}", ["field", "value"],
                  left=("field", "value"), header=False)
    table.add_row("command", f"M={cmd['m']} K={cmd['k']} N={cmd['n']}  "
                  f"{'per-channel' if cmd['per_channel'] else 'per-tensor'}  "
                  f"zp a/b/out={cmd['a_zp']}/{cmd['b_zp']}/{cmd['out_zp']}  "
                  f"clamp [{cmd['act_min']}, {cmd['act_max']}]")
    table.add_row("array", f"{cfg.rows}x{cfg.cols} PEs, seed {args.seed}, {args.load} loads")
    table.add_row("cycles", f"{out['cycles']} (CYCLES register)")
    table.add_row("MAC utilisation", f"{util:.1%} of {cfg.rows * cfg.cols} PEs "
                  f"({macs} MACs)")
    table.add_row("bus transfers", out["bus_transfers"])
    if args.corrupt != "none":
        table.add_row("corrupted", Mark(f"{args.corrupt} (on purpose: must FAIL)", "warn"))
    verdict = (Mark("PASS bit-exact with the golden model", "good") if out["passed"]
               else Mark("FAIL RTL and golden model differ"))
    table.add_row("result", verdict)
    console.print(table.rich())
    if not out["passed"]:
        console.print(f"[red]{out['error']}[/]")
        console.print(f"log: {log}")
    if args.json:
        write_json(Path(args.json), out)
    return 0 if out["passed"] else 1


def _hardening(cfg) -> str:
    """The profile, and a selective-TMR tile's number of triplicated register groups."""
    if not cfg.tmr_groups:
        return cfg.hardening
    groups = f"tmr {len(cfg.tmr_groups)} groups"
    return groups if cfg.hardening == "none" else f"{cfg.hardening}+{groups}"


def _configs(args: argparse.Namespace) -> int:
    # the top module is obt_tile_<config> (TileConfig.top_name): a column of its own
    # would not fit 80 columns beside the others
    columns = ["config", "array", "max M,K,N", "hardening", "rounding"]
    table = Table("tile configurations (make rtl writes rtl/obt_tile_<config>.v)", columns,
                  left=columns)
    for name, cfg in CONFIGS.items():
        dims = {cfg.max_m, cfg.max_k, cfg.max_n}
        table.add_row(name, f"{cfg.rows}x{cfg.cols}",
                      str(cfg.max_m) if len(dims) == 1
                      else f"{cfg.max_m},{cfg.max_k},{cfg.max_n}", _hardening(cfg), cfg.rounding)
    console.print(table.rich())
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("gemm", help="run one GEMM on the RTL and check it against the model")
    p.add_argument("--m", type=int, default=37, help="rows of A and C (default 37)")
    p.add_argument("--k", type=int, default=50, help="columns of A, rows of B (default 50)")
    p.add_argument("--n", type=int, default=19, help="columns of B and C (default 19)")
    p.add_argument("--config", default="default", choices=sorted(CONFIGS),
                   help="tile configuration (default: default)")
    p.add_argument("--seed", type=int, default=1, help="stimulus seed (default 1)")
    p.add_argument("--quant", default="random", choices=("random", "per-tensor", "per-channel"),
                   help="requantization mode (default: chosen by the seed)")
    p.add_argument("--load", default="frontdoor", choices=("frontdoor", "backdoor"),
                   help="load operands over the bus (default) or straight into the memories")
    p.add_argument("--corrupt", default="none", choices=("none", "model", "dut"),
                   help="on purpose, flip the lowest bit of the golden model's outputs "
                        "(model) or of a stored result word (dut); the check must then "
                        "fail (exit 1)")
    p.add_argument("--waves", metavar="FILE.vcd", help="also write a VCD waveform")
    p.add_argument("--json", metavar="FILE", help="write the outcome as JSON")
    p.set_defaults(func=_gemm)
    p = sub.add_parser("configs", help="list the tile configurations")
    p.set_defaults(func=_configs)
