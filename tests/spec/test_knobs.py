"""orbitbench.spec.knobs is the whole list of ORBITBENCH_* environment variables."""

import re
from pathlib import Path

import pytest

from orbitbench.spec import knobs
from orbitbench.spec.knobs import KNOBS, Knob

REPO = Path(__file__).resolve().parents[2]
CODE = ("orbitbench", "hdl_gen", "golden_models", "testbenches", "fault_campaigns", "tests")
NAME = re.compile(r"ORBITBENCH_[A-Z][A-Z0-9_]*[A-Z0-9]")


def _mentions(paths) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in paths:
        for name in NAME.findall(path.read_text(errors="replace")):
            found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_name_in_the_code_is_a_knob():
    files = [p for d in CODE for p in (REPO / d).rglob("*") if p.suffix in (".py", ".cpp")]
    files.append(REPO / "Makefile")
    files.remove(Path(__file__).resolve())  # its negative control names a non-knob
    unknown = {n: sorted(where) for n, where in _mentions(files).items() if n not in KNOBS}
    assert not unknown


def test_the_check_finds_an_unknown_name(tmp_path):
    """Negative control: a file mentioning a variable that is not a knob is found."""
    (tmp_path / "x.py").write_text('os.environ.get("ORBITBENCH_NOT_A_KNOB")\n')
    names = NAME.findall((tmp_path / "x.py").read_text())
    assert names == ["ORBITBENCH_NOT_A_KNOB"] and names[0] not in KNOBS


def test_no_code_reads_the_environment_by_name_outside_the_knobs_module():
    pattern = re.compile(r"environ(\.get)?\s*[\[(]\s*[\"']ORBITBENCH_")
    offenders = [str(p.relative_to(REPO)) for d in CODE[:-1] for p in (REPO / d).rglob("*.py")
                 if p.name != "knobs.py" and pattern.search(p.read_text())]
    assert not offenders


def test_every_knob_has_a_meaning_and_is_exported():
    for name, knob in KNOBS.items():
        assert knob.name == name and len(knob.meaning) > 20
        assert getattr(knobs, name.removeprefix("ORBITBENCH_")) is knob


def test_knob_values():
    k = Knob("ORBITBENCH_X", "3", "a test knob that means nothing at all")
    assert k.get({}) == "3" and k.get({"ORBITBENCH_X": "5"}) == "5"
    assert k.get_int({"ORBITBENCH_X": "7"}) == 7
    assert k.env(9) == {"ORBITBENCH_X": "9"}
    with pytest.raises(ValueError, match="ORBITBENCH_X must be an integer, not 'x'"):
        k.get_int({"ORBITBENCH_X": "x"})
    with pytest.raises(RuntimeError, match="ORBITBENCH_Y is not set"):
        Knob("ORBITBENCH_Y", None, "a channel knob nobody set here", "channel").require({})
    with pytest.raises(ValueError, match="knob names start with ORBITBENCH_"):
        Knob("X", None, "bad")


# --- docs/knobs.md: the users' list of the same table ------------------------------------

PAGE = REPO / "docs" / "knobs.md"
ROW = re.compile(r"^\| `(ORBITBENCH_\w+)` \| ([^|]*?) \| (\w+) \|", re.M)


def knob_page_problems(text: str) -> list[str]:
    """How a knobs page differs from KNOBS: missing, extra or foreign names, wrong defaults
    or kinds (empty: it agrees)."""
    rows = {name: (default.strip(), kind) for name, default, kind in ROW.findall(text)}
    problems = [f"{n} has no row" for n in KNOBS if n not in rows]
    for name, (default, kind) in rows.items():
        knob = KNOBS.get(name)
        if knob is None:
            problems.append(f"{name} has a row but is not a knob")
            continue
        want = "unset" if knob.default is None else f"`{knob.default}`"
        if default != want:
            problems.append(f"{name}: default {default!r}, not {want!r}")
        if kind != knob.kind:
            problems.append(f"{name}: kind {kind!r}, not {knob.kind!r}")
    problems += [f"{n} is named but is not a knob" for n in sorted(set(NAME.findall(text)))
                 if n not in KNOBS]
    return problems


def test_the_docs_page_lists_every_knob_with_its_default_and_kind():
    assert knob_page_problems(PAGE.read_text()) == []


def test_no_page_of_the_docs_names_a_variable_that_is_not_a_knob():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    unknown = {n: sorted(where) for n, where in _mentions(pages).items() if n not in KNOBS}
    assert not unknown


def test_the_page_check_finds_a_missing_a_wrong_and_a_foreign_knob():
    """Negative controls: each kind of disagreement is reported."""
    good = PAGE.read_text()
    assert knob_page_problems(good) == []
    first = next(iter(KNOBS.values()))
    row = next(line for line in good.splitlines() if line.startswith(f"| `{first.name}` |"))
    assert knob_page_problems(good.replace(row + "\n", "")) == [f"{first.name} has no row"]
    want = "unset" if first.default is None else f"`{first.default}`"
    wrong = row.replace(f"| {want} |", "| `42` |")
    assert knob_page_problems(good.replace(row, wrong)) == [
        f"{first.name}: default '`42`', not {want!r}"]
    other = "channel" if first.kind == "user" else "user"
    assert knob_page_problems(good.replace(row, row.replace(f" {first.kind} ", f" {other} "))) \
        == [f"{first.name}: kind {other!r}, not {first.kind!r}"]
    extra = good + "\n| `ORBITBENCH_NOT_A_KNOB` | unset | user | made up |\n"
    assert knob_page_problems(extra) == ["ORBITBENCH_NOT_A_KNOB has a row but is not a knob",
                                         "ORBITBENCH_NOT_A_KNOB is named but is not a knob"]
