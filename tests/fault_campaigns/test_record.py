"""``orbitbench record``: the example's own cocotb test, recorded on the project's
Verilator build, replays as the hand-written stimulus does (the same workload, the same
per-injection results); negative controls: a corrupted recording is caught by the golden
run or changes the results; bad arguments are one line, exit 2; a failing test exits 1."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.campaign_file import file_recipe, load_campaign_file
from fault_campaigns.prepare import GoldenMismatch, prepare
from fault_campaigns.recipes import from_recipe
from fault_campaigns.vcd_stimulus import read_vcd_stimulus
from orbitbench.cli import main
from orbitbench.spec.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
SHA = REPO / "examples" / "sha256"
DIRECT = 'file = "fips_two_blocks.stim"\ncycles = 160'


def _rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, outcome, sim_cycles, end_cycle, wrong, max_err, early "
                            "FROM results ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A copy of the sha256 example with its cocotb test recorded (``--update``)."""
    d = tmp_path_factory.mktemp("sha")
    for f in SHA.iterdir():
        if f.is_file():
            shutil.copy(f, d / f.name)
    assert main(["record", str(d / "campaign.toml"), "--test", "test_sha256",
                 "--update"]) == 0
    return d


def test_record_writes_the_stimulus_and_points_the_campaign_at_it(recorded, capsys):
    text = (recorded / "campaign.toml").read_text()
    assert 'file = "recorded_test_sha256.stim"' in text and "cycles" not in text
    stim = (recorded / "recorded_test_sha256.stim").read_text()
    assert len(stim) < 1000  # 160 cycles of 515 input bits in a few lines
    assert load_campaign_file(recorded / "campaign.toml")


def test_record_and_replay_equals_the_direct_run(recorded, tmp_path):
    direct = from_recipe(file_recipe((SHA / "campaign.toml").read_text(), SHA, "sha.toml"))
    replay = from_recipe(load_campaign_file(recorded / "campaign.toml"))
    assert replay.stimulus == direct.stimulus and replay.stimulus_cycles == 160
    assert replay.digest() == direct.digest()
    for name, work in (("direct", direct), ("replay", replay)):
        run_campaign(CampaignSpec(work, count=24, seed=7), tmp_path / f"{name}.db", workers=1)
    rows = _rows(tmp_path / "direct.db")
    assert len(rows) == 24 and {r[1] for r in rows} >= {"masked"}
    assert _rows(tmp_path / "replay.db") == rows


def test_negative_control_a_corrupted_recording_is_caught(recorded):
    stim = (recorded / "recorded_test_sha256.stim").read_text()
    text = (recorded / "campaign.toml").read_text()
    # mode forced to 0 (SHA-224): the golden run no longer gives the expected digests
    (recorded / "bad.stim").write_text(stim.replace("mode=1", "mode=0"))
    bad = text.replace("recorded_test_sha256.stim", "bad.stim")
    with pytest.raises(GoldenMismatch):
        prepare(from_recipe(file_recipe(bad, recorded, "bad.toml")))
    # the second block started a cycle late: still the right digests, a different workload
    late = re.sub(r"^80 (.*)\n81 next=0", r"80 next=0\n81 \1\n82 next=0", stim, flags=re.M)
    assert late != stim
    (recorded / "late.stim").write_text(late)
    work = from_recipe(file_recipe(text.replace("recorded_test_sha256.stim", "late.stim"),
                                   recorded, "late.toml"))
    direct = from_recipe(file_recipe((SHA / "campaign.toml").read_text(), SHA, "sha.toml"))
    assert work.digest() != direct.digest()


@pytest.mark.parametrize("args, message", [
    (["--test", "nope.py"], "error: --test: no such file nope.py"),
    (["--test", "no_such_module"],
     "error: --test: no module 'no_such_module' (give a file, test_x.py, or a module in "),
    (["--test", "test_sha256", "--testcase", "nope"],
     "error: --testcase: test_sha256.py has no cocotb test 'nope' (its tests: "
     "fips_two_blocks)"),
])
def test_bad_arguments_are_one_line_exit_2(args, message, capsys):
    assert main(["record", str(SHA / "campaign.toml"), *args]) == 2
    out = capsys.readouterr().out
    assert out.startswith(message) and len(out.strip().splitlines()) == 1, out


