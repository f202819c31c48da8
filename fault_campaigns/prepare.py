"""Turn a workload into something the engine runs: targets, a build, a config, a golden run.

:func:`prepare` enumerates the design's state, selects the targets, builds the engine (once
per design), writes the engine's configuration and runs the golden workload once, checking
it against :attr:`Workload.expected`. Everything a worker needs afterwards is in the
returned :class:`Prepared` (plain data, so it pickles to Dask workers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import UsageError

from .engine import Engine, EngineBuild, Ports, build_engine, scope_of
from .targets import (
    Port,
    StateVar,
    TargetError,
    TargetSet,
    design_ports,
    enumerate_nets,
    enumerate_state,
    register_arrays,
    select,
)
from .workload import Workload

__all__ = ["Prepared", "GoldenMismatch", "PortError", "prepare", "engine_config",
           "check_ports", "select_targets"]


class GoldenMismatch(UsageError, RuntimeError):
    """The fault-free run disagrees with the workload's expected output."""


class PortError(TargetError):
    """The design's top module lacks a workload port, or has it with the wrong shape."""


@dataclass(frozen=True)
class Prepared:
    workload: Workload
    targets: TargetSet
    build: EngineBuild
    config: str  # engine configuration text
    cycles: int  # golden workload length, cycles after reset
    golden: tuple[int, ...]  # golden output words
    state_bits: int  # every state bit of the design (targets are a subset)
    golden_seconds: float = 0.0  # wall time of the golden run (the watchdog's yardstick)


def _by_path(state: Sequence[StateVar], path: str, what: str) -> StateVar:
    for v in state:
        if v.path == path:
            return v
    raise TargetError(f"{what} {path!r} is not a state variable or memory of the design")


