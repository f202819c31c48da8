"""hdl_gen.tile_regfile.RegisterFile alone in the Amaranth simulator: bus target and registers.

The controller, scratchpads and throttle are played by the testbench (their ports are driven
directly); expected values come from orbitbench.spec.regmap, not from the RTL. Each STATUS
bit has its own clear test (clearing bit X clears only X), with the blocking rules of
TMR_MISMATCH and TMR_ERRORS while a mismatch is live.
"""

import pytest
from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.sim import Simulator

from hdl_gen.tile_regfile import RegisterFile
from orbitbench.spec.params import CONFIGS, HARDENING_PROFILES
from orbitbench.spec.regmap import (
    REGION_SHIFT,
    THERM_REGS,
    TILE_ID,
    Reg,
    Region,
    Status,
)

THERM_TAG = 0xA5A  # the fake throttle's read data: Cat(window address, THERM_TAG)
PLAIN, HARD = CONFIGS["small"], CONFIGS["small_ecc_tmr"]

# Register -> (bits, signed): the read-write registers and how they read back.
RW = {Reg.M: (16, False), Reg.K: (16, False), Reg.N: (16, False), Reg.A_ZP: (8, True),
      Reg.B_ZP: (8, True), Reg.OUT_ZP: (8, True), Reg.ACT_MIN: (8, True),
      Reg.ACT_MAX: (8, True), Reg.QMODE: (1, False), Reg.QMULT: (32, False),
      Reg.QSHIFT: (6, True)}
RESET = {Reg.ACT_MIN: 0xFFFF_FF80, Reg.ACT_MAX: 127, Reg.QMULT: 1 << 30}


def readback(value: int, bits: int, signed: bool) -> int:
    """What a register of ``bits`` bits reads as after a write of ``value``."""
    v = value & ((1 << bits) - 1)
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v & 0xFFFF_FFFF


class Bus:
    """Wishbone classic transfers from the testbench; the other components' ports idle."""

    def __init__(self, ctx, rf):
        self.ctx, self.rf = ctx, rf

    async def transfer(self, adr, data=0, *, we, sel=0xF, limit=16, during=None, on_ack=None):
        """One transfer; ``during()`` runs before every cycle until it is served,
        ``on_ack()`` in the acknowledge cycle."""
        ctx, bus = self.ctx, self.rf.bus
        for sig, v in ((bus.cyc, 1), (bus.stb, 1), (bus.we, we), (bus.adr, adr),
                       (bus.dat_w, data), (bus.sel, sel)):
            ctx.set(sig, v)
        for _ in range(limit):
            if during is not None:
                during()
            await ctx.tick()
            if ctx.get(bus.ack):
                if on_ack is not None:
                    on_ack()
                value = ctx.get(bus.dat_r)
                ctx.set(bus.cyc, 0)
                ctx.set(bus.stb, 0)
                await ctx.tick()
                return value
        raise AssertionError(f"no ack for 0x{adr:x} within {limit} cycles")

    async def write(self, reg, value, **kwargs):
        return await self.transfer(int(reg), value, we=True, **kwargs)

    async def read(self, reg, **kwargs):
        return await self.transfer(int(reg), we=False, **kwargs)

    async def pulse(self, sig, value=1):
        """``sig`` high for one cycle (an event of another component)."""
        self.ctx.set(sig, value)
        await self.ctx.tick()
        self.ctx.set(sig, 0)


def simulate(cfg, body):
    """Run ``body(ctx, rf, bus)``. A fake throttle answers the THERM window; a fake
    scratchpad serves a requested transfer in cycles where the testbench drives
    ``bus.allow`` high."""
    m = Module()
    m.submodules.rf = rf = RegisterFile(cfg)
    m.d.comb += rf.therm.rdata.eq(Cat(rf.therm.addr, Const(THERM_TAG, 28)))

    async def tb(ctx):
        bus = Bus(ctx, rf)
        bus.allow = allow
        await body(ctx, rf, bus)

    allow = Signal()
    m.d.comb += rf.mem.served.eq(rf.mem.req & allow)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("cfg", [PLAIN, HARD], ids=lambda c: c.name)
