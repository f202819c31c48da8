# amaranth: UnusedElaboratable=no
"""The HDL bus player (hdl_gen.harness.player) simulated with Amaranth around a small
Wishbone target with two irqs: both modes, cycle by cycle (two cycles per transfer, one per
satisfied WAIT_IRQ), the WAIT_IRQ mask, END, stalls; and the real tops' harness ports.
The same player runs under Verilator in tests/testbenches (started) and in every campaign
(autorun)."""

import re

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hdl_gen.harness.player import (
    BusPlayer,
    Mode,
    Target,
    emit_player,
    multitile_target,
    tile_target,
)
from hdl_gen.wishbone import WishboneSignature
from orbitbench.driver.program import BusOp, OpKind
from orbitbench.spec.multitile import MULTITILE_CONFIGS
from orbitbench.spec.params import CONFIGS

AW = 6
IRQ_SET, TIMER, STALL = 4 * 0x30, 4 * 0x31, 4 * 0x32  # register byte addresses of the target
A, B = 0x1234_5678, 0x9ABC_DEF0


class Target2(wiring.Component):
    """16-word RAM with a registered ``ack`` like the tile's (a transfer takes two cycles),
    plus: IRQ_SET (irq_a = bit 0, written), TIMER (irq_b rises that many cycles after the
    write), STALL (the next transfer's ack waits that many extra cycles). Counts its writes;
    ``poke`` (an input) is OR-ed into RAM word 0 so the harness's input forwarding shows."""

    def __init__(self):
        super().__init__({"bus": In(WishboneSignature(addr_width=AW)), "irq_a": Out(1),
                          "irq_b": Out(1), "writes": Out(8), "poke": In(8)})
        self.ram = Memory(shape=32, depth=16, init=[])

    def elaborate(self, platform):
        m = Module()
        m.submodules.ram = ram = self.ram
        rd, wr = ram.read_port(domain="comb"), ram.write_port()
        bus = self.bus
        timer, stall = Signal(8), Signal(8)
        req = bus.cyc & bus.stb & ~bus.ack
        served = req & (stall == 0)
        with m.If(req & (stall != 0)):
            m.d.sync += stall.eq(stall - 1)
        m.d.sync += bus.ack.eq(served)
        m.d.comb += [rd.addr.eq(bus.adr[:4]), wr.addr.eq(bus.adr[:4]), wr.data.eq(bus.dat_w),
                     wr.en.eq(served & bus.we & (bus.adr < 16))]
        m.d.sync += bus.dat_r.eq(rd.data | self.poke)
        with m.If(timer != 0):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 1):
                m.d.sync += self.irq_b.eq(1)
        with m.If(served & bus.we):
            m.d.sync += self.writes.eq(self.writes + 1)
            with m.Switch(bus.adr):
                with m.Case(IRQ_SET >> 2):
                    m.d.sync += self.irq_a.eq(bus.dat_w[0])
                with m.Case(TIMER >> 2):
                    m.d.sync += [timer.eq(bus.dat_w), self.irq_b.eq(0)]
                with m.Case(STALL >> 2):
                    m.d.sync += stall.eq(bus.dat_w)
        return m


def _target() -> Target:
    return Target(None, Target2(), "bus", (("irq_a",), ("irq_b",)), "t")


def _autorun(ops, cycles=80):
    """Run ``ops`` in autorun mode; returns (cycle of each out_valid word, first cycle with
    done high, the target's RAM, its write count, the bus's cyc per cycle)."""
    dut = BusPlayer(_target(), mode="autorun", depth=32)
    seen = {"out": [], "done": None, "cyc": []}

    async def bench(ctx):
        for i, op in enumerate(ops):
            ctx.set(dut.player_ops.data[i], op.pack(AW))
        for cycle in range(cycles):
            if ctx.get(dut.out_valid):
                seen["out"].append((cycle, ctx.get(dut.out_data)))
            if ctx.get(dut.done) and seen["done"] is None:
                seen["done"] = cycle
            seen["cyc"].append(ctx.get(dut.target.component.bus.cyc))
            await ctx.tick()
        t = dut.target.component
        seen["ram"] = [ctx.get(t.ram.data[i]) for i in range(16)]
        seen["writes"] = ctx.get(t.writes)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen


