"""What a campaign database says: outcome counts, AVF per module with intervals, FIT per orbit.

AVF of a structure = P(outcome | an upset strikes one of its bits), estimated over the
injections that struck it, with a Wilson interval (:func:`fault_campaigns.stats.avf`; hangs
count as DUE by default: a watchdog sees them; so do crashes, the design's own assertions
and traps). The summary also lists the distinct crash and watchdog messages with their
counts. Because strikes are uniform over bits, the
overall AVF is the bit-weighted AVF of the whole design. Failure rates are
``bits x orbit rate x AVF`` with the AVF interval carried through
(:func:`fault_campaigns.stats.failure_rate`), the orbit rate from the device's Weibull fit
(:func:`fault_campaigns.stats.orbit_rate`). The predicted device cross-section
``sigma_dev(LET) = sum over structures of bits x sigma_bit(LET) x AVF``
(:func:`golden_models.radiation.device_cross_section`) is given for SDC and DUE: every target
bit has the device's one cross-section, so the sum over modules equals all target bits x
sigma_bit x the bit-weighted (overall) AVF, which carries the campaign's interval.

A single-event-transient campaign (model ``set``) struck combinational nets, each glitch
reaching the flops at an edge. Its rates and cross-section are derated by the latching
window, ``min(1, pulse width / clock period)`` (:func:`fault_campaigns.stats.set_derating`;
``"set_derating"`` in the summary says with which figures). ASSUMPTION: a net bit is struck
at the rate of a stored bit of the same device (one cross-section per node); a campaign
gives the AVF of the net bits, the derating the share of strikes that are latched.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from golden_models.radiation import DEFAULT_DEVICE, Device, Structure, device_cross_section

from .db import CampaignDB
from .network_workload import NETWORK_OUTCOMES, case_of, target_class
from .plan import FINITE_MODELS
from .stats import (
    DEFAULT_CLOCK_PERIOD_S,
    DEFAULT_SET_PULSE_WIDTH_S,
    ORBITS,
    OUTCOMES,
    Proportion,
    avf,
    failure_rate,
    orbit,
    set_derating,
    wilson,
)

__all__ = ["summarize", "network_effects", "proportion_dict", "structure", "cross_section",
           "DEFAULT_ORBITS", "LET_GRID"]

DEFAULT_ORBITS = tuple(ORBITS)
#: LET values (MeV cm^2/mg) of the predicted cross-section: the range of a heavy-ion beam test.
LET_GRID = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0, 80.0, 100.0)


def proportion_dict(p: Proportion) -> dict:
    return {"estimate": p.estimate, "low": p.low, "high": p.high, "successes": p.successes,
            "trials": p.trials, "confidence": p.confidence}


def _rates(counts: Counter, confidence: float, hang_as: str, crash_as: str,
           population: int | None = None) -> dict:
    out = {"injections": sum(counts.values()),
           "outcomes": {k: counts.get(k, 0) for k in OUTCOMES}, "population": population}
    if out["injections"]:
        out["sdc_avf"] = proportion_dict(avf(counts, "sdc", confidence, hang_as, crash_as,
                                             population))
        out["due_avf"] = proportion_dict(avf(counts, "due", confidence, hang_as, crash_as,
                                             population))
        out["rates"] = {k: proportion_dict(wilson(counts.get(k, 0), out["injections"],
                                                   confidence, population)) for k in OUTCOMES}
    return out


def _faults_per_bit(ident: dict, design: dict, complete: bool) -> int | None:
    """Faults per target bit (cycles, x 2 values for ``stuck``) of the population the results
    are a without-replacement sample of, or None when the finite-population correction does
    not apply: sampling with replacement, a cluster model (the same (bit, cycle) can give
    different clusters), or an unfinished exhaustive campaign (its results so far are the
    first bits in order, not a random sample)."""
    sampling = ident.get("sampling", "replacement")
    if sampling == "replacement" or ident["model"] not in FINITE_MODELS or \
            (sampling == "exhaustive" and not complete):
        return None
    return ident["population"] // design["target_bits"]


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


def cross_section(bits: int, avfs: dict[str, Proportion], device: Device,
                  let: Sequence[float] = LET_GRID, derating: float = 1.0) -> dict:
    """Predicted device cross-section per failure kind: ``bits x sigma_bit(LET) x AVF``
    (x ``derating``, the latching-window share of transients).

    Parameters
    ----------
    bits : int
        Target bits, ``>= 1``.
    avfs : dict
        Failure kind (``"sdc"``, ``"due"``) -> its AVF.
    device : Device
        The bit's Weibull fit.
    let : sequence of float
        LET values, MeV cm^2/mg.
    derating : float
        Share of strikes that count (:func:`fault_campaigns.stats.set_derating`), default 1.

    Returns
    -------
    dict
        ``{"device", "device_source", "weibull", "let", "raw", <kind>: {"estimate", "low",
        "high"}}``, cm^2 per device; ``raw`` is ``bits x sigma_bit`` (every upset visible).
    """
    w = device.weibull
    out = {"device": device.name, "device_source": device.source,
           "weibull": {"sigma_sat_cm2": w.sigma_sat_cm2, "let_th": w.let_th, "width": w.width,
                       "shape": w.shape, "fom": w.fom},
           "let": [float(x) for x in let],
           "raw": [float(bits * s * derating) for s in w.cross_section(let)]}
    for kind, a in avfs.items():
        c = device_cross_section([Structure(kind, bits, a, w)], let)
        out[kind] = {k: [float(v * derating) for v in c[k]] for k in ("estimate", "low", "high")}
    return out


def summarize(db_path: Path, orbits: Sequence[str | float] = DEFAULT_ORBITS,
              confidence: float | None = None, hang_as: str = "due",
              crash_as: str = "due", device: Device | None = None,
              set_pulse_width_s: float = DEFAULT_SET_PULSE_WIDTH_S,
              clock_period_s: float = DEFAULT_CLOCK_PERIOD_S) -> dict:
    """A JSON-able summary of one campaign database (finished or not).

    ``orbits`` are preset names or rates (:func:`fault_campaigns.stats.orbit`); ``device``
    (default :data:`golden_models.radiation.DEFAULT_DEVICE`) is the Weibull fit the preset
    rates and the predicted cross-section (``"cross_section"``) are computed for.
    ``set_pulse_width_s`` and ``clock_period_s`` give the latching-window derating of a
    transient (``set``) campaign's rates (module docstring); other models ignore them.

    Raises
    ------
    ValueError
        A pulse width or clock period that is not a positive finite number.
    """
    derating = set_derating(set_pulse_width_s, clock_period_s)
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
        observed = db.observed() if "network" in ident["workload"]["params"] else None
    if ident["model"] != "set":
        derating = 1.0
    confidence = spec["confidence"] if confidence is None else confidence
    bits_of: dict[str, int] = defaultdict(int)
    bits_of_structure: dict[str, int] = defaultdict(int)
    kind_bits: dict[str, int] = defaultdict(int)
    for t in targets:
        bits_of[t["module"]] += t["width"] * t["depth"]
        bits_of_structure[structure(t["path"])] += t["width"] * t["depth"]
        kind_bits[t["kind"]] += t["width"] * t["depth"]
    per_cycle = _faults_per_bit(ident, design, len(results) == planned)

    def pop(bits: int) -> int | None:
        return None if per_cycle is None else bits * per_cycle

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
    overall = _rates(counts, confidence, hang_as, crash_as, pop(design["target_bits"]))
    summary = {
        "db": str(db_path), "workload": ident["workload"], "recipe": recipe,
        "model": ident["model"], "seed": ident["seed"], "planned": planned,
        "sampling": ident.get("sampling", "replacement"),
        "population": ident.get("population"), "at_cycles": ident.get("at_cycles"),
        "finite_population_correction": per_cycle is not None,
        "done": len(results), "complete": len(results) == planned,
        "golden_cycles": ident["golden_cycles"], "design": design,
        "confidence": confidence, "hang_as": hang_as, "crash_as": crash_as,
        "sim_cycles_per_injection": (sum(r["sim_cycles"] for r in results) / len(results)
                                     if results else None),
        "overall": overall,
        "by_kind": {k: _rates(c, confidence, hang_as, crash_as, pop(kind_bits[k]))
                    for k, c in sorted(per_kind.items())},
        "modules": {m: {"bits": bits_of.get(m, 0),
                        **_rates(per_module.get(m, Counter()), confidence, hang_as, crash_as,
                                 pop(bits_of[m]))}
                    for m in sorted(bits_of)},
        "structures": {m: {"bits": bits_of_structure[m],
                           **_rates(per_structure.get(m, Counter()), confidence, hang_as,
                                    crash_as, pop(bits_of_structure[m]))}
                       for m in sorted(bits_of_structure)},
        "sdc_magnitude": {"count": len(sdc_err), "max_err_max": max(sdc_err, default=0),
                          "max_err_median": sorted(sdc_err)[len(sdc_err) // 2] if sdc_err
                          else 0,
                          "wrong_mean": sum(sdc_wrong) / len(sdc_wrong) if sdc_wrong else 0},
        "messages": _messages(results),
        "orbits": {},
    }
    if ident["model"] == "set":
        summary["set_derating"] = {
            "pulse_width_s": set_pulse_width_s, "clock_period_s": clock_period_s,
            "derating": derating, "rule": "min(1, pulse width / clock period)",
            "applied_to": "orbit rates (FIT) and the predicted cross-section"}
    if results:
        whole = pop(design["target_bits"])
        a_sdc = avf(counts, "sdc", confidence, hang_as, crash_as, whole)
        a_due = avf(counts, "due", confidence, hang_as, crash_as, whole)
        dev = DEFAULT_DEVICE if device is None else device
        summary["cross_section"] = cross_section(design["target_bits"],
                                                 {"sdc": a_sdc, "due": a_due}, dev,
                                                 derating=derating)
        for o in orbits:
            ob = orbit(o, device)
            rows = {}
            for name, a in (("sdc", a_sdc), ("due", a_due)):
                r = failure_rate(design["target_bits"], ob, a, derating)
                rows[name] = {"per_day": r.per_day, "per_day_low": r.per_day_low,
                              "per_day_high": r.per_day_high, "fit": r.fit,
                              "fit_low": r.fit_low, "fit_high": r.fit_high}
            summary["orbits"][ob.name] = {"seu_per_bit_day": ob.seu_per_bit_day,
                                          "upsets_per_day": design["target_bits"]
                                          * ob.seu_per_bit_day * derating, **rows,
                                          "source": ob.source,
                                          "device": ob.device, "heavy_ion": ob.heavy_ion,
                                          "proton": ob.proton}
    if observed is not None:
        summary["network"] = _network_section(ident, design, results, observed, confidence,
                                              pop(design["target_bits"]), orbits, device)
    return summary


def network_effects(params: dict, results: list[dict], observed: dict) -> list:
    """The application-level :class:`~fault_campaigns.network_workload.Effect` of every
    result of a network campaign (``params``: its workload's), in order."""
    case = case_of(params)
    return [case.effect(r["outcome"], observed.get(r["id"])) for r in results]


def _network_section(ident: dict, design: dict, results: list[dict], observed: dict,
                     confidence: float, population: int | None, orbits, device) -> dict:
    params = ident["workload"]["params"]
    effects = network_effects(params, results, observed)
    n = len(results)
    counts = Counter(e.outcome for e in effects)

    def rate(k: int, trials: int = n, pop: int | None = population) -> dict:
        return proportion_dict(wilson(k, trials, confidence, pop))

    sdc = [e for e in effects if e.outcome in ("sdc_benign", "sdc_critical")]
    out = {"network": params["network"], "config": params["config"],
           "images": params["images"], "injections": n,
           "outcomes": {k: counts.get(k, 0) for k in (*OUTCOMES, *NETWORK_OUTCOMES)
                        if k != "sdc"},
           "approximate": sum(e.approximate for e in effects),
           "magnitude": {"count": len(sdc),
                         "max_delta_max": max((e.max_delta for e in sdc), default=0),
                         "max_delta_mean": (sum(e.max_delta for e in sdc) / len(sdc)
                                            if sdc else 0.0),
                         "mean_delta_mean": (sum(e.mean_delta for e in sdc) / len(sdc)
                                             if sdc else 0.0)},
           "orbits": {}, "layers": {}, "modules": {}, "classes": {}}
    if not n:
        return out
    out["rates"] = {k: rate(counts.get(k, 0)) for k in NETWORK_OUTCOMES}
    crit = wilson(counts.get("sdc_critical", 0), n, confidence, population)
    benign = wilson(counts.get("sdc_benign", 0), n, confidence, population)
    for o in orbits:
        ob = orbit(o, device)
        row = {}
        for name, a in (("critical", crit), ("benign", benign)):
            r = failure_rate(design["target_bits"], ob, a)
            row[name] = {"fit": r.fit, "fit_low": r.fit_low, "fit_high": r.fit_high,
                         "per_day": r.per_day}
        out["orbits"][ob.name] = row
    layers: dict[str, Counter] = defaultdict(Counter)
    for e in effects:
        if e.layer is not None:
            layers[e.layer][e.outcome] += 1
    out["layers"] = {k: {o: c.get(o, 0) for o in NETWORK_OUTCOMES} for k, c in
                     sorted(layers.items(), key=lambda kv: int(kv[0].split()[1]))}
    for key, group in (("modules", lambda r: structure(r["target"])),
                       ("classes", lambda r: target_class(r["target"], r["kind"]))):
        per: dict[str, Counter] = defaultdict(Counter)
        for r, e in zip(results, effects, strict=True):
            per[group(r)][e.outcome] += 1
        out[key] = {m: {"injections": sum(c.values()),
                        **{o: c.get(o, 0) for o in NETWORK_OUTCOMES},
                        "critical_rate": rate(c.get("sdc_critical", 0), sum(c.values()),
                                              None)}
                    for m, c in sorted(per.items())}
    return out
