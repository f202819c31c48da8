"""``make mutation``: source-level mutation testing of ``hdl_gen/`` and ``golden_models/``.

Each module named in the config (``mutation.toml`` at the repository root) is mutated by
cosmic-ray (one operator application per mutant, written into the source file, restored
afterwards) and each mutant is run against the module's own fast test files only
(``pytest -x -p no:cacheprovider``, a per-mutant timeout). A mutant is **killed** when the
tests fail, **survived** when they pass, **timed out** when they exceed the timeout (counted
as killed: the mutant changed behaviour), **equivalent** when the config lists it with a
one-line proof. Kill rate = (killed + timed out) / (mutants - equivalent), per module.

Sessions (cosmic-ray's SQLite work DB, one per module under ``--out``) survive a kill: a
re-run executes only the mutants without a result. ``--fresh`` starts over. ``--sample N
--seed S`` runs a seeded sample of N mutants per module (the rest are marked skipped).
``--survivors`` re-runs only the mutants that survived in the saved sessions (after new
tests), the rest of each session kept. ``--copy DIR`` mutates a fresh copy of the checkout
at ``DIR`` instead of the checkout itself (the tests then run with ``DIR`` as working
directory, so its packages shadow the editable install): the nightly mode, safe beside other
work in the same checkout.
Exit status 1 when a module is below ``--target`` (default 0.95), 2 on bad input.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shlex
import shutil
import signal
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.commands.init import init as cr_init
from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome, WorkResult

from orbitbench.apps.report import Mark, Table, write_json
from orbitbench.apps.ui import console
from orbitbench.spec.errors import InputFileError, ParameterError, UsageError

__all__ = ["Config", "Equivalent", "ModuleSpec", "load_config", "main", "run_module",
           "summarise"]

CONFIG = Path("mutation.toml")
OUT = Path("campaigns/mutation")
SKIP_REASON = "not in the --sample"
ANNOTATION_PROOF = ("inside an annotation of a module with `from __future__ import "
                    "annotations` (PEP 563): kept as a string, never evaluated")
COPY_MARK = ".orbitbench-mutation-copy"
# Not copied by --copy: environments, build and run output (none of it is source or test).
COPY_SKIP = frozenset({".venv", ".git", "sim_build", "campaigns", "reports", "bench_out",
                       "__pycache__", ".pytest_cache", ".ruff_cache", "build"})


@dataclass(frozen=True)
class Equivalent:
    """A mutant that cannot change behaviour: identified by operator, occurrence and line."""

    module: str
    operator: str
    occurrence: int
    line: int
    proof: str


@dataclass(frozen=True)
class ModuleSpec:
    """One mutated module and the test files that exercise it."""

    name: str
    path: Path
    tests: tuple[str, ...]
    exclude_operators: dict[str, str] = field(default_factory=dict)  # operator -> reason
    timeout: float | None = None  # seconds per mutant; None: the config's settings.timeout


@dataclass(frozen=True)
class Config:
    timeout: float
    modules: dict[str, ModuleSpec]
    equivalents: tuple[Equivalent, ...]
    annotations_are_equivalent: bool = False
    held: tuple[str, ...] = ()  # modules measured at the target: the nightly tier holds them


def _module_path(root: Path, name: str) -> Path:
    return root.joinpath(*name.split(".")).with_suffix(".py")


def load_config(path: Path, root: Path | None = None) -> Config:
    """Read and check the mutation config (every module file and test file must exist)."""
    root = Path(path).parent if root is None else root
    try:
        raw = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputFileError(f"{path}: mutation config not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{path}: not valid TOML ({exc})") from None
    modules = {}
    for name, m in raw.get("modules", {}).items():
        tests = tuple(m.get("tests", ()))
        if not tests:
            raise InputFileError(f"{path}: module {name} has no tests")
        mpath = _module_path(root, name)
        # A test entry is a file or a pytest node id in one (``file.py::test_name``).
        for f in (mpath, *(root / t.split("::")[0] for t in tests)):
            if not f.is_file():
                raise InputFileError(f"{path}: module {name}: {f} does not exist")
        excl = dict(m.get("exclude_operators", {}))
        for op, reason in excl.items():
            if not str(reason).strip():
                raise InputFileError(f"{path}: module {name}: excluding {op} needs a reason")
        timeout = m.get("timeout")
        if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
            raise InputFileError(f"{path}: module {name}: timeout must be a positive number "
                                 f"of seconds, not {timeout!r}")
        modules[name] = ModuleSpec(name, mpath, tests, excl,
                                   None if timeout is None else float(timeout))
    equivalents = []
    for e in raw.get("equivalent", ()):
        try:
            eq = Equivalent(e["module"], e["operator"], int(e["occurrence"]), int(e["line"]),
                            e["proof"])
        except KeyError as exc:
            raise InputFileError(f"{path}: an [[equivalent]] entry lacks {exc}") from None
        if eq.module not in modules or not eq.proof.strip():
            raise InputFileError(f"{path}: equivalent {eq.operator}#{eq.occurrence}: unknown "
                                 f"module {eq.module!r} or empty proof")
        equivalents.append(eq)
    settings = raw.get("settings", {})
    held = tuple(settings.get("held", ()))
    for name in held:
        if name not in modules:
            raise InputFileError(f"{path}: settings.held names {name!r}, not a module here")
    return Config(float(settings.get("timeout", 120)), modules, tuple(equivalents),
                  bool(settings.get("annotations_are_equivalent", False)), held)


def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``((line, col), (end_line, end_col))`` of every annotation in ``path`` when the module
    has ``from __future__ import annotations`` (otherwise annotations are evaluated: [])."""
    tree = ast.parse(Path(path).read_text())
    if not any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
               and any(a.name == "annotations" for a in n.names) for n in tree.body):
        return []
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign):
            ann = node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ann = node.returns
        else:
            continue
        if ann is not None:
            spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno, ann.end_col_offset)))
    return spans


