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
