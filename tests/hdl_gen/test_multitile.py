"""orbitbench.spec.multitile parameters and the network interfaces of hdl_gen.noc_ni, simulated
with Amaranth: packets in, Wishbone transfers out, answers back; the host interface and a
tile interface back to back (the mesh in between is tested in tests/testbenches)."""

import contextlib
import dataclasses
import gc
import warnings

import pytest
from amaranth.hdl import Module, UnusedElaboratable
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hdl_gen.multitile import MultiTileTop, multitile_designs, tile_side_signature
from hdl_gen.noc_ni import HostNI, TileNI
from hdl_gen.wishbone import WishboneSignature
from orbitbench.spec.multitile import MULTITILE_CONFIGS, NocReg, host_byte_addr
from orbitbench.spec.noc import Header, NocConfig, PacketType
from orbitbench.spec.params import CONFIGS
from orbitbench.spec.regmap import ADDR_WIDTH

MT = MULTITILE_CONFIGS["mt2x2"]


# --- parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("changes, error, message", [
    ({"noc": NocConfig(local_ports=1)}, ValueError,
     "noc.local_ports must be 2 (port 1 of router (0, 0) is the host), not 1"),
    ({"noc": NocConfig(local_ports=2, flit_width=64)}, ValueError,
     "noc.flit_width must be 32 (one bus word per flit), not 64"),
    ({"tile": "small"}, TypeError, "tile must be a TileConfig, not 'small'"),
    ({"noc": None}, TypeError, "noc must be a NocConfig, not None"),
    ({"name": "2x2"}, ValueError, "name must be a Python/Verilog identifier, not '2x2'"),
])
def test_bad_config_rejected(changes, error, message):
    with pytest.raises(error) as exc:
        dataclasses.replace(MT, **changes)
    assert str(exc.value) == message


def test_address_map():
    assert MT.tiles == 4 and MT.noc_index == 4 and MT.tile_bits == 3
    assert MT.host_addr_width == ADDR_WIDTH + 3
    assert host_byte_addr(MT, 2, 0x100) == (2 << 23) | 0x100
    assert [MT.tile_endpoint(t) for t in range(4)] == [0, 2, 4, 6]
    assert MT.host_endpoint == 1
    with pytest.raises(ValueError, match="tile must be from 0 to 4, not 5"):
        host_byte_addr(MT, 5, 0)
    with pytest.raises(ValueError, match="tile must be from 0 to 3, not 4"):
        MT.tile_endpoint(4)


def test_top_ports_follow_the_tile_signature():
    top = MultiTileTop(MT)
    side = tile_side_signature(MT)
    assert "bus" not in side.members and "irq" in side.members
    for t in range(MT.tiles):
        assert top.signature.members[f"tile{t}"].signature == side
    assert top.signature.members["host"].signature.addr_width == MT.host_addr_width
    top._MustUse__silence = True


def test_designs_require_the_tile():
    designs = {d["config"]: d for d in multitile_designs()}
    assert designs["mt2x2"]["requires"] == [CONFIGS["small"].top_name]
    assert designs["mt2x2_hard"]["top"] == "obt_mt_mt2x2_hard"


@contextlib.contextmanager
def abandoned_component():
    """Collect, inside the block, components whose ``__init__`` raised (Amaranth would warn
    about them as unused depending on test order; see tests/hdl_gen/test_params.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        yield
        gc.collect()


def test_ni_arguments():
    with abandoned_component():
        with pytest.raises(ValueError, match="x must be from 0 to 1, not 2"):
            TileNI(MT.noc, 2, 0)
        with pytest.raises(ValueError,
                           match=r"noc.flit_width must be 32 \(one bus word per flit\)"):
            TileNI(NocConfig(flit_width=64))
        with pytest.raises(TypeError, match="cfg must be a MultiTileConfig, not None"):
            HostNI(None)


# --- simulation -----------------------------------------------------------------------------

class WbRam(wiring.Component):
    """64-word Wishbone classic target with a registered ack (like the tile's)."""

    bus: In(WishboneSignature(addr_width=ADDR_WIDTH))

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=32, depth=64, init=[])
        rd, wr = mem.read_port(domain="comb"), mem.write_port()
        req = self.bus.cyc & self.bus.stb & ~self.bus.ack
        m.d.sync += self.bus.ack.eq(req)
        m.d.comb += [rd.addr.eq(self.bus.adr), wr.addr.eq(self.bus.adr),
                     wr.data.eq(self.bus.dat_w), wr.en.eq(req & self.bus.we),
                     self.bus.dat_r.eq(rd.data)]
        self.mem = mem
        return m


