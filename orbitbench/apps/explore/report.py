"""An exploration's outputs: the front as a table, ``front.json`` and ``report.html``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orbitbench.apps.report import Mark, Page, Table, new_figure, write_json

from .run import METRIC_LABELS

__all__ = ["front_table", "safety_table", "budget_table", "trades_table", "spot_table",
           "write_report",
           "PLOTS",
           "NETWORK_PLOTS", "MAXIMISED"]

#: (x, y) metric pairs plotted, each with its own two-metric front marked.
PLOTS = (("cells", "sdc_fit"), ("sdc_per_ginf", "energy_j"), ("energy_j", "latency_s"))
#: With a network workload: the failures that change the answer, and accuracy.
NETWORK_PLOTS = (("cells", "critical_fit"), ("critical_per_ginf", "energy_j"),
                 ("energy_j", "accuracy_upset"), ("energy_j", "latency_s"))
#: Metrics where more is better (the plots' fronts take them the other way).
MAXIMISED = frozenset({"accuracy", "accuracy_upset"})


def _g(iv) -> str:
    v, lo, hi = iv
    return f"{v:.3g}" if lo == hi else f"{v:.3g} [{lo:.3g}, {hi:.3g}]"


def _pct(iv) -> str:
    if iv is None:
        return "n/a"
    v, lo, hi = iv
    return f"{100 * v:.2f} % [{100 * lo:.2f}, {100 * hi:.2f}]"


def front_table(result: Mapping, only_front: bool = True) -> Table:
    net = result.get("network") is not None
    cols = ["point", "cells", "FF bits", "energy/inf (J)", "time/inf (s)", "throttle thr.",
            "SDC FIT", "SDC / 1e9 inf", "DUE / 1e9 inf"]
    if net:
        cols += ["changed / 1e9 inf", "accuracy", "acc. 1 upset/inf"]
    cols += ["injections", "front"]
    t = Table(f"orbitbench explore {result['space']}: {result['orbit']}, thermal "
              f"{result['thermal']}" + (" (the front)" if only_front else ""), cols)
    for p in result["points"]:
        if only_front and not p["on_front"]:
            continue
        m = p["metrics"]
        extra = ([_g(m["critical_per_ginf"]), f"{100 * m['accuracy'][0]:.2f} %",
                  _pct(m["accuracy_upset"])] if net else [])
        t.add_row(p["label"], f"{m['cells'][0]:,.0f}", f"{m['ff_bits'][0]:,.0f}",
                  _g(m["energy_j"]), _g(m["latency_s"]), f"{m['throughput'][0]:.3f}",
                  _g(m["sdc_fit"]), _g(m["sdc_per_ginf"]), _g(m["due_per_ginf"]), *extra,
                  str(p["evidence"]["campaign"]["done"]),
                  Mark("yes", "good") if p["on_front"] else
                  f"dominated by {len(p['dominated_by'])}")
    return t


def _min(iv, name: str):
    """``iv`` as a minimised ``(value, low, high)``."""
    return (-iv[0], -iv[2], -iv[1]) if name in MAXIMISED else iv


def _front2(points, x: str, y: str) -> list[bool]:
    """On the two-metric front with intervals (:data:`MAXIMISED` ones taken as more is
    better, the others minimised)."""
    out = []
    for p in points:
        ax, ay = _min(p["metrics"][x], x), _min(p["metrics"][y], y)
        dominated = False
        for q in points:
            if q is p:
                continue
            bx, by = _min(q["metrics"][x], x), _min(q["metrics"][y], y)
            if (bx[2] <= ax[1] and by[2] <= ay[1]
                    and (bx[2] < ax[1] or by[2] < ay[1])):
                dominated = True
                break
        out.append(not dominated)
    return out


def _plot(points, x: str, y: str):
    fig, ax = new_figure(6.4, 4.4)
    on = _front2(points, x, y)
    for p, f in zip(points, on, strict=True):
        mx, my = p["metrics"][x], p["metrics"][y]
        ax.errorbar([mx[0]], [my[0]], xerr=[[mx[0] - mx[1]], [mx[2] - mx[0]]],
                    yerr=[[my[0] - my[1]], [my[2] - my[0]]], fmt="o" if f else "x",
                    color="tab:red" if f else "tab:gray", capsize=3, alpha=0.9)
        if f:
            ax.annotate(p["label"], (mx[0], my[0]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel(METRIC_LABELS.get(x, x))
    ax.set_ylabel(METRIC_LABELS.get(y, y))
    if y not in MAXIMISED and all(p["metrics"][y][1] > 0 for p in points):
        ax.set_yscale("log")
    ax.set_title(f"{METRIC_LABELS.get(y, y)} vs {METRIC_LABELS.get(x, x)}: red = front "
                 "(with intervals)", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def safety_table(result: Mapping) -> Table:
    """ISO 26262-style figures of every point (:mod:`.safety`)."""
    t = Table(f"Safety metrics at {result['orbit']} (ISO 26262-5 Annex C; docs/explore.md)",
              ["point", "DC SECDED", "DC TMR", "DC ABFT", "SPFM (transient)",
               "SPFM (stuck-at)", "LFM (stuck-at)", "residual FIT", "ASIL alone"])
    for p in result["points"]:
        s = p["safety"]
        dc = s["coverage"]
        t.add_row(p["label"], *(_pct(dc.get(m)) for m in ("SECDED", "TMR", "ABFT")),
                  _pct(s["spfm_transient"]), _pct(s["spfm_permanent"]), _pct(s["lfm"]),
                  _g(s["residual_fit"]), s["asil"])
    return t


def budget_table(point: Mapping) -> Table:
    """Where one point's FIT goes: per mechanism, raw FIT split by what its upsets did."""
    s = point["safety"]
    t = Table(f"FIT budget: {point['label']} ({s['orbit']}, {s['fit_per_bit']:.3g} FIT "
              "per bit)", ["covered by", "bits", "injections", "raw FIT", "safe FIT",
                           "detected FIT", "residual FIT", "DC"])

    def f(x):
        return "n/a" if x is None else f"{x:.3g}"

    for r in s["budget"]:
        t.add_row(r["mechanism"], f"{r['bits']:,}", str(r["injections"]), f(r["raw_fit"]),
                  f(r["safe_fit"]), f(r["detected_fit"]), f(r["residual_fit"]), _pct(r["dc"]))
    if "scrub_fit" in s:
        t.add_row("SECDED: 2 upsets between scrubs", "", "", "", "",
                  f"{s['scrub_fit']['due'][0]:.3g}", f"{s['scrub_fit']['sdc'][0]:.3g}", "")
    t.add_row("total", f"{s['bits']:,}", "", f(s["raw_fit"]), "", "",
              _g(s["residual_fit"]), "")
    return t