def _in_annotation(mut: MutationSpec, spans) -> bool:
    return any(start <= tuple(mut.start_pos) < end for start, end in spans)


def _test_command(spec: ModuleSpec, root: Path) -> str:
    tests = " ".join(shlex.quote(str(root / t)) for t in spec.tests)
    return (f"{shlex.quote(sys.executable)} -m pytest -x -q -p no:cacheprovider "
            f"--rootdir {shlex.quote(str(root))} {tests}")


def _operators_cfg(spec: ModuleSpec) -> dict:
    return {}


def _init_session(db: WorkDB, spec: ModuleSpec, sample: int | None, seed: int,
                  annotations: bool = False) -> None:
    cr_init([spec.path], db, _operators_cfg(spec))
    items = list(db.work_items)
    spans = annotation_spans(spec.path) if annotations else []
    in_ann = [w.job_id for w in items if _in_annotation(w.mutations[0], spans)]
    if in_ann:  # equivalent by rule: never run, never in a sample
        db.set_multiple_results(in_ann, WorkResult(WorkerOutcome.SKIPPED,
                                                   output=ANNOTATION_PROOF))
    drop = [w.job_id for w in items
            if any(op in w.mutations[0].operator_name for op in spec.exclude_operators)]
    if sample is not None:
        keep = [w for w in items if w.job_id not in set(drop) | set(in_ann)]
        rng = random.Random(f"{seed}:{spec.name}")
        chosen = {w.job_id for w in rng.sample(keep, min(sample, len(keep)))}
        drop += [w.job_id for w in keep if w.job_id not in chosen]
    if drop:
        db.set_multiple_results(drop, WorkResult(WorkerOutcome.SKIPPED, output=SKIP_REASON))


def run_module(spec: ModuleSpec, out: Path, *, timeout: float, root: Path,
               sample: int | None = None, seed: int = 0, fresh: bool = False,
               survivors: bool = False, annotations: bool = False) -> Path:
    """Run (or resume) every pending mutant of ``spec``, or with ``survivors`` re-run those
    that survived; returns the session DB path."""
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / f"{spec.name}.sqlite"
    if fresh and db_path.exists():
        db_path.unlink()
    original = spec.path.read_bytes()
    command = _test_command(spec, root)
    # Stale bytecode of one mutant must never be loaded for another of the same size.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

    def restore(*_):
        spec.path.write_bytes(original)
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, restore)
    try:
        new = not db_path.exists()
        with use_db(db_path, WorkDB.Mode.create) as db:
            if new:
                _init_session(db, spec, sample, seed, annotations)
            if survivors:
                pending = [item for item, result in db.completed_work_items
                           if _outcome(result) == "survived"]
            else:
                pending = list(db.pending_work_items)
            for i, item in enumerate(pending, 1):
                # Always the file of this run: a session begun in a --copy (or in the
                # checkout) must not mutate another tree when resumed from elsewhere.
                mutations = [MutationSpec(spec.path, mu.operator_name, mu.occurrence, mu.start_pos,
                                          mu.end_pos, mu.operator_args, mu.definition_name)
                             for mu in item.mutations]
                result = mutate_and_test(mutations, command, timeout)
                db.set_result(item.job_id, result)
                console.print(f"{spec.name}: {i}/{len(pending)} "
                              f"{_outcome(result)}", markup=False, highlight=False)
    finally:
        spec.path.write_bytes(original)
        signal.signal(signal.SIGTERM, old)
    return db_path


