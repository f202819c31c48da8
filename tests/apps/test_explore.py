"""orbitbench explore: the interval front, the space file's errors, a tiny run that resumes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orbitbench.apps.explore.pareto import dominates, dominates_point, front
from orbitbench.apps.explore.run import explore
from orbitbench.apps.explore.space import load_space, parse_space
from orbitbench.cli.main import main
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.paths import REPO

OBJ = ("a", "b")


def _p(a, b, wa=0.0, wb=0.0):
    return {"a": (a, a - wa, a + wa), "b": (b, b - wb, b + wb)}


def test_front_of_a_synthetic_space_with_known_dominance():
    pts = [_p(1, 5), _p(2, 2), _p(5, 1), _p(3, 3), _p(6, 6), _p(2, 2)]
    dom = front(pts, OBJ)
    # (3,3) is dominated by (2,2) twice; (6,6) by every other point; equal points keep each other
    assert [not d for d in dom] == [True, True, True, False, False, True]
    assert sorted(dom[3]) == [1, 5]
    assert sorted(dom[4]) == [0, 1, 2, 3, 5]


def test_overlapping_intervals_are_not_called_dominated():
    better, worse = _p(1.0, 1.0, 0.6, 0.6), _p(2.0, 2.0, 0.6, 0.6)
    assert dominates_point(better, worse, OBJ)  # the point estimates say dominated ...
    assert not dominates(better, worse, OBJ)  # ... the intervals do not
    # negative control: the same points measured tighter are dominated
    assert dominates(_p(1.0, 1.0, 0.1, 0.1), _p(2.0, 2.0, 0.1, 0.1), OBJ)
    assert front([better, worse], OBJ) == [[], []]


def test_an_interval_that_does_not_hold_its_value_is_refused():
    with pytest.raises(ValueError, match="outside its interval"):
        dominates({"a": (5, 0, 1), "b": (0, 0, 0)}, _p(1, 1), OBJ)


@pytest.mark.parametrize("text, message", [
    ('colour = "red"', "colour: unknown key; allowed: name, orbit"),
    ('[tile]\narrays = ["4x4"]', "tile.arrays: unknown key; allowed: array, scratchpad"),
    ('[tile]\nhardening = ["steel"]', "tile.hardening[0] must be one of none, tmr"),
    ('[tile]\narray = ["4by4"]', "tile.array[0] must be 'ROWSxCOLS'"),
    ('[tile]\narray = ["3x4"]', "rows must be a power of two"),
    ('orbit = "mars"', "orbit must be one of leo400"),
    ('[runtime]\ntrip_c = [[95, 85, 105]]', "runtime.trip_c[0] must rise"),
    ('[runtime]\ndvfs_level = [4]', "runtime.dvfs_level[0] must be an integer from 0 to 3"),
    ('[workload]\ngemm = [[64, 32, 16]]', "does not fit tile.scratchpad 32"),
    ('[campaign]\nmodel = "stuck"', "campaign.model must be one of"),
    ('[campaign]\ninitial = 500\nmax = 100', "campaign.max must be an integer from 500"),
    ("[tile\n", "not valid TOML"),
])
def test_bad_space_files_name_the_key(tmp_path, capsys, text, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n")
    assert main(["explore", str(bad), "--out", str(tmp_path / "out")]) == 2
    out = capsys.readouterr().out
    assert message in " ".join(out.split()), out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing computed, nothing written


def test_missing_space_file(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().out


def test_knobs_that_cannot_matter_are_not_multiplied_out():
    s = parse_space({"tile": {"hardening": ["none", "ecc"], "ecc_interleave": [1, 2]},
                     "runtime": {"scrub_interval": [64, 4096]}})
    labels = [p.label for p in s.points]
    # none: one point (no interleave, no scrubber); ecc: 2 interleaves x 2 scrub intervals
    assert len([x for x in labels if " none " in x]) == 1
    assert len([x for x in labels if " ecc " in x]) == 4
    assert [d.registered for d in s.designs] == [True, False, True]  # small, -, small_ecc


def test_tiny_space_explores_and_resumes_without_recomputing(tmp_path):
    space = load_space(REPO / "spaces" / "tiny.toml")
    first = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert first["run"]["computed"] > 0
    for p in first["points"]:  # every number comes with the measurement that made it
        ev = p["evidence"]
        assert ev["rtl"]["runs"][0]["act_feed"] == 512  # 16 blocks x K 32 on the 4x4 array
        assert ev["campaign"]["done"] >= space.initial
        assert ev["thermal"]["converged"] and ev["thermal"]["orbits_to_steady"] >= 2
    again = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert again["run"]["computed"] == 0
    assert [p["metrics"] for p in again["points"]] == [p["metrics"] for p in first["points"]]
    # a run killed before its thermal metrics: only those are computed again
    with sqlite3.connect(tmp_path / "explore.db") as db:
        lost = db.execute("DELETE FROM metrics WHERE kind = 'thermal'").rowcount
    third = explore(space, tmp_path, workers=1, build_root=SIM_BUILD, say=lambda s: None)
    assert lost == len(space.points) and third["run"]["computed"] == lost


def test_cli_writes_the_report(tmp_path, capsys):
    assert main(["explore", str(Path(REPO / "spaces" / "tiny.toml")), "--out",
                 str(tmp_path), "--workers", "1"]) == 0
    assert (tmp_path / "front.json").exists()
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") == 3 and "The front" in html
