"""What a campaign database says: outcome counts, AVF per module with intervals, FIT per orbit.

AVF of a structure = P(outcome | an upset strikes one of its bits), estimated over the
injections that struck it, with a Wilson interval (:func:`fault_campaigns.stats.avf`; hangs
count as DUE by default: a watchdog sees them; so do crashes, the design's own assertions
and traps). The summary also lists the distinct crash and watchdog messages with their
counts. Because strikes are uniform over bits, the
overall AVF is the bit-weighted AVF of the whole design. Failure rates are
``bits x orbit rate x AVF`` with the AVF interval carried through
(:func:`fault_campaigns.stats.failure_rate`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from .db import CampaignDB
from .stats import ORBITS, OUTCOMES, Proportion, avf, failure_rate, orbit, wilson

__all__ = ["summarize", "proportion_dict", "structure", "DEFAULT_ORBITS"]

DEFAULT_ORBITS = tuple(ORBITS)


def proportion_dict(p: Proportion) -> dict:
    return {"estimate": p.estimate, "low": p.low, "high": p.high, "successes": p.successes,
            "trials": p.trials, "confidence": p.confidence}


def _rates(counts: Counter, confidence: float, hang_as: str, crash_as: str) -> dict:
    out = {"injections": sum(counts.values()),
           "outcomes": {k: counts.get(k, 0) for k in OUTCOMES}}
    if out["injections"]:
        out["sdc_avf"] = proportion_dict(avf(counts, "sdc", confidence, hang_as, crash_as))
        out["due_avf"] = proportion_dict(avf(counts, "due", confidence, hang_as, crash_as))
        out["rates"] = {k: proportion_dict(wilson(counts.get(k, 0), out["injections"],
                                                   confidence)) for k in OUTCOMES}
    return out


def _messages(results: list[dict], limit: int = 20) -> list[dict]:
    """The most frequent crash/watchdog messages: text, outcome, count, first id."""
    seen: dict[tuple[str, str], dict] = {}
    for r in results:
        if r["message"]:
            row = seen.setdefault((r["outcome"], r["message"]),
                                  {"message": r["message"], "outcome": r["outcome"],
                                   "count": 0, "first_id": r["id"]})
            row["count"] += 1
    return sorted(seen.values(), key=lambda m: (-m["count"], m["first_id"]))[:limit]


_INDEX = re.compile(r"(?<=_)\d+(?=[._$]|$)|(?<=bank)\d+")
_COPY = re.compile(r"_tmr[012]$")


def structure(path: str) -> str:
    """The structure a target variable belongs to: its path with the TMR copy suffix removed
    and instance and element indices after ``_`` (or ``bank``) replaced by ``*``:
    ``tile.datapath.array.pe_1_2.acc`` -> ``tile.datapath.array.pe_*_*.acc``,
    ``tile.scratchpads.a_bank0.mem`` -> ``tile.scratchpads.a_bank*.mem``,
    ``tile.controller.k_tmr1`` -> ``tile.controller.k``."""
    return _INDEX.sub("*", _COPY.sub("", path))


def summarize(db_path: Path, orbits: Sequence[str | float] = DEFAULT_ORBITS,
              confidence: float | None = None, hang_as: str = "due",
              crash_as: str = "due") -> dict:
    """A JSON-able summary of one campaign database (finished or not)."""
    with CampaignDB.open_existing(db_path) as db:
        ident, design = db.meta("campaign"), db.meta("design")
        targets = db.meta("targets")
        spec = db.meta("spec")
        try:
            recipe = db.meta("recipe")
        except KeyError:
            recipe = None
        results = db.results()
        planned = db.planned()
    confidence = spec["confidence"] if confidence is None else confidence
    bits_of: dict[str, int] = defaultdict(int)
    bits_of_structure: dict[str, int] = defaultdict(int)
    for t in targets:
        bits_of[t["module"]] += t["width"] * t["depth"]
        bits_of_structure[structure(t["path"])] += t["width"] * t["depth"]
    counts = Counter(r["outcome"] for r in results)
    per_module: dict[str, Counter] = defaultdict(Counter)
    per_kind: dict[str, Counter] = defaultdict(Counter)
    per_structure: dict[str, Counter] = defaultdict(Counter)
    sdc_err = [r["max_err"] for r in results if r["outcome"] == "sdc"]
    sdc_wrong = [r["wrong"] for r in results if r["outcome"] == "sdc"]
    for r in results:
        per_module[r["module"]][r["outcome"]] += 1
        per_kind[r["kind"]][r["outcome"]] += 1
        per_structure[structure(r["target"])][r["outcome"]] += 1
    overall = _rates(counts, confidence, hang_as, crash_as)
    summary = {
        "db": str(db_path), "workload": ident["workload"], "recipe": recipe,
        "model": ident["model"], "seed": ident["seed"], "planned": planned,
        "done": len(results), "complete": len(results) == planned,
        "golden_cycles": ident["golden_cycles"], "design": design,
        "confidence": confidence, "hang_as": hang_as, "crash_as": crash_as,
        "sim_cycles_per_injection": (sum(r["sim_cycles"] for r in results) / len(results)
                                     if results else None),
        "overall": overall,
        "by_kind": {k: _rates(c, confidence, hang_as, crash_as)
                    for k, c in sorted(per_kind.items())},
        "modules": {m: {"bits": bits_of.get(m, 0), **_rates(per_module.get(m, Counter()),
                                                            confidence, hang_as, crash_as)}
                    for m in sorted(bits_of)},
        "structures": {m: {"bits": bits_of_structure[m],
                           **_rates(per_structure.get(m, Counter()), confidence, hang_as,
                                    crash_as)}
                       for m in sorted(bits_of_structure)},
        "sdc_magnitude": {"count": len(sdc_err), "max_err_max": max(sdc_err, default=0),
                          "max_err_median": sorted(sdc_err)[len(sdc_err) // 2] if sdc_err
                          else 0,
                          "wrong_mean": sum(sdc_wrong) / len(sdc_wrong) if sdc_wrong else 0},
        "messages": _messages(results),
        "orbits": {},
    }
    if results:
        a_sdc = avf(counts, "sdc", confidence, hang_as, crash_as)
        a_due = avf(counts, "due", confidence, hang_as, crash_as)
        for o in orbits:
            ob = orbit(o)
            rows = {}
            for name, a in (("sdc", a_sdc), ("due", a_due)):
                r = failure_rate(design["target_bits"], ob, a)
                rows[name] = {"per_day": r.per_day, "per_day_low": r.per_day_low,
                              "per_day_high": r.per_day_high, "fit": r.fit,
                              "fit_low": r.fit_low, "fit_high": r.fit_high}
            summary["orbits"][ob.name] = {"seu_per_bit_day": ob.seu_per_bit_day,
                                          "upsets_per_day": design["target_bits"]
                                          * ob.seu_per_bit_day, **rows, "source": ob.source}
    return summary
