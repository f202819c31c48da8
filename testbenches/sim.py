"""Build a Verilator model once per design and run cocotb test modules against it.

A build is keyed by a hash of the Verilog sources, the build arguments and the tool versions;
the same key reuses the compiled model, so a whole test session verilates each configuration
once. Builds take a file lock, so concurrent runs (tests and a benchmark) do not collide.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orbitbench.params import TileConfig
from orbitbench.toolchain import LINT_WAIVERS, find_verilator

__all__ = ["REPO", "RTL_DIR", "SIM_BUILD", "Design", "SimModel", "tile_design", "build",
           "run", "SimResult"]

REPO = Path(__file__).resolve().parent.parent
RTL_DIR = REPO / "rtl"
SIM_BUILD = Path(os.environ.get("ORBITBENCH_SIM_BUILD", REPO / "sim_build"))


@dataclass(frozen=True)
class Design:
    """What to verilate: Verilog/SystemVerilog sources and the top module."""

    top: str
    sources: tuple[Path, ...]
    build_args: tuple[str, ...] = ()
    params: Mapping = field(default_factory=dict, hash=False, compare=False)


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


def tile_design(cfg: TileConfig, rtl_dir: Path = RTL_DIR) -> Design:
    """The generated tile for ``cfg`` from ``rtl/`` (run ``make rtl`` to refresh it)."""
    path = rtl_dir / f"{cfg.top_name}.v"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; run 'make rtl'")
    return Design(top=cfg.top_name, sources=(path,), params=cfg.as_dict())


def _runner():
    from cocotb_tools.runner import get_runner

    find_verilator().apply()
    return get_runner("verilator")


def _key(design: Design, waves: bool) -> str:
    import cocotb

    h = hashlib.sha256()
    verilator = find_verilator()
    h.update(json.dumps([design.top, list(design.build_args), waves, cocotb.__version__,
                         str(verilator.executable), verilator.version]).encode())
    for src in design.sources:
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:16]


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(design: Design, *, waves: bool = False, quiet: bool = True) -> SimModel:
    """Verilate ``design`` unless an identical build exists; return the model."""
    name = design.top + ("_waves" if waves else "")
    build_dir = SIM_BUILD / name
    stamp = build_dir / "orbitbench.stamp"
    key = _key(design, waves)
    with _locked(SIM_BUILD / f"{name}.lock"):
        if not (stamp.exists() and stamp.read_text() == key
                and (build_dir / design.top).exists()):
            runner = _runner()
            log = build_dir / "build.log"
            build_dir.mkdir(parents=True, exist_ok=True)
            print(f"orbitbench: verilating {design.top} into {build_dir} (once per design)",
                  file=sys.stderr)
            runner.build(
                sources=list(design.sources),
                hdl_toplevel=design.top,
                build_dir=build_dir,
                build_args=[*LINT_WAIVERS, "-j", "0", *design.build_args],
                waves=waves,
                always=True,
                log_file=log if quiet else None,
            )
            stamp.write_text(key)
    return SimModel(design, build_dir, waves)


def run(model: SimModel, test_module: str, *, testcase: str | Sequence[str] | None = None,
        seed: int | None = None, extra_env: Mapping[str, str] | None = None,
        log_file: Path | None = None, results_name: str | None = None) -> SimResult:
    """Run the cocotb tests of ``test_module`` (a module name importable from ``REPO``).

    Under pytest a failing test raises (cocotb's runner exits non-zero); elsewhere the
    counts come back in the result. Parameters reach the tests as ``ORBITBENCH_*`` env vars.
    """
    from cocotb_tools.runner import get_results

    runner = _runner()
    env = {"ORBITBENCH_DESIGN": json.dumps(dict(model.design.params)),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.update(extra_env or {})
    test_dir = model.build_dir / "runs"
    results_xml = test_dir / f"{results_name or test_module.rsplit('.', 1)[-1]}.xml"
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
    if "PYTEST_CURRENT_TEST" in os.environ:
        results_xml = test_dir / "results.xml"
        candidates = sorted(test_dir.glob("*.xml"), key=lambda p: p.stat().st_mtime)
        if candidates:
            results_xml = candidates[-1]
    tests, failed = get_results(results_xml)
    return SimResult(tests, failed, results_xml)
