"""cocotb Wishbone classic initiator (driver) for the tile's register bus."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cocotb.triggers import FallingEdge, RisingEdge

from hdl_gen.harness.player import pack_op

__all__ = ["WishboneMaster", "WishbonePlayer", "BusTimeout"]


class BusTimeout(RuntimeError):
    """No ``ack`` within the timeout: the target hung or the address decode is wrong."""


class WishboneMaster:
    """Drives ``<prefix>__cyc/stb/we/adr/dat_w/sel`` and samples ``dat_r/ack`` on ``clk``.

    Byte addresses in, word addresses on the bus. Transfers are back-to-back classic cycles:
    ``cyc``/``stb`` stay high across a burst, the next address is presented in the cycle after
    ``ack``. ``timeout`` bounds the wait for each ``ack`` in clock cycles (``None``: forever,
    needed when a transfer may stall for a whole GEMM).
    """

    def __init__(self, dut, prefix: str = "bus", clock=None, *, timeout: int | None = 100_000,
                 log: logging.Logger | None = None):
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

    async def write(self, addr: int, value: int, sel: int = 0xF) -> None:
        await self.write_burst(addr, [value], sel)

    async def read(self, addr: int) -> int:
        return (await self.read_burst(addr, 1))[0]


class WishbonePlayer:
    """Drives the harness's HDL bus player (see :mod:`hdl_gen.harness.player`).

    ``play(ops)`` writes the transfers into the player's memory without simulated time, runs
    them at simulator speed (two cycles per transfer, as :class:`WishboneMaster`) and returns
    the read data of the read transfers, in order. Batches longer than the player's memory
    are split.
    """

    def __init__(self, dut, depth: int):
        self.clk = dut.clk
        self.start = dut.player_start
        self.count = dut.player_count
        self.busy = dut.player_busy
        self.ops = dut.player_ops
        self.rdata = dut.player_rdata
        self.depth = depth
        self.transfers = 0
        self.start.value = 0

    async def play(self, ops: Sequence[tuple[bool, int, int]]) -> list[int]:
        """``ops``: (write?, byte address, data) per transfer; returns the read data."""

        reads: list[int] = []
        for base in range(0, len(ops), self.depth):
            chunk = ops[base:base + self.depth]
            for i, (we, addr, data) in enumerate(chunk):
                self.ops[i].value = pack_op(we, addr >> 2, data)
            self.count.value = len(chunk)
            self.start.value = 1
            await RisingEdge(self.clk)
            self.start.value = 0
            if not self.busy.value:
                await RisingEdge(self.busy)
            await FallingEdge(self.busy)
            reads += [self.rdata[i].value.to_unsigned()
                      for i, (we, _, _) in enumerate(chunk) if not we]
            self.transfers += len(chunk)
        return reads