def _outcome(result: WorkResult) -> str:
    if result.worker_outcome == WorkerOutcome.SKIPPED:
        return "skipped"
    if result.worker_outcome != WorkerOutcome.NORMAL:
        return "killed"  # the mutant broke import or the interpreter: tests cannot pass
    if result.test_outcome == TestOutcome.SURVIVED:
        return "survived"
    if result.output == "timeout":
        return "timed_out"
    return "killed"


def summarise(spec: ModuleSpec, db_path: Path, equivalents: Sequence[Equivalent],
              annotations: bool = False) -> dict:
    """Per-module counts from a session DB.

    With ``annotations``, a mutant inside an annotation (:func:`annotation_spans`) is
    equivalent by rule (``ANNOTATION_PROOF``): never run, counted in ``"in_annotations"``
    (one run anyway, in a session begun without the rule, counts as equivalent).

    Returns ``{"mutants", "run", "pending", "skipped", "killed", "survived", "equivalent",
    "timed_out", "kill_rate", "survivors": [...], "equivalents": [...],
    "stale_equivalents": [...]}``; ``run`` counts the mutants with a result, ``pending`` those
    of an interrupted session still without one; ``kill_rate`` is (killed + timed out) /
    (run - equivalent), None when nothing ran.
    """
    eq = {(e.operator, e.occurrence, e.line): e for e in equivalents if e.module == spec.name}
    counts = dict.fromkeys(("killed", "survived", "equivalent", "timed_out", "skipped"), 0)
    survivors, matched, in_ann = [], [], 0
    spans = annotation_spans(spec.path) if annotations else []
    with use_db(db_path, WorkDB.Mode.open) as db:
        items = {w.job_id: w.mutations[0] for w in db.work_items}
        for job_id, result in db.results:
            mut = items[job_id]
            kind = _outcome(result)
            key = (mut.operator_name, mut.occurrence, mut.start_pos[0])
            if result.output != SKIP_REASON and _in_annotation(mut, spans):
                if kind == "skipped":  # never run, by the rule
                    in_ann += 1
                    continue
                kind = "equivalent"
            elif key in eq and kind != "skipped":
                matched.append(key)
                if kind == "survived":
                    kind = "equivalent"
            counts[kind] += 1
            if kind == "survived":
                survivors.append({"operator": mut.operator_name, "occurrence": mut.occurrence,
                                  "line": mut.start_pos[0], "diff": result.diff or ""})
        mutants = len(items)
    run = sum(counts[k] for k in ("killed", "survived", "equivalent", "timed_out"))
    scored = run - counts["equivalent"]
    rate = (counts["killed"] + counts["timed_out"]) / scored if scored else None
    return {"mutants": mutants, "run": run,
            "pending": mutants - counts["skipped"] - in_ann - run,
            **counts, "in_annotations": in_ann, "kill_rate": rate,
            "survivors": sorted(survivors, key=lambda s: (s["line"], s["operator"])),
            "equivalents": [{"operator": k[0], "occurrence": k[1], "line": k[2],
                             "proof": eq[k].proof} for k in sorted(set(matched))],
            "stale_equivalents": [{"operator": k[0], "occurrence": k[1], "line": k[2]}
                                  for k in sorted(set(eq) - set(matched))]}


