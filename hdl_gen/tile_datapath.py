"""The GEMM tile's datapath: operands into the systolic array, requantization, result writes."""

from __future__ import annotations

from amaranth.hdl import Cat, EnableInserter, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import TileConfig

from .abft import AbftChecker
from .checks import silence_if_refused
from .requant import Requantizer
from .systolic import SystolicArray
from .tile_signatures import CommandSignature, DatapathPorts, Depths, StepSignature, log2

__all__ = ["Datapath"]


class Datapath(wiring.Component):
    """Operand path, ``rows`` x ``cols`` :class:`SystolicArray`, ``cols`` :class:`Requantizer`
    lanes and the result write, all advancing only in cycles with ``ce`` high.

    * **Operands**: in a cycle with ``step.feeding`` the datapath reads word ``k // 4`` of
      row ``k`` of block ``(step.ib, step.jb)`` from every A and B bank (``mem.a_addr``,
      ``mem.b_addr``); in the next advancing cycle byte ``k % 4`` of each word, minus
      ``cmd.a_zp`` / ``cmd.b_zp`` (9-bit signed), enters the array (0 when no step was read).
    * **Drain**: in a cycle with ``step.draining`` array row ``step.drain`` enters the
      requantizers with the channel parameters of column block ``step.jb`` (``mem.ch_addr``;
      per-tensor ``cmd.qmult`` / ``cmd.qshift`` unless ``cmd.per_channel``; the lanes round
      as ``config.rounding``, a selectable tile as ``cmd.single`` says). Its bytes are
      written ``Requantizer.LATENCY`` advancing cycles later to result row
      ``(ib * rows + drain) * max_n / cols + jb``, only the bytes ``n < cmd.n`` of rows
      ``< cmd.m`` (``mem.c_wr_en``; all low in held cycles). With ECC the row is written
      whole: the datapath reads it (``mem.c_rd_*``) when the array row enters the
      requantizers and merges the kept bytes into ``mem.c_wr_data``.
    * ``feed_step`` (combinational) is high in an advancing cycle where an operand step
      enters the array.

    The array clears its accumulators in a cycle with ``step.clear``.

    **ABFT** (``config.abft``): the array has its checksum row and column and an
    :class:`~hdl_gen.abft.AbftChecker` follows the drain. In the block's CHECK cycle
    (``step.checking``) a located wrong element is corrected: row ``fix_row`` enters the
    requantizers again with ``acc - fix_d`` in the located column, and its bytes are written
    like a drained row, LATENCY cycles later, over the wrong ones (``abft.corrected``). Every
    requantizer lane has a duplicate fed the same inputs; their outputs (and valids) are
    compared as they leave (``abft.detected`` in a cycle where a lane pair disagrees, or a
    checksum mismatch is not correctable).

    Parameters
    ----------
    config : TileConfig

    Members
    -------
    step : In(StepSignature(config))
    cmd : In(CommandSignature(config.selectable))
    ce : In(1)
        Clock enable of everything here (array and requantizers included).
    mem : Out(DatapathPorts(config))
    feed_step : Out(1)
    abft_corrected, abft_detected : Out(1)
        ABFT profiles only: an element was corrected / a datapath check failed uncorrectably
        this (advancing) cycle.

    Raises
    ------
    TypeError
        ``config`` is not a TileConfig.
    """

    @silence_if_refused
    def __init__(self, config: TileConfig):
        if not isinstance(config, TileConfig):
            raise TypeError(f"config must be a TileConfig, not {config!r}")
        self.config = config
        ports = {
            "step": In(StepSignature(config)), "cmd": In(CommandSignature(config.selectable)),
            "ce": In(1),
            "mem": Out(DatapathPorts(config)), "feed_step": Out(1),
        }
        if config.abft:
            ports |= {"abft_corrected": Out(1), "abft_detected": Out(1)}
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        cfg = self.config
        R, C = cfg.rows, cfg.cols
        array = SystolicArray(R, C, checksums=cfg.abft)
        m.submodules.array = EnableInserter(self.ce)(array)
        lanes = [Requantizer(self.config.rounding) for _ in range(C)]
        for c, lane in enumerate(lanes):
            m.submodules[f"requant_{c}"] = EnableInserter(self.ce)(lane)
        m.d.comb += array.clear.eq(self.step.clear)
        self._operands(m, array)
        fix = self._checker(m, array) if cfg.abft else None
        wr_addr, wr_en = self._drain(m, array, lanes, fix)
        if cfg.abft:
            self._lane_compare(m, lanes, fix)
        self._result_write(m, lanes, wr_addr, wr_en)
        return m

    def _checker(self, m, array):
        """The ABFT checker on the drained rows; returns it (its ``fix*`` outputs)."""
        step, R = self.step, self.config.rows
        chk = AbftChecker(R, self.config.cols)
        m.submodules.abft = EnableInserter(self.ce)(chk)
        m.d.comb += [chk.drain.eq(step.draining), chk.check.eq(step.checking),
                     chk.drain_row.eq(step.drain[:max(log2(R), 1)] if R > 1 else 0)]
        for c in range(self.config.cols):
            m.d.comb += [chk.drain_acc[c].eq(array.drain_acc[c]),
                         chk.chk_row[c].eq(array.chk_row[c])]
        for r in range(R):
            m.d.comb += chk.chk_col[r].eq(array.chk_col[r])
        return chk

    def _lane_compare(self, m, lanes, chk):
        """A duplicate of every requantizer lane, compared as results leave."""
        dups = [Requantizer(self.config.rounding) for _ in lanes]
        errs = []
        for c, (lane, dup) in enumerate(zip(lanes, dups, strict=True)):
            m.submodules[f"requant_{c}_dup"] = EnableInserter(self.ce)(dup)
            ports = ("i_valid", "acc", "bias", "mult", "shift", "out_zp", "act_min", "act_max")
            for port in (*ports, "single") if self.config.selectable else ports:
                m.d.comb += getattr(dup, port).eq(getattr(lane, port))
            errs.append((lane.o_valid != dup.o_valid) | (lane.o_valid & (lane.out != dup.out)))
        m.d.comb += [self.abft_corrected.eq(chk.fix & self.ce),
                     self.abft_detected.eq((chk.detected | Cat(*errs).any()) & self.ce)]

    def _operands(self, m, array):
        """Scratchpad reads of the operand step, zero points, the array's edges."""
        cfg, step, cmd, mem, ce = self.config, self.step, self.cmd, self.mem, self.ce
        kw = cfg.max_k // 4
        m.d.comb += [mem.a_addr.eq(Cat(step.k[2:2 + log2(kw)], step.ib)),
                     mem.b_addr.eq(Cat(step.k[2:2 + log2(kw)], step.jb))]
        if cfg.ecc:
            m.d.comb += mem.op_read.eq(step.feeding)
        # Read data arrives one cycle after the address; the byte select and valid follow.
        byte_sel = Signal(2)
        valid = Signal()
        with m.If(ce):
            m.d.sync += [byte_sel.eq(step.k[:2]), valid.eq(step.feeding)]
        for edge, data, zp in ((array.a_in, mem.a_data, cmd.a_zp),
                               (array.b_in, mem.b_data, cmd.b_zp)):
            for i, word in enumerate(data):
                byte = word.word_select(byte_sel, 8).as_signed()
                m.d.comb += edge[i].eq(Mux(valid, byte - zp, 0))
        m.d.comb += self.feed_step.eq(valid & ce)

    def _drain(self, m, array, lanes, fix):
        """Array rows into the requantizers (a drained row, or with ABFT the corrected row);
        returns the (address, byte enables) of the result row as they leave them."""
        cfg, step, cmd, mem, ce = self.config, self.step, self.cmd, self.mem, self.ce
        R, C = cfg.rows, cfg.cols
        draining, drain, ib, jb = step.draining, step.drain, step.ib, step.jb
        if fix is not None:  # the CHECK cycle re-issues the located row, corrected
            issue = Signal()
            sel = Signal(range(R + 1))
            m.d.comb += [issue.eq(draining | fix.fix), sel.eq(Mux(fix.fix, fix.fix_row, drain))]
            draining, drain = issue, sel
        row = Signal(range(cfg.max_m + R))
        m.d.comb += [array.drain_row.eq(drain[:max(log2(R), 1)] if R > 1 else 0),
                     row.eq(Cat(drain[:log2(R)], ib) if R > 1 else ib),
                     mem.ch_addr.eq(jb)]
        for c, lane in enumerate(lanes):
            acc = array.drain_acc[c]
            if fix is not None:
                acc = (acc - Mux(fix.fix_col[c], fix.fix_d, 0))[:32].as_signed()
            m.d.comb += [
                lane.i_valid.eq(draining),
                lane.acc.eq(acc),
                lane.bias.eq(mem.bias[c]),
                lane.mult.eq(Mux(cmd.per_channel, mem.mult[c], cmd.qmult)),
                lane.shift.eq(Mux(cmd.per_channel, mem.shift[c], cmd.qshift)),
                lane.out_zp.eq(cmd.out_zp),
                lane.act_min.eq(cmd.act_min),
                lane.act_max.eq(cmd.act_max),
            ]
            if cfg.selectable:
                m.d.comb += lane.single.eq(cmd.single)
        # Write address and byte enables travel alongside the requantizer pipeline.
        wr_addr = Signal(range(Depths(cfg).c))
        wr_en = Signal(C)
        m.d.comb += [
            wr_addr.eq(Cat(jb[:log2(cfg.max_n // C)], row)),
            wr_en.eq(Mux(draining & (row < cmd.m),
                         Cat(*[(jb * C + c) < cmd.n for c in range(C)]), 0)),
        ]
        if cfg.ecc:  # the old row, read as the array row enters the requantizers
            m.d.comb += [mem.c_rd_addr.eq(wr_addr), mem.c_rd_en.eq(draining)]
        for i in range(1, Requantizer.LATENCY + 1):
            nxt_addr = Signal.like(wr_addr, name=f"wr_addr_{i}")
            nxt_en = Signal.like(wr_en, name=f"wr_en_{i}")
            with m.If(ce):
                m.d.sync += [nxt_addr.eq(wr_addr), nxt_en.eq(wr_en)]
            wr_addr, wr_en = nxt_addr, nxt_en
        return wr_addr, wr_en

    def _result_write(self, m, lanes, wr_addr, wr_en):
        cfg, mem, ce = self.config, self.mem, self.ce
        out_bytes = Cat(*[lane.out for lane in lanes])
        m.d.comb += [mem.c_wr_addr.eq(wr_addr), mem.c_wr_en.eq(Mux(ce, wr_en, 0))]
        if not cfg.ecc:
            m.d.comb += mem.c_wr_data.eq(out_bytes)
            return
        # ECC words are written whole: merge the new bytes into the old word. The drain
        # reads the old word when it issues a row (LATENCY cycles before its write; each
        # row has its own address).
        old = mem.c_rd_data
        for i in range(1, Requantizer.LATENCY):
            nxt = Signal.like(mem.c_rd_data, name=f"c_old_{i}")
            with m.If(ce):
                m.d.sync += nxt.eq(old)
            old = nxt
        m.d.comb += mem.c_wr_data.eq(Cat(*[
            Mux(wr_en[i], out_bytes.word_select(i, 8), old.word_select(i, 8))
            for i in range(cfg.cols)]))
