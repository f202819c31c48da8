"""Every bad input a campaign user can reach: exit status 2 and one line saying what and what
to do, never a traceback or a compiler dump; output paths are checked before the work.

(Ctrl-C and SIGTERM: tests/fault_campaigns/test_robust.py, on a running campaign.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fault_campaigns.db import campaign_lock
from orbitbench.cli import main
from orbitbench.sim import SIM_BUILD

REPO = Path(__file__).resolve().parents[2]
TRAP_V = REPO / "tests" / "fault_campaigns" / "trap_probe.v"
TRAPS = ("--top", "trap_probe", "--sources", str(TRAP_V), "--elem-bits", "8")


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A scratch directory holding a regular file, a design without the workload ports and
    one Verilator rejects."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a directory\n")
    (tmp_path / "noports.v").write_text(
        "module noports(input clk, input rst, output reg [7:0] q);\n"
        "  always @(posedge clk) q <= rst ? 8'd0 : q + 8'd1;\nendmodule\n")
    (tmp_path / "bad.v").write_text("module bad(input clk\n  wire x;\nendmodule\n")
    return tmp_path


def _read_only_dir(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere a mode allows: take a kernel directory
        return Path("/sys/kernel")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return ro


# (case, campaign arguments (after "campaign"; {tmp} and {ro} are filled in), message regex)
CASES = [
    ("huge count", [*TRAPS, "--count", "1000000000000", "--db", "{tmp}/a.db"],
     r"count 1000000000000 is more than the 10000000 injections one campaign can hold; use "
     r"a smaller count"),
    ("db in a read-only directory", [*TRAPS, "--count", "10", "--db", "{ro}/x.db"],
     r"cannot write the campaign database {ro}/x.db: {ro} is not writable \(permission "
     r"denied\); give a --db in a directory you can write"),
    ("db under a regular file", [*TRAPS, "--count", "10", "--db", "{tmp}/afile/x.db"],
     r"cannot write the campaign database {tmp}/afile/x.db: {tmp}/afile is a file, not a "
     r"directory; give a --db in a directory you can write"),
    ("unreachable scheduler", [*TRAPS, "--count", "10", "--db", "{tmp}/b.db", "--executor",
                               "dask", "--scheduler", "tcp://127.0.0.1:9"],
     r"cannot reach the Dask scheduler at tcp://127.0.0.1:9 \(.*\); start it \(dask "
     r"scheduler\), or leave out the address for a local cluster"),
    ("scheduler without dask", [*TRAPS, "--db", "{tmp}/b.db", "--scheduler", "tcp://h:1"],
     r"--scheduler needs --executor dask"),
    ("design without the workload ports",
     ["--top", "noports", "--sources", "{tmp}/noports.v", "--count", "10", "--db",
      "{tmp}/c.db"],
     r"design 'noports' has no port 'done' \(the done output\); its ports: clk, q, rst; "
     r"name its ports with --clock, --reset, --done, --valid, --observe \(or in a campaign "
     r"file\)"),
    ("design Verilator rejects",
     ["--top", "bad", "--sources", "{tmp}/bad.v", "--count", "10", "--db", "{tmp}/c.db"],
     r"Verilator rejects the design 'bad': %Error: {tmp}/bad.v:2:3: syntax error, unexpected "
     r"wire, expecting '\)' \(and \d+ more\); whole output: .*verilator-bad-\w+\.log"),
    ("$finish in the fault-free run",
     [*TRAPS, "--verilator-arg=-GGOLDEN_FINISH=30", "--count", "10", "--db", "{tmp}/d.db"],
     r"the design ended the fault-free run with \$finish in cycle 30 \(trap_probe.v:80\) "
     r"before raising done: a campaign design must end its job by raising done, without "
     r"\$finish"),
    ("$fatal in the fault-free run",
     [*TRAPS, "--verilator-arg=-GGOLDEN_FATAL=20", "--count", "10", "--db", "{tmp}/d.db"],
     r"the design stopped its fault-free run in cycle 20: %Fatal: trap_probe.v:81: Assertion "
     r"failed in top.trap_probe: golden fatal; fix the design \(or its workload\) before "
     r"injecting faults"),
    ("--json under a regular file",
     [*TRAPS, "--count", "10", "--db", "{tmp}/e.db", "--json", "{tmp}/afile/s.json"],
     r"cannot write --json {tmp}/afile/s.json: a part of its directory is a file; give a "
     r"path in a directory you can write"),
    ("--html is a directory", [*TRAPS, "--count", "10", "--db", "{tmp}/e.db", "--html",
                               "{tmp}"],
     r"--html {tmp} is a directory; give a file name"),
    ("negative watchdog", [*TRAPS, "--db", "{tmp}/e.db", "--watchdog", "-1"],
     r"--watchdog must be >= 0 seconds \(0: none\), not -1.0"),
    ("bad MBU sizes", [*TRAPS, "--db", "{tmp}/e.db", "--model", "mbu", "--mbu-sizes", "1-2"],
     r"MBU sizes must look like '1:0.98,2:0.02', not '1-2'"),
    ("missing preload file", [*TRAPS, "--db", "{tmp}/e.db", "--preload", "mem={tmp}/no.hex"],
     r"cannot read the preload file {tmp}/no.hex: No such file or directory"),
    ("GEMM the tile harness cannot hold", ["--config", "small", "--gemm", "64x64x64",
                                           "--db", "{tmp}/t.db"],
     r"tile workload: .*"),
]


@pytest.mark.parametrize("case, args, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(case, args, message, place, capsys):
    ro = _read_only_dir(place)
    fill = {"tmp": str(place), "ro": str(ro)}
    argv = ["campaign", *(a.format(**fill) for a in args)]
    assert main(argv) == 2
    out = capsys.readouterr()
    errors = [line for line in out.out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out.out
    pattern = message.format(**{k: re.escape(v) for k, v in fill.items()})
    assert re.fullmatch(f"error: {pattern}", errors[0]), errors[0]
    assert "Traceback" not in out.out + out.err
    assert out.out.rstrip().endswith(errors[0])  # nothing after it: no dump
    assert not list(place.glob("*.db"))  # refused before any database was made


def test_missing_ports_are_named_before_anything_is_compiled(place, capsys):
    assert main(["campaign", "--top", "noports", "--sources", str(place / "noports.v"),
                 "--count", "10", "--db", str(place / "c.db")]) == 2
    assert not list(SIM_BUILD.glob("campaign_noports*"))


def test_a_second_campaign_on_a_busy_database_refuses_at_once(place, capsys):
    db = place / "busy.db"
    with campaign_lock(db):
        assert main(["campaign", *TRAPS, "--count", "10", "--db", str(db)]) == 2
    line = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(rf"error: {re.escape(str(db))} is in use by another campaign \(pid "
                        rf"{os.getpid()} on \S+, since [\d:\- ]+\); wait for it to finish, or "
                        r"give another --db", line), line
    assert not db.exists() and not (place / "busy.db.lock").exists()


def test_json_and_html_into_missing_directories_are_created(place):
    assert main(["campaign", *TRAPS, "--count", "20", "--db", str(place / "ok.db"), "--json",
                 str(place / "new" / "s.json"), "--html", str(place / "new2" / "r.html")]) == 0
    assert (place / "new" / "s.json").stat().st_size > 0
    assert (place / "new2" / "r.html").stat().st_size > 0
