"""hdl_gen.tile_scratchpads.Scratchpads alone in the Amaranth simulator: both sides of every memory.

The testbench plays the register file (it drives ``bus`` and answers in the cycle after
``served``, as the ScratchpadBus contract says) and the datapath (``dp``, ``busy``,
``ce``). Expected words follow the bus map of orbitbench.spec.regmap; in the ECC profile an
upset is written into the storage through the simulator and must come back corrected,
counted and located.
"""

import pytest
from amaranth.sim import Simulator

from hdl_gen.tile_scratchpads import Scratchpads
from orbitbench.spec.params import CONFIGS
from orbitbench.spec.regmap import REGION_SHIFT, Region

PLAIN, ECC = CONFIGS["small"], CONFIGS["small_ecc"]
WORDS = {Region.A: PLAIN.a_words, Region.B: PLAIN.b_words, Region.BIAS: PLAIN.max_n,
         Region.MULT: PLAIN.max_n, Region.SHIFT: PLAIN.max_n, Region.C: PLAIN.c_words}


def sign6(v: int) -> int:
    v &= 0x3F
    return (v - 64 if v & 0x20 else v) & 0xFFFF_FFFF


class Initiator:
    """The register file's side of ``bus``: one transfer at a time."""

    def __init__(self, ctx, sp):
        self.ctx, self.sp = ctx, sp

    async def transfer(self, region, addr, data=0, *, we, sel=0xF, limit=40):
        """Returns (read data of the ack cycle, cycles waited before ``served``)."""
        ctx, bus = self.ctx, self.sp.bus
        for sig, v in ((bus.req, 1), (bus.region, region), (bus.addr, addr), (bus.we, we),
                       (bus.sel, sel), (bus.wdata, data)):
            ctx.set(sig, v)
        for waited in range(limit):
            served = ctx.get(bus.served)
            await ctx.tick()
            if served:
                ctx.set(bus.req, 0)
                ctx.set(bus.ack_region, region)
                return ctx.get(bus.rdata), waited
        raise AssertionError(f"region {region!r} word {addr} not served in {limit} cycles")

    async def write(self, region, addr, data, sel=0xF):
        return (await self.transfer(region, addr, data, we=True, sel=sel))[1]

    async def read(self, region, addr):
        return (await self.transfer(region, addr, we=False))[0]


def simulate(cfg, body):
    sp = Scratchpads(cfg)
    sim = Simulator(sp)

    async def tb(ctx):
        await body(ctx, sp, Initiator(ctx, sp))

    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("cfg", [PLAIN, ECC], ids=lambda c: c.name)
