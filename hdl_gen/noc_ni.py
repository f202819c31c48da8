"""Network interfaces: a tile's Wishbone bus as a NoC endpoint, and the host's Wishbone port.

Packets (header format and :class:`~orbitbench.spec.noc.PacketType`: :mod:`orbitbench.spec.noc`)
with one 32-bit bus word per flit:

=========  ========================================  =========================================
type       payload flits                             answer (same ``tag``, to the source)
=========  ========================================  =========================================
WRITE      byte address, then data words             WRITE_ACK (header only) after the last
                                                     data word was written
READ       byte address, word count (0..63)          READ_RESP with ``count`` data flits
=========  ========================================  =========================================

Data words go to / come from consecutive word addresses starting at the byte address
(bits 1:0 ignored). A command is a WRITE to the tile's CTRL register. The interfaces frame
packets by the ``head``/``tail`` bits only (the header's ``length`` is informative, as for
the routers).
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.multitile import MultiTileConfig, NocReg
from orbitbench.spec.noc import HEADER_FIELDS, MAX_LENGTH, NocConfig, PacketType
from orbitbench.spec.regmap import ADDR_WIDTH

from .checks import silence_if_refused
from .noc import flit_layout
from .wishbone import WishboneSignature

__all__ = ["TileNI", "HostNI", "header_field", "make_header"]

_OFFSETS = {}
_pos = 0
for _name, _width in HEADER_FIELDS:
    _OFFSETS[_name] = (_pos, _width)
    _pos += _width


def header_field(data, name: str):
    """Slice of field ``name`` of a header flit's data bits (combinational)."""
    start, width = _OFFSETS[name]
    return data[start:start + width]


def make_header(**fields):
    """Header data bits (32) from field values (Amaranth values or ints; missing ones 0)."""
    parts = []
    for name, width in HEADER_FIELDS:
        value = fields.pop(name, 0)
        # Zero-extend or truncate to the field width (a narrower value must not shift the
        # fields after it).
        parts.append(Const(value, width) if isinstance(value, int)
                     else Cat(value, Const(0, width))[:width])
    if fields:
        raise ValueError(f"unknown header fields {sorted(fields)}")
    return Cat(*parts)


def _check_noc(noc) -> NocConfig:
    if not isinstance(noc, NocConfig):
        raise TypeError(f"noc must be a NocConfig, not {noc!r}")
    if noc.flit_width != 32:
        raise ValueError(f"noc.flit_width must be 32 (one bus word per flit), not "
                         f"{noc.flit_width!r}")
    return noc


