"""The one report writer: rich tables on the terminal, JSON files, self-contained HTML pages.

The writer, used by every application (campaigns and suites, the gate, thermal scenarios,
benches, area):

* :class:`Table`: a title, columns and rows, given once and rendered both to the terminal
  (:meth:`Table.rich`) and into a page (:meth:`Table.html`); a :class:`Mark` cell carries a
  verdict (green or red in both).
* :class:`Page`: the page skeleton (title, headings, paragraphs, lists, tables, figures, raw
  data). Every piece of text is escaped here, once; nothing else writes HTML.
* :func:`new_figure` and :meth:`Page.figure`: a matplotlib figure (not tied to pyplot's global
  state) embedded as inline SVG.
* :func:`write_json`: every JSON file the applications write.

Pages carry no scripts and no external assets (styles inline, plots inline SVG), so a file
can be mailed or archived by CI on its own. Built on it: the campaign report
(:func:`summary_table`, :func:`campaign_page`, :func:`write_html`) and the thermal scenario
report (:func:`thermal_table`, :func:`write_thermal_html`).
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.table import Table as RichTable
from rich.text import Text

from fault_campaigns.stats import OUTCOMES
from golden_models.thermal_loop import celsius_of

from .thermal_checks import Limits

__all__ = ["Mark", "Table", "Page", "new_figure", "write_json", "write_tables", "fmt_prop",
           "summary_table", "derating_lines",
           "campaign_page", "write_html", "thermal_table", "write_thermal_html"]

_STYLE = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}"
          "table{border-collapse:collapse;font-size:85%;margin:0.5em 0}"
          "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
          "td.l,th.l{text-align:left}caption{font-weight:bold;text-align:left}"
          ".good{color:#2e7d32}.bad{color:#c62828;font-weight:bold}.warn{color:#ef6c00}"
          ".strong{font-weight:bold}"
          "pre{font-size:70%;max-height:30em;overflow:auto;background:#f6f6f6}")
_MARK_STYLE = {"good": "green", "bad": "bold red", "warn": "yellow", "strong": "bold"}
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


# --- the writer ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    """A table cell that stands out: ``kind`` ``"good"`` (green), ``"bad"`` (red), ``"warn"``
    (yellow) or ``"strong"`` (bold)."""

    text: str
    kind: str = "bad"

    def __post_init__(self):
        if self.kind not in _MARK_STYLE:
            raise ValueError(f"kind must be one of {', '.join(_MARK_STYLE)}, not {self.kind!r}")


@dataclass
class Table:
    """A table for the terminal and for pages.

    Members
    -------
    title : str or None
    columns : sequence of str
    rows : list of rows, each one cell per column: ``str``, a number (``str()`` of it) or a
        :class:`Mark`; a newline in a cell starts a new line in both renderings.
    left : the columns aligned left (default: the first); the others align right.
    header : show the column names (a table of name/value pairs may not need them).
    """

    title: str | None
    columns: Sequence[str]
    rows: list[list] = field(default_factory=list)
    left: Collection[str] | None = None
    header: bool = True

    def add_row(self, *cells) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"a row of {self.title!r} has {len(self.columns)} cells, "
                             f"not {len(cells)}")
        self.rows.append(list(cells))

    def _is_left(self, column: str) -> bool:
        return column in (self.columns[:1] if self.left is None else self.left)

    def rich(self) -> RichTable:
        """The table for a rich console; cell text is never read as rich markup."""
        table = RichTable(title=self.title, show_header=self.header)
        for col in self.columns:
            table.add_column(col, justify="left" if self._is_left(col) else "right")
        for row in self.rows:
            table.add_row(*(Text(c.text, style=_MARK_STYLE[c.kind]) if isinstance(c, Mark)
                            else Text(str(c)) for c in row))
        return table

    def html(self) -> str:
        def cell(tag: str, col: str, value) -> str:
            classes = ["l"] if self._is_left(col) else []
            if isinstance(value, Mark):
                classes.append(value.kind)
                value = value.text
            cls = f" class='{' '.join(classes)}'" if classes else ""
            return f"<{tag}{cls}>{_text(value)}</{tag}>"

        caption = f"<caption>{_text(self.title)}</caption>" if self.title else ""
        head = ("<thead><tr>" + "".join(cell("th", c, c) for c in self.columns)
                + "</tr></thead>") if self.header else ""
        body = "".join("<tr>" + "".join(cell("td", c, v) for c, v in zip(self.columns, row,
                                                                      strict=True)) + "</tr>"
                       for row in self.rows)
        return f"<table>{caption}{head}<tbody>{body}</tbody></table>"


def _text(value) -> str:
    """The one escaping of text into a page."""
    return html.escape(str(value)).replace("\n", "<br>")


def new_figure(width: float, height: float, **subplots):
    """(figure, axes) of a matplotlib figure that no pyplot state holds (nothing to close);
    ``subplots`` go to :meth:`matplotlib.figure.Figure.subplots`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(**subplots)


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return _METADATA.sub("", text[text.index("<svg"):])


