"""make mutation (orbitbench.apps.mutation): the report maths, a negative control (a test map
that does not exercise its module must leave survivors and exit 1) and bad input (exit 2).
cosmic-ray runs here on a three-line fixture module, never on hdl_gen."""

import json
from pathlib import Path

import pytest
from cosmic_ray import work_item as wi
from cosmic_ray.commands.init import init
from cosmic_ray.work_db import WorkDB, use_db

from orbitbench.apps import mutation
from orbitbench.apps.mutation import Equivalent, ModuleSpec

TINY = "def add(a, b):\n    return a + b\n"
GOOD_TEST = ("from tinypkg.tiny import add\n\n\ndef test_add():\n"
             "    assert add(2, 3) == 5\n")
WEAK_TEST = "def test_nothing():\n    assert True\n"


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


def _fake_db(tmp_path, outcomes):
    """A session DB whose results are given, without running anything."""
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
        for w in items[len(outcomes):]:
            db.set_result(w.job_id, kinds["skipped"])
    return ModuleSpec("m", src, ("t.py",)), db_path, [w.mutations[0] for w in items]


def test_report_maths_counts_and_rate_over_non_equivalent(tmp_path):
    outcomes = ["killed"] * 5 + ["timed_out", "crashed", "survived", "survived", "skipped"]
    spec, db, muts = _fake_db(tmp_path, outcomes)
    first_survivor = muts[outcomes.index("survived")]
    eq = [Equivalent("m", first_survivor.operator_name, first_survivor.occurrence,
                     first_survivor.start_pos[0], "proof"),
          Equivalent("m", "core/NoSuchOperator", 0, 1, "stale")]
    s = mutation.summarise(spec, db, eq)
    assert s["run"] == s["mutants"] - s["skipped"]
    assert (s["killed"], s["timed_out"], s["survived"], s["equivalent"]) == (6, 1, 1, 1)
    assert s["kill_rate"] == pytest.approx(7 / 8)  # 9 run, 1 equivalent, 7 killed
    assert [e["proof"] for e in s["equivalents"]] == ["proof"]
    assert [e["operator"] for e in s["stale_equivalents"]] == ["core/NoSuchOperator"]


@pytest.mark.parametrize("args, text", [
    (["--module", "hdl_gen.nope"], "--module hdl_gen.nope is not configured; allowed: "
                                   "tinypkg.tiny"),
    (["--sample", "0"], "--sample must be a positive integer, not 0"),
    (["--target", "1.5"], "--target must be in (0, 1], not 1.5"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, text):
    cfg = _project(tmp_path, GOOD_TEST)
    assert mutation.main(["--config", str(cfg), "--out", str(tmp_path / "o"), *args]) == 2
    out = capsys.readouterr().out.strip()
    assert out == f"error: {text}"


def test_bad_config_exits_2(tmp_path, capsys):
    cfg = _project(tmp_path, GOOD_TEST, extra='\n[modules."tinypkg.gone"]\ntests = ["x.py"]\n')
    assert mutation.main(["--config", str(cfg)]) == 2
    assert "tinypkg.gone" in capsys.readouterr().out
    assert mutation.main(["--config", str(tmp_path / "missing.toml")]) == 2
