"""CI gate (``make gate``): a small campaign that fails when hardening stops paying for itself.

Runs the gate campaign (``fault_campaigns/gate.json``: workload, count, seed, fault model)
on the unprotected tile and on the hardened one, then fails (exit 1) when

1. the hardened profile's SDC AVF upper bound (Wilson, at the file's confidence) exceeds
   ``max_sdc_avf_upper`` from the same file, or
2. the hardened profile is not better than ``none`` at that confidence: its SDC AVF upper
   bound must lie below the lower bound of ``none``'s (non-overlapping Wilson intervals,
   a conservative test).

Only SDC enters the decision: hangs and crashes (the design's own traps) count as DUE, as
in every summary, so a hardened design that turns corruptions into traps passes.

The thresholds live in the checked-in file so that tightening them is a reviewed change;
``--threshold`` overrides condition 1 for a trial (``make gate GATE_THRESHOLD=0.001``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fault_campaigns.campaign import CampaignSpec, default_workers, run_campaign
from fault_campaigns.recipes import from_recipe
from fault_campaigns.summary import summarize
from orbitbench.apps.report import fmt_prop, summary_table
from orbitbench.apps.ui import console, live_progress

__all__ = ["GATE_FILE", "evaluate", "main"]

GATE_FILE = Path(__file__).resolve().with_name("gate.json")


def evaluate(hardened: dict, baseline: dict, threshold: float) -> list[str]:
    """Reasons the gate fails (empty: it passes)."""
    h, b = hardened["overall"]["sdc_avf"], baseline["overall"]["sdc_avf"]
    failures = []
    if h["high"] > threshold:
        failures.append(f"hardened SDC AVF upper bound {h['high']:.4g} exceeds the threshold "
                        f"{threshold:.4g}")
    if not h["high"] < b["low"]:
        failures.append(f"hardened SDC AVF {fmt_prop(h)} is not below unprotected "
                        f"{fmt_prop(b)} at {h['confidence']:.0%} confidence")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.gate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--gate-file", type=Path, default=GATE_FILE)
    parser.add_argument("--threshold", type=float, default=None,
                        help="override max_sdc_avf_upper from the gate file")
    parser.add_argument("--out", type=Path, default=Path("campaigns/gate"))
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)
    try:
        gate = json.loads(args.gate_file.read_text())
        threshold = gate["max_sdc_avf_upper"] if args.threshold is None else args.threshold
        profiles = {"none": gate["baseline_config"], "hardened": gate["hardened_config"]}
    except (OSError, ValueError, KeyError) as e:
        console.print(f"[bold red]error:[/] gate file {args.gate_file}: {e}")
        return 2
    summaries = {}
    for label, config in profiles.items():
        recipe = {"kind": "tile", "config": config, "gemm": gate["gemm"],
                  "seed": gate["gemm_seed"]}
        spec = CampaignSpec(from_recipe(recipe), count=gate["count"], seed=gate["seed"],
                            model=gate["model"], confidence=gate["confidence"], recipe=recipe)
        db = args.out / f"{config}.db"
        bar, update = live_progress(f"{label} ({config})")
        with bar:
            run_campaign(spec, db, workers=args.workers, progress=update)
        summaries[f"{label} ({config})"] = summarize(db)
    console.print(summary_table(summaries))
    hardened, baseline = summaries[f"hardened ({profiles['hardened']})"], summaries[
        f"none ({profiles['none']})"]
    failures = evaluate(hardened, baseline, threshold)
    console.print(f"threshold: hardened SDC AVF upper bound <= {threshold:.4g} "
                  f"({'--threshold' if args.threshold is not None else args.gate_file.name})")
    if failures:
        for f in failures:
            console.print(f"[bold red]GATE FAILED:[/] {f}")
        return 1
    console.print("[bold green]GATE PASSED[/]: hardened SDC AVF "
                  f"{fmt_prop(hardened['overall']['sdc_avf'])} vs unprotected "
                  f"{fmt_prop(baseline['overall']['sdc_avf'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