def test_read_only_registers(cfg):
    expect = {Reg.ID: TILE_ID, Reg.GEOMETRY: 4 | 4 << 8 | 2 << 16, Reg.MAX_M: 32,
              Reg.MAX_K: 32, Reg.MAX_N: 32, Reg.CTRL: 0,
              Reg.HARDENING: HARDENING_PROFILES.index(cfg.hardening), Reg.CYCLES: 0x1234_5678}

    async def body(ctx, rf, bus):
        ctx.set(rf.ctl.cycles, 0x1234_5678)
        for reg, value in expect.items():
            assert await bus.read(reg) == value, reg.name
            await bus.write(reg, 0xFFFF_FFFF)
            assert await bus.read(reg) == value, f"{reg.name} changed by a write"
        assert await bus.read(0x3F) == 0  # unmapped

    simulate(cfg, body)


@pytest.mark.parametrize("cfg", [PLAIN, HARD], ids=lambda c: c.name)
def test_every_read_write_register(cfg):
    """Reset values, then a write and a read of every RW register, sign-extended where
    signed; the command outputs follow the registers."""
    rw = {**RW, Reg.IRQ_ENABLE: (2 if cfg.ecc else 1, False)}
    if cfg.ecc:
        rw[Reg.SCRUB_INTERVAL] = (32, False)
    fields = {Reg.M: "m", Reg.K: "k", Reg.N: "n", Reg.A_ZP: "a_zp", Reg.B_ZP: "b_zp",
              Reg.OUT_ZP: "out_zp", Reg.ACT_MIN: "act_min", Reg.ACT_MAX: "act_max",
              Reg.QMODE: "per_channel", Reg.QMULT: "qmult", Reg.QSHIFT: "qshift"}

    async def body(ctx, rf, bus):
        for reg in rw:
            assert await bus.read(reg) == RESET.get(reg, 0), f"{reg.name} reset value"
        for i, (reg, (bits, signed)) in enumerate(rw.items()):
            value = (0x9E37_79B9 * (i + 1)) & 0xFFFF_FFFF
            await bus.write(reg, value)
            assert await bus.read(reg) == readback(value, bits, signed), reg.name
            if reg in fields:
                out = ctx.get(getattr(rf.cmd, fields[reg]))
                assert out & 0xFFFF_FFFF == readback(value, bits, signed), reg.name
        if cfg.ecc:
            assert ctx.get(rf.ecc.scrub_interval) == (0x9E37_79B9 * len(rw)) & 0xFFFF_FFFF

    simulate(cfg, body)


def test_command_registers_ignore_writes_while_busy():
    async def body(ctx, rf, bus):
        await bus.write(Reg.M, 7)
        ctx.set(rf.busy, 1)
        for reg in RW:
            await bus.write(reg, 0x55)
        await bus.write(Reg.IRQ_ENABLE, 1)  # not a command register
        assert await bus.read(Reg.M) == 7
        assert await bus.read(Reg.QMULT) == 1 << 30
        assert await bus.read(Reg.IRQ_ENABLE) == 1
        ctx.set(rf.busy, 0)
        await bus.write(Reg.M, 9)
        assert await bus.read(Reg.M) == 9

    simulate(PLAIN, body)


def test_start_only_while_idle():
    seen = []

    async def body(ctx, rf, bus):
        def watch():
            seen.append(ctx.get(rf.ctl.start))

        await bus.write(Reg.CTRL, 1, during=watch)
        assert seen == [1]
        await bus.write(Reg.CTRL, 0, during=watch)
        ctx.set(rf.busy, 1)
        await bus.write(Reg.CTRL, 1, during=watch)
        assert seen == [1, 0, 0]

    simulate(PLAIN, body)


