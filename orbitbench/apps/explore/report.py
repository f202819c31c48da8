"""An exploration's outputs: the front as a table, ``front.json`` and ``report.html``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orbitbench.apps.report import Mark, Page, Table, new_figure, write_json

from .run import METRIC_LABELS

__all__ = ["front_table", "write_report", "PLOTS"]

#: (x, y) metric pairs plotted, each with its own two-metric front marked.
PLOTS = (("cells", "sdc_fit"), ("sdc_per_ginf", "energy_j"), ("energy_j", "latency_s"))


def _g(iv) -> str:
    v, lo, hi = iv
    return f"{v:.3g}" if lo == hi else f"{v:.3g} [{lo:.3g}, {hi:.3g}]"


def front_table(result: Mapping, only_front: bool = True) -> Table:
    cols = ["point", "cells", "FF bits", "energy/inf (J)", "time/inf (s)", "throttle thr.",
            "SDC FIT", "SDC / 1e9 inf", "DUE / 1e9 inf", "injections", "front"]
    t = Table(f"orbitbench explore {result['space']}: {result['orbit']}, thermal "
              f"{result['thermal']}" + (" (the front)" if only_front else ""), cols)
    for p in result["points"]:
        if only_front and not p["on_front"]:
            continue
        m = p["metrics"]
        t.add_row(p["label"], f"{m['cells'][0]:,.0f}", f"{m['ff_bits'][0]:,.0f}",
                  _g(m["energy_j"]), _g(m["latency_s"]), f"{m['throughput'][0]:.3f}",
                  _g(m["sdc_fit"]), _g(m["sdc_per_ginf"]), _g(m["due_per_ginf"]),
                  str(p["evidence"]["campaign"]["done"]),
                  Mark("yes", "good") if p["on_front"] else
                  f"dominated by {len(p['dominated_by'])}")
    return t


def _front2(points, x: str, y: str) -> list[bool]:
    """On the two-metric front with intervals (both minimised)."""
    out = []
    for p in points:
        a = p["metrics"]
        dominated = False
        for q in points:
            b = q["metrics"]
            if q is p:
                continue
            if (b[x][2] <= a[x][1] and b[y][2] <= a[y][1]
                    and (b[x][2] < a[x][1] or b[y][2] < a[y][1])):
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
    if all(p["metrics"][y][1] > 0 for p in points):
        ax.set_yscale("log")
    ax.set_title(f"{METRIC_LABELS.get(y, y)} vs {METRIC_LABELS.get(x, x)}: red = front "
                 "(with intervals)", fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


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
    for x, y in PLOTS:
        page.figure(_plot(result["points"], x, y))
    page.table(front_table(result, only_front=False), "Every point")
    page.data(result, "Every number, with the measurement that made it")
    paths["html"] = page.write(out / "report.html")
    return paths
