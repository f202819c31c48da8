"""Thermal scenario reports: a rich table on the terminal, one self-contained HTML file.

The HTML embeds its plots as inline SVG (matplotlib's SVG backend), like the fault campaign
report (:mod:`orbitbench.apps.report`): no scripts, no external assets. Per scenario: die,
package and radiator temperature with the trip points, CRIT, the junction limit and the
eclipses shaded; the throttle level decided by the RTL and by the reference controller; the
throughput relative to an unthrottled run, per window.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from golden_models.thermal_loop import celsius_of

from .thermal_checks import Limits

__all__ = ["summary_table", "write_html"]


def summary_table(runs: Mapping[str, Mapping]):
    from rich.table import Table

    table = Table(title="orbitbench thermal scenarios")
    for col in ("scenario", "mode", "config", "steps", "peak Tj", "max level", "shutdowns",
                "GEMMs", "throughput lost", "checks", "wall"):
        table.add_column(col, justify="left" if col in ("scenario", "checks") else "right")
    for name, run in runs.items():
        tr = run["trace"]
        level = np.asarray(tr["level"])
        shutdowns = int(np.sum((level[1:] == 4) & (level[:-1] != 4)) + (level[:1] == 4).sum())
        failed = [c for c, ok, _ in run["checks"] if not ok]
        table.add_row(name, run["mode"], run["config"], str(len(level)),
                      f"{max(tr['die_c']):.1f} C", str(int(level.max())), str(shutdowns),
                      str(run["throughput"]["gemms"]), f"{run['throughput']['lost']:.1%}",
                      "[green]all pass[/]" if not failed else f"[red]FAIL {', '.join(failed)}[/]",
                      f"{run['wall_s']:.0f} s")
    return table


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _decimate(trace: Mapping, points: int = 700) -> dict:
    """At most ``points`` samples per series for the plots (the JSON keeps every step):
    buckets of consecutive steps; temperatures and levels keep each bucket's maximum, so
    peaks and short throttling episodes stay visible."""
    n = len(trace["t_s"])
    size = max(1, -(-n // points))
    if size == 1:
        return dict(trace)
    stop = n - n % size
    out = {}
    for key in ("t_s", "die_c", "pkg_c", "rad_c", "code", "level", "ref_level", "eclipse"):
        arr = np.asarray(trace[key][:stop], dtype=np.float64).reshape(-1, size)
        out[key] = (arr[:, 0] if key == "t_s" else arr.max(axis=1)).tolist()
    out["eclipse"] = [bool(x) for x in out["eclipse"]]
    return out


def _plot(run: Mapping, lim: Limits) -> str:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    tr = _decimate(run["trace"])
    t = np.asarray(tr["t_s"]) / 60.0
    fig, (ax_t, ax_l, ax_p) = plt.subplots(3, 1, figsize=(8, 6.5), sharex=True,
                                           height_ratios=[3, 1.3, 1.3])
    eclipse = np.asarray(tr["eclipse"])
    if eclipse.any():
        for ax in (ax_t, ax_l, ax_p):
            ax.fill_between(t, 0, 1, where=eclipse, transform=ax.get_xaxis_transform(),
                            color="#dddddd", step="post", label=None)
    ax_t.plot(t, tr["die_c"], color="#c62828", lw=1, label="die (junction)")
    ax_t.plot(t, tr["pkg_c"], color="#ef6c00", lw=1, label="package")
    ax_t.plot(t, tr["rad_c"], color="#1565c0", lw=1, label="radiator")
    ax_t.plot(t, celsius_of(tr["code"]), color="#555555", lw=0.5, alpha=0.6, label="sensor")
    for i, trip in enumerate(lim.trips):
        ax_t.axhline(celsius_of(trip), color="#999999", ls=":", lw=0.8)
        ax_t.text(t[-1], celsius_of(trip), f" TRIP{i + 1}", fontsize=7, va="center")
    ax_t.axhline(celsius_of(lim.crit), color="#6a1b9a", ls="--", lw=0.8)
    ax_t.text(t[-1], celsius_of(lim.crit), " CRIT", fontsize=7, va="center")
    ax_t.axhline(run["junction_limit_c"], color="black", ls="-", lw=0.8)
    ax_t.text(t[-1], run["junction_limit_c"], " Tj limit", fontsize=7, va="center")
    lo = min(min(tr["rad_c"]), min(tr["die_c"])) - 5
    ax_t.set_ylim(lo, max(run["junction_limit_c"], max(tr["die_c"])) + 5)
    ax_t.set_ylabel("degC")
    ax_t.legend(fontsize=7, loc="lower left", ncol=4)
    ax_l.step(t, tr["level"], where="post", color="#2e7d32", lw=1.2, label="RTL")
    ax_l.step(t, tr["ref_level"], where="post", color="black", lw=0.6, ls="--",
              label="reference")
    ax_l.set_ylim(-0.3, 4.3)
    ax_l.set_yticks(range(5))
    ax_l.set_ylabel("level")
    ax_l.legend(fontsize=7, loc="upper left")
    tp = run["throughput"]
    w = tp["window"]
    if tp["per_window"]:
        tw = (np.arange(len(tp["per_window"])) * w + w / 2) * run["dt_s"] / 60.0
        ax_p.step(tw, tp["per_window"], where="mid", color="#1565c0")
    ax_p.set_ylim(0, 1.15)
    ax_p.set_ylabel("throughput")
    ax_p.set_xlabel("orbit time (min)")
    return _svg(fig)


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(path: Path, runs: Mapping[str, Mapping], lim: Limits | None = None,
               title: str = "orbitbench thermal scenarios") -> Path:
    """One self-contained HTML report of several scenario runs (keyed by name)."""
    lim = lim or Limits()
    parts = [f"<h1>{html.escape(title)}</h1>",
             "<p>Closed loop: the RC network (die, package, radiator, space) is driven by the "
             "orbit's heat inputs and by the chip power computed from the tile's activity "
             "counters; the die temperature goes to the tile's sensor input once per step; "
             "GEMMs run back to back and every result is checked bit-exactly. Throughput is "
             "GEMMs completed relative to an unthrottled run of the same cycles. Grey bands: "
             "eclipse.</p>"]
    rows = []
    for name, run in runs.items():
        level = np.asarray(run["trace"]["level"])
        rows.append([name, run["mode"], run["config"], f"{run['orbits']:g}",
                     f"{run['dt_s']:g} s = {run['cycles_per_step']} cycles", len(level),
                     f"{max(run['trace']['die_c']):.1f}", int(level.max()),
                     f"{np.mean(level > 0):.1%}", run["throughput"]["gemms"],
                     f"{run['throughput']['lost']:.1%}",
                     "pass" if run["passed"] else "FAIL", f"{run['wall_s']:.0f} s"])
    parts.append("<h2>Summary</h2>" + _table(
        ["scenario", "mode", "config", "orbits", "time scale", "steps", "peak Tj (C)",
         "max level", "throttled", "GEMMs", "throughput lost", "checks", "wall"], rows))
    for name, run in runs.items():
        parts.append(f"<h2>{html.escape(name)}</h2><p>{html.escape(run['description'])}</p>")
        parts.append(_table(["check", "result", "detail"],
                            [[c, "pass" if ok else "FAIL", d] for c, ok, d in run["checks"]]))
        if run.get("upset"):
            parts.append("<p>Upset: " + html.escape(json.dumps(run["upset"])) + "</p>")
        parts.append(f"<div class='plot'>{_plot(run, lim)}</div>")
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}"
             "table{border-collapse:collapse;font-size:85%}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}")
    text = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