def test_a_failing_test_exits_1_and_records_nothing(recorded, tmp_path):
    test = (recorded / "test_sha256.py").read_text().replace("0x85E655D6", "0x95E655D6")
    (tmp_path / "test_wrong.py").write_text(test)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    out = subprocess.run([sys.executable, "-m", "orbitbench.cli", "record",
                          str(recorded / "campaign.toml"), "--test",
                          str(tmp_path / "test_wrong.py"), "--out", str(tmp_path / "w.stim")],
                         capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL" in out.stdout and "1 of 1 test(s) failed" in out.stdout
    assert not (tmp_path / "w.stim").exists()


def _vcd(clock_first: bool, reset_again: bool = False) -> str:
    """A waveform dumped once per time step: the input written at an edge is in that step."""
    head = ("$scope module TOP $end\n$var wire 1 ! clk $end\n$var wire 1 \" reset_n $end\n"
            "$var wire 1 # init $end\n$upscope $end\n$enddefinitions $end\n")
    steps = ["#0\n0!\n0\"\n0#"]
    for k in range(1, 6):
        edge = ["1!"]
        if k == 2:
            edge.append("1\"")
        if k == 3:
            edge.append("1#")  # written right after the edge ending cycle 0: cycle 1's value
        if k == 4 and reset_again:
            edge.append("0\"")
        steps.append(f"#{10 * k}\n" + "\n".join(edge if clock_first else edge[::-1]))
        steps.append(f"#{10 * k + 5}\n0!")
    return head + "\n".join(steps) + "\n"


def test_an_input_written_at_the_edge_is_seen_by_the_next_edge(tmp_path):
    for clock_first in (True, False):  # the order within a time step does not matter
        (tmp_path / "w.vcd").write_text(_vcd(clock_first))
        changes, cycles = read_vcd_stimulus(tmp_path / "w.vcd", "TOP", {"init": 1, "clk": 1,
                                            "reset_n": 1}, "clk", "reset_n", True)
        assert (changes, cycles) == ([(-1, "init", 0), (1, "init", 1)], 3)
    (tmp_path / "w.vcd").write_text(_vcd(True, reset_again=True))
    with pytest.raises(UsageError, match=r".*w.vcd: reset_n is active again at cycle 2 "
                                         r"\(a waveform of several tests\? record one test\)"):
        read_vcd_stimulus(tmp_path / "w.vcd", "TOP", {"init": 1, "clk": 1, "reset_n": 1},
                          "clk", "reset_n", True)


def test_edges_before_the_reset_is_first_asserted_are_left_out(tmp_path):
    """A test that starts with the reset inactive and then pulses it (alexforencich's
    testbenches do): the edges before the pulse are not part of the stimulus."""
    head = ("$scope module TOP $end\n$var wire 1 ! clk $end\n$var wire 1 \" rst $end\n"
            "$var wire 1 # init $end\n$upscope $end\n$enddefinitions $end\n")
    writes = {0: ['0"', "0#"], 20: ['1"'], 40: ['0"'], 50: ["1#"]}
    steps = ["#0\n0!\n" + "\n".join(writes[0])]
    for t in range(10, 80, 10):
        steps += [f"#{t}\n" + "\n".join(["1!", *writes.get(t, [])]), f"#{t + 5}\n0!"]
    (tmp_path / "p.vcd").write_text(head + "\n".join(steps) + "\n")
    # edges 10, 20: before the reset; 30, 40: in reset; 50 ends cycle 0; init seen at 60
    assert read_vcd_stimulus(tmp_path / "p.vcd", "TOP", {"init": 1, "clk": 1, "rst": 1},
                             "clk", "rst", False) == ([(-1, "init", 0), (1, "init", 1)], 3)


AXIS = REPO / "examples" / "axis_fifo"


@pytest.mark.regress
def test_the_upstream_axis_fifo_test_records_the_example_stimulus(tmp_path, capsys):
    """alexforencich's own cocotb test (cocotbext-axi, a TestFactory test), recorded: the
    committed stimulus of examples/axis_fifo, the same workload; a test case the factory
    does not generate is one line, exit 2."""
    out = tmp_path / "axis.stim"
    args = ["record", str(AXIS / "campaign.toml"), "--test", "test_axis_fifo"]
    assert main([*args, "--testcase", "run_test_001", "--out", str(out)]) == 0
    assert "1105 cycles" in capsys.readouterr().out
    text = (AXIS / "campaign.toml").read_text()
    mine = from_recipe(file_recipe(text.replace("recorded_test_axis_fifo.stim", str(out)), AXIS,
                                   "axis.toml"))
    assert mine.digest() == from_recipe(load_campaign_file(AXIS / "campaign.toml")).digest()
    assert main([*args, "--testcase", "run_test_999", "--out", str(out)]) == 2
    assert capsys.readouterr().out.strip() == ("error: --testcase: test_axis_fifo ran no "
                                               "cocotb test 'run_test_999'")
