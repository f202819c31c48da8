"""The multi-tile top: GEMM tiles and a host port joined by the network-on-chip.

Layout, host address map and configurations: :mod:`orbitbench.spec.multitile`. The tiles are
black boxes (``Instance`` of ``cfg.tile.top_name``): their Verilog is the tile's own file in
``rtl/``, not repeated per tile, so the design's sources are ``rtl/obt_mt_<name>.v`` and
``rtl/<tile top>.v``.
"""

from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.multitile import MULTITILE_CONFIGS, MultiTileConfig

from .checks import silence_if_refused
from .noc import Mesh
from .noc_ni import HostNI, TileNI
from .tile import GemmTile
from .wishbone import WishboneSignature

__all__ = ["MultiTileTop", "tile_side_signature", "emit_multitile", "multitile_designs"]


def tile_side_signature(cfg: MultiTileConfig) -> wiring.Signature:
    """Every member of the tile's signature except ``bus``, with the tile's own flows."""
    tile = GemmTile(cfg.tile)
    tile._MustUse__silence = True  # only its signature is wanted; the RTL is a black box
    members = tile.signature.members
    return wiring.Signature({name: member for name, member in members.items()
                             if name != "bus"})


class MultiTileTop(wiring.Component):
    """``cfg.tiles`` tiles, each behind a :class:`~hdl_gen.noc_ni.TileNI` on local port 0 of
    its router, and a :class:`~hdl_gen.noc_ni.HostNI` on local port 1 of router (0, 0).

    Unused endpoints (local port 1 of the other routers) inject nothing and sink whatever
    reaches them. The tiles compute independently; the host loads, starts and reads them
    through ``host`` (one transaction in flight, see :class:`~hdl_gen.noc_ni.HostNI`).

    Parameters
    ----------
    cfg : MultiTileConfig

    Members
    -------
    host : In(WishboneSignature(addr_width=cfg.host_addr_width))
        Host port (address map: :mod:`orbitbench.spec.multitile`).
    tile<t> : Out(:func:`tile_side_signature`)
        Tile ``t``'s ports other than its bus, unchanged (``tile0__irq``, ``tile0__busy``,
        and any input a tile has, which the top's user drives).
    noc_corrected, noc_detected, noc_corrected_count, noc_detected_count, noc_tmr_mismatch
        The mesh's protection outputs (see :class:`~hdl_gen.noc.Mesh`).

    Raises
    ------
    TypeError
        ``cfg`` is not a MultiTileConfig.
    """

    @silence_if_refused
    def __init__(self, cfg: MultiTileConfig):
        if not isinstance(cfg, MultiTileConfig):
            raise TypeError(f"cfg must be a MultiTileConfig, not {cfg!r}")
        self.cfg = cfg
        side = tile_side_signature(cfg)
        members = {"host": In(WishboneSignature(addr_width=cfg.host_addr_width))}
        members.update({f"tile{t}": Out(side) for t in range(cfg.tiles)})
        members.update({"noc_corrected": Out(1), "noc_detected": Out(1),
                        "noc_corrected_count": Out(32), "noc_detected_count": Out(32),
                        "noc_tmr_mismatch": Out(1)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        cfg, noc = self.cfg, self.cfg.noc
        m.submodules.mesh = mesh = Mesh(noc)
        m.d.comb += [self.noc_corrected.eq(mesh.corrected),
                     self.noc_detected.eq(mesh.detected),
                     self.noc_corrected_count.eq(mesh.corrected_count),
                     self.noc_detected_count.eq(mesh.detected_count),
                     self.noc_tmr_mismatch.eq(mesh.tmr_mismatch)]

        m.submodules.host_ni = host = HostNI(cfg)
        wiring.connect(m, wiring.flipped(self.host), host.bus)
        wiring.connect(m, host.o, mesh.local_in[cfg.host_endpoint])
        wiring.connect(m, mesh.local_out[cfg.host_endpoint], host.i)
        m.d.comb += [host.corrected_count.eq(mesh.corrected_count),
                     host.detected_count.eq(mesh.detected_count),
                     host.tmr_mismatch.eq(mesh.tmr_mismatch)]

        used = {cfg.host_endpoint}
        for t in range(cfg.tiles):
            e = cfg.tile_endpoint(t)
            used.add(e)
            x, y, p = noc.coords(e)
            ni = m.submodules[f"ni{t}"] = TileNI(noc, x, y, p)
            wiring.connect(m, mesh.local_out[e], ni.i)
            wiring.connect(m, ni.o, mesh.local_in[e])
            ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
            for path, member, value in ni.bus.signature.flatten(ni.bus):
                # ni.bus is the initiator: its outputs are the tile's inputs.
                out = member.flow == wiring.Flow.Out
                ports[("i_bus__" if out else "o_bus__") + "__".join(map(str, path))] = value
            side = getattr(self, f"tile{t}")
            for path, member, value in side.signature.flatten(side):
                out = member.flow == wiring.Flow.Out
                ports[("o_" if out else "i_") + "__".join(map(str, path))] = value
            m.submodules[f"tile{t}"] = Instance(cfg.tile.top_name, **ports)
        for e in range(noc.endpoints):
            if e not in used:
                m.d.comb += [mesh.local_in[e].valid.eq(0), mesh.local_out[e].ready.eq(1)]
        return m


def emit_multitile(cfg: MultiTileConfig) -> str:
    """Verilog text of the top for ``cfg`` (module ``cfg.top_name``; tiles not included)."""
    return verilog.convert(MultiTileTop(cfg), name=cfg.top_name, emit_src=False)


def multitile_designs() -> list[dict]:
    """The tops of :data:`orbitbench.spec.multitile.MULTITILE_CONFIGS`, for ``hdl_gen.emit``.

    ``requires`` lists the other designs whose files the top instantiates.
    """
    return [{"config": name, "top": cfg.top_name, "kind": "multitile", "params": cfg.as_dict(),
             "requires": [cfg.tile.top_name], "render": lambda cfg=cfg: emit_multitile(cfg)}
            for name, cfg in MULTITILE_CONFIGS.items()]
