"""Selective hardening by measured vulnerability: ``orbitbench harden``.

From a campaign database of a tile configuration without TMR, each register group of
:func:`orbitbench.spec.params.tmr_group_names` (one :class:`hdl_gen.tmr.StateRegisters`
register) gets its measured SDC contribution, ``SDC AVF x bits`` (the structure rows of
:func:`fault_campaigns.summary.summarize`: the group's upsets over the group's injections,
Wilson interval), and the cost of triplicating it: ``2 x bits`` flip-flop bits, or the Yosys
cells of :func:`orbitbench.apps.area.tmr_register_cost` (plus, once, the 33 flip-flop bits
of the TMR diagnostics, :data:`TMR_DIAGNOSTIC_FF_BITS`). The groups are taken greedily, most
vulnerable first, while their cost fits the budget (a percentage of the base configuration's
flip-flop bits or cells, measured by :func:`orbitbench.apps.area.measure`); a group that does
not fit is skipped and the next one tried. Groups with no SDC measured are never picked (no
measured benefit). The choice is then measured as a whole tile with Yosys, and while its
overhead exceeds the budget the least vulnerable chosen group is dropped: the budget holds
for the measured area, not only for the estimate. The answer is a
:class:`~orbitbench.spec.params.TileConfig` with those ``tmr_groups``, named
``<base>_sel_<digest>`` unless named.

State outside the register groups (scratchpads, datapath) is listed as one line per kind:
TMR is not its remedy (ECC for the scratchpads, ABFT for the datapath).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fault_campaigns.db import CampaignDB
from fault_campaigns.summary import summarize
from orbitbench.spec.errors import InputFileError, ParameterError, UsageError
from orbitbench.spec.params import CONFIGS, TileConfig, get_config, tmr_group_names

from .area import measure, tmr_register_cost
from .report import Table, write_json
from .ui import console

__all__ = ["TMR_DIAGNOSTIC_FF_BITS", "GroupRow", "Plan", "UNITS", "parse_budget", "rank",
           "choose", "plan",
           "config_snippet", "curve", "main", "HardenError"]

#: Budget units: flip-flop bits or Yosys cells (``orbitbench.apps.area``).
UNITS = ("ffbits", "cells")
_AREA_FIELD = {"ffbits": "ff_bits", "cells": "cells"}


class HardenError(UsageError, ValueError):
    """The database cannot be hardened from (not a tile campaign, already triplicated)."""


@dataclass(frozen=True)
class GroupRow:
    """One register group: its bits, injections, SDC count and AVF, contribution, cost."""

    group: str
    bits: int
    injections: int
    sdc: int
    sdc_avf: float | None
    sdc_avf_low: float | None
    sdc_avf_high: float | None
    cost: int

    @property
    def contribution(self) -> float:
        """SDC AVF x bits (0 when not measured)."""
        return 0.0 if self.sdc_avf is None else self.sdc_avf * self.bits


@dataclass(frozen=True)
class Plan:
    """What :func:`plan` decided."""

    base: TileConfig
    config: TileConfig
    unit: str
    budget_pct: float
    base_area: int
    budget: int
    rows: tuple[GroupRow, ...]  # ranked, most vulnerable first
    chosen: tuple[str, ...]
    spent: int
    other: dict[str, dict]  # state outside the groups: kind -> bits, sdc, contribution

    def as_dict(self) -> dict:
        return {"base": self.base.name, "config": self.config.as_dict(), "unit": self.unit,
                "budget_pct": self.budget_pct, "base_area": self.base_area,
                "budget": self.budget, "spent": self.spent, "chosen": list(self.chosen),
                "rows": [{**dataclasses.asdict(r), "contribution": r.contribution}
                         for r in self.rows],
                "other": self.other}


def parse_budget(text: str) -> float:
    """``"10%"`` or ``"10"`` -> 10.0; more than 0 and at most 100 (percent of the base)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*%?\s*", str(text))
    value = float(match[1]) if match else None
    if value is None or not 0 < value <= 100:
        raise ParameterError(f"--budget must be a percentage of the base area above 0 and at "
                             f"most 100 (e.g. 10%), not {text!r}")
    return value


def _base_config(db_path: Path) -> TileConfig:
    if not Path(db_path).is_file():
        raise InputFileError(f"--from {db_path}: no such campaign database")
    with CampaignDB.open_existing(db_path) as db:
        try:
            recipe = db.meta("recipe")
        except KeyError:
            recipe = None
    if not recipe or recipe.get("kind") != "tile":
        kind = recipe.get("kind") if recipe else "none recorded"
        raise HardenError(f"--from {db_path}: not a campaign on the tile (workload kind "
                          f"{kind!r}); harden needs one made with orbitbench campaign "
                          "--config")
    try:
        cfg = get_config(recipe["config"])
    except ValueError as exc:
        raise HardenError(f"--from {db_path}: {exc}") from None
    if cfg.tmr or cfg.tmr_groups:
        raise HardenError(f"--from {db_path}: {cfg.name} already triplicates register groups; "
                          "give a campaign of a configuration without TMR")
    return cfg


