"""Peer injectors for ``make bench-campaign``: other tools' methods, built from our own code.

``vpi``: the method of VPI-based C++ injectors (faultergeist's): the design built with
``--vpi --public-flat-rw`` (the engine's C++ optimisation level, so only the method
differs), every injection re-run from reset in a fresh model, preloads and bit flips through
VPI (read, xor, write back) after the injection cycle's rising edge, the engine's cycle
numbering. ``peer_vpi.cpp`` only runs and reports the output words, ``done`` and the event
variables; :func:`classify` applies the workload's rules (those of ``engine.cpp``: DUE if a
detected indicator fired, else SDC if data differ, else corrected if a corrected indicator
fired, else masked; hang without ``done`` within the engine's bound) so that its outcomes
can be checked equal to the engine's, injection by injection.

``cocotb``: what a cocotb user writes (``testbenches/peer_inject.py``): cocotb's default
``--public-flat-rw`` build, every injection re-run from reset in the same simulator, the
upset a read-xor-deposit from Python, clock and sampling through cocotb triggers; classified
by :func:`classify` as well.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fault_campaigns.engine import OPT_ARGS, Ports, scope_of
from fault_campaigns.plan import Plan
from fault_campaigns.prepare import Prepared
from fault_campaigns.targets import StateVar, enumerate_state
from fault_campaigns.workload import Workload
from orbitbench import sim
from orbitbench.sim import LINT_WAIVERS, SIM_BUILD, find_verilator, locked
from orbitbench.spec.knobs import PEER_JOB, PERF_OUT

__all__ = ["PEER_VPI_SRC", "PeerRun", "build_vpi_peer", "run_vpi_peer", "build_cocotb_peer",
           "run_cocotb_peer", "classify"]

PEER_VPI_SRC = Path(__file__).resolve().with_name("peer_vpi.cpp")


def _cpp(port: str) -> str:
    return port.replace("__", "___05F")  # Verilator's escape of "__" (see engine.py)


def build_vpi_peer(work: Workload, build_root: Path = SIM_BUILD) -> Path:
    """Build (or reuse) the VPI peer for ``work``'s design; returns the executable.

    Raises
    ------
    RuntimeError
        The Verilator or C++ build failed (the message names the log).
    """
    verilator = find_verilator()
    ports: Ports = work.ports
    header = "\n".join(f"#define OBT_{k.upper()} {_cpp(getattr(ports, k))}"
                       for k in ("clk", "rst", "done", "out_valid", "out_data")) + "\n"
    args = ["--cc", "--exe", "--build", "-j", "0", "--prefix", "Vtop", "-o", "peer_vpi",
            "--vpi", "--public-flat-rw", "--top-module", work.top, *LINT_WAIVERS, *OPT_ARGS,
            *work.extra_args]
    h = hashlib.sha256(json.dumps([args, header, verilator.version]).encode())
    for src in (*work.sources, PEER_VPI_SRC):
        h.update(Path(src).read_bytes())
    key = h.hexdigest()[:16]
    build_dir = Path(build_root) / f"peer_vpi_{work.top}-{key}"
    exe, stamp = build_dir / "peer_vpi", build_dir / "orbitbench.stamp"
    with locked(build_dir.parent / f"{build_dir.name}.lock"):
        if stamp.exists() and stamp.read_text() == key and exe.exists():
            return exe
        if build_dir.exists():
            shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        (build_dir / "peer_design.h").write_text(header)
        cmd = [str(verilator.executable), *args, "-CFLAGS", f"-I{build_dir}", "-Mdir",
               str(build_dir), *(str(s) for s in work.sources), str(PEER_VPI_SRC)]
        log = build_dir / "build.log"
        with open(log, "w") as out:
            out.write("$ " + shlex.join(cmd) + "\n")
            out.flush()
            proc = subprocess.run(cmd, env=verilator.env(), stdout=out,
                                  stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0 or not exe.exists():
            raise RuntimeError(f"the VPI peer build for {work.top} failed (exit "
                               f"{proc.returncode}); see {log}")
        stamp.write_text(key)
    return exe


def _vpi_name(top: str, v: StateVar) -> str:
    scope, name = scope_of(top, v)
    return f"{scope}.{name}"


@dataclass(frozen=True)
class PeerRun:
    """Outcomes of the first pass, and the speed of the whole loop."""

    outcomes: dict[int, str]
    injections: int
    cpu_s: float
    wall_s: float


def classify(work: Workload, golden: tuple[list[int], list[int]], done: bool,
             words: list[int], events: list[int]) -> str:
    """The outcome of one run by the workload's rules (those of ``engine.cpp``)."""
    if not done:
        return "hang"
    gold_words, gold_events = golden
    bad = len(words) != len(gold_words)
    corr = det = False
    for i, (w, g) in enumerate(zip(words, gold_words, strict=False)):
        spec = work.words.get(i, work.word_default)
        diff = w ^ g
        corr |= bool(diff & spec.corrected)
        det |= bool(diff & spec.detected)
        bad |= bool(diff & spec.data)
    for ev, got, want in zip(work.events, events, gold_events, strict=True):
        if (got ^ want) & ev.mask:
            if ev.kind == "detected":
                det = True
            else:
                corr = True
    return "due" if det else "sdc" if bad else "corrected" if corr else "masked"


