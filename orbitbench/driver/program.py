"""The tile program: the bus operations that run one GEMM on the tile, and what they read.

One builder, :func:`make_workload`, turns a GEMM on a :class:`~orbitbench.spec.params.TileConfig`
into the frontdoor sequence (load A, Bᵀ, bias, MULT, SHIFT; program the command registers;
IRQ_ENABLE, START; wait for ``irq``; read STATUS, CYCLES, STATUS; clear DONE; read the
result rows back) with every word those reads must return (from the golden model).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from golden_models.stimulus import random_case
from golden_models.tile import TileMemory, gemm_cycles, run_tile
from orbitbench.spec.params import INT8_MAX, INT8_MIN, GemmCommand, TileConfig
from orbitbench.spec.regmap import Reg, Region, Status, reg_addr, region_base

__all__ = ["GemmProgram", "make_workload", "contiguous_runs"]

# Bus script op codes (see raw_main.cpp).
_MAGIC, _VERSION = 0x5752424F, 1
_OP_WRITE, _OP_READ, _OP_WAIT_IRQ = 1, 2, 3
_TAG_CYCLES = 1


def contiguous_runs(indices) -> list[tuple[int, int]]:
    """Contiguous runs ``(start, length)`` of sorted word indices: one bus burst each."""
    indices = np.asarray(indices)
    if len(indices) == 0:
        return []
    breaks = np.nonzero(np.diff(indices) != 1)[0] + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(indices)]))
    return [(int(indices[s]), int(e - s)) for s, e in zip(starts, ends, strict=True)]


@dataclass(frozen=True)
class GemmProgram:
    """One GEMM as a bus script, with what the reads must return."""

    cmd: GemmCommand
    script: bytes
    expected_reads: np.ndarray  # uint32, every word the script reads, in order
    result_slice: slice  # where the result words sit in the reads
    status_reads: tuple[int, ...]  # indices of the STATUS reads
    cycles_read: int  # index of the CYCLES read
    macs: int


class _Script:
    def __init__(self):
        self.words: list[int] = []
        self.ops = 0
        self.reads = 0

    def write(self, addr: int, data: Sequence[int]) -> None:
        self.words += [_OP_WRITE, addr, len(data), *(int(d) & 0xFFFF_FFFF for d in data)]
        self.ops += 1

    def read(self, addr: int, count: int, tag: int = 0) -> int:
        """Append a read burst; returns the index of its first word among all reads."""
        self.words += [_OP_READ, addr, count, tag]
        self.ops += 1
        first, self.reads = self.reads, self.reads + count
        return first

    def wait_irq(self, timeout: int) -> None:
        self.words += [_OP_WAIT_IRQ, timeout]
        self.ops += 1

    def encode(self) -> bytes:
        words = [_MAGIC, _VERSION, self.ops, *self.words]
        return struct.pack(f"<{len(words)}I", *words)


def _operand_words(cfg: TileConfig, m: int, k: int, n: int) -> dict[str, np.ndarray]:
    """Word indices per region that hold the operands of an M x K x N GEMM."""
    kw_used, kw = (k + 3) // 4, cfg.max_k // 4
    rows = lambda count: (np.arange(count)[:, None] * kw + np.arange(kw_used)).ravel()  # noqa: E731
    return {"a": rows(m), "b": rows(n), "bias": np.arange(n), "mult": np.arange(n),
            "shift": np.arange(n)}


_REGIONS = {"a": Region.A, "b": Region.B, "bias": Region.BIAS, "mult": Region.MULT,
            "shift": Region.SHIFT}



def make_workload(cfg: TileConfig, gemm: tuple[int, int, int] | None = None, seed: int = 1,
                  corrupt: str | None = None) -> GemmProgram:
    """The bus script of one GEMM on ``cfg`` and the words its reads must return.

    The operands and quantization parameters come from
    :func:`golden_models.stimulus.random_case` (per-channel, zero points -20..20, the clamp
    widened to the full int8 range so that as many outputs as possible carry information).
    The bus sequence is the testbench's (:meth:`testbenches.tile_tb.GemmTileTestbench.gemm`
    with ``path="frontdoor"``), except that every operand word is written on every repeat.

    ``corrupt="operand"`` is a negative control: the script writes one A word with its sign
    bits flipped while the expected words stay those of the true operands.
    """
    m, k, n = gemm if gemm is not None else (cfg.max_m, cfg.max_k, cfg.max_n)
    cmd_dims = GemmCommand(m=m, k=k, n=n)
    if not cmd_dims.fits(cfg):
        raise ValueError(f"gemm {m}x{k}x{n} does not fit config {cfg.name!r} "
                         f"(max {cfg.max_m}x{cfg.max_k}x{cfg.max_n})")
    if corrupt not in (None, "operand", "result"):
        raise ValueError(f"corrupt must be None, 'operand' or 'result', not {corrupt!r}")
    rng = np.random.default_rng(seed)
    case = random_case(cfg, rng, m=m, k=k, n=n, per_channel=True, extreme_zp=False)
    case = dataclasses.replace(case, cmd=dataclasses.replace(case.cmd, act_min=INT8_MIN,
                                                             act_max=INT8_MAX))
    cmd = case.cmd
    image = case.image(cfg, TileMemory.zeros(cfg))  # the memories are zero after power-up
    golden = run_tile(cfg, cmd, image)
    if golden.error:  # pragma: no cover - fits() was checked above
        raise RuntimeError(f"golden model rejects {cmd}")
    expected_cycles = gemm_cycles(cfg, cmd)
    written = image.copy()
    if corrupt == "operand":
        written = _corrupt_operand(cfg, cmd, image, golden.c)

    s = _Script()
    for region, words in _operand_words(cfg, m, k, n).items():
        data = getattr(written, region)
        for start, length in contiguous_runs(np.sort(words)):
            s.write(region_base(_REGIONS[region]) + 4 * start, data[start:start + length])
    s.write(reg_addr(Reg.M), [cmd.m, cmd.k, cmd.n, cmd.a_zp, cmd.b_zp, cmd.out_zp, cmd.act_min,
                              cmd.act_max, int(cmd.per_channel), cmd.qmult, cmd.qshift & 0x3F])
    s.write(reg_addr(Reg.IRQ_ENABLE), [1])
    s.write(reg_addr(Reg.CTRL), [1])
    s.wait_irq(timeout=min(4 * expected_cycles + 100_000, 0xFFFF_FFFF))
    status_1 = s.read(reg_addr(Reg.STATUS), 1)
    cycles_read = s.read(reg_addr(Reg.CYCLES), 1, tag=_TAG_CYCLES)
    status_2 = s.read(reg_addr(Reg.STATUS), 1)
    s.write(reg_addr(Reg.STATUS), [Status.DONE | Status.ERROR])
    words_per_row, used = cfg.max_n // 4, (n + 3) // 4
    result_words = []
    first_result = s.reads
    for i in range(m):
        s.read(region_base(Region.C) + 4 * i * words_per_row, used)
        result_words.extend(range(i * words_per_row, i * words_per_row + used))

    expected = np.zeros(s.reads, dtype=np.uint32)
    expected[status_1] = expected[status_2] = int(Status.DONE)
    expected[cycles_read] = expected_cycles
    expected[first_result:] = golden.c[result_words]
    return GemmProgram(cmd=cmd, script=s.encode(), expected_reads=expected,
                    result_slice=slice(first_result, s.reads),
                    status_reads=(status_1, status_2), cycles_read=cycles_read,
                    macs=cmd.macs)


def _corrupt_operand(cfg: TileConfig, cmd: GemmCommand, image: TileMemory,
                     golden_c: np.ndarray) -> TileMemory:
    """``image`` with the first A word whose corruption changes the result corrupted."""
    for word in _operand_words(cfg, cmd.m, cmd.k, cmd.n)["a"]:
        bad = image.copy()
        bad.a[word] ^= np.uint32(0x8080_8080)
        if not np.array_equal(run_tile(cfg, cmd, bad).c, golden_c):
            return bad
    raise RuntimeError("no single corrupted A word changes the result")  # pragma: no cover