class Page:
    """One self-contained HTML page: sections are appended in order, :meth:`write` saves it."""

    def __init__(self, title: str):
        self.title = title
        self._parts = [f"<h1>{_text(title)}</h1>"]

    def heading(self, text: str) -> Page:
        self._parts.append(f"<h2>{_text(text)}</h2>")
        return self

    def paragraph(self, text: str) -> Page:
        self._parts.append(f"<p>{_text(text)}</p>")
        return self

    def items(self, items: Mapping[str, str]) -> Page:
        """A list of ``name: text`` items (the name in bold)."""
        self._parts.append("<ul>" + "".join(f"<li><b>{_text(k)}</b>: {_text(v)}</li>"
                                            for k, v in items.items()) + "</ul>")
        return self

    def table(self, table: Table, heading: str | None = None) -> Page:
        if heading:
            self.heading(heading)
        self._parts.append(table.html())
        return self

    def figure(self, fig, heading: str | None = None) -> Page:
        """Embed a matplotlib figure (:func:`new_figure`) as inline SVG."""
        if heading:
            self.heading(heading)
        self._parts.append(f"<div class='plot'>{_svg(fig)}</div>")
        return self

    def data(self, obj, heading: str = "Raw data") -> Page:
        """``obj`` as JSON, in a scrolling block."""
        self.heading(heading)
        self._parts.append(f"<pre>{html.escape(json.dumps(obj, indent=1))}</pre>")
        return self

    def html(self) -> str:
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_text(self.title)}"
                f"</title><style>{_STYLE}</style></head><body>{''.join(self._parts)}"
                "</body></html>")

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html())
        return path


def write_json(path: Path, obj, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON (parents created, newline at the end); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=indent) + "\n")
    return path


def write_tables(path: Path, title: str, tables: Sequence[Table], data=None,
                 notes: Sequence[str] = ()) -> Path:
    """A page of ``tables`` (benches, area): ``notes`` as paragraphs, then the tables, then
    ``data`` as raw JSON when given; returns the path."""
    page = Page(title)
    for note in notes:
        page.paragraph(note)
    for table in tables:
        page.table(table)
    if data is not None:
        page.data(data)
    return page.write(path)


# --- fault campaigns -------------------------------------------------------------------------

_COLOURS = {"masked": "#9e9e9e", "corrected": "#4caf50", "due": "#ff9800", "sdc": "#e53935",
            "hang": "#6a1b9a", "crash": "#212121"}


def fmt_prop(p: Mapping | None) -> str:
    """``estimate [low, high]`` of a proportion dict (:func:`fault_campaigns.summary.summarize`)."""
    if not p:
        return "-"
    fmt = ".4f" if p["high"] >= 0.01 else ".2e"
    return f"{p['estimate']:{fmt}} [{p['low']:{fmt}}, {p['high']:{fmt}}]"


def _fit(f: Mapping) -> str:
    return f"{f['fit']:.3g} [{f['fit_low']:.3g}, {f['fit_high']:.3g}]"


def summary_table(summaries: Mapping[str, Mapping], orbit: str = "leo400",
                  errors: Mapping[str, str] | None = None) -> RichTable:
    """The terminal table: one row per campaign (label -> summary), then one per profile of
    ``errors`` (label -> why it did not run), with an ``error`` column."""
    columns = ["profile", "injections", *OUTCOMES, "SDC AVF", "DUE AVF", f"SDC FIT ({orbit})"]
    table = Table("Fault campaign summary (Wilson 95 % intervals)",
                  [*columns, "error"] if errors else columns, left=("profile", "error"))
    for label, s in summaries.items():
        ov = s["overall"]
        fit = s["orbits"].get(orbit, {}).get("sdc")
        table.add_row(label, f"{s['done']}/{s['planned']}",
                      *(ov["outcomes"][o] for o in OUTCOMES), fmt_prop(ov.get("sdc_avf")),
                      fmt_prop(ov.get("due_avf")), _fit(fit) if fit else "-",
                      *([""] if errors else []))
    for label, message in (errors or {}).items():
        table.add_row(label, Mark("FAILED"), *("-" for _ in columns[2:]), Mark(message))
    return table.rich()


