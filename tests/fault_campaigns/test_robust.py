"""A campaign survives what one injection, one worker or one user does (issue 13).

The trap design (``trap_probe.v``, :mod:`.traps`) stops the simulation on chosen upsets:
``$fatal``, ``$stop``, ``$error``, a failing assertion, a combinational loop that never
settles, ``$finish``, and an evaluation that never returns. Its campaign must finish with
those injections classified and everything else identical to the design without traps.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.db import CampaignDB
from fault_campaigns.engine import Engine
from fault_campaigns.prepare import prepare
from fault_campaigns.summary import summarize
from fault_campaigns.worker import HANG_MESSAGE, Worker
from orbitbench.apps.report import summary_table, write_html

from .probe import probe_workload
from .traps import ARM_BITS, TRAPS, L, recipe_args, trap_workload

REPO = Path(__file__).resolve().parents[2]
WATCHDOG = 1.5  # seconds; the trap design's golden run takes microseconds
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _rows(db: Path) -> list[tuple]:
    """Everything about each result except which worker ran it and when."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT id, outcome, sim_cycles, end_cycle, wrong, max_err, early "
                            "FROM results ORDER BY id").fetchall()


def _leftovers(where: Path, db: Path) -> list[str]:
    """Files a campaign on ``db`` left beside it (SQLite's own -wal/-shm aside)."""
    return sorted(p.name for p in where.iterdir() if p.name.startswith(db.name)
                  and p.name not in (db.name, f"{db.name}-wal", f"{db.name}-shm"))


def _messages(db: Path) -> dict[int, str]:
    with CampaignDB.open_existing(db) as d:
        return d.messages()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "orbitbench.cli", *args]


