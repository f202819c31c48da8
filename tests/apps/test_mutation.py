"""make mutation (orbitbench.apps.mutation): the report maths, a negative control (a test map
that does not exercise its module must leave survivors and exit 1), --copy (the checkout is
never mutated) and bad input (exit 2). cosmic-ray runs here on a three-line fixture module,
never on hdl_gen, except in the nightly tier's sampled run of every configured module."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cosmic_ray import work_item as wi
from cosmic_ray.commands.init import init
from cosmic_ray.work_db import WorkDB, use_db

from orbitbench.apps import mutation
from orbitbench.apps.mutation import COPY_MARK, Equivalent, ModuleSpec
from orbitbench.spec import knobs

REPO = Path(__file__).resolve().parents[2]
NIGHTLY_SAMPLE = 12  # mutants per module in the nightly tier: see docs/verification.md

TINY = "def add(a, b):\n    return a + b\n"
GOOD_TEST = ("from tinypkg.tiny import add\n\n\ndef test_add():\n"
             "    assert add(2, 3) == 5\n")
WEAK_TEST = "def test_nothing():\n    assert True\n"
# Records which file each mutant run imported (the log path is filled in per test).
SPY_TEST = ("import inspect\n\nimport tinypkg.tiny\n\n\ndef test_add():\n"
            "    with open({log!r}, 'a') as f:\n"
            "        f.write(inspect.getsourcefile(tinypkg.tiny) + '\\n')\n"
            "    assert tinypkg.tiny.add(2, 3) == 5\n")


def _project(tmp_path: Path, tests: str, extra: str = "") -> Path:
    (tmp_path / "tinypkg").mkdir()
    (tmp_path / "tinypkg" / "__init__.py").write_text("")
    (tmp_path / "tinypkg" / "tiny.py").write_text(TINY)
    (tmp_path / "test_tiny.py").write_text(tests)
    cfg = tmp_path / "mutation.toml"
    cfg.write_text('[settings]\ntimeout = 30\n\n[modules."tinypkg.tiny"]\n'
                   f'tests = ["test_tiny.py"]\n{extra}')
    return cfg


def _run(cfg: Path, *args: str) -> tuple[int, dict]:
    rc = mutation.main(["--config", str(cfg), "--out", str(cfg.parent / "out"), *args])
    report = cfg.parent / "out" / "report.json"
    return rc, json.loads(report.read_text()) if report.exists() else {}


def test_good_tests_kill_every_mutant_and_restore_the_source(tmp_path):
    cfg = _project(tmp_path, GOOD_TEST)
    rc, rep = _run(cfg)
    m = rep["modules"]["tinypkg.tiny"]
    assert rc == 0
    assert m["mutants"] == m["run"] > 0
    assert m["killed"] + m["timed_out"] == m["run"] and m["survived"] == 0
    assert m["kill_rate"] == 1.0
    assert (tmp_path / "tinypkg" / "tiny.py").read_text() == TINY


def test_negative_control_a_test_map_that_misses_the_module_fails(tmp_path):
    cfg = _project(tmp_path, WEAK_TEST)
    rc, rep = _run(cfg)
    m = rep["modules"]["tinypkg.tiny"]
    assert rc == 1
    assert m["survived"] == m["run"] > 0 and m["kill_rate"] == 0.0
    assert len(m["survivors"]) == m["survived"]
    assert (tmp_path / "tinypkg" / "tiny.py").read_text() == TINY


def test_resume_runs_only_pending_mutants_and_sample_is_seeded(tmp_path):
    cfg = _project(tmp_path, GOOD_TEST)
    rc, rep = _run(cfg, "--sample", "2", "--seed", "7")
    m = rep["modules"]["tinypkg.tiny"]
    assert rc == 0 and m["run"] == 2 and m["skipped"] == m["mutants"] - 2
    rc2, rep2 = _run(cfg, "--sample", "2", "--seed", "7")  # resumed: nothing left to run
    assert rep2["modules"]["tinypkg.tiny"]["run"] == 2


ANNOTATED = ("from __future__ import annotations\n\n\n"
             "def add(a: int | None, b: int) -> int | str:\n    return a + b\n")


@pytest.mark.parametrize("rule", [True, False])
def test_mutants_in_annotations_are_equivalent_by_the_configured_rule(tmp_path, rule):
    cfg = _project(tmp_path, GOOD_TEST)
    (tmp_path / "tinypkg" / "tiny.py").write_text(ANNOTATED)
    cfg.write_text(cfg.read_text().replace(
        "[settings]\n", f"[settings]\nannotations_are_equivalent = {str(rule).lower()}\n"))
    spans = mutation.annotation_spans(tmp_path / "tinypkg" / "tiny.py")
    assert [(a[0], b[0]) for a, b in spans] == [(4, 4)] * 3  # a's, b's and the return's
    rc, rep = _run(cfg)
    m = rep["modules"]["tinypkg.tiny"]
    if rule:
        assert rc == 0 and m["in_annotations"] > 0 and m["survived"] == 0
        assert m["run"] + m["in_annotations"] == m["mutants"]
    else:  # negative control: without the rule they run, and nothing can kill them
        assert rc == 1 and m["in_annotations"] == 0
        assert m["survived"] > 0 and all(s["line"] == 4 for s in m["survivors"])
    # Without the __future__ import annotations are evaluated: no span, no rule.
    plain = tmp_path / "plain.py"
    plain.write_text(ANNOTATED.split("\n", 3)[3])
    assert mutation.annotation_spans(plain) == []


def test_survivors_reruns_only_the_survived_mutants(tmp_path):
    cfg = _project(tmp_path, WEAK_TEST)
    rc, rep = _run(cfg, "--sample", "3", "--seed", "1")
    assert rc == 1 and rep["modules"]["tinypkg.tiny"]["survived"] == 3
    (tmp_path / "test_tiny.py").write_text(GOOD_TEST)  # the test that was missing
    rc, rep = _run(cfg, "--survivors")
    m = rep["modules"]["tinypkg.tiny"]
    assert rc == 0 and m["run"] == 3 and m["killed"] == 3 and m["survived"] == 0
    assert (tmp_path / "tinypkg" / "tiny.py").read_text() == TINY


def _fake_db(tmp_path, outcomes, rest="skipped"):
    """A session DB whose results are given, without running anything (``rest=None``: the
    other mutants stay pending, as in an interrupted run)."""
    kinds = {"killed": wi.WorkResult(wi.WorkerOutcome.NORMAL, "F", wi.TestOutcome.KILLED),
             "survived": wi.WorkResult(wi.WorkerOutcome.NORMAL, ".", wi.TestOutcome.SURVIVED),
             "timed_out": wi.WorkResult(wi.WorkerOutcome.NORMAL, "timeout", wi.TestOutcome.KILLED),
             "skipped": wi.WorkResult(wi.WorkerOutcome.SKIPPED, "x"),
             "crashed": wi.WorkResult(wi.WorkerOutcome.EXCEPTION, "boom")}
    src = tmp_path / "m.py"
    src.write_text("def f(a, b, c, d, e, g):\n    return a + b + c + d + e + g\n")
    db_path = tmp_path / "m.sqlite"
    with use_db(db_path, WorkDB.Mode.create) as db:
        init([src], db, {})
        items = sorted(db.work_items,
                       key=lambda w: (w.mutations[0].operator_name, w.mutations[0].occurrence))
        assert len(items) >= len(outcomes)
        for w, kind in zip(items, outcomes, strict=False):
            db.set_result(w.job_id, kinds[kind])
        for w in items[len(outcomes):] if rest else ():
            db.set_result(w.job_id, kinds[rest])
    return ModuleSpec("m", src, ("t.py",)), db_path, [w.mutations[0] for w in items]


def test_report_maths_counts_and_rate_over_non_equivalent(tmp_path):
    outcomes = ["killed"] * 5 + ["timed_out", "crashed", "survived", "survived", "skipped"]
    spec, db, muts = _fake_db(tmp_path, outcomes)
    first_survivor = muts[outcomes.index("survived")]
    eq = [Equivalent("m", first_survivor.operator_name, first_survivor.occurrence,
                     first_survivor.start_pos[0], "proof"),
          Equivalent("m", "core/NoSuchOperator", 0, 1, "stale")]
    s = mutation.summarise(spec, db, eq)
    assert s["run"] == s["mutants"] - s["skipped"] == 9 and s["pending"] == 0
    assert (s["killed"], s["timed_out"], s["survived"], s["equivalent"]) == (6, 1, 1, 1)
    assert s["kill_rate"] == pytest.approx(7 / 8)  # 9 run, 1 equivalent, 7 killed
    assert [e["proof"] for e in s["equivalents"]] == ["proof"]
    assert [e["operator"] for e in s["stale_equivalents"]] == ["core/NoSuchOperator"]


def test_an_interrupted_session_counts_only_the_mutants_with_a_result(tmp_path):
    spec, db, _ = _fake_db(tmp_path, ["killed", "killed", "survived"], rest=None)
    s = mutation.summarise(spec, db, [])
    assert (s["run"], s["pending"], s["skipped"]) == (3, s["mutants"] - 3, 0)
    assert s["kill_rate"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("args, text", [
    (["--module", "hdl_gen.nope"], "--module hdl_gen.nope is not configured; allowed: "
                                   "tinypkg.tiny"),
    (["--sample", "0"], "--sample must be a positive integer, not 0"),
    (["--target", "1.5"], "--target must be in (0, 1], not 1.5"),
    (["--survivors", "--fresh"], "--survivors re-runs a saved session: not with --fresh or "
                                 "--report-only"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, text):
    cfg = _project(tmp_path, GOOD_TEST)
    assert mutation.main(["--config", str(cfg), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {text}"


def test_a_test_entry_may_be_a_node_id(tmp_path):
    cfg = _project(tmp_path, GOOD_TEST + WEAK_TEST)
    cfg.write_text(cfg.read_text().replace('"test_tiny.py"', '"test_tiny.py::test_nothing"'))
    rc, rep = _run(cfg)  # only the weak test runs: every mutant survives
    assert rc == 1 and rep["modules"]["tinypkg.tiny"]["killed"] == 0
    cfg.write_text(cfg.read_text().replace("::test_nothing", "::test_add"))
    rc, rep = _run(cfg, "--fresh")
    assert rc == 0 and rep["modules"]["tinypkg.tiny"]["survived"] == 0


def test_held_modules_must_be_configured(tmp_path, capsys):
    cfg = _project(tmp_path, GOOD_TEST)
    cfg.write_text(cfg.read_text().replace("[settings]\n", '[settings]\nheld = ["tinypkg.x"]\n'))
    assert mutation.main(["--config", str(cfg)]) == 2
    assert "settings.held names 'tinypkg.x', not a module here" in capsys.readouterr().err
    assert mutation.load_config(REPO / "mutation.toml").held  # the real one holds some


def test_bad_config_exits_2(tmp_path, capsys):
    cfg = _project(tmp_path, GOOD_TEST, extra='\n[modules."tinypkg.gone"]\ntests = ["x.py"]\n')
    assert mutation.main(["--config", str(cfg)]) == 2
    assert "tinypkg.gone" in capsys.readouterr().err
    assert mutation.main(["--config", str(tmp_path / "missing.toml")]) == 2
    (tmp_path / "t").mkdir()
    cfg = _project(tmp_path / "t", GOOD_TEST, extra="timeout = -1\n")
    assert mutation.main(["--config", str(cfg)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "module tinypkg.tiny: timeout must be a positive number of seconds, not -1")


def test_copy_mutates_the_copy_and_never_the_checkout(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    log = tmp_path / "imported.log"
    cfg = _project(proj, SPY_TEST.format(log=str(log)))
    (proj / "campaigns").mkdir()  # run output: not copied

    def sources():
        return {p: p.read_bytes() for p in proj.rglob("*") if p.is_file() and "out" not in
                p.relative_to(proj).parts}

    before = sources()
    copy = tmp_path / "copy"
    cwd = os.getcwd()
    rc, rep = _run(cfg, "--copy", str(copy))
    assert os.getcwd() == cwd  # restored
    m = rep["modules"]["tinypkg.tiny"]
    assert rc == 0 and m["run"] > 0 and m["killed"] == m["run"]
    seen = set(log.read_text().split())
    assert seen == {str(copy / "tinypkg" / "tiny.py")}  # every mutant ran on the copy
    assert sources() == before
    assert (copy / COPY_MARK).is_file() and not (copy / "campaigns").exists()
    assert (copy / "tinypkg" / "tiny.py").read_text() == TINY
    # Negative control: without --copy the same test map runs on the checkout itself.
    log.unlink()
    rc, _ = _run(cfg, "--fresh")
    assert rc == 0 and set(log.read_text().split()) == {str(proj / "tinypkg" / "tiny.py")}


def test_resumed_session_mutates_the_file_of_this_run(tmp_path):
    """A session begun on one tree and resumed on another mutates the second tree only."""
    log = tmp_path / "imported.log"
    cfg = _project(tmp_path, SPY_TEST.format(log=str(log)))
    decoy = tmp_path / "elsewhere" / "tiny.py"
    decoy.parent.mkdir()
    decoy.write_text(TINY)
    out = tmp_path / "out"
    out.mkdir()
    with use_db(out / "tinypkg.tiny.sqlite", WorkDB.Mode.create) as db:
        init([decoy], db, {})  # the session names the decoy's path
    rc, rep = _run(cfg)  # mutating the decoy instead would leave every mutant alive: rc 1
    assert rc == 0 and rep["modules"]["tinypkg.tiny"]["killed"] > 0
    assert set(log.read_text().split()) == {str(tmp_path / "tinypkg" / "tiny.py")}
    assert decoy.read_text() == TINY


def test_copy_refuses_a_directory_that_is_not_an_earlier_copy(tmp_path, capsys):
    (tmp_path / "p").mkdir()
    cfg = _project(tmp_path / "p", GOOD_TEST)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    assert mutation.main(["--config", str(cfg), "--copy", str(precious)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --copy {precious} exists and is not an earlier mutation copy; "
                   "give a new directory"]
    assert (precious / "keep.txt").read_text() == "mine"
    assert mutation.main(["--config", str(cfg), "--copy", str(cfg.parent)]) == 2
    assert "is the checkout itself" in capsys.readouterr().err


@pytest.mark.regress
def test_nightly_sampled_run_of_every_configured_module(tmp_path):
    """The nightly tier's mutation run (docs/verification.md): a seeded sample of every module
    in mutation.toml, in a copy of this checkout; every kill rate lands in report.json, and
    the modules the config holds (settings.held, measured at >= 95 %) must stay at the
    target. The seed changes every night (ORBITBENCH_REGRESS_BASE fixes it), so the nights
    cover every mutant over time. A failure names the survivors and the line to reproduce."""
    seed = knobs.REGRESS_BASE.get_int() or int(time.time()) % 1_000_000
    cmd = [sys.executable, "-m", "orbitbench.apps.mutation", "--config",
           str(REPO / "mutation.toml"), "--sample", str(NIGHTLY_SAMPLE), "--seed", str(seed),
           "--copy", str(tmp_path / "tree"), "--out", str(tmp_path / "out")]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    cfg = mutation.load_config(REPO / "mutation.toml")
    assert set(report["modules"]) == set(cfg.modules) and cfg.held
    for name, m in report["modules"].items():
        assert 0 < m["run"] <= NIGHTLY_SAMPLE and m["kill_rate"] is not None, name
    dropped = {n: (report["modules"][n]["kill_rate"], report["modules"][n]["survivors"])
               for n in cfg.held if report["modules"][n]["kill_rate"] < report["target"]}
    assert not dropped, (f"reproduce: make mutation MUTATION_ARGS='--sample {NIGHTLY_SAMPLE} "
                         f"--seed {seed} --copy /tmp/mutation-copy'\n{dropped}")
