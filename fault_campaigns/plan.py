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

A plan is a pure function of (targets, workload cycles, count, seed, model, distribution):
NumPy's PCG64 with the campaign seed, drawn in one vectorised pass, so the same inputs give
the same plan on any machine with the pinned NumPy, and each injection's id is its index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from orbitbench.spec.errors import ParameterError

from .targets import TargetSet

__all__ = ["DEFAULT_MBU_SIZES", "FAULT_MODELS", "Plan", "make_plan", "parse_sizes"]

FAULT_MODELS = ("seu", "mbu")

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
    of target variable ``var[i]`` after workload cycle ``cycle[i]``."""

    cycle: np.ndarray
    var: np.ndarray
    elem: np.ndarray
    bit: np.ndarray
    size: np.ndarray

    def __len__(self) -> int:
        return len(self.cycle)

    def flips(self, i: int) -> list[tuple[int, int, int]]:
        v, e, b = int(self.var[i]), int(self.elem[i]), int(self.bit[i])
        return [(v, e, b + j) for j in range(int(self.size[i]))]


def make_plan(targets: TargetSet, cycles: int, count: int, seed: int, model: str = "seu",
              sizes: Mapping[int, float] = DEFAULT_MBU_SIZES) -> Plan:
    """``count`` injections over ``targets`` during a workload of ``cycles`` cycles."""
    if model not in FAULT_MODELS:
        raise ParameterError(f"fault model must be one of {FAULT_MODELS}, not {model!r}")
    if cycles < 1:
        raise ParameterError(f"the workload must run at least one cycle, not {cycles}")
    if count < 1:
        raise ParameterError(f"count must be at least 1, not {count}")
    _check_sizes(sizes)
    rng = np.random.Generator(np.random.PCG64(seed))
    bits = np.array([v.bits for v in targets.vars], dtype=np.int64)
    ends = np.cumsum(bits)
    strike = rng.integers(0, int(ends[-1]), size=count, dtype=np.int64)
    cycle = rng.integers(0, cycles, size=count, dtype=np.int64)
    var = np.searchsorted(ends, strike, side="right")
    local = strike - (ends[var] - bits[var])
    width = np.array([v.width for v in targets.vars], dtype=np.int64)[var]
    elem, bit = local // width, local % width
    size = np.ones(count, dtype=np.int64)
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
