"""``orbitbench scrub``: the longest scrub interval of a tile's SECDED scratchpads that meets a
failure-rate target in an orbit.

The answer comes from the analytic accumulation model (:mod:`golden_models.scrub`: upsets
arriving as a Poisson process at the orbit's per-bit rate, :mod:`golden_models.radiation`;
a codeword fails when two or more of its bits are upset within one scrub period; multi-bit
strikes wider than the interleave fail at once, which no scrubbing can prevent). Exit 0 with
the interval, 2 when no interval meets the target (the message says what would).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from golden_models.radiation import ENVIRONMENTS
from golden_models.tile_scrub import scrub_answer
from orbitbench.apps.report import Mark, Table, write_json
from orbitbench.apps.ui import console
from orbitbench.spec.errors import ParameterError
from orbitbench.spec.params import CONFIGS

__all__ = ["add_commands"]

_KINDS = ("total", "due", "sdc")


def _orbit(text: str) -> str | float:
    if text in ENVIRONMENTS:
        return text
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--orbit must be one of {', '.join(ENVIRONMENTS)} or a rate in SEU/bit/day, "
            f"not {text!r}") from None
    if not rate > 0:
        raise argparse.ArgumentTypeError(f"--orbit as a rate must be positive, not {text!r}")
    return rate


def _fmt(triple) -> str:
    value, low, high = triple
    return f"{value:.3g}" if low == high else f"{value:.3g} [{low:.3g}, {high:.3g}]"


def _scrub(args: argparse.Namespace) -> int:
    cfg = CONFIGS[args.config]
    if not args.target_fit > 0:
        raise ParameterError(f"--target-fit must be positive, not {args.target_fit}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    answer = scrub_answer(args.orbit, args.target_fit, cfg, args.interleave,
                          f_clk_hz=args.f_clk_mhz * 1e6, kind=args.kind)
    table = Table(f"orbitbench scrub: {cfg.top_name} in {answer['orbit']}", ["field", "value"],
                  left=("field", "value"), header=False)
    table.add_row("upset rate", f"{answer['seu_per_bit_day']:.3g} SEU/bit/day "
                  f"({answer['device']})")
    table.add_row("memories", f"{len(answer['memories'])} SECDED scratchpads, "
                  f"{answer['total_bits']} stored bits, interleave {answer['interleave']}")
    table.add_row("target", f"{answer['target_fit']:g} FIT ({answer['kind']})")
    capped = " (the register's maximum: any interval meets it)" if answer["capped"] else ""
    table.add_row("SCRUB_INTERVAL", Mark(f"{answer['scrub_interval_cycles']} cycles{capped}",
                                         "strong"))
    table.add_row("scrub period", f"{answer['longest_period_s']:.3g} s per word at "
                  f"{answer['f_clk_hz'] / 1e6:g} MHz (largest memory)")
    table.add_row("FIT at that interval", f"DUE {_fmt(answer['fit_due'])}, "
                  f"SDC {_fmt(answer['fit_sdc'])}, total {_fmt(answer['fit_total'])}")
    table.add_row("floor (continuous scrub)", f"DUE {answer['floor_fit_due']:.3g}, "
                  f"SDC {answer['floor_fit_sdc']:.3g} FIT")
    console.print(table.rich())
    if args.json:
        write_json(Path(args.json), answer)
        console.print(f"answer: {args.json}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("scrub", help="longest scrub interval of the SECDED scratchpads that "
                       "meets a FIT target in an orbit (analytic accumulation model)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--orbit", type=_orbit, default="leo400",
                   help=f"orbit preset ({', '.join(ENVIRONMENTS)}) or a rate in SEU/bit/day "
                        "(default leo400)")
    p.add_argument("--target-fit", type=float, required=True, metavar="FIT",
                   help="failures per 1e9 device-hours allowed for all scratchpads together")
    p.add_argument("--kind", choices=_KINDS, default="total",
                   help="which failures the target counts (default total = DUE + SDC)")
    ecc = sorted(name for name, cfg in CONFIGS.items() if cfg.ecc)
    p.add_argument("--config", choices=ecc, default=ecc[0],
                   help=f"tile configuration with SECDED scratchpads (default {ecc[0]})")
    p.add_argument("--interleave", type=int, choices=(1, 2, 4, 8), default=None,
                   help="codewords per physical row (default: the configuration's)")
    p.add_argument("--f-clk-mhz", type=float, default=1000.0,
                   help="tile clock in MHz, for the period in seconds (default 1000)")
    p.add_argument("--json", metavar="FILE", help="write the answer as JSON")
    p.set_defaults(func=_scrub)
