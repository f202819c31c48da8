"""The nightly campaign (``make campaign``): the tile in every hardening profile.

For each profile (none, tmr, ecc, ecc_tmr on the small tile, the size where all four are
generated) it runs or resumes a campaign of the default GEMM workload with the ``mbu`` fault
model (single-bit upsets, memory strikes as clusters with the REFERENCE.md size
distribution), sized by the Leveugle formula for a 1 % margin at 95 % confidence. Results
go to ``campaigns/nightly/<config>.db`` (re-running resumes), then a summary table per
profile, ``campaigns/nightly/summary.json`` and the self-contained
``campaigns/nightly/report.html``.

``python -m orbitbench.apps.nightly --help`` lists the knobs (count, margin, workers, Dask).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console

from fault_campaigns.campaign import EXECUTORS, CampaignSpec, default_workers, run_campaign
from fault_campaigns.recipes import from_recipe
from fault_campaigns.summary import summarize
from fault_campaigns.tile_workload import DEFAULT_GEMM
from orbitbench.apps.report import summary_table, write_html
from orbitbench.apps.ui import console as cli_console
from orbitbench.apps.ui import live_progress
from orbitbench.spec.params import get_config

__all__ = ["PROFILES", "main"]

#: (profile, tile configuration) of the nightly campaign.
PROFILES = (("none", "small"), ("tmr", "small_tmr"), ("ecc", "small_ecc"),
            ("ecc_tmr", "small_ecc_tmr"))


def run_profiles(out_dir: Path, *, count: int | None, margin: float, seed: int, model: str,
                 workers: int, executor: str, address: str | None,
                 profiles=PROFILES, console: Console | None = None) -> dict[str, dict]:
    console = console or Console()
    summaries: dict[str, dict] = {}
    for profile, config in profiles:
        get_config(config)  # a clear error for an unknown configuration, before any work
        recipe = {"kind": "tile", "config": config, "gemm": list(DEFAULT_GEMM), "seed": 1}
        spec = CampaignSpec(from_recipe(recipe), count=count, margin=margin, seed=seed,
                            model=model, recipe=recipe)
        db = out_dir / f"{config}.db"
        bar, update = live_progress(f"{profile:8s}")
        with bar:
            run_campaign(spec, db, workers=workers, executor=executor, address=address,
                         progress=update)
        summaries[profile] = summarize(db)
    return summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.nightly",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("campaigns/nightly"))
    parser.add_argument("--count", type=int, default=None,
                        help="injections per profile (default: Leveugle for --margin)")
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="mbu", choices=("seu", "mbu"))
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--executor", choices=EXECUTORS, default="local")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = parser.parse_args(argv)
    console = cli_console
    t0 = time.time()
    summaries = run_profiles(args.out, count=args.count, margin=args.margin, seed=args.seed,
                             model=args.model, workers=args.workers, executor=args.executor,
                             address=args.scheduler, console=console)
    console.print(summary_table(summaries))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summaries, indent=2))
    write_html(args.out / "report.html", summaries, title="orbitbench nightly fault campaign")
    console.print(f"summary: {args.out / 'summary.json'}\nreport:  {args.out / 'report.html'}"
                  f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