def _cost(unit: str, bits: int, width: int) -> int:
    """Triplication cost of a group of ``bits`` stored as ``bits // width`` registers."""
    if unit == "ffbits":
        return 2 * bits
    return tmr_register_cost(width)["cells"] * (bits // width)


def rank(summary: dict, cfg: TileConfig, unit: str = "ffbits",
         cost: Callable[[str, int, int], int] = _cost) -> tuple[list[GroupRow], dict]:
    """The register groups of ``cfg`` ranked by SDC contribution (largest first; ties: fewer
    bits first, then table order), and the state outside them by kind."""
    structures = summary["structures"]
    rows, grouped = [], set()
    for i, group in enumerate(tmr_group_names(cfg)):
        s = structures.get(f"tile.{group}")
        if s is None:  # not a target of this campaign
            rows.append((i, GroupRow(group, 0, 0, 0, None, None, None, 0)))
            continue
        grouped.add(f"tile.{group}")
        p = s.get("sdc_avf")
        rows.append((i, GroupRow(
            group, s["bits"], s["injections"], s["outcomes"]["sdc"],
            None if p is None else p["estimate"], None if p is None else p["low"],
            None if p is None else p["high"], cost(unit, s["bits"], s["bits"]))))
    rows.sort(key=lambda t: (-t[1].contribution, t[1].bits, t[0]))
    other: dict[str, dict] = {}
    for name, s in structures.items():
        if name in grouped:
            continue
        kind = ("scratchpads" if ".scratchpads." in name else
                "datapath" if ".datapath." in name else "other registers")
        row = other.setdefault(kind, {"bits": 0, "injections": 0, "sdc": 0,
                                      "contribution": 0.0})
        row["bits"] += s["bits"]
        row["injections"] += s["injections"]
        row["sdc"] += s["outcomes"]["sdc"]
        if s.get("sdc_avf"):
            row["contribution"] += s["sdc_avf"]["estimate"] * s["bits"]
    return [r for _, r in rows], dict(sorted(other.items()))


#: Flip-flop bits that any triplication brings to life: TMR_ERRORS (32) and
#: STATUS.TMR_MISMATCH (1), which synthesis removes while no register is triplicated.
TMR_DIAGNOSTIC_FF_BITS = 33


def choose(rows: list[GroupRow], budget: int, fixed: int = 0) -> tuple[list[str], int]:
    """Greedy: in ranked order, every group with a measured SDC contribution whose cost still
    fits; ``fixed`` is paid once with the first group (the TMR diagnostics). Returns the
    groups and the cost spent (never above ``budget``)."""
    chosen, spent = [], 0
    for r in rows:
        extra = r.cost + (0 if chosen else fixed)
        if r.contribution > 0 and spent + extra <= budget:
            chosen.append(r.group)
            spent += extra
    return chosen, spent


def plan(db_path: Path, budget_pct: float, unit: str = "ffbits", name: str | None = None,
         base_area: int | None = None) -> Plan:
    """Rank, choose and name the configuration (``base_area``: the base configuration's
    figure in ``unit``, measured with Yosys when not given)."""
    if unit not in UNITS:
        raise ParameterError(f"--budget-unit must be one of {', '.join(UNITS)}, not {unit!r}")
    base = _base_config(Path(db_path))
    summary = summarize(Path(db_path))
    rows, other = rank(summary, base, unit)
    verify = base_area is None
    if verify:
        base_area = getattr(measure(base), _AREA_FIELD[unit])
    budget = int(base_area * budget_pct / 100)
    fixed = TMR_DIAGNOSTIC_FF_BITS if unit == "ffbits" else 0
    chosen, spent = choose(rows, budget, fixed)
    # The estimate is checked on the whole tile with Yosys (when the base was measured):
    # while the measured overhead exceeds the budget, the least vulnerable choice goes.
    while verify and chosen:
        trial = dataclasses.replace(base, tmr_groups=tuple(chosen), name="_trial")
        spent = getattr(measure(trial), _AREA_FIELD[unit]) - base_area
        if spent <= budget:
            break
        chosen.pop()
    if not chosen:
        spent = 0
    cfg = dataclasses.replace(base, tmr_groups=tuple(chosen), name="_unnamed")
    default = f"{base.name}_sel_{cfg.tmr_digest}" if chosen else f"{base.name}_sel_none"
    try:
        cfg = dataclasses.replace(cfg, name=name or default)
    except ValueError as exc:
        raise ParameterError(f"--name: {exc}") from None
    if cfg.name in CONFIGS and CONFIGS[cfg.name] != cfg:
        raise ParameterError(f"--name {cfg.name!r} is a registered configuration with other "
                             "parameters; choose another name")
    return Plan(base, cfg, unit, budget_pct, base_area, budget, tuple(rows), cfg.tmr_groups,
                spent, other)


def config_snippet(cfg: TileConfig) -> str:
    """The entry to add to :data:`orbitbench.spec.params.CONFIGS` (then ``make rtl``), in
    lines of at most 100 characters."""
    items = [f"{f.name}={getattr(cfg, f.name)!r}".replace("'", '"')
             for f in dataclasses.fields(cfg)
             if f.name != "tmr_groups" and (getattr(cfg, f.name) != f.default
                                            or f.name in ("rows", "cols", "name"))]
    items += ["tmr_groups=("] if cfg.tmr_groups else []
    items += [f'"{g}",' for g in cfg.tmr_groups]
    lines, line = [], f'    "{cfg.name}": TileConfig('
    for item in items:
        sep = "" if line.endswith(("(", " ")) else " "
        if len(line) + len(sep) + len(item) > 96:
            lines.append(line.rstrip())
            line, sep = " " * 8, ""
        line += sep + item + ("" if item.endswith(("(", ",")) else ",")
    lines.append(line.rstrip(",") + ("))," if cfg.tmr_groups else "),"))
    return "\n".join(lines)


def curve(dbs: list[Path], orbit_name: str = "leo400",
          measure_area: Callable = measure) -> list[dict]:
    """One point per campaign database: the configuration, its area (flip-flop bits, Yosys
    cells) and the campaign's SDC AVF and SDC FIT in ``orbit_name`` with their intervals.
    FIT counts the campaign's targets only (bits x rate x AVF), so databases compared must
    target the same state (with its TMR copies)."""
    points = []
    for db in dbs:
        s = summarize(Path(db), orbits=(orbit_name,))
        recipe = s.get("recipe") or {}
        if recipe.get("kind") != "tile":
            raise HardenError(f"{db}: not a campaign on the tile")
        cfg = get_config(recipe["config"])
        area = measure_area(cfg)
        o, a = s["orbits"][orbit_name], s["overall"]["sdc_avf"]
        points.append({
            "config": cfg.name, "hardening": cfg.hardening, "tmr_groups": list(cfg.tmr_groups),
            "triplicated_groups": len(cfg.triplicated_groups), "db": str(db),
            "injections": s["done"], "target_bits": s["design"]["target_bits"],
            "ff_bits": area.ff_bits, "cells": area.cells,
            "sdc": s["overall"]["outcomes"]["sdc"],
            "sdc_avf": [a["estimate"], a["low"], a["high"]],
            "sdc_fit": [o["sdc"]["fit"], o["sdc"]["fit_low"], o["sdc"]["fit_high"]],
            "orbit": orbit_name})
    return points


def main(argv: list[str] | None = None) -> int:
    """``python -m orbitbench.apps.harden DB... --out FILE``: the SDC-FIT-versus-area curve."""
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.harden",
                                     description=curve.__doc__)
    parser.add_argument("dbs", nargs="+", type=Path, metavar="DB")
    parser.add_argument("--orbit", default="leo400")
    parser.add_argument("--out", type=Path, required=True, help="JSON output")
    args = parser.parse_args(argv)
    points = curve(args.dbs, args.orbit)
    table = Table(f"SDC FIT ({args.orbit}) versus area",
                  ["config", "groups", "FF bits", "cells", "injections", "SDC", "SDC AVF",
                   "SDC FIT", "FIT x cells / 1e3"], left=("config",))
    for p in points:
        fit, avf = p["sdc_fit"], p["sdc_avf"]
        table.add_row(p["config"], str(p["triplicated_groups"]), f"{p['ff_bits']:,}",
                      f"{p['cells']:,}", str(p["injections"]), str(p["sdc"]),
                      f"{avf[0]:.4f} [{avf[1]:.4f}, {avf[2]:.4f}]",
                      f"{fit[0]:.3g} [{fit[1]:.3g}, {fit[2]:.3g}]",
                      f"{fit[0] * p['cells'] / 1e3:.3g}")
    console.print(table.rich())
    write_json(args.out, {"tool": "orbitbench.apps.harden", "points": points})
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
