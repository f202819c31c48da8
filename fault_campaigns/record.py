"""Record a user's own cocotb test as a campaign stimulus (``orbitbench record``).

The campaign file's design is verilated with the project's toolchain (:mod:`orbitbench.sim`)
with Verilator's tracing of the top level (``--trace --trace-depth 1``), the test module
runs unchanged, and the inputs are read back from the waveform at every rising clock edge
(:func:`fault_campaigns.vcd_stimulus.read_vcd_stimulus`) and written in the stimulus file
format (:func:`fault_campaigns.campaign_file.read_stimulus`): one line per cycle in which
an input changes, far smaller than the waveform. The campaign engine then replays it
natively, with no Python in the loop.

Why Verilator's trace and not a recorder coroutine in the test: cocotb 2 ends a test's
tasks when the test ends, so a recorder started next to the user's test cannot be sure to
see its last cycle, and sampling from Python would need the test to be changed; the trace
records whatever the test drives, from any coroutine, with no change to it.

What is assumed: the stimulus is open loop. A testbench that reacts to the outputs (waits
for ``ready``) is replayed as recorded, with the timing the fault-free design had; when a
fault changes that timing, the replayed inputs no longer react, and the divergence at an
observation point is what the campaign counts.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orbitbench import sim
from orbitbench.spec.errors import InputFileError, UsageError

from .campaign_file import file_workload
from .targets import design_ports
from .vcd_stimulus import read_vcd_stimulus

__all__ = ["RecordError", "Recording", "find_test", "record", "stimulus_text"]


class RecordError(UsageError, ValueError):
    """The test module or test case cannot be found."""


@dataclass(frozen=True)
class Recording:
    """Members: ``tests``/``failed`` (cocotb's counts), ``out`` (the stimulus file written,
    or ``None`` when the test failed), ``cycles``, ``changes`` (input changes recorded),
    ``vcd`` (the waveform it came from) and ``log`` (the simulation's output)."""

    tests: int
    failed: int
    out: Path | None
    cycles: int
    changes: int
    vcd: Path
    log: Path


def find_test(test: str, base: Path, testcase: str | None = None) -> tuple[str, Path]:
    """(module name, its directory) of ``test``: a ``.py`` file (relative to the current
    directory) or a module name, looked up in ``base`` (the campaign file's directory) and
    then on the Python path; ``testcase`` must be a ``@cocotb.test`` function in it.

    Raises
    ------
    RecordError
        No such file or module, or no such test in it.
    """
    if test.endswith(".py"):
        path = Path(test).resolve()
        if not path.is_file():
            raise RecordError(f"--test: no such file {test}")
    elif (Path(base) / f"{test}.py").is_file():
        path = (Path(base) / f"{test}.py").resolve()
    else:
        try:
            spec = importlib.util.find_spec(test)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            raise RecordError(f"--test: no module {test!r} (give a file, test_x.py, or a "
                              f"module in {base})")
        path = Path(spec.origin)
    if testcase is not None:
        tests = _cocotb_tests(path)
        # a TestFactory names its tests when the module runs (run_test_001, ...): those
        # are checked by the run (no test of that name: RecordError from record)
        if testcase not in tests and "TestFactory" not in path.read_text():
            raise RecordError(f"--testcase: {path.name} has no cocotb test {testcase!r} "
                              f"(its tests: {', '.join(tests) or 'none'})")
    if test.endswith(".py") or path.parent == Path(base).resolve():
        return path.stem, path.parent
    return test, Path(base)  # importable as it is


def _cocotb_tests(path: Path) -> list[str]:
    """Names of the functions decorated with ``cocotb.test`` (or ``test``) in ``path``."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError) as exc:
        raise RecordError(f"--test: cannot read {path}: {exc}") from None
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if ast.unparse(target) in ("cocotb.test", "test"):
                    out.append(node.name)
    return out


def stimulus_text(changes: list[tuple[int, str, int]], cycles: int, widths: Mapping[str, int],
                  source: str) -> str:
    """The stimulus file of ``changes`` (``(cycle, port, value)``, cycle -1: reset) lasting
    ``cycles`` cycles (a last line with no change gives the length)."""
    lines = [f"# Recorded by orbitbench record from {source}: the inputs at every rising",
             "# clock edge. CYCLE PORT=VALUE ...; a value holds until changed.", ]
    by_cycle: dict[int, list[str]] = {}
    for cycle, port, value in changes:
        text = str(value) if widths[port] <= 4 else f"{value:#x}"
        by_cycle.setdefault(cycle, []).append(f"{port}={text}")
    for cycle, items in by_cycle.items():
        lines.append(f"{'reset' if cycle < 0 else cycle} {' '.join(items)}")
    if cycles - 1 > max(by_cycle, default=-1):
        lines.append(f"{cycles - 1}  # the recording's last cycle")
    return "\n".join(lines) + "\n"


def record(recipe: Mapping, test: str, out: Path, *, testcase: str | None = None,
           build_root: Path) -> Recording:
    """Run cocotb test module ``test`` (see :func:`find_test`) on the campaign-file
    ``recipe``'s design and write its inputs to ``out`` (unless the test fails).

    Raises
    ------
    RecordError, CampaignFileError, VcdError
        A bad test name, a campaign file that does not fit its design, a waveform the
        inputs cannot be read from.
    """
    module, directory = find_test(test, Path(recipe["dir"]), testcase)
    work = file_workload(recipe, build_root, stimulus=False)  # the stimulus is ours
    inputs = {p.name: p.width for p in design_ports(work.sources, work.top,
                                                    Path(build_root) / "targets",
                                                    work.extra_args)
              if p.direction == "input"}
    design = sim.Design(top=work.top, sources=tuple(work.sources),
                        build_args=(*work.extra_args, "--trace-depth", "1"))
    model = sim.build(design, waves=True, build_root=Path(build_root) / "record")
    vcd = model.build_dir / "runs" / "dump.vcd"
    vcd.unlink(missing_ok=True)
    log = model.build_dir / "runs" / "record.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = sim.run(model, module, testcase=testcase, log_file=log,
                         python_path=[directory], results_name="record")
    except (RuntimeError, SystemExit):  # cocotb could not run the module at all
        result = sim.SimResult(0, 0, Path())
    if result.tests == 0 and testcase is not None and log.exists() \
            and "Traceback" not in log.read_text():
        raise RecordError(f"--testcase: {test} ran no cocotb test {testcase!r}")
    if not result.passed:
        return Recording(result.tests, max(result.failed, result.tests == 0), None, 0, 0,
                         vcd, log)
    if not vcd.exists():
        raise InputFileError(f"the simulation wrote no waveform {vcd}")
    changes, cycles = read_vcd_stimulus(vcd, work.top, inputs, work.ports.clk,
                                        work.ports.rst, work.ports.rst_active_low)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(stimulus_text(changes, cycles, inputs, f"{test}"
                                 + (f" --testcase {testcase}" if testcase else "")))
    return Recording(result.tests, result.failed, out, cycles, len(changes), vcd, log)