class TileNI(wiring.Component):
    """Serves WRITE and READ packets from the NoC as Wishbone classic transfers into a tile.

    One packet at a time, in arrival order. WRITE: each data flit becomes one write (all byte
    lanes) to the next word address; the flit is consumed in the cycle its write is acked,
    and after the tail flit's write a header-only WRITE_ACK goes back to the source
    endpoint of the request. READ: after the count flit (values above 63 count as 63) a
    READ_RESP header with ``length = count`` goes out, then one data flit per read, the last
    one marked tail (``count = 0``: the header is the tail). Extra flits after the count are
    consumed and ignored. Packets of any other type, header-only packets and READs without
    a count flit are consumed and dropped without an answer.

    Parameters
    ----------
    noc : NocConfig
        The mesh (``flit_width`` must be 32).
    x, y, p : int
        This endpoint's router and local port (the answers' source fields).

    Members
    -------
    i : In(stream.Signature(flit_layout))
        Packets from the mesh (connect to ``Mesh.local_out[e]``).
    o : Out(stream.Signature(flit_layout))
        Answers to the mesh (connect to ``Mesh.local_in[e]``).
    bus : Out(WishboneSignature(addr_width=21))
        Initiator port to the tile; a transfer's ``cyc``/``stb`` stay high until ``ack``.

    Raises
    ------
    TypeError, ValueError
        ``noc`` is not a NocConfig with 32-bit flits, or ``x``/``y``/``p`` are outside it.
    """

    @silence_if_refused
    def __init__(self, noc: NocConfig, x: int = 0, y: int = 0, p: int = 0):
        self.noc = _check_noc(noc)
        for name, value, size in (("x", x, noc.mesh_x), ("y", y, noc.mesh_y),
                                  ("p", p, noc.local_ports)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
                raise ValueError(f"{name} must be from 0 to {size - 1}, not {value!r}")
        self.x, self.y, self.p = x, y, p
        sig = stream.Signature(flit_layout(noc))
        super().__init__({"i": In(sig), "o": Out(sig),
                          "bus": Out(WishboneSignature(addr_width=ADDR_WIDTH))})

    def elaborate(self, platform):
        m = Module()
        i, o, bus = self.i, self.o, self.bus
        data, tail = i.payload.data, i.payload.tail
        reply_x, reply_y = Signal(3, name="reply_x"), Signal(3, name="reply_y")
        reply_p = Signal(1, name="reply_p")
        tag = Signal(8)
        is_read = Signal()
        addr = Signal(ADDR_WIDTH)
        remaining = Signal(range(MAX_LENGTH + 1))
        count = Signal(range(MAX_LENGTH + 1))
        word = Signal(32)
        m.d.comb += bus.sel.eq(0xF)

        def reply(ptype, length):
            return make_header(dst_x=reply_x, dst_y=reply_y, dst_p=reply_p, src_x=self.x,
                               src_y=self.y, src_p=self.p, length=length, ptype=ptype, tag=tag)

        with m.FSM(name="ni_state"):
            with m.State("IDLE"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid):
                    ptype = header_field(data, "ptype")
                    m.d.sync += [reply_x.eq(header_field(data, "src_x")),
                                 reply_y.eq(header_field(data, "src_y")),
                                 reply_p.eq(header_field(data, "src_p")),
                                 tag.eq(header_field(data, "tag")),
                                 is_read.eq(ptype == PacketType.READ)]
                    with m.If(~tail & ((ptype == PacketType.WRITE)
                                       | (ptype == PacketType.READ))):
                        m.next = "ADDR"
                    with m.Elif(~tail):
                        m.next = "DRAIN"
            with m.State("ADDR"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid):
                    m.d.sync += addr.eq(data[2:2 + ADDR_WIDTH])
                    with m.If(is_read):
                        m.next = "IDLE"
                        with m.If(~tail):
                            m.next = "COUNT"
                    with m.Else():
                        m.next = "WRITE_ACK"
                        with m.If(~tail):
                            m.next = "WDATA"
            with m.State("COUNT"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid):
                    value = Mux(data > MAX_LENGTH, MAX_LENGTH, data)
                    m.d.sync += [count.eq(value), remaining.eq(value)]
                    m.next = "READ_RESP"
                    with m.If(~tail):
                        m.next = "DRAIN_READ"
            with m.State("DRAIN_READ"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid & tail):
                    m.next = "READ_RESP"
            with m.State("DRAIN"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid & tail):
                    m.next = "IDLE"
            with m.State("WDATA"):
                m.d.comb += [bus.cyc.eq(i.valid), bus.stb.eq(i.valid), bus.we.eq(1),
                             bus.adr.eq(addr), bus.dat_w.eq(data), i.ready.eq(bus.ack)]
                with m.If(i.valid & bus.ack):
                    m.d.sync += addr.eq(addr + 1)
                    with m.If(tail):
                        m.next = "WRITE_ACK"
            with m.State("WRITE_ACK"):
                m.d.comb += [o.valid.eq(1), o.payload.head.eq(1), o.payload.tail.eq(1),
                             o.payload.data.eq(reply(PacketType.WRITE_ACK, 0))]
                with m.If(o.ready):
                    m.next = "IDLE"
            with m.State("READ_RESP"):
                m.d.comb += [o.valid.eq(1), o.payload.head.eq(1),
                             o.payload.tail.eq(count == 0),
                             o.payload.data.eq(reply(PacketType.READ_RESP, count))]
                with m.If(o.ready):
                    m.next = "RREAD"
                    with m.If(count == 0):
                        m.next = "IDLE"
            with m.State("RREAD"):
                m.d.comb += [bus.cyc.eq(1), bus.stb.eq(1), bus.adr.eq(addr)]
                with m.If(bus.ack):
                    m.d.sync += [word.eq(bus.dat_r), addr.eq(addr + 1),
                                 remaining.eq(remaining - 1)]
                    m.next = "RSEND"
            with m.State("RSEND"):
                m.d.comb += [o.valid.eq(1), o.payload.data.eq(word),
                             o.payload.tail.eq(remaining == 0)]
                with m.If(o.ready):
                    m.next = "RREAD"
                    with m.If(remaining == 0):
                        m.next = "IDLE"
        return m


class HostNI(wiring.Component):
    """The host's Wishbone classic slave port, turning each transfer into a NoC transaction.

    Address map: :mod:`orbitbench.spec.multitile` (word address = tile index above the tile's
    21-bit word address). A transfer to tile ``t < tiles`` sends a WRITE (address and data
    flit) or a READ (address and count 1) to tile ``t`` with a fresh 8-bit ``tag`` and is
    acked one cycle after the matching answer (type WRITE_ACK / READ_RESP, same tag, from
    tile ``t``) has arrived: non-posted, one transaction in flight, so every host write is
    performed exactly once before its ack. Flits that do not belong to the awaited answer
    are consumed and ignored (a lost answer therefore stalls the host, it never completes
    the wrong transfer). Transfers to the register block (``t == tiles``, :class:`NocReg`)
    and to unmapped tiles take two cycles (``ack`` in the cycle after ``stb`` was seen;
    unmapped: read 0, writes ignored). ``sel`` is not used: writes are whole words.

    Parameters
    ----------
    cfg : MultiTileConfig

    Members
    -------
    bus : In(WishboneSignature(addr_width=cfg.host_addr_width))
        The host port; ``ack`` is registered and high for one cycle per transfer.
    o : Out(stream.Signature(flit_layout))
        Requests to the mesh (``Mesh.local_in`` of the host endpoint).
    i : In(stream.Signature(flit_layout))
        Answers from the mesh (``Mesh.local_out`` of the host endpoint).
    corrected_count, detected_count : In(32)
        The mesh's protection counters, readable as :class:`NocReg`.
    tmr_mismatch : In(1)
    """

    @silence_if_refused
    def __init__(self, cfg: MultiTileConfig):
        if not isinstance(cfg, MultiTileConfig):
            raise TypeError(f"cfg must be a MultiTileConfig, not {cfg!r}")
        self.cfg = cfg
        sig = stream.Signature(flit_layout(cfg.noc))
        super().__init__({
            "bus": In(WishboneSignature(addr_width=cfg.host_addr_width)),
            "o": Out(sig), "i": In(sig),
            "corrected_count": In(32), "detected_count": In(32), "tmr_mismatch": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, noc = self.cfg, self.cfg.noc
        bus, i, o = self.bus, self.i, self.o
        hx, hy, hp = noc.coords(cfg.host_endpoint)
        we, adr = Signal(name="we"), Signal(ADDR_WIDTH, name="adr")
        dat_w = Signal(32, name="dat_w")
        tile = Signal(cfg.tile_bits)
        tag = Signal(8)
        xs = Array(Const(t % noc.mesh_x, 3) for t in range(cfg.tiles))
        ys = Array(Const(t // noc.mesh_x, 3) for t in range(cfg.tiles))
        dst_x, dst_y = Signal(3, name="dst_x"), Signal(3, name="dst_y")
        m.d.comb += [dst_x.eq(xs[tile]), dst_y.eq(ys[tile])]
        regs = Array([self.corrected_count, self.detected_count, self.tmr_mismatch,
                      Const(cfg.tiles, 32), Const(noc.mesh_x | noc.mesh_y << 8, 32)])

        data, head, tail = i.payload.data, i.payload.head, i.payload.tail
        expected = Mux(we, PacketType.WRITE_ACK, PacketType.READ_RESP)
        match = (head & (header_field(data, "ptype") == expected)
                 & (header_field(data, "tag") == tag)
                 & (header_field(data, "src_x") == dst_x) & (header_field(data, "src_y") == dst_y)
                 & (header_field(data, "src_p") == 0))

        with m.FSM(name="host_state"):
            with m.State("IDLE"), m.If(bus.cyc & bus.stb):
                t = bus.adr[ADDR_WIDTH:]
                m.d.sync += [we.eq(bus.we), adr.eq(bus.adr[:ADDR_WIDTH]),
                             dat_w.eq(bus.dat_w), tile.eq(t), bus.dat_r.eq(0)]
                with m.If(t < cfg.tiles):
                    m.d.sync += tag.eq(tag + 1)
                    m.next = "HEADER"
                with m.Else():
                    with m.If((t == cfg.noc_index) & ~bus.we & (bus.adr[:ADDR_WIDTH]
                                                                < len(NocReg))):
                        m.d.sync += bus.dat_r.eq(regs[bus.adr[:3]])
                    m.next = "ACK"
            with m.State("HEADER"):
                m.d.comb += [o.valid.eq(1), o.payload.head.eq(1), o.payload.data.eq(make_header(
                    dst_x=dst_x, dst_y=dst_y, dst_p=0, src_x=hx, src_y=hy, src_p=hp, length=2,
                    ptype=Mux(we, PacketType.WRITE, PacketType.READ), tag=tag))]
                with m.If(o.ready):
                    m.next = "ADDRESS"
            with m.State("ADDRESS"):
                m.d.comb += [o.valid.eq(1), o.payload.data.eq(Cat(Const(0, 2), adr))]
                with m.If(o.ready):
                    m.next = "PAYLOAD"
            with m.State("PAYLOAD"):
                m.d.comb += [o.valid.eq(1), o.payload.tail.eq(1),
                             o.payload.data.eq(Mux(we, dat_w, 1))]
                with m.If(o.ready):
                    m.next = "WAIT"
            with m.State("WAIT"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid):
                    with m.If(match & tail):
                        m.next = "ACK"
                    with m.Elif(match & ~we):
                        m.next = "RDATA"
                    with m.Elif(match):
                        m.next = "DRAIN_ACK"
                    with m.Elif(~tail):
                        m.next = "DISCARD"
            with m.State("RDATA"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid):
                    m.d.sync += bus.dat_r.eq(data)
                    m.next = "ACK"
                    with m.If(~tail):
                        m.next = "DRAIN_ACK"
            with m.State("DRAIN_ACK"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid & tail):
                    m.next = "ACK"
            with m.State("DISCARD"):
                m.d.comb += i.ready.eq(1)
                with m.If(i.valid & tail):
                    m.next = "WAIT"
            with m.State("ACK"):
                m.d.comb += bus.ack.eq(1)
                m.next = "IDLE"
        return m