def trades_table(result: Mapping, failure: str, limit: int = 12) -> Table:
    """The front's trades on ``failure`` (:func:`.run.trades`): surely more reliable at no
    more energy."""
    rows = result["trades"][failure]
    t = Table(f"Trades on the front: surely fewer {METRIC_LABELS[failure]} at no more energy "
              f"per inference ({len(rows)} pairs; the fewest extra cells first)",
              ["design", "cells", METRIC_LABELS[failure], "energy/inf (J)", "time/inf (s)",
               "beats", "cells ", f"{METRIC_LABELS[failure]} ", "energy/inf (J) ",
               "time/inf (s) "])
    for tr in rows[:limit]:
        t.add_row(tr["better"], f"{tr['cells'][0]:,.0f}", _g(tr[failure][0]),
                  f"{tr['energy_j'][0]:.3g}", f"{tr['latency_s'][0]:.3g}", tr["than"],
                  f"{tr['cells'][1]:,.0f}", _g(tr[failure][1]), f"{tr['energy_j'][1]:.3g}",
                  f"{tr['latency_s'][1]:.3g}")
    return t


def spot_table(result: Mapping) -> Table:
    """The front points whose model-only thermal figure was re-run on the RTL."""
    t = Table("Thermal spot checks: the steady-state orbit in closed loop on the RTL",
              ["point", "throughput model", "throughput RTL", "difference", "die mean model",
               "die mean RTL", "GEMMs checked", "verdict"])
    for r in result.get("thermal_spot_checks", []):
        bad = ", ".join(r["checks_failed"])
        t.add_row(r["point"], f"{r['throughput_model']:.4f}", f"{r['throughput_rtl']:.4f}",
                  f"{r['difference']:.4f}", f"{r['die_mean_c_model']:.2f} degC",
                  f"{r['die_mean_c_rtl']:.2f} degC", str(r["gemms_checked"]),
                  Mark("agrees", "good") if r["agrees"] else
                  Mark(f"DISAGREES{': ' + bad if bad else ''}", "bad"))
    return t


def write_report(out: Path, result: Mapping) -> dict[str, Path]:
    out = Path(out)
    paths = {"json": write_json(out / "front.json", result)}
    page = Page(f"orbitbench explore: {result['space']}")
    page.paragraph(
        f"Orbit {result['orbit']}; thermal scenario {result['thermal']} (periodic steady "
        f"state); workload GEMMs {result['gemms']} (the first is the campaigns'); fault "
        f"model {result['model']}. A point is dominated only when the intervals say so "
        f"(docs/explore.md). Objectives, all minimised: "
        + ", ".join(METRIC_LABELS[o] for o in result["objectives"]) + ".")
    page.table(front_table(result, only_front=True), "The front")
    for i, failure in enumerate(result["trades"]):
        page.table(trades_table(result, failure), "Trades" if i == 0 else None)
    if result.get("thermal_spot_checks"):
        page.table(spot_table(result), "Thermal spot checks on the RTL")
    for x, y in (NETWORK_PLOTS if result.get("network") is not None else PLOTS):
        page.figure(_plot(result["points"], x, y))
    page.table(front_table(result, only_front=False), "Every point")
    page.table(safety_table(result), "Safety metrics")
    for p in result["points"]:
        if p["on_front"]:
            page.table(budget_table(p))
    page.data(result, "Every number, with the measurement that made it")
    paths["html"] = page.write(out / "report.html")
    return paths
