"""The tile program: the bus operations that run a GEMM on the tile, and what they read.

One encoding, :class:`BusOp` (kind, byte address, data), packed LSB first as
``dat_w[32] | word_adr[AW] | kind[2]`` (:meth:`BusOp.pack`; ``AW`` is the bus's word-address
width: :data:`~orbitbench.spec.regmap.ADDR_WIDTH` = 21 on the tile, ``host_addr_width`` on
the multi-tile top's host port). Kinds (:class:`OpKind`):

========  ==========================================================================
WRITE     one Wishbone classic write of ``data`` to ``addr``, all four byte lanes
READ      one classic read of ``addr``; its word is the program's next read word
WAIT_IRQ  the bus idle until every irq whose bit is set in ``data`` (the mask) is high
END       the end of the program
========  ==========================================================================

One builder, :func:`gemm_program`, turns a command and a scratchpad image into the
frontdoor sequence, in named phases:

============  ===================================================================
load          the operand words (every word the command uses, or only those that
              differ from a shadow image, or none for backdoor loads)
command       the eleven command registers M .. QSHIFT
irq_enable    IRQ_ENABLE = 1
start         CTRL.START
wait          WAIT_IRQ
status        read STATUS, CYCLES, STATUS
clear         clear DONE and ERROR
readback      read the result rows (rows < M, the words covering n < N)
counters      read TMR_ERRORS, ECC_CORRECTED, ECC_UNCORRECTABLE (ABFT profiles: and
              ABFT_CORRECTED, ABFT_DETECTED)
============  ===================================================================

followed by END. It also gives every word the reads must return (from the golden model;
``None`` where nothing is compared) and where the interesting reads are.
:func:`multitile_program` composes the same pieces on the multi-tile top's host port, and
:func:`make_workload` is the seeded GEMM of the raw benchmark and the tile campaign.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from golden_models.multitile import MultiTileResult
from golden_models.stimulus import random_case
from golden_models.tile import TileMemory, TileResult, gemm_cycles, run_tile
from orbitbench.spec.multitile import MultiTileConfig, NocReg, host_byte_addr
from orbitbench.spec.params import INT8_MAX, INT8_MIN, GemmCommand, TileConfig
from orbitbench.spec.regmap import ADDR_WIDTH, Reg, Region, Status, reg_addr, region_base

__all__ = ["OpKind", "BusOp", "GemmProgram", "PHASES", "LOADS", "COUNTERS", "NOC_COUNTERS",
           "gemm_program", "multitile_program", "make_workload", "op_width", "pack_ops",
           "contiguous_runs"]


class OpKind(enum.IntEnum):
    """What a :class:`BusOp` does (the two ``kind`` bits of a packed op)."""

    WRITE = 0
    READ = 1
    WAIT_IRQ = 2
    END = 3


def op_width(addr_width: int = ADDR_WIDTH) -> int:
    """Bits of one packed op on a bus with ``addr_width``-bit word addresses."""
    return 34 + addr_width


class _Op(NamedTuple):
    kind: OpKind
    addr: int
    data: int


class BusOp(_Op):
    """One bus operation (see the module docstring); an immutable ``(kind, addr, data)``.

    Members
    -------
    kind : OpKind
    addr : int
        Byte address (a multiple of 4) of a WRITE or READ; 0 otherwise.
    data : int
        The word a WRITE writes, the irq mask of a WAIT_IRQ; 0 otherwise. 32 bits.

    Raises
    ------
    ValueError
        An address that is not a word address, or data outside 32 bits.
    """

    __slots__ = ()

    def __new__(cls, kind: OpKind, addr: int = 0, data: int = 0):
        # A tuple, not a dataclass: a GEMM program has thousands of ops.
        if type(kind) is not OpKind:
            kind = OpKind(kind)
        if addr < 0 or addr % 4:
            raise ValueError(f"addr must be a non-negative multiple of 4, not {addr!r}")
        if not 0 <= data <= 0xFFFF_FFFF:
            raise ValueError(f"data must be a 32-bit word, not {data!r}")
        return tuple.__new__(cls, (kind, addr, data))

    @classmethod
    def write(cls, addr: int, data: int) -> BusOp:
        """A WRITE of ``data`` (taken modulo 2**32: negative register values are two's
        complement)."""
        return cls(OpKind.WRITE, int(addr), int(data) & 0xFFFF_FFFF)

    @classmethod
    def read(cls, addr: int) -> BusOp:
        return cls(OpKind.READ, int(addr))

    @classmethod
    def wait_irq(cls, mask: int = 1) -> BusOp:
        return cls(OpKind.WAIT_IRQ, 0, int(mask))

    @classmethod
    def end(cls) -> BusOp:
        return cls(OpKind.END)

    def pack(self, addr_width: int = ADDR_WIDTH) -> int:
        """The op word ``dat_w[32] | word_adr[addr_width] | kind[2]`` (LSB first)."""
        word_addr = self.addr >> 2
        if word_addr >> addr_width:
            raise ValueError(f"byte address 0x{self.addr:x} needs more than {addr_width} "
                             "word-address bits")
        return self.data | (word_addr << 32) | (int(self.kind) << (32 + addr_width))

    @classmethod
    def unpack(cls, word: int, addr_width: int = ADDR_WIDTH) -> BusOp:
        """The op of a packed word (inverse of :meth:`pack`)."""
        return cls(OpKind((word >> (32 + addr_width)) & 3),
                   ((word >> 32) & ((1 << addr_width) - 1)) << 2, word & 0xFFFF_FFFF)


def pack_ops(ops: Sequence[BusOp], addr_width: int = ADDR_WIDTH) -> list[int]:
    """The packed op words of ``ops`` (:meth:`BusOp.pack` of each)."""
    if any(op.addr >> (addr_width + 2) for op in ops):
        return [op.pack(addr_width) for op in ops]  # raises for the first op too wide
    shift = {kind: int(kind) << (32 + addr_width) for kind in OpKind}
    return [data | (addr >> 2) << 32 | shift[kind] for kind, addr, data in ops]


#: The phases of :func:`gemm_program`, in program order.
PHASES = ("load", "command", "irq_enable", "start", "wait", "status", "clear", "readback",
          "counters")
#: The operand loads of :func:`gemm_program`.
LOADS = ("used", "changed", "none")
#: The tile's protection counters the ``counters`` phase reads.
COUNTERS = (Reg.TMR_ERRORS, Reg.ECC_CORRECTED, Reg.ECC_UNCORRECTABLE)
#: Read after them on an ABFT tile.
ABFT_COUNTERS = (Reg.ABFT_CORRECTED, Reg.ABFT_DETECTED)
#: The host interface's NoC counters :func:`multitile_program` reads last.
NOC_COUNTERS = (NocReg.CORRECTED, NocReg.DETECTED, NocReg.TMR_MISMATCH)


@dataclass(frozen=True, eq=False)
class GemmProgram:
    """A bus program and what its reads must return.

    Members
    -------
    ops : tuple of BusOp
        Every op, ending with END.
    expected : tuple of int or None
        One word per READ op, in op order; ``None``: not compared (unknown, or timing).
    status_reads : tuple of int
        Indices (into ``expected``) of the STATUS reads.
    cycles_read : int or None
        Index of the CYCLES read.
    result_reads : Mapping[int, int]
        Read index -> C word index (of the tile the read addresses) of every result read.
    counter_reads : Mapping[str, int]
        Counter name (``"TMR_ERRORS"``; on the multi-tile top ``"tile0.TMR_ERRORS"``,
        ``"noc.CORRECTED"``) -> read index.
    activity_reads : Mapping[str, int]
        ``"ACT_FEED"`` / ``"ACT_SRAM"`` -> read index of the activity counters read at the
        end (``activity=True``; expected ``None``: what they count is the RTL's measurement).
    phases : Mapping[str, tuple[int, int]]
        Phase name -> ``(first op, op after the last)``; empty phases have equal bounds.
    cmd : GemmCommand or None
    golden : TileResult or None
        The golden model's result of ``cmd`` on the image (single tile, image known).
    gemm_cycles : int or None
        CYCLES of ``cmd`` by the timing contract (:func:`golden_models.tile.gemm_cycles`;
        0 for a command that does not fit).
    """

    ops: tuple[BusOp, ...]
    expected: tuple[int | None, ...]
    status_reads: tuple[int, ...] = ()
    cycles_read: int | None = None
    result_reads: Mapping[int, int] = field(default_factory=dict)
    counter_reads: Mapping[str, int] = field(default_factory=dict)
    activity_reads: Mapping[str, int] = field(default_factory=dict)
    phases: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    cmd: GemmCommand | None = None
    golden: TileResult | None = None
    gemm_cycles: int | None = None

    @property
    def reads(self) -> int:
        return len(self.expected)

    @property
    def macs(self) -> int:
        return self.cmd.macs if self.cmd is not None else 0

    def phase(self, *names: str) -> tuple[BusOp, ...]:
        """The ops of the named phases, in the order named."""
        out: list[BusOp] = []
        for name in names:
            start, stop = self._bounds(name)
            out += self.ops[start:stop]
        return tuple(out)

    def phase_reads(self, *names: str) -> tuple[int, ...]:
        """Read indices of the READ ops of the named phases, in the order named (what
        playing :meth:`phase` of the same names returns, word by word)."""
        out: list[int] = []
        for name in names:
            start, stop = self._bounds(name)
            out += range(self._reads_before[start], self._reads_before[stop])
        return tuple(out)

    @cached_property
    def _reads_before(self) -> list[int]:
        """READ ops before op ``i``, for every ``i`` up to ``len(ops)``."""
        counts = [0]
        for op in self.ops:
            counts.append(counts[-1] + (op.kind == OpKind.READ))
        return counts

    def _bounds(self, name: str) -> tuple[int, int]:
        if name not in self.phases:
            raise KeyError(f"no phase {name!r}; the program has {', '.join(self.phases)}")
        return self.phases[name]

    def words(self, addr_width: int = ADDR_WIDTH) -> list[int]:
        """Every op packed (:meth:`BusOp.pack`)."""
        return pack_ops(self.ops, addr_width)

    def to_bytes(self, addr_width: int = ADDR_WIDTH) -> bytes:
        """The packed ops as little-endian uint64 words (the raw C++ harness's input)."""
        if op_width(addr_width) > 64:
            raise ValueError(f"{addr_width}-bit addresses do not fit a 64-bit op word")
        words = self.words(addr_width)
        return struct.pack(f"<{len(words)}Q", *words)


def contiguous_runs(indices) -> list[tuple[int, int]]:
    """Contiguous runs ``(start, length)`` of sorted word indices: one bus burst each."""
    indices = np.asarray(indices)
    if len(indices) == 0:
        return []
    breaks = np.nonzero(np.diff(indices) != 1)[0] + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(indices)]))
    return [(int(indices[s]), int(e - s)) for s, e in zip(starts, ends, strict=True)]


