"""cocotb Wishbone classic initiator (driver) for the tile's register bus, and the driver of
the harness's HDL bus player; both execute the tile program's ops
(:class:`orbitbench.driver.program.BusOp`) with the same timing per transfer."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cocotb.triggers import FallingEdge, First, RisingEdge

from orbitbench.driver.program import BusOp, OpKind, pack_ops

__all__ = ["WishboneMaster", "WishbonePlayer", "BusTimeout"]


class BusTimeout(RuntimeError):
    """No ``ack`` within the timeout: the target hung or the address decode is wrong."""


class WishboneMaster:
    """Drives ``<prefix>__cyc/stb/we/adr/dat_w/sel`` and samples ``dat_r/ack`` on ``clk``.

    Byte addresses in, word addresses on the bus. Transfers are back-to-back classic cycles:
    ``cyc``/``stb`` stay high across a burst, the next address is presented in the cycle after
    ``ack``. ``timeout`` bounds the wait for each ``ack`` in clock cycles (``None``: forever,
    needed when a transfer may stall for a whole GEMM). ``irqs`` are the irq handles a WAIT_IRQ
    op's mask bits stand for (bit ``i``: ``irqs[i]``).
    """

    def __init__(self, dut, prefix: str = "bus", clock=None, *, timeout: int | None = 100_000,
                 log: logging.Logger | None = None, irqs: Sequence = ()):
        self.clk = clock if clock is not None else dut.clk
        self.cyc = getattr(dut, f"{prefix}__cyc")
        self.stb = getattr(dut, f"{prefix}__stb")
        self.we = getattr(dut, f"{prefix}__we")
        self.adr = getattr(dut, f"{prefix}__adr")
        self.dat_w = getattr(dut, f"{prefix}__dat_w")
        self.sel = getattr(dut, f"{prefix}__sel")
        self.dat_r = getattr(dut, f"{prefix}__dat_r")
        self.ack = getattr(dut, f"{prefix}__ack")
        self.timeout = timeout
        self.irqs = list(irqs)
        self.log = log or logging.getLogger(f"cocotb.{dut._name}.wb")
        self.transfers = 0
        self.idle()

    def idle(self) -> None:
        self.cyc.value = 0
        self.stb.value = 0
        self.we.value = 0

    async def _wait_ack(self, addr: int) -> None:
        waited = 0
        edge = RisingEdge(self.clk)
        while True:
            await edge
            if self.ack.value:
                return
            waited += 1
            if self.timeout is not None and waited > self.timeout:
                self.idle()
                raise BusTimeout(f"no ack for address 0x{addr:06x} in {self.timeout} cycles")

    async def write_burst(self, addr: int, words: Sequence[int], sel: int = 0xF) -> None:
        """Write ``words`` to consecutive word addresses starting at byte ``addr``."""
        if not words:
            return
        self.cyc.value = 1
        self.stb.value = 1
        self.we.value = 1
        self.sel.value = sel
        word_addr = addr >> 2
        try:
            for i, word in enumerate(words):
                self.adr.value = word_addr + i
                self.dat_w.value = int(word) & 0xFFFF_FFFF
                await self._wait_ack(addr + 4 * i)
        finally:
            self.idle()
        self.transfers += len(words)

    async def read_burst(self, addr: int, count: int) -> list[int]:
        """Read ``count`` consecutive words starting at byte ``addr``."""
        if count <= 0:
            return []
        self.cyc.value = 1
        self.stb.value = 1
        self.we.value = 0
        word_addr = addr >> 2
        out = []
        try:
            for i in range(count):
                self.adr.value = word_addr + i
                await self._wait_ack(addr + 4 * i)
                out.append(self.dat_r.value.to_unsigned())
        finally:
            self.idle()
        self.transfers += count
        return out

    async def execute(self, ops: Sequence[BusOp]) -> list[int]:
        """Play ``ops`` as the HDL bus player does; returns the words the READs read.

        WRITE and READ are classic transfers with ``cyc``/``stb`` held high from one to the
        next (two cycles each when the target does not stall, as in a burst); WAIT_IRQ
        leaves the bus idle until every irq of its mask is high (no cycle if they already
        are; no timeout); END stops.
        """
        out: list[int] = []
        try:
            for op in ops:
                if op.kind == OpKind.END:
                    break
                if op.kind == OpKind.WAIT_IRQ:
                    self.idle()
                    await self._wait_irq(op.data)
                    continue
                write = op.kind == OpKind.WRITE
                self.cyc.value = 1
                self.stb.value = 1
                self.we.value = int(write)
                self.adr.value = op.addr >> 2
                if write:
                    self.sel.value = 0xF
                    self.dat_w.value = op.data
                await self._wait_ack(op.addr)
                if not write:
                    out.append(self.dat_r.value.to_unsigned())
                self.transfers += 1
        finally:
            self.idle()
        return out

    async def _wait_irq(self, mask: int) -> None:
        if mask >> len(self.irqs):
            raise ValueError(f"WAIT_IRQ mask 0x{mask:x} names irqs this master does not have "
                             f"({len(self.irqs)})")
        pending = [h for i, h in enumerate(self.irqs) if mask >> i & 1]
        while True:
            low = [h for h in pending if h.value != 1]
            if not low:
                return
            await First(*(RisingEdge(h) for h in low))

    async def write(self, addr: int, value: int, sel: int = 0xF) -> None:
        await self.write_burst(addr, [value], sel)

    async def read(self, addr: int) -> int:
        return (await self.read_burst(addr, 1))[0]


class WishbonePlayer:
    """Drives the harness's HDL bus player (:mod:`hdl_gen.harness.player`, mode ``started``).

    ``play(ops)`` writes the ops into the player's memory without simulated time, runs them
    at simulator speed (two cycles per transfer, as :class:`WishboneMaster`) and returns the
    words the READs read, in order. Batches longer than the player's memory are split; an
    END ends the batch. Depth and address width are read from the DUT.
    """

    def __init__(self, dut, prefix: str = "bus"):
        self.clk = dut.clk
        self.start = dut.player_start
        self.count = dut.player_count
        self.busy = dut.player_busy
        self.ops = dut.player_ops
        self.rdata = dut.player_rdata
        self.depth = len(self.ops)
        self.addr_width = len(getattr(dut, f"{prefix}__adr"))
        self.transfers = 0
        self.start.value = 0

    async def play(self, ops: Sequence[BusOp]) -> list[int]:
        """Play ``ops`` (up to the first END); returns the read words."""
        ops = list(ops)
        ends = [i for i, op in enumerate(ops) if op.kind == OpKind.END]
        if ends:
            ops = ops[:ends[0]]
        reads: list[int] = []
        for base in range(0, len(ops), self.depth):
            chunk = ops[base:base + self.depth]
            for i, word in enumerate(pack_ops(chunk, self.addr_width)):
                self.ops[i].value = word
            self.count.value = len(chunk)
            self.start.value = 1
            await RisingEdge(self.clk)
            self.start.value = 0
            if not self.busy.value:
                await RisingEdge(self.busy)
            await FallingEdge(self.busy)
            reads += [self.rdata[i].value.to_unsigned()
                      for i, op in enumerate(chunk) if op.kind == OpKind.READ]
            self.transfers += sum(op.kind in (OpKind.WRITE, OpKind.READ) for op in chunk)
        return reads