def derating_lines(summaries: Mapping[str, Mapping]) -> list[str]:
    """One line per transient (``set``) campaign among ``summaries``: the latching-window
    derating its FIT and cross-section carry (:func:`fault_campaigns.stats.set_derating`)."""
    out = []
    for label, s in summaries.items():
        d = s.get("set_derating")
        if d:
            out.append(f"{label}: SET rates derated by the latching window, min(1, pulse width "
                       f"{d['pulse_width_s'] * 1e12:g} ps / clock period "
                       f"{d['clock_period_s'] * 1e9:g} ns) = {d['derating']:.3g}, applied to "
                       f"{d['applied_to']}")
    return out


def network_tables(summaries: Mapping[str, Mapping], modules: bool = False) -> list[Table]:
    """The application-level tables of the network campaigns among ``summaries`` (those
    with a ``network`` section, :mod:`fault_campaigns.network_workload`): outcomes, benign
    and critical SDC rates with intervals, score error magnitude and critical FIT per orbit;
    then per layer and per kind of target (and per module with ``modules``). Empty when
    none is a network campaign."""
    nets = {k: s["network"] for k, s in summaries.items() if s.get("network")}
    if not nets:
        return []
    main = Table("Network campaign: what the upsets did to the answer (Wilson intervals)",
                 ["profile", "network", "injections", "masked+corrected", "DUE+hang+crash",
                  "SDC hidden", "SDC benign", "SDC critical", "benign rate", "critical rate",
                  "max |d| (LSB)", "mean |d|"], left=("profile", "network"))
    orbits = sorted({o for v in nets.values() for o in v["orbits"]})
    fits = Table("Critical and benign SDC FIT per orbit (target bits x rate x SDC rate)",
                 ["profile", *(f"critical ({o})" for o in orbits),
                  *(f"benign ({o})" for o in orbits)], left=("profile",))
    layers = Table("SDC per layer (first layer whose C was wrong): hidden / benign / critical",
                   ["profile", "layer", "hidden", "benign", "critical"],
                   left=("profile", "layer"))
    kinds = Table("Per kind of target: injections, benign, critical, critical rate",
                  ["profile", "target", "injections", "benign", "critical", "critical rate"],
                  left=("profile", "target"))
    mods = Table("Per module (structure): injections, benign, critical, critical rate",
                 ["profile", "module", "injections", "benign", "critical", "critical rate"],
                 left=("profile", "module"))
    for label, v in nets.items():
        o = v["outcomes"]
        mag = v["magnitude"]
        main.add_row(label, f"{v['network']} x{v['images']} on {v['config']}", v["injections"],
                     o["masked"] + o["corrected"], o["due"] + o["hang"] + o["crash"],
                     o["sdc_hidden"], o["sdc_benign"], o["sdc_critical"],
                     fmt_prop(v.get("rates", {}).get("sdc_benign")),
                     fmt_prop(v.get("rates", {}).get("sdc_critical")),
                     mag["max_delta_max"], f"{mag['mean_delta_mean']:.2f}")
        fits.add_row(label, *(_fit(v["orbits"][x][k]) if x in v["orbits"] else "-"
                              for k in ("critical", "benign") for x in orbits))
        for layer, c in v["layers"].items():
            layers.add_row(label, layer, c["sdc_hidden"], c["sdc_benign"], c["sdc_critical"])
        for kind, c in v["classes"].items():
            kinds.add_row(label, kind, c["injections"], c["sdc_benign"], c["sdc_critical"],
                          fmt_prop(c["critical_rate"]))
        for m, c in v["modules"].items():
            mods.add_row(label, m, c["injections"], c["sdc_benign"], c["sdc_critical"],
                         fmt_prop(c["critical_rate"]))
    return [main, fits, layers, kinds, *([mods] if modules else [])]


