"""``orbitbench thermal``: closed-loop orbital thermal scenarios on the RTL, checks, report.

Runs each scenario's closed loop (:mod:`orbitbench.apps.thermal`), prints a table, writes
``<out>/<scenario>.json`` and the HTML report ``<out>/report.html``. Exit status 0 when every
check of every scenario passed, 1 when one failed, 2 on bad input or a simulation that did
not complete.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from golden_models.thermal_loop import SCENARIOS, ThermalError
from orbitbench.apps.report import thermal_table, write_json, write_thermal_html
from orbitbench.apps.thermal import DEFAULT_OUT, run_scenario

__all__ = ["add_commands"]


def _thermal(args: argparse.Namespace) -> int:
    console = Console(width=None if Console().is_terminal else 150)
    if args.list:
        for s in SCENARIOS.values():
            console.print(f"[bold]{s.name}[/]: {s.description} ({s.orbit.name}, config "
                          f"{s.config})")
        return 0
    names = list(SCENARIOS) if args.all else (args.scenario or [])
    if not names:
        raise ThermalError("give --scenario NAME (repeatable), --all or --list")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ThermalError(f"unknown scenario {unknown[0]!r}; choose from "
                           f"{', '.join(SCENARIOS)}")
    if not 0 < args.orbits <= 20:
        raise ThermalError(f"--orbits must be from 0 (exclusive) to 20, not {args.orbits}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name in names:
        with console.status(f"thermal scenario {name} ({'model' if args.model_only else 'RTL'})"):
            run = run_scenario(SCENARIOS[name], args.orbits, args.seed, args.model_only)
        write_json(out / f"{name}.json", run, indent=None)
        runs[name] = run
        verdict = "[green]PASS[/]" if run["passed"] else "[bold red]FAIL[/]"
        console.print(f"{verdict} {name}: {run['wall_s']:.1f} s wall, "
                      f"{len(run['trace']['level'])} steps, throughput lost "
                      f"{run['throughput']['lost']:.1%}")
        for check, ok, detail in run["checks"]:
            if not ok:
                console.print(f"   [red]{check}[/]: {detail}")
    console.print(thermal_table(runs))
    report = write_thermal_html(out / "report.html", runs)
    console.print(f"report: {report}")
    return 0 if all(r["passed"] for r in runs.values()) else 1


def add_commands(sub) -> None:
    p = sub.add_parser("thermal", help="closed-loop orbital thermal scenarios (RTL throttle "
                       "controller under Verilator); HTML report")
    p.add_argument("--scenario", action="append", metavar="NAME",
                   help="scenario to run (repeatable; --list shows them)")
    p.add_argument("--all", action="store_true", help="run every scenario")
    p.add_argument("--list", action="store_true", help="list the scenarios")
    p.add_argument("--orbits", type=float, default=1.0, help="orbits to simulate (default 1)")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help=f"output directory for JSON and report.html (default {DEFAULT_OUT})")
    p.add_argument("--model-only", action="store_true",
                   help="run the loop with the reference controller and an activity model "
                        "instead of the RTL")
    p.add_argument("--seed", type=int, default=1, help="seed of sensor noise and GEMM operands")
    p.set_defaults(func=_thermal)