def _engines_of(pid: int) -> list[int]:
    """Engine processes started by process ``pid``."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            exe = os.readlink(d / "exe")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and Path(exe).name == "engine":
            found.append(int(d.name))
    return found


def _wait_rows(db: Path, n: int, procs, timeout: float = 300) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline and any(p.poll() is None for p in procs):
        if db.exists():
            try:
                done = len(_rows(db))
            except sqlite3.OperationalError:
                done = 0
            if done >= n:
                return done
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} results in {db} before the campaign ended")


@pytest.fixture(scope="module")
def prep():
    return prepare(trap_workload(), checkpoint=8)


def _var(prep, path: str) -> int:
    return [v.path for v in prep.targets.vars].index(path)


# --- the engine: traps are results ------------------------------------------------------

@pytest.mark.parametrize("snapshot", ["copy", "fork"])
def test_every_trap_is_a_crash_with_its_message_and_the_engine_goes_on(prep, snapshot):
    arm, data = _var(prep, "arm"), _var(prep, "data")
    traps = [bit for bit, (outcome, _) in TRAPS.items() if outcome == "crash"]
    batch = [(bit, 5 + bit, [(arm, 0, bit)]) for bit in traps]
    batch.append((100, 20, [(data, 0, 3)]))  # after every trap: the parent model is intact
    with Engine(prep.build, prep.config) as engine:
        engine.golden()
        results = {r.id: r for r in engine.run(batch, snapshot=snapshot)}
    for bit in traps:
        r = results[bit]
        assert (r.outcome, r.message) == TRAPS[bit], bit
        assert r.end_cycle == 5 + bit + 1  # the edge that ends the injection's cycle
    assert (results[100].outcome, results[100].wrong, results[100].max_err) == ("sdc", 1, 8)


def test_the_watchdog_turns_an_endless_evaluation_into_a_hang(prep):
    arm, data = _var(prep, "arm"), _var(prep, "data")
    chunk = [(0, 10, [(arm, 0, 5)]), (1, 12, [(data, 0, 3)]), (2, 30, [(arm, 0, 5)]),
             (3, 31, [(data, 0, 1)])]
    out: list = []

    def go() -> None:
        with Worker(prep.build, prep.config, watchdog=WATCHDOG) as w:
            out.extend(w.run(chunk))
            out.append(w.replaced)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(120)
    assert not t.is_alive(), "the endless evaluation was never stopped"
    *results, replaced = out
    assert [(r.id, r.outcome) for r in results] == [(0, "hang"), (1, "sdc"), (2, "hang"),
                                                    (3, "sdc")]
    assert results[0].message == results[2].message == HANG_MESSAGE
    assert replaced == 2  # one new engine after each hang


def test_negative_control_without_the_watchdog_the_evaluation_never_returns(prep):
    """The hang above comes from the watchdog: without it nothing ever comes back."""
    w = Worker(prep.build, prep.config, watchdog=None)
    got: list = []
    t = threading.Thread(target=lambda: got.extend(w.run([(0, 10, [(_var(prep, "arm"), 0,
                                                                   5)])])), daemon=True)
    t.start()
    t.join(4 * WATCHDOG)
    assert t.is_alive() and not got
    w.kill()
    t.join(30)
    assert not t.is_alive() and not got


# --- campaigns ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trap_dbs(tmp_path_factory):
    """The same campaign on the design with and without its traps."""
    d = tmp_path_factory.mktemp("traps")
    for traps in (True, False):
        run_campaign(CampaignSpec(trap_workload(traps), count=500, seed=5),
                     d / f"traps-{traps}.db", workers=2, watchdog=WATCHDOG)
    return d / "traps-True.db", d / "traps-False.db"


def test_trap_campaign_classifies_the_traps_and_the_rest_is_unchanged(trap_dbs):
    with_traps, without = trap_dbs
    with CampaignDB.open_existing(with_traps) as a, CampaignDB.open_existing(without) as b:
        plan = a.conn.execute("SELECT * FROM injections ORDER BY id").fetchall()
        assert plan == b.conn.execute("SELECT * FROM injections ORDER BY id").fetchall()
    rows_a, rows_b = _rows(with_traps), _rows(without)
    assert [r[0] for r in rows_a] == [r[0] for r in rows_b] == list(range(500))
    notes = _messages(with_traps)
    hit: set[int] = set()
    for inj, a, b in zip(plan, rows_a, rows_b, strict=True):
        if inj[2] == "arm":
            hit.add(inj[7])
            assert (a[1], notes[a[0]]) == TRAPS[inj[7]], inj
            # without the trap the upset shows in output word 1, read after edge L + 1
            assert b[1] == ("sdc" if inj[1] <= L else "masked"), inj
        else:
            assert a == b, inj
            assert a[0] not in notes
    assert hit == set(range(ARM_BITS))  # the sample struck every trap


def test_summary_and_statistics_count_crashes_as_detected(trap_dbs):
    s = summarize(trap_dbs[0])
    out = s["overall"]["outcomes"]
    assert out["crash"] > 0 and out["hang"] > 0 and s["crash_as"] == "due"
    assert s["overall"]["due_avf"]["successes"] == out["due"] + out["hang"] + out["crash"]
    assert s["overall"]["sdc_avf"]["successes"] == out["sdc"]
    assert {m["message"] for m in s["messages"]} == {m for _, m in TRAPS.values()}
    assert s["orbits"]["leo400"]["due"]["fit"] > 0
    # the report knows the class: a column in the table and a colour in the plots
    assert "crash" in [c.header for c in summary_table({"t": s}).columns]
    assert write_html(trap_dbs[0].with_suffix(".html"), {"t": s}).stat().st_size > 0


def test_designs_with_one_top_but_other_parameters_get_their_own_engine():
    a, b = prepare(probe_workload(t=60, read_at=40)), prepare(probe_workload(t=80, read_at=40))
    assert a.build.build_dir != b.build.build_dir
    assert a.build.build_dir.name.startswith("campaign_avf_probe-")
    for prep_, cycles in ((a, 60), (b, 80)):  # neither build clobbered the other
        with Engine(prep_.build, prep_.config) as engine:
            assert engine.golden()[0] == cycles


# --- processes: killed workers, concurrent starts, interrupts ---------------------------

LONG_TRAPS = (*recipe_args(), "--verilator-arg=-GT=2000", "--verilator-arg=-GL=1500",
              "--count", "800", "--seed", "3", "--watchdog", str(WATCHDOG))


@pytest.fixture(scope="module")
def clean_long(tmp_path_factory):
    """The long trap campaign, run alone with one worker: the reference."""
    d = tmp_path_factory.mktemp("clean")
    subprocess.run(_cli("campaign", *LONG_TRAPS, "--workers", "1", "--db", str(d / "c.db")),
                   cwd=d, env=ENV, check=True, capture_output=True)
    return d / "c.db"


def test_trap_campaign_with_a_killed_worker_and_a_second_copy_started_at_once(clean_long,
                                                                             tmp_path):
    """The issue's acceptance scenario: traps, one engine killed mid-run, and the same
    command started twice at once; no temporary file is left behind."""
    db, tmp = tmp_path / "run.db", tmp_path / "tmp"
    tmp.mkdir()
    env = {**ENV, "TMPDIR": str(tmp)}
    cmd = _cli("campaign", *LONG_TRAPS, "--workers", "2", "--db", str(db))
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    _wait_rows(db, 100, procs)
    runner = next(p for p in procs if _engines_of(p.pid))
    victim = _engines_of(runner.pid)[0]
    os.kill(victim, signal.SIGKILL)
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    codes = [p.returncode for p in procs]
    assert runner.returncode == 0, outputs
    other = procs[1 - procs.index(runner)]
    assert other.returncode == 2, outputs
    text = outputs[procs.index(other)]
    assert "is in use by another campaign" in text and "Traceback" not in text
    assert sorted(codes) == [0, 2]
    assert _rows(db) == _rows(clean_long)  # every injection once, as in a clean run
    assert _messages(db) == _messages(clean_long)
    assert not list(tmp.iterdir())
    assert _leftovers(tmp_path, db) == []


def _concurrent_starts(tmp_path, rounds):
    """``rounds`` times: two copies of one command on a new database at the same moment."""
    args = (*recipe_args(traps=False), "--count", "60", "--seed", "2", "--workers", "1")
    reference = None
    for k in range(rounds):
        db = tmp_path / f"c{k}.db"
        cmd = _cli("campaign", *args, "--db", str(db))
        procs = [subprocess.Popen(cmd, cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300)[0] for p in procs]
        for p, out in zip(procs, outs, strict=True):
            assert "Traceback" not in out, out
            assert p.returncode == 0 or (p.returncode == 2 and "is in use by another "
                                         "campaign" in out), out
        assert 0 in [p.returncode for p in procs], outs
        rows = _rows(db)
        assert [r[0] for r in rows] == list(range(60))
        reference = reference or rows
        assert rows == reference
        assert _leftovers(tmp_path, db) == []


def test_concurrent_starts_on_one_new_database_never_crash(tmp_path):
    _concurrent_starts(tmp_path, 5)


@pytest.mark.regress
def test_concurrent_starts_twenty_times(tmp_path):
    """Nightly: the race at twenty starts (each pair costs about 1.5 CPU-seconds)."""
    _concurrent_starts(tmp_path, 20)


def test_ctrl_c_says_how_to_resume_and_sigterm_stops_the_engines(tmp_path):
    db = tmp_path / "int.db"
    long_run = (*recipe_args(traps=False), "--verilator-arg=-GT=4000",
                "--verilator-arg=-GL=3000", "--count", "3000", "--workers", "2", "--db",
                str(db))
    for sig, code, word in ((signal.SIGINT, 130, "interrupted"),
                            (signal.SIGTERM, 143, "terminated")):
        # A test run in the background may have SIGINT ignored, and children inherit that.
        proc = subprocess.Popen(_cli("campaign", *long_run), cwd=tmp_path, env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                 signal.SIG_DFL))
        done = _wait_rows(db, len(_rows(db)) + 50 if db.exists() else 50, [proc])
        engines = _engines_of(proc.pid)
        assert engines
        proc.send_signal(sig)
        out = proc.communicate(timeout=60)[0]
        assert proc.returncode == code, out
        assert f"{word}: every result so far is kept in {db}; run the same command again " \
               "to resume" in out
        assert "Traceback" not in out
        for pid in engines:  # the engines went with the campaign
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
                f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert len(_rows(db)) >= done
    subprocess.run(_cli("campaign", *long_run), cwd=tmp_path, env=ENV, check=True,
                   capture_output=True)
    assert [r[0] for r in _rows(db)] == list(range(3000))