def calibration_table(data: Mapping) -> Table:
    """The RTL campaign, the calibrated and the naive model-level injector side by side
    (:func:`fault_campaigns.calibrated.compare`)."""
    table = Table(f"{data['network']} on {data['config']}: RTL against model-level injectors "
                  "(Wilson 95 %)", ["injector", "injections", "images", "benign rate",
                                    "critical rate", "hidden rate", "CPU s / injection"],
                  left=("injector",))
    for name in ("rtl", "calibrated", "naive"):
        v = data[name]
        cpu = v.get("cpu_seconds_per_injection")
        table.add_row(name, v["injections"], v.get("images", data["batch"]),
                      fmt_prop(v["sdc_benign"]), fmt_prop(v["sdc_critical"]),
                      fmt_prop(v["sdc_hidden"]), f"{cpu:.2e}" if cpu is not None else "-")
    return table


def _campaign_plots(page: Page, summaries: Mapping[str, Mapping]) -> None:
    labels = list(summaries)
    # 1. outcomes per profile (fractions, stacked)
    fig, ax = new_figure(7, 0.6 + 0.5 * len(labels))
    left = [0.0] * len(labels)
    for o in OUTCOMES:
        vals = [s["overall"]["outcomes"][o] / max(s["done"], 1) for s in summaries.values()]
        ax.barh(labels, vals, left=left, color=_COLOURS[o], label=o)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of injections")
    ax.legend(ncol=len(OUTCOMES), loc="upper center",
              bbox_to_anchor=(0.5, -0.35 if len(labels) < 3 else -0.15), frameon=False)
    page.figure(fig, "Outcomes per profile")
    # 2. SDC AVF per module with intervals, one panel per profile
    for label, s in summaries.items():
        mods = [(m, v) for m, v in s["modules"].items() if v.get("sdc_avf")]
        if not mods:
            continue
        mods.sort(key=lambda mv: -mv[1]["bits"])
        mods = mods[:24]  # the largest structures; the JSON has them all
        fig, ax = new_figure(7, 0.6 + 0.28 * len(mods))
        est = [v["sdc_avf"]["estimate"] for _, v in mods]
        lo = [v["sdc_avf"]["estimate"] - v["sdc_avf"]["low"] for _, v in mods]
        hi = [v["sdc_avf"]["high"] - v["sdc_avf"]["estimate"] for _, v in mods]
        ax.errorbar(est, range(len(mods)), xerr=[lo, hi], fmt="o", color=_COLOURS["sdc"],
                    capsize=3)
        ax.set_yticks(range(len(mods)), [f"{m} ({v['bits']} b)" for m, v in mods], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("SDC AVF (95 % Wilson interval)")
        page.figure(fig, f"SDC AVF per module: {label}")
    # 3. SDC FIT per orbit and profile
    orbits = sorted({o for s in summaries.values() for o in s["orbits"]})
    if orbits:
        fig, ax = new_figure(7, 3)
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
        page.figure(fig, "SDC failure rate per orbit")


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def _cross_section(page: Page, summaries: Mapping[str, Mapping]) -> None:
    """The predicted device cross-section (``summary["cross_section"]``) as a table and a
    log-log plot per profile, to compare with a heavy-ion beam test of the device."""
    for label, s in summaries.items():
        cs = s.get("cross_section")
        if not cs:
            continue
        w = cs["weibull"]
        page.paragraph(
            f"Predicted cross-section of {label}: sigma_dev(LET) = target bits x sigma_bit(LET) "
            f"x AVF, device {cs['device']} (Weibull sigma_sat {w['sigma_sat_cm2']:g} cm^2, "
            f"LET_th {w['let_th']:g}, W {w['width']:g}, s {w['shape']:g}): "
            f"{cs['device_source']}. Interval from the AVF's Wilson interval.")
        table = Table(None, ["LET (MeV cm2/mg)", "all upsets (cm2)", "SDC (cm2)", "DUE (cm2)"])
        for i, let in enumerate(cs["let"]):
            table.add_row(f"{let:g}", f"{cs['raw'][i]:.3g}",
                          *(f"{cs[k]['estimate'][i]:.3g} [{cs[k]['low'][i]:.3g}, "
                            f"{cs[k]['high'][i]:.3g}]" for k in ("sdc", "due")))
        page.table(table, f"Predicted device cross-section: {label}")
        fig, ax = new_figure(7, 3.5)
        let = np.asarray(cs["let"])
        pos = np.asarray(cs["raw"]) > 0
        ax.plot(let[pos], np.asarray(cs["raw"])[pos], color="#9e9e9e", ls="--",
                label="all upsets (AVF = 1)")
        for kind in ("sdc", "due"):
            est, low, high = (np.asarray(cs[kind][k]) for k in ("estimate", "low", "high"))
            if not np.any(high[pos] > 0):
                continue
            ax.fill_between(let[pos], np.maximum(low[pos], 1e-30), high[pos],
                            color=_COLOURS[kind], alpha=0.25)
            if np.any(est[pos] > 0):
                ax.plot(let[pos & (est > 0)], est[pos & (est > 0)], color=_COLOURS[kind],
                        label=f"{kind.upper()} ({s['confidence'] * 100:g} % band)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("LET (MeV cm^2/mg)")
        ax.set_ylabel("device cross-section (cm^2)")
        ax.legend(fontsize=7)
        page.figure(fig, f"Predicted device cross-section: {label}")


def campaign_page(summaries: Mapping[str, Mapping], title: str = "orbitbench fault campaign",
                  errors: Mapping[str, str] | None = None,
                  verdict: Mapping | None = None) -> Page:
    """The report page of several campaigns (label -> summary); ``errors`` (label -> message)
    lists the profiles that did not run; ``verdict`` (``{"passed": bool, "reasons": [str]}``,
    the gate's) heads the page. Callers may append sections before writing it."""
    page = Page(title).paragraph(
        "Every rate carries a Wilson interval at the campaign's confidence level. AVF = "
        "fraction of injections (uniform over target bits and workload cycles) with that "
        "outcome; hangs and crashes (the design's own traps) count as DUE. FIT = failures "
        "per 1e9 device-hours = target bits x orbit upset rate x AVF.")
    if verdict is not None:
        page.table(Table(None, ["verdict", "reason"],
                         [[Mark("PASSED", "good") if verdict["passed"] else Mark("FAILED"), r]
                          for r in verdict["reasons"] or ["-"]], left=("verdict", "reason")),
                   "Verdict")
    if errors:
        page.table(Table(None, ["profile", "error"], [[k, Mark(v)] for k, v in errors.items()]),
                   "Profiles that did not run")
    table = Table(None, ["profile", "workload", "model", "injections", "target bits", "cycles",
                         *OUTCOMES, "SDC AVF", "DUE AVF"], left=("profile", "workload"))
    for label, s in summaries.items():
        ov = s["overall"]
        table.add_row(label, s["workload"]["name"], s["model"], f"{s['done']}/{s['planned']}",
                      s["design"]["target_bits"], s["golden_cycles"],
                      *(ov["outcomes"][o] for o in OUTCOMES), fmt_prop(ov.get("sdc_avf")),
                      fmt_prop(ov.get("due_avf")))
    page.table(table, "Summary")
    for t in network_tables(summaries, modules=True):
        page.table(t, t.title)
    table = Table(None, ["profile", "orbit", "device", "SEU/bit/day", "heavy ions", "protons",
                         "upsets/day", "SDC FIT", "DUE FIT"], left=("profile", "orbit", "device"))
    for label, s in summaries.items():
        for o, v in s["orbits"].items():
            table.add_row(label, o, v.get("device") or "(measured)",
                          f"{v['seu_per_bit_day']:.3g}", _g(v.get("heavy_ion")),
                          _g(v.get("proton")), f"{v['upsets_per_day']:.3g}", _fit(v["sdc"]),
                          _fit(v["due"]))
    page.table(table, "Failure rates per orbit")
    for line in derating_lines(summaries):
        page.paragraph(line)
    page.paragraph("Sources of each orbit's rate (environment, then device):")
    page.items({o: v["source"] for s in summaries.values() for o, v in s["orbits"].items()})
    if summaries:
        _campaign_plots(page, summaries)
        _cross_section(page, summaries)
    for label, s in summaries.items():
        page.table(Table(None, ["module", "bits", "injections", *OUTCOMES, "SDC AVF",
                                "DUE AVF"],
                         [[m, v["bits"], v["injections"], *(v["outcomes"][o] for o in OUTCOMES),
                           fmt_prop(v.get("sdc_avf")), fmt_prop(v.get("due_avf"))]
                          for m, v in s["modules"].items()]), f"Per module: {label}")
        if s.get("structures"):
            page.table(Table(None, ["structure", "bits", "injections", *OUTCOMES, "SDC AVF",
                                    "SDC AVF x bits"],
                             [[m, v["bits"], v["injections"],
                               *(v["outcomes"][o] for o in OUTCOMES),
                               fmt_prop(v.get("sdc_avf")),
                               f"{v['sdc_avf']['estimate'] * v['bits']:.3g}"
                               if v.get("sdc_avf") else "-"]
                              for m, v in s["structures"].items()]),
                       f"Per structure: {label}")
    return page.data(summaries, "Raw summaries")


def write_html(path: Path, summaries: Mapping[str, Mapping],
               title: str = "orbitbench fault campaign",
               errors: Mapping[str, str] | None = None, verdict: Mapping | None = None) -> Path:
    """Write :func:`campaign_page` to ``path``; returns the path."""
    return campaign_page(summaries, title, errors, verdict).write(path)


# --- thermal scenarios -----------------------------------------------------------------------

def thermal_table(runs: Mapping[str, Mapping]) -> RichTable:
    """The terminal table of scenario runs (name -> run, :func:`.thermal.run_scenario`)."""
    table = Table("orbitbench thermal scenarios",
                  ["scenario", "mode", "config", "steps", "peak Tj", "max level", "shutdowns",
                   "GEMMs", "throughput lost", "checks", "wall"], left=("scenario", "checks"))
    for name, run in runs.items():
        tr = run["trace"]
        level = np.asarray(tr["level"])
        shutdowns = int(np.sum((level[1:] == 4) & (level[:-1] != 4)) + (level[:1] == 4).sum())
        failed = [c for c, ok, _ in run["checks"] if not ok]
        table.add_row(name, run["mode"], run["config"], len(level), f"{max(tr['die_c']):.1f} C",
                      int(level.max()), shutdowns, run["throughput"]["gemms"],
                      f"{run['throughput']['lost']:.1%}",
                      Mark("all pass", "good") if not failed else Mark(f"FAIL {', '.join(failed)}"),
                      f"{run['wall_s']:.0f} s")
    return table.rich()


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


def _thermal_plot(run: Mapping, lim: Limits):
    """Die, package and radiator temperature with the trip points, CRIT, the junction limit
    and the eclipses shaded; the throttle level of the RTL and of the reference controller;
    the throughput relative to an unthrottled run, per window."""
    tr = _decimate(run["trace"])
    t = np.asarray(tr["t_s"]) / 60.0
    fig, (ax_t, ax_l, ax_p) = new_figure(8, 6.5, nrows=3, sharex=True,
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
    return fig


def write_thermal_html(path: Path, runs: Mapping[str, Mapping], lim: Limits | None = None,
                       title: str = "orbitbench thermal scenarios") -> Path:
    """One report page of several scenario runs (keyed by name); returns the path."""
    lim = lim or Limits()
    page = Page(title).paragraph(
        "Closed loop: the RC network (die, package, radiator, space) is driven by the orbit's "
        "heat inputs and by the chip power computed from the tile's activity counters; the "
        "die temperature goes to the tile's sensor input once per step; GEMMs run back to "
        "back and every result is checked bit-exactly. Throughput is GEMMs completed relative "
        "to an unthrottled run of the same cycles. Grey bands: eclipse.")
    table = Table(None, ["scenario", "mode", "config", "orbits", "time scale", "steps",
                         "peak Tj (C)", "max level", "throttled", "GEMMs", "throughput lost",
                         "checks", "wall"])
    for name, run in runs.items():
        level = np.asarray(run["trace"]["level"])
        table.add_row(name, run["mode"], run["config"], f"{run['orbits']:g}",
                      f"{run['dt_s']:g} s = {run['cycles_per_step']} cycles", len(level),
                      f"{max(run['trace']['die_c']):.1f}", int(level.max()),
                      f"{np.mean(level > 0):.1%}", run["throughput"]["gemms"],
                      f"{run['throughput']['lost']:.1%}",
                      Mark("pass", "good") if run["passed"] else Mark("FAIL"),
                      f"{run['wall_s']:.0f} s")
    page.table(table, "Summary")
    for name, run in runs.items():
        page.heading(name).paragraph(run["description"])
        page.table(Table(None, ["check", "result", "detail"],
                         [[c, Mark("pass", "good") if ok else Mark("FAIL"), d]
                          for c, ok, d in run["checks"]], left=("check", "detail")))
        if run.get("upset"):
            page.paragraph("Upset: " + json.dumps(run["upset"]))
        page.figure(_thermal_plot(run, lim))
    return page.write(path)