def test_autorun_plays_from_reset_two_cycles_per_transfer():
    ops = [BusOp.write(4, A), BusOp.write(8, B), BusOp.write(IRQ_SET, 1),
           BusOp.wait_irq(0b01), BusOp.read(4), BusOp.read(8), BusOp.end(),
           BusOp.write(12, 7)]
    seen = _autorun(ops)
    # writes in cycles 0-1, 2-3, 4-5 (irq_a high from 6); WAIT_IRQ satisfied in cycle 6;
    # reads 7-8 and 9-10 (the word is on out_data in the ack cycle); END in 11.
    assert seen["out"] == [(8, A), (10, B)]
    assert seen["done"] == 12
    assert seen["ram"][1:4] == [A, B, 0], "an op after END ran"
    assert not any(seen["cyc"][11:]), "the bus is not idle after END"


@pytest.mark.parametrize("mask, waits", [(0b00, 0), (0b01, 0), (0b10, 4), (0b11, 4)])
def test_wait_irq_waits_for_every_irq_of_its_mask(mask, waits):
    # irq_a is high from cycle 2; TIMER=5 (served in cycle 2) raises irq_b in cycle 8; the
    # WAIT_IRQ is presented in cycle 4.
    ops = [BusOp.write(IRQ_SET, 1), BusOp.write(TIMER, 5), BusOp.wait_irq(mask),
           BusOp.read(4), BusOp.end()]
    seen = _autorun(ops)
    first = 4 + waits  # the cycle in which the WAIT_IRQ advances
    assert seen["out"] == [(first + 2, 0)]
    assert seen["done"] == first + 4


def test_wait_irq_for_an_irq_that_never_rises_never_ends():
    # Negative control of the mask: irq_a is high, irq_b is never raised.
    seen = _autorun([BusOp.write(IRQ_SET, 1), BusOp.wait_irq(0b11), BusOp.read(4),
                     BusOp.end()], cycles=60)
    assert seen["done"] is None and seen["out"] == []


def test_a_stalled_transfer_takes_its_stall():
    seen = _autorun([BusOp.write(STALL, 3), BusOp.read(4), BusOp.read(8), BusOp.end()])
    assert [c for c, _ in seen["out"]] == [3 + 3, 3 + 3 + 2]


def _started(batches, cycles_per_batch=60, during=None):
    """Started mode: per batch, fill the ops, set the count, pulse start; returns per batch
    (cycle busy rose, cycle it fell, rdata words); and the target's RAM."""
    dut = BusPlayer(_target(), mode=Mode.STARTED, depth=32)
    out = {"batches": []}

    async def bench(ctx):
        cycle = 0
        ctx.set(dut.poke, 0x80)
        for ops, count in batches:
            for i, op in enumerate(ops):
                ctx.set(dut.player_ops.data[i], op.pack(AW))
            ctx.set(dut.player_count, count)
            ctx.set(dut.player_start, 1)
            await ctx.tick()
            ctx.set(dut.player_start, 0)
            rose = fell = None
            for cycle in range(cycles_per_batch):
                busy = ctx.get(dut.player_busy)
                if busy and rose is None:
                    rose = cycle
                if not busy and rose is not None and fell is None:
                    fell = cycle
                if during is not None:
                    await during(ctx, dut, cycle)
                await ctx.tick()
            out["batches"].append((rose, fell, [ctx.get(dut.player_rdata.data[i])
                                                for i in range(len(ops))]))
        out["ram"] = [ctx.get(dut.target.component.ram.data[i]) for i in range(16)]
        out["writes"] = ctx.get(dut.writes)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


def test_started_plays_count_ops_and_stores_read_data_at_their_index():
    ops = [BusOp.write(4, A), BusOp.read(4), BusOp.write(IRQ_SET, 1), BusOp.wait_irq(1),
           BusOp.read(8)]
    (rose, fell, rdata), = _started([(ops, len(ops))])["batches"]
    # busy from the cycle after start; 4 transfers x 2 cycles + 1 for the WAIT_IRQ.
    assert (rose, fell - rose) == (0, 4 * 2 + 1)
    assert rdata[1] == A | 0x80 and rdata[4] == 0x80  # the poke input reaches the target


def test_started_stops_at_count_or_at_end():
    ops = [BusOp.write(4, A), BusOp.write(8, B), BusOp.end(), BusOp.write(12, 5)]
    out = _started([(ops[:2], 1), (ops, 4)])
    (_, fell1, _), (rose2, fell2, _) = out["batches"]
    assert fell1 == 2  # count 1: one transfer
    assert fell2 - rose2 == 2 * 2 + 1  # two transfers, then END
    assert out["ram"][1:4] == [A, B, 0]
    assert out["writes"] == 3