def test_bus_write_then_read_every_region(cfg):
    async def body(ctx, sp, bus):
        ctx.set(sp.ce, 1)
        for region, words in WORDS.items():
            written = {off: 0x1357_9BDF ^ (off * 0x0101_0101) ^ int(region)
                       for off in (0, 1, 5, words // 2 + 3, words - 1)}
            for off, value in written.items():
                await bus.write(region, off, value)
            # Beyond the capacity: reads 0, a write lands nowhere (no alias inside).
            for off in (words, words + 2 * cfg.max_k, (1 << REGION_SHIFT) - 1):
                await bus.write(region, off, 0xFFFF_FFFF)
                assert await bus.read(region, off) == 0, (region.name, off)
            for off, value in written.items():
                expect = sign6(value) if region == Region.SHIFT else value
                assert await bus.read(region, off) == expect, (region.name, off)
        await bus.write(Region.SHIFT, 2, 0x3D)  # 6-bit -3
        assert await bus.read(Region.SHIFT, 2) == 0xFFFF_FFFD, "SHIFT reads sign-extended"
        assert await bus.read(7, 0) == 0  # unmapped region

    simulate(cfg, body)


@pytest.mark.parametrize("cfg", [PLAIN, ECC], ids=lambda c: c.name)
def test_byte_selects(cfg):
    """A, B and C honour ``sel``; with ECC a partial write is read-modify-write, one cycle
    longer; channel banks write whole words."""
    async def body(ctx, sp, bus):
        for region in (Region.A, Region.B, Region.C, Region.BIAS):
            await bus.write(region, 3, 0x1122_3344)
            waited = await bus.write(region, 3, 0xAABB_CCDD, sel=0b0101)
            partial = region != Region.BIAS
            expect = 0x11BB_33DD if partial else 0xAABB_CCDD
            assert await bus.read(region, 3) == expect, region.name
            assert waited == (1 if cfg.ecc and partial else 0), region.name

    simulate(cfg, body)


@pytest.mark.parametrize("cfg", [PLAIN, ECC], ids=lambda c: c.name)
def test_bus_stalls_while_busy(cfg):
    async def body(ctx, sp, bus):
        await bus.write(Region.MULT, 2, 77)
        ctx.set(sp.busy, 1)
        ctx.set(sp.bus.req, 1)
        ctx.set(sp.bus.region, Region.MULT)
        ctx.set(sp.bus.addr, 2)
        ctx.set(sp.bus.we, 0)
        for _ in range(5):
            assert not ctx.get(sp.bus.served) and not ctx.get(sp.bus_access)
            await ctx.tick()
        ctx.set(sp.busy, 0)
        assert ctx.get(sp.bus.served) and ctx.get(sp.bus_access)
        assert await bus.read(Region.MULT, 2) == 77

    simulate(cfg, body)


@pytest.mark.parametrize("cfg", [PLAIN, ECC], ids=lambda c: c.name)
def test_datapath_reads_and_result_writes(cfg):
    """While busy the datapath reads every bank one cycle after the address (data held
    while ``ce`` is low) and writes result bytes by enable."""
    R, C, kw = cfg.rows, cfg.cols, cfg.max_k // 4

    async def body(ctx, sp, bus):
        dp = sp.dp
        # A row i word w is bus word i * kw + w; bank i % R, bank word (i // R) * kw + w.
        for r in range(R):
            await bus.write(Region.A, (R + r) * kw + 2, 0xA000 + r)
        for c in range(C):
            await bus.write(Region.B, c * kw + 2, 0xB000 + c)
            await bus.write(Region.BIAS, C + c, 0xB1A5_0000 + c)
            await bus.write(Region.SHIFT, C + c, 40 + c)
        ctx.set(sp.busy, 1)
        ctx.set(sp.ce, 1)
        ctx.set(dp.a_addr, kw + 2)
        ctx.set(dp.b_addr, 2)
        ctx.set(dp.ch_addr, 1)
        if cfg.ecc:
            ctx.set(dp.op_read, 1)
        await ctx.tick()
        ctx.set(dp.a_addr, 0)
        ctx.set(dp.ch_addr, 0)
        if cfg.ecc:
            ctx.set(dp.op_read, 0)
        ctx.set(sp.ce, 0)  # held: the data of the last advancing cycle stays
        for _ in range(2):
            assert [ctx.get(d) for d in dp.a_data] == [0xA000 + r for r in range(R)]
            assert [ctx.get(d) for d in dp.b_data] == [0xB000 + c for c in range(C)]
            assert [ctx.get(d) for d in dp.bias] == [0xB1A5_0000 + c for c in range(C)]
            assert [ctx.get(d) for d in dp.shift] == [40 + c for c in range(C)]
            await ctx.tick()
        # Result row 5: bytes 0 and 2 by enable.
        ctx.set(sp.ce, 1)
        ctx.set(dp.c_wr_addr, 5)
        ctx.set(dp.c_wr_data, 0x4433_2211)
        ctx.set(dp.c_wr_en, 0b0101)
        await ctx.tick()
        ctx.set(dp.c_wr_en, 0)
        ctx.set(sp.busy, 0)
        assert await bus.read(Region.C, 5) == (0x4433_2211 if cfg.ecc else 0x0033_0011)

    simulate(cfg, body)


def test_ecc_upset_corrected_counted_located():
    async def body(ctx, sp, bus):
        await bus.write(Region.BIAS, 6, 0x0F0F_0F0F)
        mem = sp.memories[f"bias_bank{6 % ECC.cols}"]
        row, bit = mem.bit_location(6 // ECC.cols, 9)
        data = mem.mem.data[row]
        ctx.set(data, ctx.get(data) ^ (1 << bit))
        events = []
        ctx.set(sp.bus.req, 1)
        ctx.set(sp.bus.region, Region.BIAS)
        ctx.set(sp.bus.addr, 6)
        ctx.set(sp.bus.we, 0)
        await ctx.tick()
        ctx.set(sp.bus.req, 0)
        ctx.set(sp.bus.ack_region, Region.BIAS)
        assert ctx.get(sp.bus.rdata) == 0x0F0F_0F0F
        events.append((ctx.get(sp.ecc.corrected), ctx.get(sp.ecc.uncorrectable),
                       ctx.get(sp.ecc.event), ctx.get(sp.ecc.event_addr)))
        assert events == [(1, 0, 1, (int(Region.BIAS) << (REGION_SHIFT + 2)) + 4 * 6)]

    simulate(ECC, body)
