"""Self-running campaign harness around the tile: a bus-op ROM played into the Wishbone port.

A fault campaign needs a workload that runs from reset to completion with no testbench in
the loop (see :mod:`fault_campaigns.workload`), so the harness carries its own stimulus: a
memory ``ops`` holding bus operations, played one after another from reset. Read data
leaves on ``out_valid``/``out_data`` (one word per completed read, in op order) and
``done`` rises after the END op. The engine loads ``ops`` by backdoor before reset, so one
Verilator build serves every workload of the same tile.

Op word layout (LSB first): ``dat_w[32] | adr[ADDR_WIDTH] | kind[2]``, kind 0 WRITE (all four
byte lanes), 1 READ, 2 WAIT_IRQ (bus idle until the tile's ``irq`` is high), 3 END.

Like the testbench player (:mod:`hdl_gen.harness.player`), this is testbench code: it is
generated next to the campaign builds, never into ``rtl/``, and wraps the tile unchanged
(instance ``tile``).
"""

from __future__ import annotations

import enum

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from orbitbench.spec.regmap import ADDR_WIDTH

__all__ = ["Op", "CampaignHarness", "emit_campaign_harness", "pack"]


class Op(enum.IntEnum):
    WRITE = 0
    READ = 1
    WAIT_IRQ = 2
    END = 3


def pack(kind: Op, word_addr: int = 0, data: int = 0) -> int:
    """One op word (see the module docstring)."""
    if not 0 <= word_addr < 1 << ADDR_WIDTH:
        raise ValueError(f"word_addr must be in 0..{(1 << ADDR_WIDTH) - 1}, not {word_addr}")
    return (int(data) & 0xFFFF_FFFF) | (word_addr << 32) | (int(kind) << (32 + ADDR_WIDTH))


class CampaignHarness(wiring.Component):
    """Plays ``ops`` into the Verilog module ``tile_top`` from reset until an END op.

    Members
    -------
    done : Out(1)
        High from the cycle after the END op until reset.
    out_valid, out_data : Out(1), Out(32)
        One read word per cycle in which ``out_valid`` is high.
    """

    def __init__(self, tile_top: str, depth: int):
        if depth < 2:
            raise ValueError(f"depth must be at least 2, not {depth}")
        self.tile_top, self.depth = tile_top, depth
        super().__init__({"done": Out(1), "out_valid": Out(1), "out_data": Out(32)})

    def elaborate(self, platform):
        m = Module()
        aw = ADDR_WIDTH
        m.submodules.ops = ops = Memory(shape=34 + aw, depth=self.depth, init=[])
        rd = ops.read_port(domain="comb")
        index = Signal(range(self.depth))
        op = rd.data
        kind = op[32 + aw:34 + aw]
        cyc, we, ack, irq, busy = Signal(), Signal(), Signal(), Signal(), Signal()
        dat_r = Signal(32)
        m.submodules.tile = Instance(
            self.tile_top,
            i_clk=ClockSignal(), i_rst=ResetSignal(),
            i_bus__cyc=cyc, i_bus__stb=cyc, i_bus__we=we, i_bus__adr=op[32:32 + aw],
            i_bus__dat_w=op[0:32], i_bus__sel=0xF,
            o_bus__dat_r=dat_r, o_bus__ack=ack, o_irq=irq, o_busy=busy,
            # No thermal stimulus in campaigns: the controller never acts (level 0). Its
            # outputs are connected (and unused) so that no pin is missing.
            i_therm_code=0, i_therm_sample=0,
            o_throttle_level=Signal(3), o_dvfs_level=Signal(2), o_act_feed=Signal(32),
            o_act_sram=Signal(32))
        m.d.comb += [rd.addr.eq(index), self.out_data.eq(dat_r)]
        with m.If(~self.done), m.Switch(kind):
            with m.Case(Op.WRITE, Op.READ):
                m.d.comb += [cyc.eq(1), we.eq(kind == Op.WRITE)]
                with m.If(ack):
                    m.d.comb += self.out_valid.eq(kind == Op.READ)
                    m.d.sync += index.eq(index + 1)
            with m.Case(Op.WAIT_IRQ), m.If(irq):
                m.d.sync += index.eq(index + 1)
            with m.Case(Op.END):
                m.d.sync += self.done.eq(1)
        return m


def emit_campaign_harness(tile_top: str, depth: int) -> tuple[str, str]:
    """(module name, Verilog text) of the campaign harness for ``tile_top``."""
    name = f"{tile_top}_campaign"
    return name, verilog.convert(CampaignHarness(tile_top, depth), name=name, emit_src=False)