async def _set_flags(ctx, rf, bus, cfg):
    """TMR_MISMATCH and (ECC) ECC_UE set; DONE and ERROR are the controller's (inputs)."""
    ctx.set(rf.ctl.done, 1)
    ctx.set(rf.ctl.error, 1)
    await bus.pulse(rf.tmr_mismatch)
    if cfg.ecc:
        await bus.pulse(rf.ecc.uncorrectable)


@pytest.mark.parametrize("cfg", [PLAIN, HARD], ids=lambda c: c.name)
@pytest.mark.parametrize("bit", [Status.DONE, Status.ERROR, Status.TMR_MISMATCH,
                                 Status.ECC_UE], ids=lambda b: b.name)
def test_status_clear_clears_only_that_bit(cfg, bit):
    ecc_ue = Status.ECC_UE if cfg.ecc else 0
    all_set = Status.DONE | Status.ERROR | Status.TMR_MISMATCH | ecc_ue

    async def body(ctx, rf, bus):
        await _set_flags(ctx, rf, bus, cfg)
        assert await bus.read(Reg.STATUS) == all_set
        strobes = []

        def watch():
            strobes.append((ctx.get(rf.ctl.clear_done), ctx.get(rf.ctl.clear_error)))

        await bus.write(Reg.STATUS, int(bit), during=watch)
        assert strobes == [(int(bit == Status.DONE), int(bit == Status.ERROR))]
        mine = bit & (Status.TMR_MISMATCH | Status.ECC_UE)  # DONE/ERROR: the controller's
        assert await bus.read(Reg.STATUS) == all_set & ~mine

    simulate(cfg, body)


def _live_in_write_cycle(ctx, rf):
    """``during``/``on_ack`` hooks: a mismatch live exactly in the write's served cycle."""
    return {"during": lambda: ctx.set(rf.tmr_mismatch, 1),
            "on_ack": lambda: ctx.set(rf.tmr_mismatch, 0)}


def test_tmr_mismatch_clear_blocked_while_live():
    async def body(ctx, rf, bus):
        await bus.pulse(rf.tmr_mismatch)
        await bus.write(Reg.STATUS, Status.TMR_MISMATCH, **_live_in_write_cycle(ctx, rf))
        assert await bus.read(Reg.STATUS) & Status.TMR_MISMATCH, "cleared while live"
        assert await bus.read(Reg.STATUS) & Status.TMR_MISMATCH, "sticky"
        await bus.write(Reg.STATUS, Status.TMR_MISMATCH)
        assert not await bus.read(Reg.STATUS) & Status.TMR_MISMATCH
        ctx.set(rf.tmr_mismatch, 1)  # held: set again at once
        await bus.write(Reg.STATUS, Status.TMR_MISMATCH)
        ctx.set(rf.tmr_mismatch, 0)
        assert await bus.read(Reg.STATUS) & Status.TMR_MISMATCH

    simulate(HARD, body)


def test_tmr_errors_count_and_clear_blocked_while_live():
    async def body(ctx, rf, bus):
        for _ in range(3):
            await bus.pulse(rf.tmr_mismatch)
        assert await bus.read(Reg.TMR_ERRORS) == 3
        await bus.write(Reg.TMR_ERRORS, 0, **_live_in_write_cycle(ctx, rf))
        assert await bus.read(Reg.TMR_ERRORS) == 4, "cleared while a mismatch was live"
        assert await bus.read(Reg.TMR_ERRORS) == 4  # counts only live cycles
        await bus.write(Reg.TMR_ERRORS, 0)
        assert await bus.read(Reg.TMR_ERRORS) == 0

    simulate(HARD, body)


