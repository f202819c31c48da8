"""Random and directed GEMM stimulus, shared by the tests, the pyuvm sequences, the CLI and
the benchmarks. Pure NumPy: a seed fully determines a :class:`GemmCase`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden_models.gemm import gemm_int32
from golden_models.tile import TileMemory, pack_operands
from orbitbench.spec.params import INT8_MAX, INT8_MIN, GemmCommand, TileConfig

__all__ = ["GemmCase", "random_case", "corner_cases", "dims_of_interest"]


@dataclass(frozen=True)
class GemmCase:
    """A command with its operands (mathematical B: K x N)."""

    cmd: GemmCommand
    a: np.ndarray
    b: np.ndarray
    bias: np.ndarray
    mult: np.ndarray
    shift: np.ndarray
    label: str = "random"

    def image(self, cfg: TileConfig, base: TileMemory | None = None) -> TileMemory:
        """Scratchpad image with this case's operands written over ``base``."""
        return pack_operands(cfg, self.a, self.b, self.bias, self.mult, self.shift, mem=base)


def dims_of_interest(size: int, step: int) -> list[int]:
    """1, a non-multiple of the array step, a multiple, and the maximum."""
    return sorted({1, max(1, step - 1), step + 1 if step + 1 <= size else size, size})


def _fitting_shift(acc: np.ndarray, mult: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift that maps the accumulator range onto roughly int8, +-2 so some outputs clamp."""
    peak = max(1, int(np.abs(acc.astype(np.int64)).max()))
    # out ~ acc * (mult / 2**31) * 2**shift; aim for |out| ~ 100.
    base = np.floor(np.log2(100 * 2**31 / (peak * np.maximum(mult, 1)))).astype(np.int64)
    return np.clip(base + rng.integers(-2, 3, size=base.shape), -31, 30)


def random_case(cfg: TileConfig, rng: np.random.Generator, *, m: int | None = None,
                k: int | None = None, n: int | None = None, per_channel: bool | None = None,
                extreme_zp: bool | None = None, label: str = "random") -> GemmCase:
    """A random GEMM that fits ``cfg``: dimensions, operands and quantization parameters."""
    m = int(rng.integers(1, cfg.max_m + 1)) if m is None else m
    k = int(rng.integers(1, cfg.max_k + 1)) if k is None else k
    n = int(rng.integers(1, cfg.max_n + 1)) if n is None else n
    per_channel = bool(rng.integers(2)) if per_channel is None else per_channel
    extreme_zp = bool(rng.random() < 0.2) if extreme_zp is None else extreme_zp
    a = rng.integers(INT8_MIN, INT8_MAX + 1, size=(m, k), dtype=np.int64).astype(np.int8)
    b = rng.integers(INT8_MIN, INT8_MAX + 1, size=(k, n), dtype=np.int64).astype(np.int8)

    def zp():
        if extreme_zp:
            return int(rng.choice([INT8_MIN, INT8_MAX]))
        return int(rng.integers(-20, 21))

    a_zp, b_zp, out_zp = zp(), zp(), zp()
    acc = gemm_int32(a, b, a_zp, b_zp)
    bias = rng.integers(-(1 << 12), 1 << 12, size=n, dtype=np.int64).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, size=n, dtype=np.int64).astype(np.int32)
    shift = _fitting_shift(acc, mult.astype(np.int64), rng)
    qmult = int(mult[0])
    qshift = int(_fitting_shift(acc, np.array([qmult]), rng)[0])
    lo, hi = sorted(int(x) for x in rng.integers(INT8_MIN, INT8_MAX + 1, size=2))
    if rng.random() < 0.5:
        lo, hi = INT8_MIN, INT8_MAX
    cmd = GemmCommand(m=m, k=k, n=n, a_zp=a_zp, b_zp=b_zp, out_zp=out_zp, act_min=lo,
                      act_max=hi, per_channel=per_channel, qmult=qmult, qshift=qshift)
    return GemmCase(cmd, a, b, bias, mult, shift.astype(np.int64), label)


def corner_cases(cfg: TileConfig, rng: np.random.Generator) -> list[GemmCase]:
    """Named directed cases: dimension extremes, operand and zero-point extremes, clamps."""
    R, C = cfg.rows, cfg.cols
    cases = []
    for m, k, n in [(1, 1, 1), (cfg.max_m, cfg.max_k, cfg.max_n), (R + 1, 5, C - 1),
                    (R - 1 or 1, cfg.max_k, C + 1), (cfg.max_m, 3, 1), (1, cfg.max_k, cfg.max_n)]:
        cases.append(random_case(cfg, rng, m=m, k=k, n=n, extreme_zp=False,
                                  label=f"dims_{m}x{k}x{n}"))

    def replace(case, label, **fields):
        base = case.cmd.__dict__ | fields
        return GemmCase(GemmCommand(**base), case.a, case.b, case.bias, case.mult, case.shift,
                        label)

    # Operands at both ends, long K, zero points at both ends: the accumulator extremes.
    k = cfg.max_k
    for av, bv, azp, bzp in [(-128, -128, 127, 127), (127, -128, -128, 127),
                             (-128, 127, 127, -128), (127, 127, -128, -128)]:
        a = np.full((R, k), av, dtype=np.int8)
        b = np.full((k, C), bv, dtype=np.int8)
        z = np.zeros(C, dtype=np.int64)
        cmd = GemmCommand(m=R, k=k, n=C, a_zp=azp, b_zp=bzp, qmult=(1 << 31) - 1, qshift=-31)
        cases.append(GemmCase(cmd, a, b, z.astype(np.int32), z.astype(np.int32) + (1 << 30),
                              z, f"operands_{av}_{bv}_zp_{azp}_{bzp}"))
    base = random_case(cfg, rng, m=R + 1, k=9, n=C + 3, label="clamps")
    cases += [
        replace(base, "saturate_high", qshift=20, act_min=-128, act_max=127),
        replace(base, "saturate_low", qmult=-(1 << 31), qshift=20),
        replace(base, "empty_range", act_min=50, act_max=-50),
        replace(base, "relu6_like", out_zp=-128, act_min=-128, act_max=-104),
        replace(base, "out_zp_high", out_zp=127, per_channel=False),
        replace(base, "shift_left_30", qshift=30, qmult=1 << 30, per_channel=False),
        replace(base, "shift_right_31", qshift=-31, per_channel=False),
    ]
    return cases
