"""Testbench harness around the tile: an HDL-side Wishbone player (transaction acceleration).

Driving a bus from Python costs a Python/simulator crossing per clock edge (~15 us here);
the player instead replays a list of bus transfers stored in its own memory, at simulator
speed, on the same Wishbone classic port software would use. The testbench writes the list
with backdoor writes (one VPI call per transfer, no clock edges), pulses ``player_start``,
and awaits the fall of ``player_busy``; read data lands in ``player_rdata``.

The harness is testbench code: it is generated into the simulation build directory, never
into ``rtl/``, and it wraps the tile unchanged (instance ``tile``). While the player is idle
the harness's own ``bus__*`` ports drive the tile, so a cycle-by-cycle Python master
(:class:`testbenches.wishbone.WishboneMaster`) works as on the bare tile.

Op word layout (LSB first): ``dat_w[32] | adr[addr_width] | sel[4] | we[1]``.
"""

from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl_gen.wishbone import WishboneSignature
from orbitbench.spec.regmap import ADDR_WIDTH

__all__ = ["PlayerHarness", "emit_harness", "pack_op", "PLAYER_DEPTH"]

PLAYER_DEPTH = 2048


def pack_op(we: bool, word_addr: int, data: int = 0, sel: int = 0xF,
            addr_width: int = ADDR_WIDTH) -> int:
    """One player op word (see the module docstring for the layout)."""
    return ((int(data) & 0xFFFF_FFFF) | (word_addr << 32)
            | ((sel & 0xF) << (32 + addr_width)) | (int(we) << (36 + addr_width)))


class PlayerHarness(wiring.Component):
    """Wraps the Verilog module ``tile_top`` and plays bus transfers into it.

    Transfers run back to back as classic cycles: two clock cycles each when the tile does
    not stall, exactly as :class:`~testbenches.wishbone.WishboneMaster` issues them.

    Members
    -------
    bus : In(WishboneSignature)
        External initiator port, forwarded to the tile while the player is idle.
    irq, busy : Out(1)
        The tile's outputs.
    therm_code : In(12), therm_sample : In(1)
        Forwarded to the tile's thermal sensor inputs (tied low unless a test drives them).
    throttle_level : Out(3), dvfs_level : Out(2), act_feed, act_sram : Out(32)
        The tile's throttle and activity outputs.
    player_start : In(1)
        Starts playing ops ``0 .. player_count - 1`` (ignored while playing).
    player_count : In(range(depth + 1))
    player_busy : Out(1)
    """

    def __init__(self, tile_top: str, depth: int = PLAYER_DEPTH):
        self.tile_top, self.depth = tile_top, depth
        super().__init__({
            "bus": In(WishboneSignature(addr_width=ADDR_WIDTH)),
            "irq": Out(1),
            "busy": Out(1),
            "therm_code": In(12),
            "therm_sample": In(1),
            "throttle_level": Out(3),
            "dvfs_level": Out(2),
            "act_feed": Out(32),
            "act_sram": Out(32),
            "player_start": In(1),
            "player_count": In(range(depth + 1)),
            "player_busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        aw = ADDR_WIDTH
        # Kept at the top level of the harness so cocotb reaches them as dut.player_ops[i].
        m.submodules.player_ops = ops = Memory(shape=37 + aw, depth=self.depth, init=[])
        m.submodules.player_rdata = rdata = Memory(shape=32, depth=self.depth, init=[])
        op_rd = ops.read_port(domain="comb")
        rd_wr = rdata.write_port()

        tile = {name: Signal(len(getattr(self.bus, name)), name=f"tile_{name}")
                for name in ("cyc", "stb", "we", "adr", "dat_w", "sel", "dat_r", "ack")}
        m.submodules.tile = Instance(
            self.tile_top,
            i_clk=ClockSignal(), i_rst=ResetSignal(),
            **{f"i_bus__{n}": tile[n] for n in ("cyc", "stb", "we", "adr", "dat_w", "sel")},
            o_bus__dat_r=tile["dat_r"], o_bus__ack=tile["ack"],
            o_irq=self.irq, o_busy=self.busy,
            i_therm_code=self.therm_code, i_therm_sample=self.therm_sample,
            o_throttle_level=self.throttle_level, o_dvfs_level=self.dvfs_level,
            o_act_feed=self.act_feed, o_act_sram=self.act_sram)

        index = Signal(range(self.depth + 1))
        op = op_rd.data
        m.d.comb += [op_rd.addr.eq(index), self.bus.dat_r.eq(tile["dat_r"]),
                     self.bus.ack.eq(tile["ack"] & ~self.player_busy)]
        with m.If(self.player_busy):
            m.d.comb += [
                tile["cyc"].eq(1), tile["stb"].eq(1),
                tile["dat_w"].eq(op[0:32]), tile["adr"].eq(op[32:32 + aw]),
                tile["sel"].eq(op[32 + aw:36 + aw]), tile["we"].eq(op[36 + aw]),
            ]
            with m.If(tile["ack"]):
                m.d.comb += [rd_wr.addr.eq(index), rd_wr.data.eq(tile["dat_r"]),
                             rd_wr.en.eq(~op[36 + aw])]
                m.d.sync += index.eq(index + 1)
                with m.If(index + 1 == self.player_count):
                    m.d.sync += self.player_busy.eq(0)
        with m.Else():
            m.d.comb += [tile[n].eq(getattr(self.bus, n))
                         for n in ("cyc", "stb", "we", "adr", "dat_w", "sel")]
            with m.If(self.player_start & (self.player_count != 0)):
                m.d.sync += [index.eq(0), self.player_busy.eq(1)]
        return m


def emit_harness(tile_top: str, depth: int = PLAYER_DEPTH) -> tuple[str, str]:
    """(module name, Verilog text) of the harness for ``tile_top``."""
    name = f"{tile_top}_harness"
    return name, verilog.convert(PlayerHarness(tile_top, depth), name=name, emit_src=False)