def make_copy(root: Path, dest: Path) -> Path:
    """A fresh copy of the checkout ``root`` at ``dest`` (sources, tests, rtl/, config).

    ``dest`` must not exist, or be an earlier copy (it holds ``COPY_MARK``); anything else
    is refused rather than overwritten.
    """
    root, dest = root.resolve(), dest.resolve()
    if dest == root:
        raise ParameterError(f"--copy {dest} is the checkout itself; give another directory")
    if dest.exists():
        if not (dest / COPY_MARK).is_file():
            raise ParameterError(f"--copy {dest} exists and is not an earlier mutation copy; "
                                 "give a new directory")
        shutil.rmtree(dest)

    def skip(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        return {n for n in names if n in COPY_SKIP or here / n == dest}

    shutil.copytree(root, dest, ignore=skip, symlinks=True)
    (dest / COPY_MARK).write_text(f"copy of {root} made by orbitbench.apps.mutation --copy\n")
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m orbitbench.apps.mutation",
                                description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, default=CONFIG, help=f"default {CONFIG}")
    p.add_argument("--module", action="append", default=None,
                   help="mutate only this module (repeatable; default: every one configured)")
    p.add_argument("--sample", type=int, default=None, metavar="N",
                   help="a seeded sample of N mutants per module (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=0.95,
                   help="kill rate needed in every module (default 0.95)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per mutant, every module (default: the module's timeout, "
                        "else settings.timeout)")
    p.add_argument("--fresh", action="store_true", help="discard saved sessions")
    p.add_argument("--survivors", action="store_true",
                   help="re-run only the mutants that survived in the saved sessions")
    p.add_argument("--report-only", action="store_true",
                   help="summarise the saved sessions without running mutants")
    p.add_argument("--out", type=Path, default=OUT, help=f"output directory (default {OUT})")
    p.add_argument("--copy", type=Path, default=None, metavar="DIR",
                   help="mutate a fresh copy of the checkout at DIR, never the checkout")
    args = p.parse_args(argv)
    try:
        if args.sample is not None and args.sample < 1:
            raise ParameterError(f"--sample must be a positive integer, not {args.sample}")
        if not 0 < args.target <= 1:
            raise ParameterError(f"--target must be in (0, 1], not {args.target}")
        if args.survivors and (args.fresh or args.report_only):
            raise ParameterError("--survivors re-runs a saved session: not with --fresh or "
                                 "--report-only")
        cfg = load_config(args.config)
        names = args.module or list(cfg.modules)
        unknown = [n for n in names if n not in cfg.modules]
        if unknown:
            raise ParameterError(f"--module {unknown[0]} is not configured; allowed: "
                                 + ", ".join(cfg.modules))
        root = args.config.resolve().parent
        args.out = args.out.resolve()
        if args.copy is not None and not args.report_only:
            root = make_copy(root, args.copy)
            cfg = load_config(root / args.config.name)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cwd = Path.cwd()
    try:
        if args.copy is not None and not args.report_only:
            os.chdir(root)  # the tests import the copy's packages (sys.path[0] is the cwd)
        return _run_all(cfg, names, root, args)
    finally:
        os.chdir(cwd)


def _run_all(cfg: Config, names: list[str], root: Path, args) -> int:
    modules, times = {}, {}
    for name in names:
        spec = cfg.modules[name]
        t0, c0 = time.monotonic(), os.times()
        db_path = args.out / f"{name}.sqlite"
        if not args.report_only:
            timeout = args.timeout or spec.timeout or cfg.timeout
            db_path = run_module(spec, args.out, timeout=timeout, root=root,
                                 sample=args.sample, seed=args.seed, fresh=args.fresh,
                                 survivors=args.survivors,
                                 annotations=cfg.annotations_are_equivalent)
        if not db_path.exists():
            continue
        c1 = os.times()
        modules[name] = summarise(spec, db_path, cfg.equivalents,
                                  cfg.annotations_are_equivalent)
        times[name] = {"wall_s": round(time.monotonic() - t0, 1),
                       "cpu_s": round(c1.children_user + c1.children_system + c1.user
                                      + c1.system - c0.children_user - c0.children_system
                                      - c0.user - c0.system, 1)}
        modules[name].update(times[name])
    return _report(modules, args)


def _report(modules: dict, args) -> int:
    table = Table(f"mutation testing (target {args.target:.0%} of non-equivalent mutants)",
                  ["module", "mutants", "run", "killed", "timed out", "survived",
                   "equivalent", "in annotations", "kill rate", "CPU s", "wall s"],
                  left=("module",))
    failed = []
    for name, m in modules.items():
        rate = m["kill_rate"]
        ok = rate is None or rate >= args.target
        if not ok:
            failed.append(name)
        shown = Mark("-" if rate is None else f"{rate:.1%}", "good" if ok else "bad")
        table.add_row(name, m["mutants"], m["run"], m["killed"], m["timed_out"], m["survived"],
                      m["equivalent"], m["in_annotations"], shown, m["cpu_s"], m["wall_s"])
    console.print(table.rich())
    for name, m in modules.items():
        for s in m["survivors"]:
            console.print(f"survived: {name}:{s['line']} {s['operator']} #{s['occurrence']}",
                          markup=False, highlight=False)
        for s in m["stale_equivalents"]:
            console.print(f"warning: {name}: equivalent {s['operator']} #{s['occurrence']} "
                          f"(line {s['line']}) matched no run mutant", markup=False,
                          highlight=False)
    path = write_json(args.out / "report.json",
                      {"target": args.target, "sample": args.sample, "seed": args.seed,
                       "modules": modules})
    console.print(f"{'PASSED' if not failed else 'FAILED: ' + ', '.join(failed)}; {path}",
                  markup=False, highlight=False)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