# --- the pieces ---------------------------------------------------------------------------

#: TileMemory field -> bus region, in load order (C last: only a shadow load writes it).
_REGIONS = {"a": Region.A, "b": Region.B, "bias": Region.BIAS, "mult": Region.MULT,
            "shift": Region.SHIFT, "c": Region.C}
_WRITE, _READ = OpKind.WRITE, OpKind.READ


class _Builder:
    """Accumulates ops, expected read words and named reads. Addresses are tile byte
    addresses plus ``offset`` (the tile's place on a multi-tile host port, else 0)."""

    def __init__(self):
        self.ops: list[BusOp] = []
        self.expected: list[int | None] = []
        self.status: list[int] = []
        self.results: dict[int, int] = {}
        self.counters: dict[str, int] = {}
        self.activity: dict[str, int] = {}
        self.phases: dict[str, tuple[int, int]] = {}
        self.cycles: int | None = None

    def write(self, addr: int, data: int) -> None:
        self.ops.append(BusOp.write(addr, data))

    def writes(self, base: int, words: np.ndarray, data: np.ndarray) -> None:
        """WRITEs of ``data`` to words ``words`` from byte address ``base``."""
        addrs = (base + 4 * np.asarray(words, dtype=np.int64)).tolist()
        self.ops += [BusOp(_WRITE, a, d) for a, d in zip(addrs, np.asarray(
            data, dtype=np.uint32).tolist(), strict=True)]

    def read(self, addr: int, expect: int | None) -> int:
        self.ops.append(BusOp.read(addr))
        self.expected.append(None if expect is None else int(expect))
        return len(self.expected) - 1

    def phase(self, name: str, build: Callable[[], None]) -> None:
        start = len(self.ops)
        build()
        self.phases[name] = (start, len(self.ops))

    def program(self, **kwargs) -> GemmProgram:
        self.ops.append(BusOp.end())
        return GemmProgram(ops=tuple(self.ops), expected=tuple(self.expected),
                           status_reads=tuple(self.status), cycles_read=self.cycles,
                           result_reads=dict(self.results), counter_reads=dict(self.counters),
                           activity_reads=dict(self.activity),
                           phases=dict(self.phases), **kwargs)


