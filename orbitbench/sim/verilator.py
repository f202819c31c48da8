"""Build a Verilator model once per design and run cocotb test modules against it.

A build is keyed by a hash of the Verilog sources, the build arguments and the tool versions;
the same key reuses the compiled model, so a whole test session verilates each configuration
once. Builds take a file lock, so concurrent runs (tests and a benchmark) do not collide.

Speed: cocotb's runner verilates with ``--public-flat-rw`` (every signal of every module
visible and writable, which disables most of Verilator's optimisation) and the C++ at -Os.
Here only the signals a design lists in :attr:`Design.public` are made visible, through a
Verilator control file, and the C++ is built at -O2. Measured on the default tile, one core,
a 64x64x64 GEMM free-running under cocotb: 44 k cycles/s with cocotb's defaults, 75 k with
-O2, 230 k with -O2 and only the top modules public (``make bench`` has current figures).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orbitbench.spec.knobs import DESIGN
from orbitbench.spec.paths import REPO, SIM_BUILD

from .toolchain import LINT_WAIVERS, find_verilator

__all__ = ["Design", "SimModel", "SimResult", "build", "run", "locked", "write_if_changed"]

OPT_FAST = "-O2"  # -O3 measured no faster under cocotb (158 k vs 157 k cycles/s)


@dataclass(frozen=True)
class Design:
    """What to verilate: Verilog/SystemVerilog sources and the top module."""

    top: str
    sources: tuple[Path, ...]
    build_args: tuple[str, ...] = ()
    params: Mapping = field(default_factory=dict, hash=False, compare=False)
    #: (module, signal glob) pairs visible to cocotb; ``None`` makes everything visible
    #: (cocotb's default ``--public-flat-rw``, several times slower).
    public: tuple[tuple[str, str], ...] | None = None

    def control_file(self) -> str:
        lines = ["`verilator_config"]
        lines += [f'public_flat_rw -module "{module}" -var "{var}"'
                  for module, var in self.public or ()]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SimModel:
    design: Design
    build_dir: Path
    waves: bool


@dataclass(frozen=True)
class SimResult:
    tests: int
    failed: int
    results_xml: Path

    @property
    def passed(self) -> bool:
        return self.tests > 0 and self.failed == 0


def write_if_changed(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` unless it already holds exactly that (keeps mtimes, and so
    the builds keyed on the file, stable). The file is replaced whole (written aside, then
    renamed), so a concurrent reader, another campaign on the same design, never sees it
    half written."""
    path = Path(path)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def _runner(public_all: bool = True):
    from cocotb_tools.runner import Verilator

    class LeanVerilator(Verilator):
        """cocotb's Verilator runner without the global ``--public-flat-rw``."""

        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            return cmds

    find_verilator().apply()
    return Verilator() if public_all else LeanVerilator()


def _key(design: Design, waves: bool) -> str:
    import cocotb

    h = hashlib.sha256()
    verilator = find_verilator()
    h.update(json.dumps([design.top, list(design.build_args), waves, cocotb.__version__,
                         str(verilator.executable), verilator.version, OPT_FAST,
                         design.control_file() if design.public is not None else None]).encode())
    for src in design.sources:
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:16]


@contextmanager
def locked(path: Path):
    """Exclusive lock on ``path`` (created if needed) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(design: Design, *, waves: bool = False, quiet: bool = True,
          build_root: Path = SIM_BUILD) -> SimModel:
    """Verilate ``design`` unless an identical build exists; return the model.

    The build goes to ``build_root/<top>[_waves]/``.
    """
    name = design.top + ("_waves" if waves else "")
    build_dir = Path(build_root) / name
    stamp = build_dir / "orbitbench.stamp"
    key = _key(design, waves)
    with locked(Path(build_root) / f"{name}.lock"):
        if not (stamp.exists() and stamp.read_text() == key
                and (build_dir / design.top).exists()):
            runner = _runner(public_all=design.public is None)
            log = build_dir / "build.log"
            build_dir.mkdir(parents=True, exist_ok=True)
            sources = list(design.sources)
            if design.public is not None:
                vlt = build_dir / "public.vlt"
                vlt.write_text(design.control_file())
                sources.append(vlt)
            print(f"orbitbench: verilating {design.top} into {build_dir} (once per design)",
                  file=sys.stderr)
            saved = os.environ.get("MAKEFLAGS")
            flags = [f for f in (saved or "").split() if not f.startswith("OPT_FAST=")]
            os.environ["MAKEFLAGS"] = " ".join([*flags, f"OPT_FAST={OPT_FAST}"])
            try:
                runner.build(
                    sources=sources,
                    hdl_toplevel=design.top,
                    build_dir=build_dir,
                    build_args=[*LINT_WAIVERS, "-j", "0", *design.build_args],
                    waves=waves,
                    always=True,
                    log_file=log if quiet else None,
                )
            finally:
                # The runner reads os.environ; do not leak the override to the caller.
                if saved is None:
                    os.environ.pop("MAKEFLAGS", None)
                else:
                    os.environ["MAKEFLAGS"] = saved
            stamp.write_text(key)
    return SimModel(design, build_dir, waves)


def run(model: SimModel, test_module: str, *, testcase: str | Sequence[str] | None = None,
        seed: int | None = None, extra_env: Mapping[str, str] | None = None,
        log_file: Path | None = None, results_name: str | None = None,
        python_path: Sequence[Path] = ()) -> SimResult:
    """Run the cocotb tests of ``test_module`` (a module name importable from ``REPO``, or
    from one of the directories in ``python_path``).

    Under pytest a failing test raises (cocotb's runner exits non-zero); elsewhere the
    counts come back in the result. Parameters reach the tests as ``ORBITBENCH_*`` env vars.
    """
    from cocotb_tools.runner import get_results

    runner = _runner()
    # cocotb's runner hands the simulator this process's sys.path as PYTHONPATH
    saved_path = list(sys.path)
    sys.path[:0] = [str(p) for p in python_path]
    env = {**DESIGN.env(json.dumps(dict(model.design.params))),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.update(extra_env or {})
    test_dir = model.build_dir / "runs"
    results_xml = test_dir / f"{results_name or test_module.rsplit('.', 1)[-1]}.xml"
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=model.design.top,
            hdl_toplevel_lang="verilog",
            build_dir=model.build_dir,
            test_dir=test_dir,
            testcase=testcase,
            seed=seed,
            extra_env=env,
            waves=model.waves,
            log_file=log_file,
            results_xml=None if "PYTEST_CURRENT_TEST" in os.environ else str(results_xml),
        )
    finally:
        sys.path[:] = saved_path
    if "PYTEST_CURRENT_TEST" in os.environ:
        results_xml = test_dir / "results.xml"
        candidates = sorted(test_dir.glob("*.xml"), key=lambda p: p.stat().st_mtime)
        if candidates:
            results_xml = candidates[-1]
    tests, failed = get_results(results_xml)
    return SimResult(tests, failed, results_xml)