def run_vpi_peer(exe: Path, prep: Prepared, plan: Plan, ids: list[int],
                 seconds: float) -> PeerRun:
    """Run ``ids`` of ``plan`` through the peer (repeated for ``seconds`` of wall time).

    Raises
    ------
    RuntimeError
        The peer failed, or its fault-free run differs from the engine's golden run.
    """
    work = prep.workload
    state = {v.path: v for v in enumerate_state(work.sources, work.top,
                                                SIM_BUILD / "targets", work.extra_args)}
    lines = [f"reset_cycles {work.reset_cycles}",
             f"bound {int(work.hang_factor * prep.cycles) + work.hang_extra}"]
    for p in work.preload:
        v = state[p.path]
        lines += [f"preload {_vpi_name(work.top, v)} {e if v.memory else -1} {w:x}"
                  for e, w in enumerate(p.words)]
    lines += [f"event {_vpi_name(work.top, state[e.path])}" for e in work.events]
    targets = prep.targets.vars
    lines.append("inj -1 -1 0")
    for i in ids:
        flips = plan.flips(i)
        lines.append(f"inj {i} {int(plan.cycle[i])} {len(flips)} " + " ".join(
            f"{_vpi_name(work.top, targets[v])} {e if targets[v].memory else -1} {b}"
            for v, e, b in flips))
    with tempfile.TemporaryDirectory(prefix="obt_peer_") as tmp:
        job = Path(tmp) / "job.txt"
        job.write_text("\n".join(lines) + "\n")
        proc = subprocess.run([str(exe), str(job), repr(float(seconds))], capture_output=True,
                              text=True, check=False, timeout=600 + 10 * seconds)
    if proc.returncode != 0:
        raise RuntimeError(f"the VPI peer failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-300:]}")
    runs: dict[int, tuple[bool, list[int], list[int]]] = {}
    tail = ""
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[0] == "res":
            n = int(parts[4])
            words = [int(x, 16) for x in parts[5:5 + n]]
            events = [int(x, 16) for x in parts[6 + n:]]
            runs[int(parts[1])] = (parts[2] == "1", words, events)
        elif parts[0] == "done":
            tail = line
    gold_done, gold_words, gold_events = runs.pop(-1)
    if not gold_done or tuple(gold_words) != tuple(prep.golden):
        raise RuntimeError("the VPI peer's fault-free run differs from the engine's golden run")
    outcomes = {i: classify(work, (gold_words, gold_events), *r) for i, r in runs.items()}
    _, count, cpu, wall = tail.split()
    return PeerRun(outcomes, int(count), float(cpu), float(wall))


def build_cocotb_peer(work: Workload) -> sim.SimModel:
    """The cocotb default build of ``work``'s design (everything public), cached."""
    return sim.build(sim.Design(top=work.top, sources=tuple(work.sources),
                                build_args=tuple(work.extra_args), public=None))


def run_cocotb_peer(model: sim.SimModel, prep: Prepared, plan: Plan, ids: list[int],
                    seconds: float) -> PeerRun:
    """Run ``ids`` of ``plan`` through the cocotb-style peer (repeated for ``seconds``).

    Raises
    ------
    RuntimeError
        The cocotb run failed, or its fault-free run differs from the engine's golden run.
    """
    work = prep.workload
    state = {v.path: v for v in enumerate_state(work.sources, work.top,
                                                SIM_BUILD / "targets", work.extra_args)}
    targets = prep.targets.vars
    job = {
        "reset_cycles": work.reset_cycles,
        "bound": int(work.hang_factor * prep.cycles) + work.hang_extra,
        "preload": [[p.path, e if state[p.path].memory else -1, w] for p in work.preload
                    for e, w in enumerate(p.words)],
        "events": [e.path for e in work.events],
        "injections": [[-1, -1, []]] + [
            [i, int(plan.cycle[i]), [[targets[v].path, e if targets[v].memory else -1, b]
                                     for v, e, b in plan.flips(i)]] for i in ids],
        "seconds": seconds,
    }
    with tempfile.TemporaryDirectory(prefix="obt_peer_") as tmp:
        job_file, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job_file.write_text(json.dumps(job))
        result = sim.run(model, "testbenches.peer_inject", results_name="peer_inject",
                         log_file=model.build_dir / "runs" / "peer_inject.log",
                         extra_env={**PEER_JOB.env(job_file), **PERF_OUT.env(out),
                                    "COCOTB_LOG_LEVEL": "WARNING"})
        if not result.passed or not out.exists():
            raise RuntimeError(f"the cocotb peer failed; see {model.build_dir}/runs")
        figures = json.loads(out.read_text())
    runs = {r["id"]: r for r in figures["runs"]}
    gold = runs.pop(-1)
    if not gold["done"] or tuple(gold["words"]) != tuple(prep.golden):
        raise RuntimeError("the cocotb peer's fault-free run differs from the engine's golden "
                           "run")
    outcomes = {i: classify(work, (gold["words"], gold["events"]), r["done"], r["words"],
                            r["events"]) for i, r in runs.items()}
    return PeerRun(outcomes, figures["injections"], figures["cpu_s"], figures["wall_s"])
