"""Campaign reports: rich tables on the terminal, one self-contained HTML file with plots.

The HTML embeds its plots as inline SVG (matplotlib, ``Agg``-free SVG backend), so the file
can be mailed or archived by CI on its own: no scripts, no external assets.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping
from pathlib import Path

from fault_campaigns.stats import OUTCOMES

__all__ = ["summary_table", "write_html", "fmt_prop"]

_COLOURS = {"masked": "#9e9e9e", "corrected": "#4caf50", "due": "#ff9800", "sdc": "#e53935",
            "hang": "#6a1b9a", "crash": "#212121"}


def fmt_prop(p: Mapping | None) -> str:
    if not p:
        return "-"
    fmt = ".4f" if p["high"] >= 0.01 else ".2e"
    return f"{p['estimate']:{fmt}} [{p['low']:{fmt}}, {p['high']:{fmt}}]"


def summary_table(summaries: Mapping[str, Mapping], orbit: str = "leo400"):
    """A rich Table: one row per campaign (profile)."""
    from rich.table import Table

    table = Table(title="Fault campaign summary (Wilson 95 % intervals)")
    table.add_column("profile")
    table.add_column("injections", justify="right")
    for o in OUTCOMES:
        table.add_column(o, justify="right")
    table.add_column("SDC AVF")
    table.add_column("DUE AVF")
    table.add_column(f"SDC FIT ({orbit})")
    for label, s in summaries.items():
        ov = s["overall"]
        fit = s["orbits"].get(orbit, {}).get("sdc")
        table.add_row(label, f"{s['done']}/{s['planned']}",
                      *(str(ov["outcomes"][o]) for o in OUTCOMES),
                      fmt_prop(ov.get("sdc_avf")), fmt_prop(ov.get("due_avf")),
                      f"{fit['fit']:.3g} [{fit['fit_low']:.3g}, {fit['fit_high']:.3g}]"
                      if fit else "-")
    return table


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _plots(summaries: Mapping[str, Mapping]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    labels = list(summaries)
    plots = []
    # 1. outcomes per profile (fractions, stacked)
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * len(labels)))
    left = [0.0] * len(labels)
    for o in OUTCOMES:
        vals = [s["overall"]["outcomes"][o] / max(s["done"], 1) for s in summaries.values()]
        ax.barh(labels, vals, left=left, color=_COLOURS[o], label=o)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of injections")
    ax.legend(ncol=len(OUTCOMES), loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(labels) < 3
                                                            else -0.15), frameon=False)
    plots.append(("Outcomes per profile", _svg(fig)))
    # 2. SDC AVF per module with intervals, one panel per profile
    for label, s in summaries.items():
        mods = [(m, v) for m, v in s["modules"].items() if v.get("sdc_avf")]
        if not mods:
            continue
        mods.sort(key=lambda mv: -mv[1]["bits"])
        mods = mods[:24]  # the largest structures; the JSON has them all
        fig, ax = plt.subplots(figsize=(7, 0.6 + 0.28 * len(mods)))
        names = [f"{m} ({v['bits']} b)" for m, v in mods]
        est = [v["sdc_avf"]["estimate"] for _, v in mods]
        lo = [v["sdc_avf"]["estimate"] - v["sdc_avf"]["low"] for _, v in mods]
        hi = [v["sdc_avf"]["high"] - v["sdc_avf"]["estimate"] for _, v in mods]
        ax.errorbar(est, range(len(mods)), xerr=[lo, hi], fmt="o", color=_COLOURS["sdc"],
                    capsize=3)
        ax.set_yticks(range(len(mods)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("SDC AVF (95 % Wilson interval)")
        plots.append((f"SDC AVF per module: {label}", _svg(fig)))
    # 3. SDC FIT per orbit and profile
    orbits = sorted({o for s in summaries.values() for o in s["orbits"]})
    if orbits:
        fig, ax = plt.subplots(figsize=(7, 3))
        width = 0.8 / max(len(labels), 1)
        for i, (label, s) in enumerate(summaries.items()):
            xs = [k + i * width for k in range(len(orbits))]
            fits = [s["orbits"].get(o, {}).get("sdc") for o in orbits]
            est = [max(f["fit"], 1e-9) if f else 1e-9 for f in fits]
            err = [[(f["fit"] - f["fit_low"]) if f else 0 for f in fits],
                   [(f["fit_high"] - f["fit"]) if f else 0 for f in fits]]
            err[0] = [min(e, v - 1e-9) for e, v in zip(err[0], est, strict=True)]
            ax.bar(xs, est, width=width, yerr=err, capsize=2, label=label)
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(orbits))], orbits)
        ax.set_yscale("log")
        ax.set_ylabel("SDC FIT (failures / 1e9 h)")
        ax.legend(fontsize=7)
        plots.append(("SDC failure rate per orbit", _svg(fig)))
    return plots


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(path: Path, summaries: Mapping[str, Mapping], title: str = "orbitbench "
               "fault campaign") -> Path:
    """One self-contained HTML report of several campaigns (keyed by label)."""
    parts = [f"<h1>{html.escape(title)}</h1>",
             "<p>Every rate carries a Wilson interval at the campaign's confidence level. "
             "AVF = fraction of injections (uniform over target bits and workload cycles) "
             "with that outcome; hangs and crashes (the design's own traps) count as DUE. "
             "FIT = failures per 1e9 device-hours = target bits x orbit upset rate x AVF."
             "</p>"]
    rows = []
    for label, s in summaries.items():
        ov = s["overall"]
        rows.append([label, s["workload"]["name"], s["model"], f"{s['done']}/{s['planned']}",
                     s["design"]["target_bits"], s["golden_cycles"],
                     *(ov["outcomes"][o] for o in OUTCOMES),
                     fmt_prop(ov.get("sdc_avf")), fmt_prop(ov.get("due_avf"))])
    parts.append("<h2>Summary</h2>" + _table(
        ["profile", "workload", "model", "injections", "target bits", "cycles", *OUTCOMES,
         "SDC AVF", "DUE AVF"], rows))
    rows = []
    for label, s in summaries.items():
        for o, v in s["orbits"].items():
            rows.append([label, o, f"{v['seu_per_bit_day']:.3g}", f"{v['upsets_per_day']:.3g}",
                         f"{v['sdc']['fit']:.3g} [{v['sdc']['fit_low']:.3g}, "
                         f"{v['sdc']['fit_high']:.3g}]",
                         f"{v['due']['fit']:.3g} [{v['due']['fit_low']:.3g}, "
                         f"{v['due']['fit_high']:.3g}]"])
    parts.append("<h2>Failure rates per orbit</h2>" + _table(
        ["profile", "orbit", "SEU/bit/day", "upsets/day", "SDC FIT", "DUE FIT"], rows))
    sources = {o: v["source"] for s in summaries.values() for o, v in s["orbits"].items()}
    parts.append("<ul>" + "".join(f"<li><b>{html.escape(o)}</b>: {html.escape(src)}</li>"
                                  for o, src in sources.items()) + "</ul>")
    for heading, svg in _plots(summaries):
        parts.append(f"<h2>{html.escape(heading)}</h2><div class='plot'>{svg}</div>")
    for label, s in summaries.items():
        rows = [[m, v["bits"], v["injections"], *(v["outcomes"][o] for o in OUTCOMES),
                 fmt_prop(v.get("sdc_avf")), fmt_prop(v.get("due_avf"))]
                for m, v in s["modules"].items()]
        parts.append(f"<h2>Per module: {html.escape(label)}</h2>" + _table(
            ["module", "bits", "injections", *OUTCOMES, "SDC AVF", "DUE AVF"], rows))
    parts.append("<h2>Raw summaries</h2><pre>" + html.escape(json.dumps(summaries, indent=1))
                 + "</pre>")
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}"
             "table{border-collapse:collapse;font-size:85%}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}pre{font-size:70%;max-height:30em;"
             "overflow:auto;background:#f6f6f6}")
    text = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
