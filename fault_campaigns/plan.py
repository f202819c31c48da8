"""Fault models and the injection plan: which bits flip at which cycle, seeded.

Fault models (REFERENCE.md, "Fault injection method" and "Radiation environment"):

``seu``
    One bit flips: a flip-flop bit or a memory bit, drawn uniformly over all target bits
    (so every bit is equally likely to be struck, as for a uniform particle flux), at a cycle
    drawn uniformly over the workload's cycles.
``mbu``
    Like ``seu``, but a strike on a memory bit upsets a cluster of physically adjacent bits
    of the same stored word: the cluster size comes from :data:`DEFAULT_MBU_SIZES` (or the
    user's distribution) and the cluster is placed uniformly among the positions that contain
    the struck bit and fit in the word. "Physically adjacent" is the stored bit order of the
    memory word: the ECC memories store bit ``j`` of interleave slot ``s`` at ``j * I + s``
    (:mod:`hdl_gen.ecc_mem`), so neighbours belong to different codewords. Flip-flops take
    single-bit upsets only.
``stuck``
    Permanent damage (a stuck bit after total dose or latch-up): one flip-flop or memory bit
    is stuck at 0 or at 1 from the drawn cycle to the end of the run (the engine sets it in
    the middle of that cycle and of every later one). The population is every (bit, cycle,
    value); ``value[i]`` is the stuck value (-1 for the flip models). On combinational nets
    (:func:`fault_campaigns.targets.enumerate_nets`) the net is forced to the value.
``set``
    A single-event transient: a strike on a combinational net inverts one of its bits for the
    evaluation before one rising clock edge, so the flops it feeds capture the wrong value;
    then the net is released (``engine.cpp``, "Nets"). Drawn like ``seu``, uniformly over net
    bits and cycles; the targets are the design's nets. Its rate is derated by the latching
    window (:func:`fault_campaigns.stats.set_derating`).

Sampling (:data:`SAMPLINGS`): the population is every (target bit, cycle) pair, ``N = bits x
cycles`` (or bits x the chosen cycles, ``at_cycles``), numbered bit-major (variable, element,
bit, then cycle).

``distinct`` (the default)
    ``count`` distinct pairs drawn uniformly without replacement, so no fault is run twice
    and the statistics can use the finite-population correction
    (:func:`fault_campaigns.stats.wilson` with ``population=N``).
``exhaustive``
    Every pair once, in population order: ``count`` is ``N``; the AVF is exact.
``replacement``
    Bit and cycle drawn independently with replacement: the plans of campaigns made before
    sampling without replacement, kept so that their databases resume.

A plan is a pure function of (targets, workload cycles, count, seed, model, distribution,
sampling): NumPy's PCG64 with the campaign seed, drawn in vectorised passes, so the same inputs
give the same plan on any machine with the pinned NumPy, and each injection's id is its index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from orbitbench.spec.errors import ParameterError

from .targets import TargetSet

__all__ = ["DEFAULT_MBU_SIZES", "FAULT_MODELS", "FINITE_MODELS", "NET_MODELS", "SAMPLINGS",
           "Plan", "distinct_draw", "make_plan", "parse_cycles", "parse_sizes", "population"]

FAULT_MODELS = ("seu", "mbu", "stuck", "set")
#: Models whose outcome is a function of the (bit, cycle[, value]) drawn, so that sampling
#: without replacement has a finite population (``mbu`` also draws a cluster).
FINITE_MODELS = ("seu", "stuck", "set")
#: Models whose targets are combinational nets (``stuck`` takes nets when asked).
NET_MODELS = ("set",)
SAMPLINGS = ("distinct", "exhaustive", "replacement")

# REFERENCE.md, "Radiation environment": Alsat-1 SRAM in LEO saw 98.6 % single-bit and
# 1.22 % multi-bit upsets (normalised here to sum to 1: 98.78 % / 1.22 %); in 16/12 nm FinFET
# SRAM the largest cluster seen was 3 bits. ASSUMPTION: the multi-bit share split evenly
# between 2- and 3-bit clusters (the source gives no split). Override with --mbu-sizes.
DEFAULT_MBU_SIZES: Mapping[int, float] = {1: 0.9878, 2: 0.0061, 3: 0.0061}


def parse_sizes(text: str) -> dict[int, float]:
    """``"1:0.9878,2:0.0061,3:0.0061"`` -> ``{1: 0.9878, 2: 0.0061, 3: 0.0061}``, checked."""
    sizes: dict[int, float] = {}
    try:
        for item in text.split(","):
            size, prob = item.split(":")
            sizes[int(size)] = float(prob)
    except ValueError:
        raise ParameterError(f"MBU sizes must look like '1:0.98,2:0.02', not {text!r}") from None
    _check_sizes(sizes)
    return sizes


def _check_sizes(sizes: Mapping[int, float]) -> None:
    if not sizes or any(s < 1 or s > 64 for s in sizes):
        raise ParameterError(f"MBU cluster sizes must be 1..64, not {sorted(sizes)}")
    if any(not p >= 0 for p in sizes.values()) or not abs(sum(sizes.values()) - 1) < 1e-6:
        raise ParameterError(f"MBU size probabilities must be >= 0 and sum to 1, not "
                         f"{dict(sizes)} (sum {sum(sizes.values()):g})")


@dataclass(frozen=True)
class Plan:
    """Injection ``i`` flips ``size[i]`` adjacent bits from ``bit[i]`` of element ``elem[i]``
    of target variable ``var[i]`` after workload cycle ``cycle[i]``; with ``value[i]`` 0 or
    1 those bits are instead stuck at that value from then on (``value`` None: all flips)."""

    cycle: np.ndarray
    var: np.ndarray
    elem: np.ndarray
    bit: np.ndarray
    size: np.ndarray
    value: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cycle)

    def stuck(self, i: int) -> int:
        """-1 for a flip, else the stuck value."""
        return -1 if self.value is None else int(self.value[i])

    def flips(self, i: int) -> list[tuple[int, ...]]:
        """``(var, elem, bit)`` per flipped bit; ``(var, elem, bit, value)`` when stuck."""
        v, e, b = int(self.var[i]), int(self.elem[i]), int(self.bit[i])
        tail = () if self.stuck(i) < 0 else (self.stuck(i),)
        return [(v, e, b + j, *tail) for j in range(int(self.size[i]))]


def parse_cycles(text: str) -> tuple[int, ...]:
    """``"0,10,39"`` -> ``(0, 10, 39)``: distinct workload cycles, sorted."""
    try:
        values = sorted({int(v) for v in text.split(",")})
    except ValueError:
        raise ParameterError(f"cycles must look like '0,10,39', not {text!r}") from None
    if values[0] < 0:
        raise ParameterError(f"cycles must be >= 0, not {values[0]}")
    return tuple(values)


def _cycle_set(cycles: int, at_cycles: Sequence[int] | None) -> np.ndarray:
    if cycles < 1:
        raise ParameterError(f"the workload must run at least one cycle, not {cycles}")
    if at_cycles is None:
        return np.arange(cycles, dtype=np.int64)
    chosen = np.array(sorted(set(at_cycles)), dtype=np.int64)
    if chosen.size == 0 or chosen[0] < 0 or chosen[-1] >= cycles:
        raise ParameterError(f"cycles must be from 0 to {cycles - 1} (the workload's), not "
                             f"{list(at_cycles)}")
    return chosen


def population(targets: TargetSet, cycles: int, at_cycles: Sequence[int] | None = None,
               model: str = "seu") -> int:
    """``N``: the number of distinct (target bit, cycle) faults, x 2 stuck values for
    ``stuck``."""
    return targets.bits * len(_cycle_set(cycles, at_cycles)) * (2 if model == "stuck" else 1)


def distinct_draw(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """``count`` distinct integers of ``0..n-1`` in random order, uniform over all such
    sequences: a permutation when ``count`` is a large share of ``n``, else repeated draws
    keeping each value's first occurrence (memory ~ ``count``, not ``n``)."""
    if count > n:
        raise ParameterError(f"count {count} is more than the {n} distinct faults; use "
                             "--exhaustive to run every one")
    if 4 * count >= n:
        return rng.permutation(n)[:count].astype(np.int64)
    out = np.empty(0, dtype=np.int64)
    while out.size < count:
        more = rng.integers(0, n, size=count - out.size + count // 16 + 16, dtype=np.int64)
        joined = np.concatenate([out, more])
        _, first = np.unique(joined, return_index=True)
        out = joined[np.sort(first)][:count]
    return out


def make_plan(targets: TargetSet, cycles: int, count: int, seed: int, model: str = "seu",
              sizes: Mapping[int, float] = DEFAULT_MBU_SIZES, sampling: str = "distinct",
              at_cycles: Sequence[int] | None = None) -> Plan:
    """``count`` injections over ``targets`` during a workload of ``cycles`` cycles.

    ``sampling`` is one of :data:`SAMPLINGS` (module docstring); with ``"exhaustive"``,
    ``count`` must be :func:`population`. ``at_cycles`` restricts the cycles (``distinct``
    and ``exhaustive``).

    Raises
    ------
    ParameterError
        An unknown model or sampling, no cycles, a count < 1 or above the population (or not
        equal to it when exhaustive), cycles outside the workload, a bad size distribution.
    """
    if model not in FAULT_MODELS:
        raise ParameterError(f"fault model must be one of {FAULT_MODELS}, not {model!r}")
    if sampling not in SAMPLINGS:
        raise ParameterError(f"sampling must be one of {SAMPLINGS}, not {sampling!r}")
    chosen = _cycle_set(cycles, at_cycles)
    if count < 1:
        raise ParameterError(f"count must be at least 1, not {count}")
    _check_sizes(sizes)
    rng = np.random.Generator(np.random.PCG64(seed))
    bits = np.array([v.bits for v in targets.vars], dtype=np.int64)
    ends = np.cumsum(bits)
    if sampling == "replacement":
        if at_cycles is not None:
            raise ParameterError("chosen cycles need sampling 'distinct' or 'exhaustive'")
        strike = rng.integers(0, int(ends[-1]), size=count, dtype=np.int64)
        cycle = rng.integers(0, cycles, size=count, dtype=np.int64)
    else:
        per = 2 if model == "stuck" else 1  # stuck values, the fastest-varying index
        n = int(ends[-1]) * len(chosen) * per
        if sampling == "exhaustive":
            if count != n:
                raise ParameterError(f"an exhaustive plan has {n} injections, not {count}")
            index = np.arange(n, dtype=np.int64)
        else:
            index = distinct_draw(rng, n, count)
        value = index % per
        index //= per
        strike, cycle = index // len(chosen), chosen[index % len(chosen)]
    var = np.searchsorted(ends, strike, side="right")
    local = strike - (ends[var] - bits[var])
    width = np.array([v.width for v in targets.vars], dtype=np.int64)[var]
    elem, bit = local // width, local % width
    size = np.ones(count, dtype=np.int64)
    if model == "stuck":
        if sampling == "replacement":
            value = rng.integers(0, 2, size=count, dtype=np.int64)
        return Plan(cycle=cycle, var=var, elem=elem, bit=bit, size=size, value=value)
    if model == "mbu":
        options = np.array(sorted(sizes), dtype=np.int64)
        probs = np.array([sizes[s] for s in options], dtype=float)
        drawn = rng.choice(options, size=count, p=probs / probs.sum())
        offset_u = rng.random(count)
        memory = np.array([v.memory for v in targets.vars])[var]
        size = np.where(memory, np.minimum(drawn, width), 1)
        # Place the cluster uniformly among the positions holding the struck bit.
        lo = np.maximum(bit - size + 1, 0)
        hi = np.minimum(bit, width - size)
        bit = lo + np.floor(offset_u * (hi - lo + 1)).astype(np.int64)
    return Plan(cycle=cycle, var=var, elem=elem, bit=bit, size=size)
