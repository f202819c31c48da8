"""``orbitbench harden``: triplicate only the tile's most vulnerable register groups.

Reads a campaign database of a tile configuration without TMR, ranks its register groups by
measured SDC contribution (SDC AVF x bits), picks the most vulnerable greedily within an area
budget (a percentage of the base configuration's flip-flop bits or Yosys cells), prints the
ranking and the :class:`~orbitbench.spec.params.TileConfig` to register in
``orbitbench/spec/params.py`` ``CONFIGS`` (then ``make rtl``; ``orbitbench campaign
--config NAME`` runs it). Exit 0; 2 for bad input (missing database, a database of another
design or of a triplicated configuration, a bad budget).
"""

from __future__ import annotations

from pathlib import Path

from orbitbench.apps.harden import UNITS, config_snippet, parse_budget, plan
from orbitbench.apps.report import Mark, Table, write_json
from orbitbench.apps.ui import console
from orbitbench.spec.errors import OutputFileError

__all__ = ["add_commands"]


def _avf(r) -> str:
    if r.sdc_avf is None:
        return "not targeted"
    return f"{r.sdc_avf:.3f} [{r.sdc_avf_low:.3f}, {r.sdc_avf_high:.3f}]"


def _harden(args) -> int:
    budget = parse_budget(args.budget)
    if args.json:
        try:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputFileError(f"--json {args.json}: {exc.strerror}") from None
    p = plan(Path(args.db), budget, args.budget_unit, args.name)
    unit = "FF bits" if p.unit == "ffbits" else "cells"
    table = Table(f"orbitbench harden: {p.base.name}, budget {p.budget_pct:g} % of "
                  f"{p.base_area:,} {unit} = {p.budget:,}",
                  ["rank", "group", "bits", "injections", "SDC", "SDC AVF", "AVF x bits",
                   f"cost ({unit})", "chosen"], left=("group",))
    for i, r in enumerate(p.rows, 1):
        chosen = Mark("yes", "strong") if r.group in p.chosen else ""
        table.add_row(str(i), r.group, str(r.bits), str(r.injections), str(r.sdc), _avf(r),
                      f"{r.contribution:.3g}", f"{r.cost:,}", chosen)
    console.print(table.rich())
    for kind, o in p.other.items():
        console.print(f"not register groups (TMR is not their remedy): {kind}: {o['bits']:,} "
                      f"bits, {o['injections']} injections, {o['sdc']} SDC, AVF x bits "
                      f"{o['contribution']:.3g}")
    console.print(f"chosen {len(p.chosen)} of {len(p.rows)} groups, cost {p.spent:,} of "
                  f"{p.budget:,} {unit}. Add to CONFIGS in orbitbench/spec/params.py, then "
                  f"make rtl; orbitbench campaign --config {p.config.name}:")
    console.print(config_snippet(p.config), markup=False, highlight=False)
    if args.json:
        write_json(Path(args.json), p.as_dict())
        console.print(f"plan: {args.json}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("harden", help="triplicate the most vulnerable register groups within "
                       "an area budget, from a campaign database",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--from", dest="db", required=True, metavar="DB",
                   help="campaign database of a tile configuration without TMR")
    p.add_argument("--budget", required=True, metavar="PCT",
                   help="area budget, percent of the base configuration (e.g. 10%%)")
    p.add_argument("--budget-unit", choices=UNITS, default="ffbits",
                   help="what the budget counts: flip-flop bits (2 per triplicated bit) or "
                        "Yosys cells (measured per register, orbitbench.apps.area); default "
                        "ffbits")
    p.add_argument("--name", default=None,
                   help="name of the configuration (default <base>_sel_<digest of groups>)")
    p.add_argument("--json", metavar="FILE", help="write the ranking and the choice as JSON")
    p.set_defaults(func=_harden)
