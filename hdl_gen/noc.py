"""The network-on-chip: a 2D mesh of :class:`~hdl_gen.noc_router.Router`, and its emission.

Packet format, endpoint numbering and configurations: :mod:`orbitbench.spec.noc`. The packet-level
reference (routes, zero-load latency, scoreboard): :mod:`golden_models.noc`.
"""

from __future__ import annotations

import functools

from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.noc import NOC_CONFIGS, NocConfig

from .checks import silence_if_refused
from .noc_router import EAST, HOP_LATENCY, LOCAL, NORTH, SOUTH, WEST, LinkCode, Router, check_config
from .tmr import StateRegisters

__all__ = ["Mesh", "Router", "flit_layout", "emit_mesh", "noc_designs", "HOP_LATENCY"]

_COUNT_MAX = (1 << 32) - 1


def flit_layout(cfg: NocConfig) -> data.StructLayout:
    """Payload of the endpoint streams: ``data`` (``flit_width``), ``head``, ``tail``."""
    return data.StructLayout({"data": cfg.flit_width, "head": 1, "tail": 1})


class Mesh(wiring.Component):
    """``mesh_x`` x ``mesh_y`` routers, XY routing, wormhole switching, link protection.

    Router ``(x, y)`` is the submodule ``router_<x>_<y>``; its east port feeds the west port of
    ``router_<x+1>_<y>`` and its north port the south port of ``router_<x>_<y+1>`` (row 0 is
    the south edge). Endpoint ``i = (y * mesh_x + x) * local_ports + p`` is local port ``p``
    of router ``(x, y)``.

    * **Endpoint streams**: ``local_in[i]`` (In) injects and ``local_out[i]`` (Out) ejects
      unprotected flits, payload :func:`flit_layout` (``data``, ``head``, ``tail``), with the
      amaranth stream rules. A packet is a head flit (header of :class:`orbitbench.spec.noc.Header`
      in its data bits) through a tail flit; a source must not interleave packets.
    * **Delivery**: every packet reaches ``local_out`` of the endpoint its header names
      (out-of-mesh coordinates clamp to the edge, see :class:`Router`), flits in order and
      contiguous (wormhole: no other packet's flit in between); packets of one
      (source, destination) flow arrive in the order they were sent.
    * **Latency** (contract): a head flit transferred on ``local_in`` at clock edge ``t``
      into an idle mesh is offered on ``local_out`` after edge ``t + R - 1`` and transferred
      at edge ``t + R`` when the sink is ready, ``R = |dx| + |dy| + 1`` the routers it visits
      (:data:`HOP_LATENCY` = 1 cycle per router). A packet of ``length`` payload flits
      offered back to back with the sink always ready has its tail transferred at
      ``t + R + length`` (:func:`golden_models.noc.zero_load_latency`).
    * **Protection** (``cfg.protection``, :class:`~hdl_gen.noc_router.LinkCode`): the flit is
      encoded where it enters the mesh and travels as a link word through links and buffers.
      ``"secded"``: every router corrects single errors (per 128-bit chunk) at each input
      FIFO head and forwards a clean codeword; double errors are flagged and passed on
      uncorrected. ``"crc"``: the CRC is checked where the flit leaves the mesh (detect
      only; the flit is delivered as received).
    * **Events**: ``corrected`` / ``detected`` are high in a cycle where at least one flit
      moved on with a corrected error / an uncorrectable error (secded: any router input;
      crc: a CRC mismatch at ejection). ``corrected_count`` / ``detected_count`` add the
      number of such flits of the cycle (all routers summed) one cycle later and saturate at
      ``2**32 - 1``. All four stay 0 with ``protection="none"``.
    * **TMR** (``cfg.tmr``): ``tmr_mismatch`` is high while the copies of some router state
      register or event counter disagree (always 0 without TMR).

    Parameters
    ----------
    cfg : NocConfig

    Raises
    ------
    TypeError
        ``cfg`` is not a ``NocConfig``.
    """

    @silence_if_refused
    def __init__(self, cfg: NocConfig):
        self.cfg = check_config(cfg)
        sig = stream.Signature(flit_layout(cfg))
        super().__init__({
            "local_in": In(sig).array(cfg.endpoints),
            "local_out": Out(sig).array(cfg.endpoints),
            "corrected": Out(1),
            "detected": Out(1),
            "corrected_count": Out(32),
            "detected_count": Out(32),
            "tmr_mismatch": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        code = LinkCode(cfg)
        routers = {}
        for y in range(cfg.mesh_y):
            for x in range(cfg.mesh_x):
                routers[x, y] = m.submodules[f"router_{x}_{y}"] = Router(cfg, x, y)
        for (x, y), r in routers.items():
            for port, (dx, dy), back in ((EAST, (1, 0), WEST), (NORTH, (0, 1), SOUTH)):
                other = routers.get((x + dx, y + dy))
                if other is not None:
                    wiring.connect(m, r.o[port], other.i[back])
                    wiring.connect(m, other.o[back], r.i[port])
            # Edge ports: nothing enters, nothing is routed there (XY routing clamps).
            for port, (dx, dy) in ((EAST, (1, 0)), (WEST, (-1, 0)), (NORTH, (0, 1)),
                                   (SOUTH, (0, -1))):
                if (x + dx, y + dy) not in routers:
                    m.d.comb += [r.i[port].valid.eq(0), r.o[port].ready.eq(0)]
        corr, det = [], []
        for i in range(cfg.endpoints):
            x, y, p = cfg.coords(i)
            r = routers[x, y]
            src, dst = self.local_in[i], self.local_out[i]
            raw_in = Signal(code.raw_width, name=f"ep{i}_raw_in")
            m.d.comb += raw_in.eq(Cat(src.payload.data, src.payload.head, src.payload.tail))
            m.d.comb += [r.i[LOCAL + p].payload.eq(code.encode(m, raw_in, name=f"ep{i}_inj")),
                         r.i[LOCAL + p].valid.eq(src.valid), src.ready.eq(r.i[LOCAL + p].ready)]
            word = r.o[LOCAL + p].payload
            fw = cfg.flit_width
            m.d.comb += [dst.payload.data.eq(word[:fw]), dst.payload.head.eq(word[fw]),
                         dst.payload.tail.eq(word[fw + 1]), dst.valid.eq(r.o[LOCAL + p].valid),
                         r.o[LOCAL + p].ready.eq(dst.ready)]
            if cfg.protection == "crc":
                _, _, bad = code.decode(m, word, name=f"ep{i}_ej")
                det.append(bad & dst.valid & dst.ready)
        for r in routers.values():
            if cfg.protection == "secded":
                corr += list(r.corrected)
                det += list(r.detected)
        regs = StateRegisters(m, tmr=cfg.tmr, name="ev")
        for name, flags, flag in (("corrected", corr, self.corrected),
                                  ("detected", det, self.detected)):
            count = regs.add(32, name=f"{name}_count")
            m.d.comb += getattr(self, f"{name}_count").eq(count.q)
            if flags:
                total = _popcount(flags)
                m.d.comb += flag.eq(total != 0)
                add = count.q + total
                m.d.comb += count.d.eq(Mux(add > _COUNT_MAX, _COUNT_MAX, add))
        mismatch = [regs.mismatch] + [r.tmr_mismatch for r in routers.values()]
        m.d.comb += self.tmr_mismatch.eq(Cat(mismatch).any())
        return m


def _popcount(bits):
    total = bits[0]
    for b in bits[1:]:
        total = total + b
    return total


@functools.cache
def emit_mesh(cfg: NocConfig) -> str:
    """Verilog text of the mesh for ``cfg``; the top module is ``cfg.top_name``.

    Cached per configuration (``emit_mesh.cache_clear()`` forgets): a 4x4 mesh takes several
    seconds to convert, and ``make rtl``, ``check-rtl`` and the tests ask for the same ones.
    """
    return verilog.convert(Mesh(cfg), name=cfg.top_name, emit_src=False)


def noc_designs() -> list[dict]:
    """The stand-alone meshes of :data:`orbitbench.spec.noc.NOC_CONFIGS`, for ``hdl_gen.emit``."""
    return [{"config": name, "top": cfg.top_name, "kind": "noc_mesh", "params": cfg.as_dict(),
             "render": lambda cfg=cfg: emit_mesh(cfg)} for name, cfg in NOC_CONFIGS.items()]