def _used_words(cfg: TileConfig, cmd: GemmCommand) -> dict[str, np.ndarray]:
    """Word indices per operand region that an M x K x N command reads, ascending."""
    kw_used, kw = (cmd.k + 3) // 4, cfg.max_k // 4
    rows = lambda count: (np.arange(count)[:, None] * kw + np.arange(kw_used)).ravel()  # noqa: E731
    n = np.arange(cmd.n)
    return {"a": rows(cmd.m), "b": rows(cmd.n), "bias": n, "mult": n, "shift": n}


def _load_used(b: _Builder, cfg: TileConfig, cmd: GemmCommand, image: TileMemory,
               offset: int = 0) -> None:
    for region, words in _used_words(cfg, cmd).items():
        b.writes(offset + region_base(_REGIONS[region]), words, getattr(image, region)[words])


def _load_changed(b: _Builder, image: TileMemory, shadow: TileMemory) -> None:
    for region, bus_region in _REGIONS.items():
        new = getattr(image, region)
        words = np.nonzero(new != getattr(shadow, region))[0]
        b.writes(region_base(bus_region), words, new[words])


def _command(b: _Builder, cmd: GemmCommand, offset: int = 0) -> None:
    values = [cmd.m, cmd.k, cmd.n, cmd.a_zp, cmd.b_zp, cmd.out_zp, cmd.act_min, cmd.act_max,
              cmd.qmode, cmd.qmult, cmd.qshift & 0x3F]
    for i, value in enumerate(values):
        b.write(offset + reg_addr(Reg.M) + 4 * i, value)


