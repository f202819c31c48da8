"""Parameters of the multi-tile top: GEMM tiles joined by the network-on-chip, plus a host port.

Pure Python (no NumPy, no Amaranth), like :mod:`orbitbench.spec.params` and
:mod:`orbitbench.spec.noc`.

Layout
------
Every router ``(x, y)`` of the mesh carries one tile on its local port 0; tile index
``t = y * mesh_x + x`` (so tile ``t`` is endpoint ``cfg.noc.endpoint(x, y, 0)``). The host
network interface sits on local port 1 of router ``(0, 0)``; the other port-1 endpoints are
unused (tied off). Hence the mesh must have ``local_ports = 2``.

Host address map
----------------
The host port is a Wishbone classic slave with 32-bit data and word addresses of
``host_addr_width = tile_bits + ADDR_WIDTH`` bits (:data:`orbitbench.spec.regmap.ADDR_WIDTH` = 21):

* word address ``(t << 21) | w`` with ``t < tiles`` is word ``w`` of tile ``t``'s own bus
  (its register and scratchpad map, :mod:`orbitbench.spec.regmap`): a remote access over the NoC;
* ``t == tiles`` (:attr:`MultiTileConfig.noc_index`) is the host interface's own register
  block, :class:`NocReg` (the mesh's protection counters), served without the NoC;
* any other ``t`` reads 0 and ignores writes.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .noc import NocConfig
from .params import CONFIGS, TileConfig
from .regmap import ADDR_WIDTH

__all__ = ["MultiTileConfig", "NocReg", "MULTITILE_CONFIGS", "get_multitile_config",
           "host_byte_addr"]


class NocReg(enum.IntEnum):
    """Word offsets of the host interface's register block (tile index ``noc_index``)."""

    CORRECTED = 0x0  # RO  mesh corrected_count (flits forwarded with a corrected error)
    DETECTED = 0x1  # RO  mesh detected_count (flits with an uncorrectable / CRC error)
    TMR_MISMATCH = 0x2  # RO  bit 0: mesh tmr_mismatch (live)
    TILES = 0x3  # RO  number of tiles
    MESH = 0x4  # RO  mesh_x [7:0], mesh_y [15:8]


@dataclass(frozen=True)
class MultiTileConfig:
    """``noc.mesh_x * noc.mesh_y`` copies of ``tile`` on the mesh ``noc`` plus a host port.

    Parameters
    ----------
    tile : TileConfig
        Configuration of every tile (the tile's Verilog is ``rtl/<tile.top_name>.v``).
    noc : NocConfig
        The mesh; needs ``local_ports = 2`` (port 1 of router (0, 0) is the host) and
        ``flit_width = 32`` (one bus word per flit).
    name : str
        Identifier; the top module is ``obt_mt_<name>``.

    Raises
    ------
    TypeError, ValueError
        A parameter has the wrong type or is out of range; the message names it.
    """

    tile: TileConfig
    noc: NocConfig
    name: str = "mt"

    def __post_init__(self) -> None:
        if not isinstance(self.tile, TileConfig):
            raise TypeError(f"tile must be a TileConfig, not {self.tile!r}")
        if not isinstance(self.noc, NocConfig):
            raise TypeError(f"noc must be a NocConfig, not {self.noc!r}")
        if self.noc.local_ports != 2:
            raise ValueError("noc.local_ports must be 2 (port 1 of router (0, 0) is the host), "
                             f"not {self.noc.local_ports!r}")
        if self.noc.flit_width != 32:
            raise ValueError("noc.flit_width must be 32 (one bus word per flit), "
                             f"not {self.noc.flit_width!r}")
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                              self.name):
            raise ValueError(f"name must be a Python/Verilog identifier, not {self.name!r}")

    @property
    def tiles(self) -> int:
        return self.noc.mesh_x * self.noc.mesh_y

    @property
    def noc_index(self) -> int:
        """Tile index of the host interface's own register block."""
        return self.tiles

    @property
    def tile_bits(self) -> int:
        """Bits of the tile index in a host word address (room for ``noc_index``)."""
        return self.tiles.bit_length()

    @property
    def host_addr_width(self) -> int:
        return self.tile_bits + ADDR_WIDTH

    def tile_endpoint(self, t: int) -> int:
        """Flat NoC endpoint of tile ``t``."""
        if not 0 <= t < self.tiles:
            raise ValueError(f"tile must be from 0 to {self.tiles - 1}, not {t!r}")
        return self.noc.endpoint(t % self.noc.mesh_x, t // self.noc.mesh_x, 0)

    @property
    def host_endpoint(self) -> int:
        return self.noc.endpoint(0, 0, 1)

    @property
    def top_name(self) -> str:
        return f"obt_mt_{self.name}"

    def as_dict(self) -> dict:
        return {"tile": self.tile.as_dict(), "noc": self.noc.as_dict(), "name": self.name}


def host_byte_addr(cfg: MultiTileConfig, tile: int, tile_byte_addr: int) -> int:
    """Host-port byte address of byte address ``tile_byte_addr`` of tile ``tile``
    (``tile == cfg.noc_index``: the host interface's register block)."""
    if not 0 <= tile <= cfg.noc_index:
        raise ValueError(f"tile must be from 0 to {cfg.noc_index}, not {tile!r}")
    if not 0 <= tile_byte_addr < 4 << ADDR_WIDTH:
        raise ValueError(f"tile_byte_addr must be from 0 to {(4 << ADDR_WIDTH) - 1}, "
                         f"not {tile_byte_addr!r}")
    return (tile << (ADDR_WIDTH + 2)) | tile_byte_addr


#: Multi-tile tops emitted into ``rtl/`` (tiles are black boxes from their own rtl/ file).
#: Buffers of 2 flits: the host keeps one transaction in flight, so deeper buffers would only
#: add area (and idle fault targets).
MULTITILE_CONFIGS: dict[str, MultiTileConfig] = {
    "mt2x2": MultiTileConfig(
        tile=CONFIGS["small"],
        noc=NocConfig(mesh_x=2, mesh_y=2, buffer_depth=2, local_ports=2, name="mt2x2"),
        name="mt2x2"),
    "mt2x2_hard": MultiTileConfig(
        tile=CONFIGS["small_ecc_tmr"],
        noc=NocConfig(mesh_x=2, mesh_y=2, buffer_depth=2, local_ports=2, protection="secded",
                      tmr=True, name="mt2x2_hard"), name="mt2x2_hard"),
    # Unhardened tiles on a hardened mesh: what CI's link campaign runs (the ECC tiles of
    # mt2x2_hard make its engine build several CPU-minutes).
    "mt2x2_link": MultiTileConfig(
        tile=CONFIGS["small"],
        noc=NocConfig(mesh_x=2, mesh_y=2, buffer_depth=2, local_ports=2, protection="secded",
                      tmr=True, name="mt2x2_link"), name="mt2x2_link"),
}


def get_multitile_config(name: str) -> MultiTileConfig:
    try:
        return MULTITILE_CONFIGS[name]
    except KeyError:
        raise ValueError(f"multitile config must be one of {', '.join(sorted(MULTITILE_CONFIGS))}"
                         f", not {name!r}") from None