def engine_config(work: Workload, state: Sequence[StateVar], targets: TargetSet,
                  checkpoint: int = 64, *, raw: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """(config text, public (module, variable) pairs). Target ``i`` is engine variable ``i``.

    ``raw``: only the preload variables, for the speed reference (nothing else public).
    """
    if raw:
        targets = TargetSet(())
        keep = {p.path for p in work.preload} | set(work.observe_signals)
        state = [v for v in state if v.path in keep]
        work = Workload(**{**work.__dict__, "events": ()})
    order: list[StateVar] = list(targets.vars)
    index = {v.path: i for i, v in enumerate(order)}

    def var_id(v: StateVar) -> int:
        if v.path not in index:
            index[v.path] = len(order)
            order.append(v)
        return index[v.path]

    tracked = [] if raw else [var_id(v) for v in state if not v.rom] + [
        index[v.path] for v in targets.vars if v.rom]
    lines: list[str] = []
    for p in work.preload:
        v = _by_path(state, p.path, "preload")
        if len(p.words) > v.depth:
            raise TargetError(f"preload {p.path!r}: {len(p.words)} words, it holds {v.depth}")
        vid = var_id(v)
        lines += [f"preload {vid} {e} {w:x}" for e, w in enumerate(p.words)]
    for path in work.observe_signals:
        v = _by_path(state, path, "observation signal")
        if v.memory:
            raise TargetError(f"observation signal {path!r} is a memory ({v.depth} words); "
                              "observe a register")
        lines.append(f"observe {var_id(v)}")
    for ev in work.events:
        v = _by_path(state, ev.path, "event")
        mask = ev.mask if ev.mask >= 0 else (1 << v.width) - 1
        lines.append(f"event {var_id(v)} {'D' if ev.kind == 'detected' else 'C'} {mask:x}")
    head = [f"var {i} {' '.join(scope_of(work.top, v))}" for i, v in enumerate(order)]
    head += [f"net {i}" for i, v in enumerate(order) if v.net]
    head += [f"state {i}" for i in sorted(set(tracked))]
    wd = work.word_default
    tail = [f"word_default {wd.data:x} {wd.corrected:x} {wd.detected:x}"]
    tail += [f"word {i} {w.data:x} {w.corrected:x} {w.detected:x}"
             for i, w in sorted(work.words.items())]
    tail += [f"elem_bits {work.elem_bits}", f"elem_signed {int(work.elem_signed)}",
             f"reset_cycles {work.reset_cycles}", f"hang_factor {work.hang_factor!r}",
             f"hang_extra {work.hang_extra}", f"checkpoint {checkpoint}"]
    inputs = {name: i for i, name in enumerate(work.ports.inputs)}
    tail += [f"stim {c} {inputs[name]} {value:x}" for c, name, value in work.stimulus]
    if work.stimulus_cycles:
        tail.append(f"stim_end {work.stimulus_cycles}")
    if work.max_cycles:
        tail.append(f"max_cycles {work.max_cycles}")
    if work.observe_words:
        tail.append("observe_words 1")
    public = [(v.module_type, v.name) for v in order]
    return "\n".join([*head, *lines, *tail]) + "\n", public


def check_ports(ports: Sequence[Port], want: Ports, top: str) -> None:
    """Raise :class:`PortError` unless ``top`` has the workload's ports (``want``): 1-bit
    inputs clock and reset, 1-bit outputs done and out_valid (when named), outputs for the
    observation points (any width) and inputs for what the stimulus drives."""
    have = {p.name: p for p in ports}
    need = [(want.clk, "input", 1, "clock"), (want.rst, "input", 1, "reset")]
    need += [(want.done, "output", 1, "done output")] if want.done else []
    need += [(want.out_valid, "output", 1, "valid strobe")] if want.out_valid else []
    need += [(n, "output", 0, "observation point") for n in want.observed]
    need += [(n, "input", 0, "stimulus input") for n in want.inputs]
    missing = [(name, role) for name, _, _, role in need if name not in have]
    if missing:
        names = sorted(have)
        listed = ", ".join(names[:12]) + (f", ... ({len(names)} ports)" if len(names) > 12
                                           else "")
        name, role = missing[0]
        raise PortError(f"design {top!r} has no port {name!r} (the {role}); its ports: "
                        f"{listed or 'none'}; name its ports with --clock, --reset, --done, "
                        "--valid, --observe (or in a campaign file)")
    for name, direction, width, role in need:
        p = have[name]
        if p.direction != direction or (width == 1 and p.width != 1):
            raise PortError(f"design {top!r}: port {name} (the {role}) is a {p.width}-bit "
                            f"{p.direction}, it must be {'a 1-bit' if width == 1 else 'an'} "
                            f"{direction}")
    driven = {want.clk, want.rst}.intersection(want.inputs)
    if driven:
        raise PortError(f"design {top!r}: the stimulus drives {sorted(driven)[0]!r}, which "
                        "the engine drives itself (clock and reset)")


def select_targets(work: Workload, include: Sequence[str] | None = None,
                   exclude: Sequence[str] | None = None, *, roms: bool = False,
                   nets: bool = False,
                   build_root: Path = SIM_BUILD) -> tuple[list[StateVar], TargetSet]:
    """(every state variable, the selected targets) of ``work``: its state variables or,
    with ``nets``, its combinational nets, filtered by ``include``/``exclude`` (default:
    the workload's globs).

    Raises
    ------
    TargetError
        The design cannot be analysed or the filters select nothing.
    """
    cache = Path(build_root) / "targets"
    state = enumerate_state(work.sources, work.top, cache, work.extra_args)
    if work.register_arrays:
        state = register_arrays(state, work.register_arrays)
    pool = enumerate_nets(work.sources, work.top, cache, work.extra_args) if nets else state
    if nets and not pool:
        raise TargetError(f"design {work.top!r} has no combinational nets to inject into")
    targets = select(pool, work.include if include is None else include,
                     work.exclude if exclude is None else exclude, roms=roms)
    return state, targets


def prepare(work: Workload, include: Sequence[str] | None = None,
            exclude: Sequence[str] | None = None, *, roms: bool = False,
            build_root: Path = SIM_BUILD, checkpoint: int = 64, nets: bool = False) -> Prepared:
    """Targets, engine build, config and golden run of ``work``.

    ``include``/``exclude`` default to the workload's own globs. ``nets``: the targets are
    the design's combinational nets (:func:`fault_campaigns.targets.enumerate_nets`), built
    forceable in an engine of their own.

    Raises
    ------
    TargetError
        The design cannot be analysed or the filters select nothing.
    PortError
        The top module lacks the workload's ports (checked before anything is compiled).
    GoldenTrap
        The design ended its own fault-free run ($finish, $fatal, ...) or never raised done.
    GoldenMismatch
        The fault-free run's output differs from ``work.expected``.
    """
    check_ports(design_ports(work.sources, work.top, Path(build_root) / "targets",
                             work.extra_args), work.ports, work.top)
    state, targets = select_targets(work, include, exclude, roms=roms, nets=nets,
                                    build_root=build_root)
    config, public = engine_config(work, state, targets, checkpoint)
    build = build_engine(work.top, work.sources, public, work.ports,
                         extra_args=work.extra_args, build_root=build_root,
                         forceable=[(v.module_type, v.name) for v in targets.vars if v.net])
    with Engine(build, config) as engine:
        cycles, golden = engine.golden()
        seconds = engine.golden_seconds
    if work.expected is not None:
        bad = [i for i, (g, e) in enumerate(zip(golden, work.expected, strict=False))
               if e is not None and g != e]
        if len(golden) != len(work.expected) or bad:
            where = (f"word {bad[0]}: got {golden[bad[0]]:#x}, expected "
                     f"{work.expected[bad[0]]:#x}" if bad else
                     f"{len(golden)} words, expected {len(work.expected)}")
            raise GoldenMismatch(f"workload {work.name!r}: the fault-free run does not match "
                                 f"the expected output ({where}); fix the design or the "
                                 "workload before injecting faults")
    return Prepared(work, targets, build, config, cycles, tuple(golden),
                    sum(v.bits for v in state if not v.rom), seconds)