def _readback(b: _Builder, cfg: TileConfig, cmd: GemmCommand, c: np.ndarray | None,
              offset: int = 0) -> None:
    words_per_row, used = cfg.max_n // 4, (cmd.n + 3) // 4
    words = (np.arange(cmd.m)[:, None] * words_per_row + np.arange(used)).ravel().tolist()
    base, first = offset + region_base(Region.C), len(b.expected)
    b.ops += [BusOp(_READ, base + 4 * w) for w in words]
    b.expected += [None] * len(words) if c is None else np.asarray(c)[words].tolist()
    b.results.update(zip(range(first, first + len(words)), words, strict=True))


def _counters(b: _Builder, offset: int = 0, prefix: str = "", abft: bool = False) -> None:
    for reg in COUNTERS + (ABFT_COUNTERS if abft else ()):
        b.counters[prefix + reg.name] = b.read(offset + reg_addr(reg), 0)


def _corrupt_operand(cfg: TileConfig, cmd: GemmCommand, image: TileMemory,
                     golden_c: np.ndarray) -> TileMemory:
    """``image`` with the first A word whose corruption changes the result corrupted."""
    for word in _used_words(cfg, cmd)["a"]:
        bad = image.copy()
        bad.a[word] ^= np.uint32(0x8080_8080)
        if not np.array_equal(run_tile(cfg, cmd, bad).c, golden_c):
            return bad
    raise RuntimeError("no single corrupted A word changes the result")  # pragma: no cover


def _check_fits(cfg: TileConfig, cmd: GemmCommand) -> None:
    if not cmd.fits(cfg):
        raise ValueError(f"gemm {cmd.m}x{cmd.k}x{cmd.n} does not fit config {cfg.name!r} "
                         f"(max {cfg.max_m}x{cfg.max_k}x{cfg.max_n})")


def _check_corrupt(corrupt: str | None) -> None:
    if corrupt not in (None, "operand"):
        raise ValueError(f"corrupt must be None or 'operand', not {corrupt!r}")


# --- the programs -------------------------------------------------------------------------