def test_started_forwards_the_external_bus_while_idle():
    """A write on the harness's own bus port reaches the target; its ack is hidden while the
    player owns the bus."""
    acks = []

    async def during(ctx, dut, cycle):
        if cycle == 10:  # the player is idle by now: an external write of word 5
            ctx.set(dut.bus.cyc, 1)
            ctx.set(dut.bus.stb, 1)
            ctx.set(dut.bus.we, 1)
            ctx.set(dut.bus.adr, 5)
            ctx.set(dut.bus.dat_w, B)
        if ctx.get(dut.bus.ack):
            acks.append(cycle)
            ctx.set(dut.bus.cyc, 0)
            ctx.set(dut.bus.stb, 0)

    out = _started([([BusOp.write(4, A)], 1)], during=during)
    assert out["ram"][1] == A and out["ram"][5] == B
    assert acks == [11], "the external port saw an ack of the player's transfer"


@pytest.mark.parametrize("make, message", [
    (lambda: BusPlayer(_target(), mode="free"),
     "mode must be 'autorun' or 'started', not 'free'"),
    (lambda: BusPlayer(_target(), mode="autorun", depth=1),
     "depth must be an integer of at least 2, not 1"),
    (lambda: BusPlayer(Target(None, Target2(), "host", (("irq_a",),), "t"), mode="autorun"),
     "target None has no bus port 'host'"),
    (lambda: BusPlayer(Target(None, Target2(), "bus", (("irq_c",),), "t"), mode="autorun"),
     "target None has no irq output 'irq_c'"),
    (lambda: BusPlayer(Target(None, Target2(), "bus", (("poke",),), "t"), mode="autorun"),
     "target None has no irq output 'poke'"),
])
def test_bad_parameters_are_refused(make, message):
    with pytest.raises(ValueError) as exc:
        make()
    assert str(exc.value) == message


def _ports(text: str, module: str) -> set[str]:
    header = re.search(rf"module {module}\(([^)]*)\)", text).group(1)
    return {p.strip() for p in header.split(",")}


def test_tile_harnesses_have_the_tiles_ports():
    cfg = CONFIGS["small"]
    name, text = emit_player(tile_target(cfg), mode="started")
    assert name == "obt_tile_small_harness"
    tile = {"bus__" + f for f in ("cyc", "stb", "we", "adr", "dat_w", "sel", "dat_r", "ack")}
    tile |= {"irq", "busy", "therm_code", "therm_sample", "throttle_level", "dvfs_level",
             "act_feed", "act_sram"}
    assert _ports(text, name) == tile | {"clk", "rst", "player_start", "player_count",
                                         "player_busy"}
    assert "obt_tile_small tile (" in text
    assert "reg [54:0] player_ops [2047:0];" in text  # 34 + 21 bits per op
    name, text = emit_player(tile_target(cfg), mode="autorun", depth=1024)
    assert name == "obt_tile_small_campaign"
    assert _ports(text, name) == {"clk", "rst", "done", "out_valid", "out_data"}
    assert "reg [54:0] player_ops [1023:0];" in text


def test_multitile_harness_waits_on_every_tile_irq():
    cfg = MULTITILE_CONFIGS["mt2x2"]
    name, text = emit_player(multitile_target(cfg), mode="autorun", depth=64)
    assert name == "obt_mt_mt2x2_campaign"
    assert "obt_mt_mt2x2 mt (" in text
    assert f"reg [{34 + cfg.host_addr_width - 1}:0] player_ops [63:0];" in text
    assert all(f".tile{t}__irq(" in text for t in range(cfg.tiles))
    name, text = emit_player(multitile_target(cfg), mode="started", depth=64)
    assert name == "obt_mt_mt2x2_harness"
    ports = _ports(text, name)
    assert {"host__adr", "host__ack", "tile0__irq", "tile3__therm_code", "noc_corrected",
            "player_start", "player_count", "player_busy"} <= ports
    assert "player_rdata" in text


def test_op_kinds_are_the_programs():
    assert [k.name for k in OpKind] == ["WRITE", "READ", "WAIT_IRQ", "END"]
