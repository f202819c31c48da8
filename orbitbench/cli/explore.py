"""``orbitbench explore SPACE.toml``: a design space in, a Pareto front with intervals out.

Every point's area (Yosys), cycles and activity on the RTL (bit-exact against the golden
model; a network workload: every tensor against LiteRT, and its accuracy), energy per
inference (power model on the RTL's activity counters), throttling in the orbit's thermal
periodic steady state, SDC/DUE FIT (with a network: changed answers) from upset campaigns
(grown where their intervals still overlap on the front) and the scrub-accumulation model,
and ISO 26262-style safety metrics (diagnostic coverage, SPFM, LFM from a stuck-at
campaign, a FIT budget). Results are
cached in ``OUT/explore.db``: run the same command again to resume. Writes
``OUT/front.json`` and ``OUT/report.html``. Exit 0; 2 for a bad space file (one line naming
the key); 1 when a thermal spot check on the RTL disagrees with the model-only figure.
``docs/explore.md`` describes every key.
"""

from __future__ import annotations

from pathlib import Path

from fault_campaigns.campaign import EXECUTORS
from orbitbench.apps.explore.report import (
    front_table,
    safety_table,
    spot_table,
    trades_table,
    write_report,
)
from orbitbench.apps.explore.run import explore
from orbitbench.apps.explore.space import load_space
from orbitbench.apps.ui import console
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import ParameterError

__all__ = ["add_commands"]


def _explore(args) -> int:
    if args.workers < 1:
        raise ParameterError(f"--workers must be at least 1, not {args.workers}")
    if args.scheduler and args.executor != "dask":
        raise ParameterError("--scheduler needs --executor dask")
    space = load_space(Path(args.space))
    out = Path(args.out) if args.out else Path("reports/explore") / space.name
    console.print(f"orbitbench explore {space.name}: {len(space.designs)} designs, "
                  f"{len(space.points)} points -> {out}")
    result = explore(space, out, workers=args.workers, build_root=SIM_BUILD,
                     executor=args.executor, address=args.scheduler,
                     say=lambda s: console.print(s, markup=False, highlight=False))
    console.print(front_table(result).rich())
    for failure in result["trades"]:
        console.print(trades_table(result, failure, limit=5).rich())
    console.print(safety_table(result).rich())
    spots = result["thermal_spot_checks"]
    if spots:
        console.print(spot_table(result).rich())
    paths = write_report(out, result)
    run = result["run"]
    console.print(f"{run['computed']} metrics computed, {run['reused']} reused from the "
                  f"cache; {run['cpu_s']:.0f} s CPU, {run['wall_s']:.0f} s wall. "
                  f"report: {paths['html']}  data: {paths['json']}")
    bad = [s["point"] for s in spots if not s["agrees"]]
    if bad:
        console.print(f"thermal spot check failed: the RTL closed loop disagrees with the "
                      f"model-only figure for {', '.join(bad)}")
        return 1
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("explore", help="a design space in, a Pareto front of area, energy, "
                       "speed and FIT per orbit out (cached, resumable)", description=__doc__)
    p.add_argument("space", help="the space file (TOML; see spaces/default.toml)")
    p.add_argument("--out", help="output directory (default reports/explore/NAME)")
    p.add_argument("--workers", type=int, default=2, help="campaign worker processes (2)")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="where campaigns run: local processes or a Dask cluster (local)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="Dask scheduler address (default with --executor dask: a "
                   "LocalCluster of --workers)")
    p.set_defaults(func=_explore)