def gemm_program(cfg: TileConfig, cmd: GemmCommand | None, image: TileMemory | None = None,
                 *, load: str = "used", shadow: TileMemory | None = None,
                 readback: bool = True, counters: bool = False, timing: bool = True,
                 corrupt: str | None = None, activity: bool = False) -> GemmProgram:
    """The frontdoor program of ``cmd`` on the tile ``cfg`` (phases: :data:`PHASES`).

    Parameters
    ----------
    cfg : TileConfig
    cmd : GemmCommand or None
        The command; ``None`` for a program that only loads ``image`` (every phase but
        ``load`` is empty).
    image : TileMemory, optional
        The scratchpads the command runs on: what ``load`` writes, and what the golden model
        computes the expected words from. Without it the result reads expect ``None``.
    load : "used", "changed" or "none"
        ``used``: every A, Bᵀ, bias, MULT and SHIFT word the command reads (the scratchpads
        hold zeros or this same workload elsewhere); ``changed``: every word of the six
        scratchpads (C included) that differs from ``shadow``, so the tile ends up holding
        ``image``; ``none``: no operand writes (loaded by backdoor, or already there).
    shadow : TileMemory
        What the scratchpads hold now; needed by ``load="changed"``.
    readback : bool
        Read the result rows back (the ``readback`` phase; empty if ``cmd`` does not fit).
    counters : bool
        Read the protection counters (the ``counters`` phase).
    timing : bool
        Expect CYCLES to equal :func:`golden_models.tile.gemm_cycles`; ``False``: not
        compared (``None``), as in fault campaigns where an upset may change the timing.
    corrupt : None or "operand"
        Negative control: load one A word with its sign bits flipped (the first whose
        corruption changes the result) while the expected words stay the true ones.
    activity : bool
        End the ``counters`` phase with reads of ACT_FEED and ACT_SRAM (the activity counters
        the power model takes, counted since reset; :attr:`GemmProgram.activity_reads`).

    Raises
    ------
    ValueError
        A bad option, a missing image or shadow, or ``load="used"`` with a command that
        does not fit ``cfg``.
    """
    if load not in LOADS:
        raise ValueError(f"load must be 'used', 'changed' or 'none', not {load!r}")
    _check_corrupt(corrupt)
    if load != "none" and image is None:
        raise ValueError(f"load={load!r} needs an image")
    if load == "changed" and shadow is None:
        raise ValueError("load='changed' needs a shadow image")
    if load == "used":
        if cmd is None:
            raise ValueError("load='used' needs a command")
        _check_fits(cfg, cmd)
    if corrupt is not None and (load == "none" or cmd is None):
        raise ValueError("corrupt='operand' needs a command and a frontdoor load")
    golden = run_tile(cfg, cmd, image) if cmd is not None and image is not None else None
    written = image
    if corrupt == "operand":
        _check_fits(cfg, cmd)
        written = _corrupt_operand(cfg, cmd, image, golden.c)

    b = _Builder()
    if load == "used":
        b.phase("load", lambda: _load_used(b, cfg, cmd, written))
    elif load == "changed":
        b.phase("load", lambda: _load_changed(b, written, shadow))
    else:
        b.phase("load", lambda: None)
    if cmd is None:
        for name in PHASES[1:]:
            b.phase(name, lambda: None)
        return b.program(cmd=None)

    fits = cmd.fits(cfg)
    status = int(Status.DONE) | (0 if fits else int(Status.ERROR))
    cycles = gemm_cycles(cfg, cmd) if fits else 0  # a refused command takes no cycles

    def status_reads():
        b.status.append(b.read(reg_addr(Reg.STATUS), status))
        b.cycles = b.read(reg_addr(Reg.CYCLES), cycles if timing else None)
        b.status.append(b.read(reg_addr(Reg.STATUS), status))

    b.phase("command", lambda: _command(b, cmd))
    b.phase("irq_enable", lambda: b.write(reg_addr(Reg.IRQ_ENABLE), 1))
    b.phase("start", lambda: b.write(reg_addr(Reg.CTRL), 1))
    b.phase("wait", lambda: b.ops.append(BusOp.wait_irq(1)))
    b.phase("status", status_reads)
    b.phase("clear", lambda: b.write(reg_addr(Reg.STATUS), Status.DONE | Status.ERROR))
    b.phase("readback", lambda: _readback(b, cfg, cmd, None if golden is None else golden.c)
            if readback and fits else None)
    def counter_reads():
        if counters:
            _counters(b, abft=cfg.abft)
        if activity:
            for reg in (Reg.ACT_FEED, Reg.ACT_SRAM):
                b.activity[reg.name] = b.read(reg_addr(reg), None)

    b.phase("counters", counter_reads)
    return b.program(cmd=cmd, golden=golden, gemm_cycles=cycles)


