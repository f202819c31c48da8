"""One 2D-mesh wormhole router of the network-on-chip, and the link code its flits travel in.

A flit inside the mesh is a **link word**: the raw flit ``Cat(data, head, tail)``
(``flit_width + 2`` bits, the framing of :mod:`orbitbench.spec.noc`) at bits
``[0, flit_width + 2)``, followed by the check bits of the configuration's link protection
(:class:`LinkCode`). Links and input buffers carry link words; the endpoints never see them.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.crc import catalog
from amaranth.lib.wiring import In, Out

from golden_models.secded import DATA_WIDTH_MAX, SecdedCode
from orbitbench.spec.noc import NocConfig

from .checks import silence_if_refused
from .secded import SecdedDecoder, SecdedEncoder
from .tmr import StateRegisters

__all__ = ["PORT_NAMES", "NORTH", "EAST", "SOUTH", "WEST", "LOCAL", "LinkCode", "Router",
           "check_config", "HOP_LATENCY"]

#: Mesh ports of a router, by index; local port ``p`` is index ``LOCAL + p``.
PORT_NAMES = ("north", "east", "south", "west")
NORTH, EAST, SOUTH, WEST = range(4)
LOCAL = 4
#: Cycles a head flit spends in an idle router (see :class:`Router`).
HOP_LATENCY = 1
#: CRC of ``"crc"`` link protection (8 bits over the whole raw flit, see LinkCode).
CRC_ALGORITHM = catalog.CRC8_AUTOSAR


def check_config(cfg) -> NocConfig:
    if not isinstance(cfg, NocConfig):
        raise TypeError(f"cfg must be a NocConfig, not {cfg!r}")
    return cfg


class LinkCode:
    """The link protection of ``cfg``: raw flit <-> link word, built into a module.

    * ``"none"``: the link word is the raw flit.
    * ``"secded"``: the raw flit is cut into ``ceil(raw_width / 128)`` near-equal chunks
      (one chunk up to 126 data bits), each protected by the Hsiao code
      :class:`golden_models.secded.SecdedCode` of its width; the check bits of chunk 0, 1, ...
      follow the raw bits. Decoding corrects one error per chunk and flags two.
    * ``"crc"``: 8 CRC bits (``amaranth.lib.crc.catalog.CRC8_AUTOSAR`` over the raw flit as
      one ``raw_width``-bit word, bit-exact with its ``Parameters.compute``) follow the raw
      bits. Decoding only detects; the raw bits pass unchanged.

    Members
    -------
    raw_width, check_width, width : int
        ``flit_width + 2``, the check bits, and their sum (bits of a link word).
    """

    def __init__(self, cfg: NocConfig):
        self.cfg = check_config(cfg)
        self.raw_width = cfg.flit_width + 2
        self.codes: list[SecdedCode] = []
        self.chunks: list[tuple[int, int]] = []  # (start, width) of each secded chunk
        if cfg.protection == "secded":
            n = -(-self.raw_width // DATA_WIDTH_MAX)
            start = 0
            for i in range(n):
                w = self.raw_width // n + (i < self.raw_width % n)
                self.chunks.append((start, w))
                self.codes.append(SecdedCode(w))
                start += w
            self.check_width = sum(c.check_width for c in self.codes)
        elif cfg.protection == "crc":
            self.crc = CRC_ALGORITHM(data_width=self.raw_width)
            self.check_width = self.crc.algorithm.crc_width
        else:
            self.check_width = 0
        self.width = self.raw_width + self.check_width

    def crc_value(self, raw: int) -> int:
        """Python model of the CRC bits of ``raw`` (``"crc"`` protection only)."""
        return self.crc.compute([raw])

    def _crc(self, m: Module, raw, name: str):
        zero = self.crc_value(0)
        out = Signal(self.check_width, name=name)
        for j in range(self.check_width):
            taps = [raw[i] for i in range(self.raw_width)
                    if (self.crc_value(1 << i) ^ zero) >> j & 1]
            m.d.comb += out[j].eq(Cat(taps).xor() ^ (zero >> j & 1))
        return out

    def encode(self, m: Module, raw, name: str):
        """Link word of the raw flit ``raw`` (combinational)."""
        if self.cfg.protection == "secded":
            checks = []
            for i, ((start, w), code) in enumerate(zip(self.chunks, self.codes, strict=True)):
                enc = SecdedEncoder(code)
                m.submodules[f"{name}_enc{i}"] = enc
                m.d.comb += enc.data.eq(raw[start:start + w])
                checks.append(enc.check)
            return Cat(raw, *checks)
        if self.cfg.protection == "crc":
            return Cat(raw, self._crc(m, raw, f"{name}_crc"))
        return raw

    def decode(self, m: Module, word, name: str):
        """``(raw, corrected, detected)`` of link word ``word`` (combinational).

        ``raw`` is corrected (secded) or passed through; ``corrected``/``detected`` are 1-bit.
        """
        corrected, detected = Signal(name=f"{name}_corrected"), Signal(name=f"{name}_detected")
        if self.cfg.protection == "secded":
            parts, flags_c, flags_d, pos = [], [], [], self.raw_width
            for i, ((start, w), code) in enumerate(zip(self.chunks, self.codes, strict=True)):
                dec = SecdedDecoder(code)
                m.submodules[f"{name}_dec{i}"] = dec
                m.d.comb += dec.codeword.eq(Cat(word[start:start + w],
                                                word[pos:pos + code.check_width]))
                pos += code.check_width
                parts.append(dec.data)
                flags_c.append(dec.corrected)
                flags_d.append(dec.uncorrectable)
            m.d.comb += [corrected.eq(Cat(flags_c).any()), detected.eq(Cat(flags_d).any())]
            return Cat(*parts), corrected, detected
        if self.cfg.protection == "crc":
            raw = word[:self.raw_width]
            m.d.comb += detected.eq(self._crc(m, raw, f"{name}_crc") != word[self.raw_width:])
            return raw, corrected, detected
        return word, corrected, detected


class Router(wiring.Component):
    """Wormhole router at column ``x``, row ``y`` of the mesh of ``cfg``.

    Ports (index ``k`` of ``i``/``o``): 0 north (towards row ``y + 1``), 1 east (column
    ``x + 1``), 2 south, 3 west, ``4 + p`` local port ``p``. Every port is a
    ``stream.Signature`` of link words (:class:`LinkCode`) with the amaranth stream rules
    (a transfer is a cycle with ``valid & ready``; ``valid`` does not wait for ``ready``).

    * **Buffers**: every input has a FIFO of ``cfg.buffer_depth`` link words;
      ``i[k].ready`` is high while it is not full (it depends only on router state).
    * **Routing** (dimension order, XY): a head flit whose header says ``(dst_x, dst_y,
      dst_p)`` goes east while ``dst_x > x``, west while ``dst_x < x``, then north while
      ``dst_y > y``, south while ``dst_y < y``, then to local port ``dst_p``. Coordinates
      beyond the mesh edge count as the edge (clamped), and ``dst_p`` beyond the local ports
      as the last local port, so no flit is ever routed off the mesh.
    * **Wormhole switching**: an output that forwards a head flit without tail is locked to
      that input until the input's tail flit has passed; a locked output forwards only that
      input's flits, in order. Framing comes only from the ``head``/``tail`` bits; the
      header's ``length`` is not used.
    * **Arbitration**: each unlocked output grants, among the inputs whose FIFO head is a
      head flit routed to it, the first one at or after its round-robin pointer; after a
      grant the pointer moves to the input after the winner.
    * **Latency** (contract): a flit at the head of an input FIFO is offered on its output
      in the same cycle (combinational); a flit transferred into an input at a clock edge
      is at that FIFO's head after the edge. So a head flit entering an idle router at clock
      edge ``t`` can leave it at edge ``t + 1`` (:data:`HOP_LATENCY` = 1 cycle per router),
      and an unblocked packet streams at one flit per cycle.
    * **Protection**: ``"secded"``: every FIFO head is decoded (corrected) and re-encoded
      before it is forwarded, so errors never accumulate across hops; ``corrected[k]`` /
      ``detected[k]`` pulse in the cycle a flit leaves input ``k`` with a corrected /
      uncorrectable error (routing uses the corrected header). ``"crc"``/``"none"``: link
      words pass unchanged and the flags stay 0 (CRC is checked at ejection by the mesh).
    * **TMR** (``cfg.tmr``): FIFO pointers, wormhole locks, owners and round-robin pointers
      are :class:`hdl_gen.tmr.StateRegisters`; ``tmr_mismatch`` is their mismatch flag.
      FIFO storage (registers ``in<k>_slot<j>``) is protected by the link code only.

    Parameters
    ----------
    cfg : NocConfig
    x, y : int
        Position of the router (``0 <= x < mesh_x``, ``0 <= y < mesh_y``).

    Raises
    ------
    TypeError
        ``cfg`` is not a ``NocConfig``.
    ValueError
        ``x`` or ``y`` outside the mesh.
    """

    @silence_if_refused
    def __init__(self, cfg: NocConfig, x: int = 0, y: int = 0):
        self.cfg = check_config(cfg)
        for name, value, size in (("x", x, cfg.mesh_x), ("y", y, cfg.mesh_y)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
                raise ValueError(f"{name} must be from 0 to {size - 1}, not {value!r}")
        self.x, self.y = x, y
        self.code = LinkCode(cfg)
        self.ports = LOCAL + cfg.local_ports
        sig = stream.Signature(self.code.width)
        super().__init__({
            "i": In(sig).array(self.ports),
            "o": Out(sig).array(self.ports),
            "corrected": Out(self.ports),
            "detected": Out(self.ports),
            "tmr_mismatch": Out(1),
        })

    def _route(self, m: Module, raw, k: int):
        """One-hot output request of a head flit with raw bits ``raw`` (combinational)."""
        cfg, x, y = self.cfg, self.x, self.y
        dst_x, dst_y, dst_p = raw[0:3], raw[3:6], raw[6]
        go = {EAST: dst_x > x if x < cfg.mesh_x - 1 else Const(0),
              WEST: dst_x < x if x > 0 else Const(0),
              NORTH: dst_y > y if y < cfg.mesh_y - 1 else Const(0),
              SOUTH: dst_y < y if y > 0 else Const(0)}
        for port, value in list(go.items()):
            go[port] = Signal(name=f"in{k}_go_{PORT_NAMES[port]}")
            m.d.comb += go[port].eq(value)
        x_done = ~go[EAST] & ~go[WEST]
        y_done = ~go[NORTH] & ~go[SOUTH]
        req = [Const(0)] * self.ports
        req[EAST], req[WEST] = go[EAST], go[WEST]
        req[NORTH], req[SOUTH] = x_done & go[NORTH], x_done & go[SOUTH]
        if self.cfg.local_ports == 1:
            req[LOCAL] = x_done & y_done
        else:
            req[LOCAL] = x_done & y_done & ~dst_p
            req[LOCAL + 1] = x_done & y_done & dst_p
        return Cat(req)

    def elaborate(self, platform):
        m = Module()
        cfg, n, code = self.cfg, self.ports, self.code
        regs = StateRegisters(m, tmr=cfg.tmr, name="")
        depth, abits = cfg.buffer_depth, cfg.buffer_depth.bit_length() - 1
        fw = cfg.flit_width
        valid, head, tail, words, routes = [], [], [], [], []
        pops = [Signal(name=f"in{k}_pop") for k in range(n)]
        for k in range(n):
            slots = Array(Signal(code.width, name=f"in{k}_slot{j}") for j in range(depth))
            # One extra pointer bit tells full from empty.
            wp = regs.add(abits + 1, name=f"in{k}_wp")
            rp = regs.add(abits + 1, name=f"in{k}_rp")
            full = (wp.q ^ rp.q) == depth
            v = Signal(name=f"in{k}_valid")
            m.d.comb += [v.eq(wp.q != rp.q), self.i[k].ready.eq(~full)]
            with m.If(self.i[k].valid & ~full):
                for j in range(depth):
                    with m.If(wp.q[:abits] == j):
                        m.d.sync += slots[j].eq(self.i[k].payload)
                m.d.comb += wp.d.eq(wp.q + 1)
            with m.If(pops[k]):
                m.d.comb += rp.d.eq(rp.q + 1)
            head_word = Signal(code.width, name=f"in{k}_head_word")
            m.d.comb += head_word.eq(slots[rp.q[:abits]])
            if cfg.protection == "secded":
                raw, corr, det = code.decode(m, head_word, name=f"in{k}")
            else:  # CRC is checked at ejection only
                raw, corr, det = head_word[:code.raw_width], 0, 0
            raw_sig = Signal(code.raw_width, name=f"in{k}_raw")
            m.d.comb += raw_sig.eq(raw)
            word = raw_sig
            if cfg.protection == "secded":
                word = code.encode(m, raw_sig, name=f"in{k}")
            elif cfg.protection == "crc":
                word = head_word
            m.d.comb += [self.corrected[k].eq(pops[k] & corr),
                         self.detected[k].eq(pops[k] & det)]
            route = Signal(n, name=f"in{k}_route")
            m.d.comb += route.eq(self._route(m, raw_sig, k))
            valid.append(v)
            head.append(raw_sig[fw])
            tail.append(raw_sig[fw + 1])
            words.append(word)
            routes.append(route)
        valid_a, tail_a, words_a = Array(valid), Array(tail), Array(words)
        fires = []
        for o in range(n):
            locked = regs.add(1, name=f"out{o}_locked")
            owner = regs.add(range(n), name=f"out{o}_owner")
            rr = regs.add(range(n), name=f"out{o}_rr")
            reqs = [valid[k] & head[k] & routes[k][o] for k in range(n)]
            winner = Signal(range(n), name=f"out{o}_winner")
            with m.Switch(rr.q):
                for start in range(n):
                    with m.Case(start):
                        # Later assignments win: the first requester at or after start.
                        for k in reversed([(start + j) % n for j in range(n)]):
                            with m.If(reqs[k]):
                                m.d.comb += winner.eq(k)
            sel = Signal(range(n), name=f"out{o}_sel")
            sel_valid = Signal(name=f"out{o}_sel_valid")
            with m.If(locked.q):
                m.d.comb += [sel.eq(owner.q), sel_valid.eq(valid_a[owner.q])]
            with m.Else():
                m.d.comb += [sel.eq(winner), sel_valid.eq(Cat(reqs).any())]
            fire = Signal(name=f"out{o}_fire")
            m.d.comb += [self.o[o].valid.eq(sel_valid), self.o[o].payload.eq(words_a[sel]),
                         fire.eq(sel_valid & self.o[o].ready)]
            with m.If(fire):
                m.d.comb += [locked.d.eq(~tail_a[sel]), owner.d.eq(sel)]
                with m.If(~locked.q):
                    m.d.comb += rr.d.eq(Mux(sel == n - 1, 0, sel + 1))
            fires.append((fire, sel))
        for k in range(n):
            m.d.comb += pops[k].eq(Cat(f & (s == k) for f, s in fires).any())
        m.d.comb += self.tmr_mismatch.eq(regs.mismatch)
        return m