class TileSide(wiring.Component):
    """A TileNI at (1, 0) in front of a WbRam; its packet ports are the test's."""

    def __init__(self):
        self.ni = TileNI(MT.noc, 1, 0, 0)
        super().__init__({"i": In(self.ni.i.signature.flip()), "o": Out(self.ni.o.signature),
                          "writes": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.ni = self.ni
        m.submodules.ram = self.ram = WbRam()
        wiring.connect(m, self.ni.bus, self.ram.bus)
        wiring.connect(m, wiring.flipped(self.i), self.ni.i)
        wiring.connect(m, self.ni.o, wiring.flipped(self.o))
        with m.If(self.ni.bus.ack & self.ni.bus.we):
            m.d.sync += self.writes.eq(self.writes + 1)
        return m


def _run(dut, bench, cycles=3000):
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run_until(cycles * 1e-6)


async def send(ctx, port, flits):
    for data, head, tail in flits:
        ctx.set(port.valid, 1)
        ctx.set(port.payload.data, data)
        ctx.set(port.payload.head, head)
        ctx.set(port.payload.tail, tail)
        while True:
            ready = ctx.get(port.ready)
            await ctx.tick()
            if ready:
                break
    ctx.set(port.valid, 0)


async def recv(ctx, port, count, limit=200):
    ctx.set(port.ready, 1)
    out = []
    for _ in range(limit):
        if len(out) == count:
            break
        valid = ctx.get(port.valid)
        flit = (ctx.get(port.payload.data), ctx.get(port.payload.head),
                ctx.get(port.payload.tail))
        await ctx.tick()
        if valid:
            out.append(flit)
    return out


def hdr(ptype, length, tag, src=(0, 0, 1)):
    return Header(dst_x=1, dst_y=0, dst_p=0, src_x=src[0], src_y=src[1], src_p=src[2],
                  length=length, ptype=int(ptype), tag=tag).pack()


def test_tile_ni_write_read_and_drop():
    dut = TileSide()
    seen = {}

    async def bench(ctx):
        # WRITE of three words at byte 0x10: three bus writes, then a WRITE_ACK, same tag.
        await send(ctx, dut.i, [(hdr(PacketType.WRITE, 4, 0x5A), 1, 0), (0x10, 0, 0),
                                (11, 0, 0), (22, 0, 0), (33, 0, 1)])
        seen["ack"] = await recv(ctx, dut.o, 1)
        seen["writes"] = ctx.get(dut.writes)
        # READ of 4 words from byte 0x0c: header with length 4, then the data, tail last.
        await send(ctx, dut.i, [(hdr(PacketType.READ, 2, 0x07, (1, 1, 0)), 1, 0), (0x0C, 0, 0),
                                (4, 0, 1)])
        seen["resp"] = await recv(ctx, dut.o, 5)
        # Unknown type and a header-only WRITE: consumed, never answered, no bus traffic.
        await send(ctx, dut.i, [(hdr(PacketType.RAW, 1, 1), 1, 0), (0x10, 0, 1),
                                (hdr(PacketType.WRITE, 0, 2), 1, 1)])
        seen["dropped"] = await recv(ctx, dut.o, 1, limit=40)
        seen["writes_after"] = ctx.get(dut.writes)
        # READ of 0 words: the header alone is the tail.
        await send(ctx, dut.i, [(hdr(PacketType.READ, 2, 9), 1, 0), (0, 0, 0), (0, 0, 1)])
        seen["empty"] = await recv(ctx, dut.o, 1)

    _run(dut, bench)
    (ack,) = seen["ack"]
    h = Header.unpack(ack[0])
    assert ack[1:] == (1, 1)
    assert (h.ptype, h.tag, h.length) == (PacketType.WRITE_ACK, 0x5A, 0)
    assert (h.dst_x, h.dst_y, h.dst_p, h.src_x, h.src_y, h.src_p) == (0, 0, 1, 1, 0, 0)
    assert seen["writes"] == 3
    resp = seen["resp"]
    h = Header.unpack(resp[0][0])
    assert (h.ptype, h.tag, h.length, h.dst_x, h.dst_y) == (PacketType.READ_RESP, 7, 4, 1, 1)
    assert [f[0] for f in resp[1:]] == [0, 11, 22, 33]
    assert [f[1:] for f in resp] == [(1, 0), (0, 0), (0, 0), (0, 0), (0, 1)]
    assert seen["dropped"] == [] and seen["writes_after"] == 3
    (empty,) = seen["empty"]
    assert empty[1:] == (1, 1) and Header.unpack(empty[0]).length == 0


class HostLoop(wiring.Component):
    """HostNI (config ``cfg``) wired back to back with tile 0's TileNI and a WbRam."""

    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__({"bus": In(WishboneSignature(addr_width=cfg.host_addr_width)),
                          "corrected_count": In(32)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.host = host = HostNI(self.cfg)
        m.submodules.ni = ni = TileNI(self.cfg.noc, 0, 0, 0)
        m.submodules.ram = ram = WbRam()
        wiring.connect(m, wiring.flipped(self.bus), host.bus)
        wiring.connect(m, host.o, ni.i)
        wiring.connect(m, ni.o, host.i)
        wiring.connect(m, ni.bus, ram.bus)
        m.d.comb += host.corrected_count.eq(self.corrected_count)
        return m


async def wb(ctx, bus, adr, we=0, data=0, limit=100):
    """One classic transfer; returns (read data, cycles until ack)."""
    ctx.set(bus.cyc, 1)
    ctx.set(bus.stb, 1)
    ctx.set(bus.we, we)
    ctx.set(bus.adr, adr)
    ctx.set(bus.dat_w, data)
    for n in range(limit):
        await ctx.tick()
        if ctx.get(bus.ack):
            value = ctx.get(bus.dat_r)
            await ctx.tick()
            acks_after = ctx.get(bus.ack)
            ctx.set(bus.cyc, 0)
            ctx.set(bus.stb, 0)
            assert acks_after == 0, "ack must be high for exactly one cycle"
            return value, n + 1
    raise AssertionError(f"no ack for address 0x{adr:x} in {limit} cycles")


def test_host_ni_round_trip():
    dut = HostLoop(MT)
    seen = {}

    async def bench(ctx):
        ctx.set(dut.corrected_count, 0x1234)
        for w in range(4):
            await wb(ctx, dut.bus, w + 8, we=1, data=0x100 + w)
        seen["reads"] = [(await wb(ctx, dut.bus, w + 8))[0] for w in range(4)]
        noc = MT.noc_index << ADDR_WIDTH
        seen["corrected"] = (await wb(ctx, dut.bus, noc + NocReg.CORRECTED))[0]
        seen["tiles"], seen["local_cycles"] = await wb(ctx, dut.bus, noc + NocReg.TILES)
        seen["unmapped"] = (await wb(ctx, dut.bus, (MT.noc_index + 1) << ADDR_WIDTH))[0]

    _run(dut, bench)
    assert seen["reads"] == [0x100, 0x101, 0x102, 0x103]
    assert seen["corrected"] == 0x1234 and seen["tiles"] == 4
    assert seen["local_cycles"] == 1  # registered ack: a two-cycle transfer
    assert seen["unmapped"] == 0


def test_host_ni_ignores_foreign_answers():
    """A response with the wrong tag is consumed and ignored; the transfer waits for its own
    answer (negative control of the matching: the host never completes on a stray packet)."""
    dut = HostNI(MT)
    seen = {}

    async def bench(ctx):
        ctx.set(dut.bus.cyc, 1)
        ctx.set(dut.bus.stb, 1)
        ctx.set(dut.bus.we, 1)
        ctx.set(dut.bus.adr, 3)
        request = await recv(ctx, dut.o, 3)
        tag = Header.unpack(request[0][0]).tag
        # Wrong tag, then wrong type, then wrong source: all ignored.
        for h in (Header(ptype=PacketType.WRITE_ACK, tag=(tag + 1) % 256),
                  Header(ptype=PacketType.READ_RESP, tag=tag),
                  Header(ptype=PacketType.WRITE_ACK, tag=tag, src_x=1)):
            await send(ctx, dut.i, [(h.pack(), 1, 1)])
        acked_early = False
        for _ in range(10):
            await ctx.tick()
            acked_early |= bool(ctx.get(dut.bus.ack))
        seen["early"] = acked_early
        await send(ctx, dut.i, [(Header(ptype=PacketType.WRITE_ACK, tag=tag).pack(), 1, 1)])
        acked = False
        for _ in range(4):
            acked |= bool(ctx.get(dut.bus.ack))
            await ctx.tick()
        seen["acked"] = acked
        seen["request"] = request

    _run(dut, bench, cycles=400)
    assert seen["early"] is False
    assert seen["acked"] is True
    h = Header.unpack(seen["request"][0][0])
    assert (h.ptype, h.length, h.dst_x, h.dst_y, h.src_p) == (PacketType.WRITE, 2, 0, 0, 1)
    assert seen["request"][1][0] == 3 * 4 and seen["request"][2][1:] == (0, 1)


def test_lint_takes_the_required_tile_file(tmp_path):
    from orbitbench.apps.lint import design_files

    designs = [{"top": "obt_tile_small", "file": "obt_tile_small.v"},
               {"top": "obt_mt_mt2x2", "file": "obt_mt_mt2x2.v", "requires": ["obt_tile_small"]}]
    assert design_files(tmp_path, designs[1], designs) == [tmp_path / "obt_mt_mt2x2.v",
                                                           tmp_path / "obt_tile_small.v"]
    assert design_files(tmp_path, designs[0], designs) == [tmp_path / "obt_tile_small.v"]
    with pytest.raises(ValueError, match="design 'obt_mt_mt2x2' requires 'obt_tile_small', "
                                         "which the manifest does not list"):
        design_files(tmp_path, designs[1], designs[1:])