def multitile_program(cfg: MultiTileConfig, golden: MultiTileResult, *,
                      corrupt: str | None = None) -> GemmProgram:
    """The program of a GEMM split across the multi-tile top's tiles, on its host port.

    ``golden`` is :func:`golden_models.multitile.multitile_gemm`'s split: for every tile
    with rows, its used operand words and command registers, IRQ_ENABLE (phase ``setup``);
    START to each of them (``start``, they compute concurrently); one WAIT_IRQ whose mask is
    those tiles (``wait``); per tile a STATUS read and a DONE clear (``status``); per tile
    its result rows (``readback``); per tile its protection counters, then the host
    interface's :data:`NOC_COUNTERS` (``counters``); END. Every access but the last three
    reads is a NoC transaction. ``corrupt="operand"`` as in :func:`gemm_program` (in the
    first tile with rows).
    """
    _check_corrupt(corrupt)
    tile = cfg.tile
    active = [s for s in golden.shares if s.cmd is not None]

    def at(t: int) -> int:
        """Host byte address of tile (or host interface) ``t``'s byte 0."""
        return host_byte_addr(cfg, t, 0)

    b = _Builder()

    def setup():
        for i, s in enumerate(active):
            image = s.image
            if corrupt == "operand" and i == 0:
                image = _corrupt_operand(tile, s.cmd, s.image, s.c)
            _load_used(b, tile, s.cmd, image, at(s.tile))
            _command(b, s.cmd, at(s.tile))
            b.write(at(s.tile) + reg_addr(Reg.IRQ_ENABLE), 1)

    def status():
        for s in active:
            b.status.append(b.read(at(s.tile) + reg_addr(Reg.STATUS), int(Status.DONE)))
            b.write(at(s.tile) + reg_addr(Reg.STATUS), Status.DONE | Status.ERROR)

    def counters():
        for s in active:
            _counters(b, at(s.tile), f"tile{s.tile}.")
        for reg in NOC_COUNTERS:
            b.counters[f"noc.{reg.name}"] = b.read(at(cfg.noc_index) + 4 * int(reg), 0)

    b.phase("setup", setup)
    b.phase("start", lambda: [b.write(at(s.tile) + reg_addr(Reg.CTRL), 1) for s in active])
    b.phase("wait", lambda: b.ops.append(BusOp.wait_irq(sum(1 << s.tile for s in active))))
    b.phase("status", status)
    b.phase("readback", lambda: [_readback(b, tile, s.cmd, s.c, at(s.tile)) for s in active])
    b.phase("counters", counters)
    return b.program()


def make_workload(cfg: TileConfig, gemm: tuple[int, int, int] | None = None, seed: int = 1,
                  corrupt: str | None = None, *, counters: bool = False,
                  timing: bool = True, activity: bool = False) -> GemmProgram:
    """The program of the seeded GEMM the raw benchmark and the tile campaign run.

    Operands and quantization parameters from :func:`golden_models.stimulus.random_case`
    (per-channel, zero points -20..20, the clamp widened to the full int8 range so that as
    many outputs as possible carry information) on scratchpads that are zero after
    power-up; ``gemm`` (M, K, N) defaults to the tile's capacity. Every used operand word
    is written (:func:`gemm_program` with ``load="used"``), so the program can be repeated.
    """
    m, k, n = gemm if gemm is not None else (cfg.max_m, cfg.max_k, cfg.max_n)
    _check_fits(cfg, GemmCommand(m=m, k=k, n=n))
    _check_corrupt(corrupt)
    rng = np.random.default_rng(seed)
    case = random_case(cfg, rng, m=m, k=k, n=n, per_channel=True, extreme_zp=False)
    case = dataclasses.replace(case, cmd=dataclasses.replace(case.cmd, act_min=INT8_MIN,
                                                             act_max=INT8_MAX))
    image = case.image(cfg, TileMemory.zeros(cfg))
    return gemm_program(cfg, case.cmd, image, load="used", counters=counters, timing=timing,
                        corrupt=corrupt, activity=activity)