def test_ecc_counters_last_address_and_irq():
    addr = (int(Region.B) << (REGION_SHIFT + 2)) + 0x40

    async def body(ctx, rf, bus):
        ecc = rf.ecc
        ctx.set(ecc.corrected, 3)
        await bus.pulse(ecc.event)  # 3 corrected reads in one cycle
        ctx.set(ecc.corrected, 0)
        ctx.set(ecc.event_addr, addr)
        await bus.pulse(ecc.event)
        ctx.set(ecc.event_addr, 0)
        assert await bus.read(Reg.ECC_CORRECTED) == 3
        assert await bus.read(Reg.ECC_LAST_ADDR) == addr
        assert await bus.read(Reg.ECC_UNCORRECTABLE) == 0
        assert not await bus.read(Reg.STATUS) & Status.ECC_UE
        await bus.write(Reg.IRQ_ENABLE, 0b10)
        assert not ctx.get(rf.irq)
        await bus.pulse(ecc.uncorrectable, 2)
        assert ctx.get(rf.irq), "ECC_UE with IRQ_ENABLE[1] raises irq"
        assert await bus.read(Reg.ECC_UNCORRECTABLE) == 2
        for other in (Status.DONE, Status.ERROR, Status.TMR_MISMATCH):
            await bus.write(Reg.STATUS, other)
            assert await bus.read(Reg.STATUS) & Status.ECC_UE, f"cleared by {other.name}"
        await bus.write(Reg.STATUS, Status.ECC_UE)
        assert not await bus.read(Reg.STATUS) & Status.ECC_UE and not ctx.get(rf.irq)
        ctx.set(rf.ctl.done, 1)
        assert not ctx.get(rf.irq)
        await bus.write(Reg.IRQ_ENABLE, 0b01)
        assert ctx.get(rf.irq)
        # A counter write clears it; the clear wins over an event in the same cycle.
        ctx.set(ecc.corrected, 1)
        await bus.write(Reg.ECC_CORRECTED, 0)
        ctx.set(ecc.corrected, 0)
        assert await bus.read(Reg.ECC_CORRECTED) == 1  # the events after the clear cycle
        await bus.write(Reg.ECC_UNCORRECTABLE, 0)
        assert await bus.read(Reg.ECC_UNCORRECTABLE) == 0

    simulate(CONFIGS["small_ecc"], body)


def test_thermal_window_forwarded():
    writes = []

    async def body(ctx, rf, bus):
        def watch():
            writes.append((ctx.get(rf.therm.we), ctx.get(rf.therm.addr),
                           ctx.get(rf.therm.wdata)))

        for reg in THERM_REGS:
            index = int(reg) - int(Reg.THERM_CTRL)
            assert await bus.read(reg) == index | THERM_TAG << 4, reg.name
        await bus.write(Reg.THERM_TRIP2, 0x123, during=watch)
        await bus.write(Reg.STATUS, 0, during=watch)  # outside the window: no write
        assert writes[0] == (1, int(Reg.THERM_TRIP2) - int(Reg.THERM_CTRL), 0x123)
        assert writes[1][0] == 0

    simulate(PLAIN, body)


def test_scratchpad_transfer_forwarded_and_stalled():
    """A scratchpad transfer waits for ``mem.served``; the ack cycle returns ``mem.rdata``
    and names the region; register transfers never wait."""
    adr = (int(Region.SHIFT) << REGION_SHIFT) | 5
    seen = []

    async def body(ctx, rf, bus):
        mem = rf.mem
        ctx.set(mem.rdata, 0xDEAD_BEEF)
        cycles = iter(range(100))

        def serve_on_third():
            n = next(cycles)
            seen.append((ctx.get(mem.req), ctx.get(mem.region), ctx.get(mem.addr)))
            ctx.set(bus.allow, n == 2)

        assert await bus.transfer(adr, we=False, during=serve_on_third) == 0xDEAD_BEEF
        assert seen == [(1, int(Region.SHIFT), 5)] * 3
        assert ctx.get(mem.ack_region) == int(Region.SHIFT)
        assert await bus.read(Reg.ID) == TILE_ID  # never forwarded, never stalled
        assert not ctx.get(mem.req)

    simulate(PLAIN, body)
