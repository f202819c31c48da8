"""A stimulus from a VCD waveform of the design's inputs (a recorded golden simulation).

Any simulator's VCD works, for example one dumped by the team's own cocotb testbench (a
Verilator or Icarus run with waves). The inputs are sampled at every rising edge of the
clock, with the value each had before the edge (a change at the edge's own time, like a
cocotb write after ``await RisingEdge(clk)``, is seen by the next edge). The first edge at
which the reset is inactive after it was active ends cycle 0 (edges before the reset is
first asserted are left out); the values sampled during reset are the
stimulus's ``reset`` values. The result is the same list of ``(cycle, port, value)`` changes
a stimulus file gives (:func:`fault_campaigns.campaign_file.read_stimulus`); ``x`` and ``z``
bits read as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pylibfst

from orbitbench.spec.errors import UsageError

__all__ = ["VcdError", "read_vcd_stimulus", "read_fst_stimulus"]


class VcdError(UsageError, ValueError):
    """The waveform cannot be read, or does not fit the design."""


def _signals(lines, path: Path, top: str, wanted: set[str]) -> tuple[dict[str, str], int]:
    """({identifier code: port name}, index of the first line after $enddefinitions) of
    the scope holding most of ``wanted`` (the design's top, e.g. under cocotb's TOP)."""
    scopes: dict[tuple[str, ...], dict[str, str]] = {}
    stack: list[str] = []
    i = 0
    while i < len(lines):
        words = lines[i].split()
        i += 1
        if not words:
            continue
        if words[0] == "$scope" and len(words) >= 3:
            stack.append(words[2])
        elif words[0] == "$upscope":
            stack.pop() if stack else None
        elif words[0] == "$var" and len(words) >= 5:
            name = words[4]
            if name in wanted:
                scopes.setdefault(tuple(stack), {}).setdefault(words[3], name)
        elif words[0] == "$enddefinitions":
            break
    return _best_scope(scopes, path, top, wanted), i


def _best_scope(scopes: Mapping[tuple[str, ...], dict[str, str]], path: Path, top: str,
                wanted: set[str]) -> dict[str, str]:
    """The {code: port} of the scope holding most of the ``wanted`` inputs."""
    if not scopes:
        raise VcdError(f"{path}: no signal named like an input of {top!r} "
                       f"({', '.join(sorted(wanted))})")
    best = max(scopes, key=lambda s: (len(set(scopes[s].values())), s[-1:] == (top,), -len(s)))
    return scopes[best]


def read_vcd_stimulus(path: Path, top: str, inputs: Mapping[str, int], clock: str, reset: str,
                      reset_active_low: bool) -> tuple[list[tuple[int, str, int]], int]:
    """(changes, cycles) of the design's inputs (``inputs``: name -> width) in ``path``.

    Raises
    ------
    VcdError
        Unreadable, no clock or reset in it, no edge after reset, or a value wider than its
        port.
    """
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        raise VcdError(f"cannot read the waveform {path}: "
                       f"{(exc.strerror or str(exc)).lower()}") from None
    codes, start = _signals(lines, path, top, set(inputs))
    return _stimulus(lines[start:], codes, path, inputs, clock, reset, reset_active_low)


def _stimulus(lines, codes: Mapping[str, str], path: Path, inputs: Mapping[str, int],
              clock: str, reset: str, reset_active_low: bool):
    """(changes, cycles) from the value-change lines of a VCD body (``#TIME``, ``bBITS
    CODE``, ``0CODE``...) of the signals ``codes`` names."""
    names = set(codes.values())
    for need, what in ((clock, "clock"), (reset, "reset")):
        if need not in names:
            raise VcdError(f"{path}: the {what} {need!r} is not in the waveform (found: "
                           f"{', '.join(sorted(names))})")
    value = dict.fromkeys(names, 0)
    before = dict(value)  # the values at the end of the previous time step
    sampled: list[dict[str, int]] = []  # values before each rising clock edge

    def change(code: str, bits: str) -> None:
        name = codes.get(code)
        if name is None:
            return
        v = int("".join("1" if b == "1" else "0" for b in bits), 2)
        if name == clock and v and not value[clock]:
            # a simulator that dumps once per time step (Verilator) lists an input written
            # at the edge's own time in the same step, maybe before the clock: the edge
            # samples what the inputs were before the step
            sampled.append({**before, clock: 0})
        value[name] = v

    for line in lines:
        line = line.strip()
        if not line or line[0] == "$":
            continue
        if line[0] == "#":
            before = dict(value)
            continue
        if line[0] in "bB":
            bits, _, code = line[1:].partition(" ")
            change(code.strip(), bits)
        elif line[0] in "01xXzZ":
            change(line[1:].strip(), line[0])
        # real values (r...) and strengths are not inputs of a synthesizable top: ignored
    active = 0 if reset_active_low else 1
    # edges before the reset is first asserted (a test that starts with it inactive, then
    # pulses it) are before the design's known state: not part of the stimulus
    on = next((i for i, s in enumerate(sampled) if s[reset] == active), None)
    first = None if on is None else next(
        (i for i in range(on, len(sampled)) if sampled[i][reset] != active), None)
    if first is None:
        raise VcdError(f"{path}: no rising edge of {clock} with {reset} "
                       f"{'active' if on is None else 'inactive after it was active'}; the "
                       "waveform must hold the design in reset, then leave it")
    again = next((i for i, s in enumerate(sampled[first:]) if s[reset] == active), None)
    if again is not None:
        raise VcdError(f"{path}: {reset} is active again at cycle {again} (a waveform of "
                       "several tests? record one test); a stimulus has one reset, at the "
                       "start")
    ports = sorted(names - {clock, reset})
    for p in ports:
        width = inputs[p]
        bad = next((s[p] for s in sampled if s[p] >> width), None)
        if bad is not None:
            raise VcdError(f"{path}: {p}: {bad:#x} does not fit its {width} bits")
    out = [(-1, p, sampled[first - 1][p]) for p in ports]
    last = dict(sampled[first - 1])
    for cycle, s in enumerate(sampled[first:]):
        for p in ports:
            if s[p] != last[p]:
                out.append((cycle, p, s[p]))
                last[p] = s[p]
    return out, len(sampled) - first


def read_fst_stimulus(path: Path, top: str, inputs: Mapping[str, int], clock: str, reset: str,
                      reset_active_low: bool) -> tuple[list[tuple[int, str, int]], int]:
    """:func:`read_vcd_stimulus` of an FST waveform, read with GTKWave's own FST library
    (``pylibfst``): its value changes are sampled exactly as a VCD's.

    Raises
    ------
    VcdError
        The file cannot be read as FST, or the waveform does not fit.
    """
    if not Path(path).is_file():
        raise VcdError(f"cannot read the waveform {path}: no such file")
    ctx = pylibfst.lib.fstReaderOpen(str(path).encode())
    if ctx == pylibfst.ffi.NULL:
        raise VcdError(f"{path}: not an FST waveform (GTKWave's FST reader cannot open it)")
    try:
        _, signals = pylibfst.get_scopes_signals2(ctx)
        wanted = set(inputs)
        scopes: dict[tuple[str, ...], dict[str, str]] = {}
        for full, sig in signals.by_name.items():
            *scope, name = full.split(" ")[0].split(".")  # "top.block [511:0]"
            if name in wanted:
                scopes.setdefault(tuple(scope), {}).setdefault(str(sig.handle), name)
        codes = _best_scope(scopes, path, top, wanted)
        changes: list[tuple[int, str, str]] = []

        def changed(_data, time, handle, value) -> None:
            code = str(handle)
            if code in codes:
                changes.append((int(time), code, pylibfst.ffi.string(value).decode()))

        pylibfst.lib.fstReaderSetFacProcessMaskAll(ctx)
        pylibfst.fstReaderIterBlocks(ctx, changed)
    finally:
        pylibfst.lib.fstReaderClose(ctx)
    changes.sort(key=lambda c: c[0])  # stably: in the file's order within a time step
    lines: list[str] = []
    last = None
    for time, code, bits in changes:
        if time != last:
            lines.append(f"#{time}")
            last = time
        lines.append(f"b{bits} {code}")
    return _stimulus(lines, codes, path, inputs, clock, reset, reset_active_low)
