"""Running an exploration: cheap metrics everywhere, campaigns where they can decide.

1. Per design (one RTL build each): area (Yosys), the workload on the RTL (cycles, activity
   counters, bit-exact check). Per point: the throttle loop's periodic steady state, the
   scrub-accumulation FIT (ECC).
2. Per design: an upset campaign of ``campaign.initial`` injections.
3. Rounds: the front with intervals; every design with a point on it whose SDC interval
   still overlaps another front design's has its campaign doubled (up to ``campaign.max``);
   until no campaign grows.

Everything is cached (:mod:`.cache`), so a killed run resumes where it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from golden_models.power import PowerParams

from . import measure
from .cache import MetricCache, cpu_seconds
from .pareto import Interval, front, overlaps
from .safety import safety
from .space import Design, Point, Space

__all__ = ["OBJECTIVES", "NETWORK_OBJECTIVES", "METRIC_LABELS", "explore", "point_metrics",
           "objectives_of", "trades"]

#: What the front minimises (a GEMM workload; a network's: :data:`NETWORK_OBJECTIVES`).
OBJECTIVES = ("cells", "energy_j", "latency_s", "sdc_per_ginf", "due_per_ginf")
#: With a network the failure that counts is a changed answer (an SDC that changed some
#: image's top-1 class, ``sdc_critical``), not any wrong word.
NETWORK_OBJECTIVES = ("cells", "energy_j", "latency_s", "critical_per_ginf", "due_per_ginf")
METRIC_LABELS = {
    "cells": "Yosys cells", "ff_bits": "flip-flop bits", "mem_bits": "memory bits",
    "energy_j": "energy per inference (J)", "latency_s": "time per inference, throttled (s)",
    "sdc_fit": "SDC FIT", "due_fit": "DUE FIT",
    "sdc_per_ginf": "SDC per 1e9 inferences", "due_per_ginf": "DUE per 1e9 inferences",
    "critical_fit": "changed-answer FIT", "critical_per_ginf": "changed answers per 1e9 inferences",
    "accuracy": "top-1 accuracy, fault-free (RTL)",
    "accuracy_upset": "top-1 accuracy with one upset per inference",
    "p_changed": "P(answer changed | one upset)",
}


def _exact(x: float) -> Interval:
    return (float(x), float(x), float(x))


def _fit(camp: dict, orbit: str, kind: str) -> Interval:
    r = camp["orbits"][orbit][kind]
    return (r["fit"], r["fit_low"], r["fit_high"])


def objectives_of(space: Space) -> tuple[str, ...]:
    return NETWORK_OBJECTIVES if space.network is not None else OBJECTIVES


def point_metrics(point: Point, area: dict, rtl: dict, camp: dict, therm: dict,
                  scrub: dict | None, orbit: str, base_area: dict | None = None
                  ) -> dict[str, Interval]:
    """Every metric of a point as ``(value, low, high)``.

    With a network campaign also: ``critical_fit`` / ``critical_per_ginf`` (changed
    answers; the scrub model's SDCs are counted as changed answers too, the worst case),
    ``p_changed`` (the share of upsets that changed some image's class), ``accuracy`` (the
    RTL's on the test split) and ``accuracy_upset`` = accuracy - p_changed (an upset in
    every inference, each changed answer counted wrong: at most one wrong image per
    upset is assumed, see docs/explore.md)."""
    cfg = point.design.cfg
    scale = area["cells"] / base_area["cells"] if base_area else 1.0
    el = measure.energy_latency(cfg, rtl, point.dvfs_level, therm["die_mean_c"], PowerParams(),
                                leak_scale=scale)
    latency = el["seconds"] / therm["throughput"]  # throttled: fewer inferences per second
    out: dict[str, Interval] = {
        "cells": _exact(area["cells"]), "ff_bits": _exact(area["ff_bits"]),
        "mem_bits": _exact(area["mem_bits"]), "energy_j": _exact(el["energy_j"]),
        "latency_s": _exact(latency), "mac_utilisation": _exact(el["mac_utilisation"]),
        "throughput": _exact(therm["throughput"]), "leak_scale": _exact(scale),
    }
    for kind in ("sdc", "due"):
        v, lo, hi = _fit(camp, orbit, kind)
        if scrub is not None:
            sv, slo, shi = scrub[kind]
            v, lo, hi = v + sv, lo + slo, hi + shi
        out[f"{kind}_fit"] = (v, lo, hi)
        # FIT counts failures per 1e9 device-hours; per 1e9 inferences of `latency` seconds:
        k = latency / 3600.0
        out[f"{kind}_per_ginf"] = (v * k, lo * k, hi * k)
    if camp.get("network") is not None:
        r = camp["network"]["orbits"][orbit]["critical"]
        v, lo, hi = r["fit"], r["fit_low"], r["fit_high"]
        if scrub is not None:
            sv, slo, shi = scrub["sdc"]
            v, lo, hi = v + sv, lo + slo, hi + shi
        out["critical_fit"] = (v, lo, hi)
        k = latency / 3600.0
        out["critical_per_ginf"] = (v * k, lo * k, hi * k)
        p = camp["network"]["rates"]["sdc_critical"]
        out["p_changed"] = (p["estimate"], p["low"], p["high"])
        acc = float(rtl["accuracy"])
        out["accuracy"] = _exact(acc)
        out["accuracy_upset"] = (acc - p["estimate"], acc - p["high"], acc - p["low"])
    return out


class _Log:
    def __init__(self, say: Callable[[str], None]):
        self.say, self.t0 = say, time.perf_counter()

    def __call__(self, text: str) -> None:
        self.say(f"[{time.perf_counter() - self.t0:7.1f} s] {text}")


def explore(space: Space, out: Path, *, workers: int = 1, build_root: Path,
            say: Callable[[str], None] = print, progress=None, executor: str = "local",
            address: str | None = None) -> dict:
    """Run (or resume) the exploration of ``space``; results in ``out/explore.db``.
    Campaigns run on ``workers`` local processes, or on Dask (``executor="dask"``, a
    LocalCluster of ``workers`` or the scheduler at ``address``) as ``orbitbench campaign``'s
    do."""
    out = Path(out)
    log = _Log(say)
    cpu0 = cpu_seconds()
    gemm0 = list(space.gemms[0])
    objectives = objectives_of(space)
    failure = objectives[3]  # the failure rate whose interval decides a campaign's growth
    with MetricCache(out / "explore.db") as cache:
        areas, base_areas, rtls, heat_gemm = {}, {}, {}, {}
        for i, d in enumerate(space.designs, 1):
            log(f"design {i}/{len(space.designs)} {d.label}: area, RTL run")
            areas[d.key] = cache.compute("area", d.key, lambda d=d: measure.area(d.cfg))
            base = Design(measure.unhardened(d.cfg), registered=False)
            base_areas[d.key] = cache.compute("area", base.key,
                                              lambda b=base: measure.area(b.cfg))
            if space.network is not None:
                rtls[d.key] = cache.compute(
                    "network_rtl", [d.key, space.network],
                    lambda d=d: measure.network_run(d, space.network, build_root))
                heat_gemm[d.key] = list(measure.dominant_gemm(space.gemms_of(d)))
            else:
                rtls[d.key] = cache.compute(
                    "rtl", [d.key, space.workload_key],
                    lambda d=d: measure.rtl_run(d, space.gemms, space.seed, build_root))
                heat_gemm[d.key] = gemm0
        therms, scrubs = {}, {}
        for p in space.points:
            c = p.design.cfg
            g = heat_gemm[p.design.key]
            tkey = [c.rows, c.cols, g, list(p.trip_c), p.dvfs_level, space.thermal,
                    measure.THERMAL_TOLERANCE_C]
            therms[p] = cache.compute("thermal", tkey, lambda c=c, p=p, g=g: measure.thermal(
                c, g, p.trip_c, p.dvfs_level, space.thermal))
            if p.scrub_interval is not None:
                skey = [p.design.key, p.scrub_interval, space.orbit]
                scrubs[p] = cache.compute("scrub", skey, lambda c=c, p=p: measure.scrub_fit(
                    c, p.scrub_interval, space.orbit))
        log(f"cheap metrics of {len(space.points)} points done")

        sizes = {d.key: space.initial for d in space.designs}
        camps: dict[str, dict] = {}

        def run_campaigns(which: list[Design]) -> None:
            for d in which:
                n = sizes[d.key]
                log(f"campaign {d.label}: {n} injections")
                key = [d.key, space.workload_key, space.model, space.campaign_seed,
                       space.max_injections, space.confidence, n]
                camps[d.key] = cache.compute("campaign", key, lambda d=d, n=n: measure.campaign(
                    d, gemm0, space.seed, model=space.model, plan_size=space.max_injections,
                    injections=n, campaign_seed=space.campaign_seed,
                    confidence=space.confidence, out=out, build_root=build_root,
                    workers=workers, progress=progress, network=space.network,
                    images=space.images, executor=executor, address=address))

        run_campaigns(list(space.designs))
        stucks: dict[str, dict] = {}
        if space.stuck:
            for d in space.designs:
                log(f"stuck-at campaign {d.label}: {space.stuck} injections (latent faults)")
                key = [d.key, space.workload_key, space.campaign_seed, space.stuck]
                stucks[d.key] = cache.compute("stuck", key, lambda d=d: measure.campaign(
                    d, gemm0, space.seed, model="stuck", plan_size=space.stuck,
                    injections=space.stuck, campaign_seed=space.campaign_seed,
                    confidence=space.confidence, out=out, build_root=build_root,
                    workers=workers, progress=progress, network=space.network,
                    images=space.images, executor=executor, address=address))
        rounds = 0
        while True:
            metrics = [point_metrics(p, areas[p.design.key], rtls[p.design.key],
                                     camps[p.design.key], therms[p], scrubs.get(p),
                                     space.orbit, base_areas[p.design.key])
                       for p in space.points]
            dominated = front(metrics, objectives)
            on = [i for i, dom in enumerate(dominated) if not dom]
            grow = []
            for i in on:
                d = space.points[i].design
                if d in grow or sizes[d.key] >= space.max_injections:
                    continue
                if any(space.points[j].design != d
                       and overlaps(metrics[i][failure], metrics[j][failure])
                       for j in on):
                    grow.append(d)
            if not grow:
                break
            rounds += 1
            for d in grow:
                sizes[d.key] = min(2 * sizes[d.key], space.max_injections)
            log(f"round {rounds}: {len(on)} points on the front; growing "
                f"{len(grow)} campaigns whose intervals overlap")
            run_campaigns(grow)
        spots: dict[Point, dict] = {}
        eligible = sorted(
            (p for i, p in enumerate(space.points) if not dominated[i]
             and p.dvfs_level == 0 and p.trip_c == measure.SPOT_TRIPS),
            key=lambda p: (therms[p]["throughput"], areas[p.design.key]["cells"]))
        seen: set[str] = set()
        for p in eligible:
            if len(seen) >= space.thermal_rtl or p.design.key in seen:
                continue
            seen.add(p.design.key)
            g = heat_gemm[p.design.key]
            log(f"thermal spot check on the RTL: {p.label} (one orbit, closed loop)")
            spots[p] = cache.compute(
                "thermal_rtl", [p.design.key, g, space.thermal, measure.THERMAL_TOLERANCE_C],
                lambda p=p, g=g: measure.thermal_rtl(p.design, g, space.thermal,
                                                     _with_start(therms[p], p, g, space),
                                                     build_root))
        stats = {"computed": cache.computed, "reused": cache.reused, "rounds": rounds,
                 "cpu_s": cpu_seconds() - cpu0, "wall_s": time.perf_counter() - log.t0}
    rows = []
    for i, p in enumerate(space.points):
        d = p.design
        rows.append({
            "label": p.label, "design": d.cfg.as_dict(), "design_key": d.key,
            "registered": d.registered, "scrub_interval": p.scrub_interval,
            "dvfs_level": p.dvfs_level, "trip_c": list(p.trip_c),
            "metrics": {k: list(v) for k, v in metrics[i].items()},
            "safety": safety(d.cfg, camps[d.key], stucks.get(d.key), space.orbit,
                             scrubs.get(p), space.confidence),
            "dominated_by": [space.points[j].label for j in dominated[i]],
            "on_front": not dominated[i],
            "evidence": {"area": areas[d.key], "rtl": rtls[d.key],
                         "campaign": {k: v for k, v in camps[d.key].items() if k != "modules"},
                         "campaign_modules": camps[d.key]["modules"],
                         "thermal": therms[p], "scrub": scrubs.get(p),
                         "thermal_rtl": spots.get(p),
                         "stuck": ({k: v for k, v in stucks[d.key].items() if k != "modules"}
                                   if d.key in stucks else None)},
        })
    log(f"done: {sum(r['on_front'] for r in rows)} of {len(rows)} points on the front")
    return {"space": space.name, "orbit": space.orbit, "thermal": space.thermal,
            "gemms": [list(g) for g in space.gemms], "objectives": list(objectives),
            "network": space.network, "images": space.images if space.network else None,
            "model": space.model, "points": rows,
            "trades": {f: trades(rows, f) for f in
                       (("critical_per_ginf", "sdc_per_ginf") if space.network is not None
                        else ("sdc_per_ginf",))},
            "failure": failure, "run": stats,
            "thermal_spot_checks": [{"point": p.label, **v} for p, v in spots.items()]}


def _with_start(therm: dict, p: Point, gemm, space: Space) -> dict:
    """The thermal figure with its orbit's starting temperatures (a figure cached before
    they were recorded is recomputed: the model-only loop is cheap and deterministic)."""
    if "start_temps" in therm:
        return therm
    return measure.thermal(p.design.cfg, gemm, p.trip_c, p.dvfs_level, space.thermal)


def trades(rows: list[dict], failure: str) -> list[dict]:
    """Pairs of front points of different designs where A has surely fewer failures per
    inference than B (``failure`` intervals separated) at no more energy per inference:
    the choices that buy reliability, whatever they cost in cells (listed, with time).
    Sorted by A's extra cells over B's, the cheapest first."""
    on = [r for r in rows if r["on_front"]]
    out = []
    for a in on:
        for b in on:
            ma, mb = a["metrics"], b["metrics"]
            if a["design_key"] == b["design_key"]:
                continue
            if ma[failure][2] < mb[failure][1] and ma["energy_j"][0] <= mb["energy_j"][0]:
                out.append({"better": a["label"], "than": b["label"],
                            "cells": [ma["cells"][0], mb["cells"][0]],
                            failure: [ma[failure], mb[failure]],
                            "energy_j": [ma["energy_j"][0], mb["energy_j"][0]],
                            "latency_s": [ma["latency_s"][0], mb["latency_s"][0]]})
    out.sort(key=lambda t: (t["cells"][0] - t["cells"][1], t["energy_j"][0]))
    return out
