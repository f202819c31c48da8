"""The report writer: tables for the terminal and for pages, self-contained HTML (inline SVG,
no scripts, no external assets, balanced tags, everything escaped) for campaigns and thermal
scenarios, JSON."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.recipes import from_recipe
from fault_campaigns.summary import summarize
from golden_models.thermal_loop import SCENARIOS
from orbitbench.apps.report import (
    Mark,
    Page,
    Table,
    campaign_page,
    new_figure,
    summary_table,
    thermal_table,
    write_json,
    write_tables,
    write_thermal_html,
)
from orbitbench.apps.thermal import run_scenario

REPO = Path(__file__).resolve().parents[2]
PROBE = {"kind": "verilog", "top": "avf_probe",
         "sources": [str(REPO / "examples" / "avf_probe" / "avf_probe.v")], "exclude": ["cnt"],
         "events": ["fixes:corrected", "err:detected"], "elem_bits": 8,
         "args": ["-GT=60", "-GL=40"]}
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source",
        "track", "wbr"}


class _Balance(HTMLParser):
    """Every element closed in order (void elements and ``<x/>`` excepted)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_self_contained(text: str) -> _Balance:
    """Valid and self-contained: a doctype, balanced tags, inline SVG, no script, no external
    asset (links, sources, imports, url(...) to another file)."""
    assert text.startswith("<!DOCTYPE html><html>")
    parser = _Balance()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, parser.stack
    assert "<svg" in text
    lowered = text.lower()
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|[\w./-]+\.\w+)""", lowered)
    assert not re.search(r"url\(\s*['\"]?(?!#)", lowered)  # only url(#id) inside the SVGs
    assert "http" not in re.sub(r'xmlns(?::\w+)?="[^"]*"', "", text)  # namespaces only
    return parser


def _rendered(table) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(table)
    return console.export_text()


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    """Two small campaigns of the analytic probe design (one engine build, cached)."""
    out = tmp_path_factory.mktemp("report")
    result = {}
    for label, model in (("seu <probe>", "seu"), ("mbu & co", "mbu")):
        db = out / f"{model}.db"
        run_campaign(CampaignSpec(from_recipe(PROBE), count=80, seed=5, model=model,
                                  recipe=PROBE), db, workers=1)
        result[label] = summarize(db)
    return result


def test_campaign_page_is_self_contained_html(summaries, tmp_path):
    errors = {"broken": "TargetError: include ['<nothing>'] selects none"}
    path = campaign_page(summaries, "nightly <&> report", errors).write(tmp_path / "r.html")
    text = path.read_text()
    parser = assert_self_contained(text)
    # outcomes, SDC AVF per profile, FIT per orbit, predicted cross-section per profile
    assert text.count("<svg") == 1 + 2 + 1 + 2
    assert text.count("Predicted device cross-section: ") >= 2 and "Petersen (1998)" in text
    assert {"table", "h2", "pre", "svg"} <= parser.tags
    assert "<title>nightly &lt;&amp;&gt; report</title>" in text
    assert "seu &lt;probe&gt;" in text and "mbu &amp; co" in text
    assert "<probe>" not in text and "['<nothing>']" not in text
    assert "Profiles that did not run" in text and "&lt;nothing&gt;" in text


def test_campaign_page_without_summaries(tmp_path):
    text = campaign_page({}, "all failed", {"a": "WorkloadError: x"}).html()
    assert "Profiles that did not run" in text and "<script" not in text


def test_summary_table_renders_every_profile_and_the_failed_ones(summaries):
    table = summary_table(summaries)
    assert table.row_count == 2
    text = _rendered(table)
    assert "seu <probe>" in text and "80/80" in text
    failed = summary_table(summaries, errors={"broken": "TargetError: [none] selected"})
    assert failed.row_count == 3 and failed.columns[-1].header == "error"
    text = _rendered(failed)
    assert "FAILED" in text and "[none] selected" in text  # not read as rich markup


def test_table_renders_the_same_cells_to_the_terminal_and_to_html():
    table = Table("t <1>", ["name", "value"], left=("name",))
    table.add_row("[bold]x[/bold]", 3)
    table.add_row("two\nlines", Mark("FAIL", "bad"))
    table.add_row("ok", Mark("pass", "good"))
    text = _rendered(table.rich())
    assert "[bold]x[/bold]" in text and "FAIL" in text and "lines" in text
    html = table.html()
    assert "<caption>t &lt;1&gt;</caption>" in html
    assert "<td class='l'>[bold]x[/bold]</td><td>3</td>" in html
    assert "two<br>lines" in html and "<td class='bad'>FAIL</td>" in html
    assert "<td class='good'>pass</td>" in html
    with pytest.raises(ValueError, match="has 2 cells, not 1"):
        table.add_row("short")
    with pytest.raises(ValueError, match="kind must be one of good, bad, warn, strong"):
        Mark("x", "purple")
    bare = Table(None, ["k", "v"], [["a", 1]], header=False)
    assert "<thead>" not in bare.html() and not bare.rich().show_header


def test_page_pieces_are_escaped_and_figures_inline(tmp_path):
    fig, ax = new_figure(3, 2)
    ax.plot([0, 1], [1, 0])
    page = (Page("<e1>").heading("h & h").paragraph("<e2>").items({"<e3>": "<e4>"})
            .figure(fig, "plot").data({"<e5>": 1}))
    text = page.write(tmp_path / "sub" / "p.html").read_text()
    assert_self_contained(text)
    for i in range(1, 6):
        assert f"<e{i}>" not in text and f"&lt;e{i}&gt;" in text
    assert "h &amp; h" in text


def test_write_tables_and_json(tmp_path):
    table = Table("figures", ["figure", "value"], [["rate", "1.0 /s"]])
    page = write_tables(tmp_path / "b.html", "bench", [table], {"rate": 1.0}, notes=["a note"])
    text = page.read_text()
    assert "<table><caption>figures</caption>" in text and "a note" in text
    assert "<pre>" in text and "<svg" not in text and "<script" not in text
    path = write_json(tmp_path / "deep" / "x.json", {"a": [1, 2]})
    assert path.read_text().endswith("}\n") and json.loads(path.read_text()) == {"a": [1, 2]}


def test_thermal_report_is_self_contained_with_its_plots_and_tables(tmp_path):
    run = run_scenario(SCENARIOS["leo_eclipse"], 0.05, 1, model_only=True)
    text = write_thermal_html(tmp_path / "t.html", {"leo_eclipse": run}).read_text()
    assert_self_contained(text)
    assert text.count("<svg") == 1  # temperatures, levels, throughput: one figure
    assert "peak Tj (C)" in text and ">check</th>" in text
    assert text.count("<td class='good'>pass</td>") == 1 + len(run["checks"])
    rendered = _rendered(thermal_table({"leo_eclipse": run}))
    assert "leo_eclipse" in rendered and "all pass" in rendered


@pytest.mark.parametrize("bad", [
    "<script>alert(1)</script>", "<img src='https://example.org/x.png'>",
    "<link rel='stylesheet' href='style.css'>", "<div><p>unclosed</div>",
    "<style>@import 'x.css';</style>", "<p style=\"background:url('a.png')\">x</p>",
])
def test_the_self_contained_check_catches_what_it_claims(bad):
    """Negative control of :func:`assert_self_contained`: each insertion must be refused."""
    good = Page("t").figure(new_figure(2, 2)[0]).html()
    assert_self_contained(good)
    with pytest.raises(AssertionError):
        assert_self_contained(good.replace("<h1>", bad + "<h1>", 1))


def test_a_verdict_heads_the_campaign_page(summaries):
    text = campaign_page(summaries, "gate", verdict={"passed": False,
                                                     "reasons": ["a < b", "c"]}).html()
    assert text.index("<h2>Verdict</h2>") < text.index("<h2>Summary</h2>")
    assert text.count("<td class='l bad'>FAILED</td>") == 2 and "a &lt; b" in text
    passed = campaign_page(summaries, "gate", verdict={"passed": True, "reasons": []}).html()
    assert "<td class='l good'>PASSED</td>" in passed
