"""Parameters and packet format of the network-on-chip, shared by generator, model and benches.

Pure Python (no NumPy, no Amaranth), like :mod:`orbitbench.spec.params`.

Packets
-------
A packet is one **header flit** followed by ``length`` **payload flits** (0..63). Every flit
carries ``flit_width`` data bits plus two framing bits outside the data: ``head`` (first flit
of a packet) and ``tail`` (last flit; a header-only packet has both). The header's data bits,
LSB first (the rest of a wider flit is zero):

======  =====  ================================================================
field   bits   meaning
======  =====  ================================================================
dst_x   3      destination router column (0 = west edge)
dst_y   3      destination router row (0 = south edge)
dst_p   1      destination local port at that router (0 or 1)
src_x   3      source router column
src_y   3      source router row
src_p   1      source local port
length  6      payload flits that follow the header (0..63)
ptype   4      packet type; meaning belongs to the endpoints (see :class:`PacketType`)
tag     8      free for the endpoints (transaction id, sequence number)
======  =====  ================================================================

Endpoint ``(x, y, p)`` has the flat index ``(y * mesh_x + x) * local_ports + p``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass

__all__ = ["NocConfig", "Header", "PacketType", "NOC_PROTECTIONS", "HEADER_FIELDS",
           "HEADER_BITS", "MAX_LENGTH", "NOC_CONFIGS", "get_noc_config"]

#: Link protection options of :class:`NocConfig`.
NOC_PROTECTIONS = ("none", "secded", "crc")
#: (field, width) of the header flit, LSB first.
HEADER_FIELDS = (("dst_x", 3), ("dst_y", 3), ("dst_p", 1), ("src_x", 3), ("src_y", 3),
                 ("src_p", 1), ("length", 6), ("ptype", 4), ("tag", 8))
HEADER_BITS = sum(w for _, w in HEADER_FIELDS)  # 32
MAX_LENGTH = (1 << 6) - 1


class PacketType(enum.IntEnum):
    """Packet types the network interfaces use (the routers ignore the type)."""

    WRITE = 0  # payload: address flit, then data flits to consecutive word addresses
    READ = 1  # payload: address flit, count flit; answered by READ_RESP
    WRITE_ACK = 2  # header only: a WRITE (tagged the same) has been performed
    READ_RESP = 3  # payload: the data flits read
    RAW = 4  # traffic generators: payload meaningless to the endpoints


@dataclass(frozen=True)
class Header:
    """One header flit's fields; :meth:`pack` / :meth:`unpack` give the flit's data bits."""

    dst_x: int = 0
    dst_y: int = 0
    dst_p: int = 0
    src_x: int = 0
    src_y: int = 0
    src_p: int = 0
    length: int = 0
    ptype: int = 0
    tag: int = 0

    def __post_init__(self) -> None:
        for name, width in HEADER_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, not {value!r}")
            if not 0 <= value < (1 << width):
                raise ValueError(f"{name} must be from 0 to {(1 << width) - 1}, not {value!r}")

    def pack(self) -> int:
        word, pos = 0, 0
        for name, width in HEADER_FIELDS:
            word |= getattr(self, name) << pos
            pos += width
        return word

    @classmethod
    def unpack(cls, word: int) -> Header:
        fields, pos = {}, 0
        for name, width in HEADER_FIELDS:
            fields[name] = (word >> pos) & ((1 << width) - 1)
            pos += width
        return cls(**fields)


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi}, not {value!r}")


@dataclass(frozen=True)
class NocConfig:
    """A 2D mesh of wormhole routers with dimension-order (XY) routing.

    Parameters
    ----------
    mesh_x, mesh_y : int
        Routers per row and per column (1..8 each; at least two routers in all).
    flit_width : int
        Data bits per flit (32..128, a multiple of 8); a header needs 32.
    buffer_depth : int
        Flits buffered per router input port (power of two, 2..64).
    local_ports : int
        Endpoints per router (1 or 2).
    protection : str
        Link protection, one of :data:`NOC_PROTECTIONS`: ``"secded"`` corrects any single
        upset of a flit in flight and detects double ones; ``"crc"`` detects.
    tmr : bool
        Router state (arbiters, wormhole locks, buffer pointers) triplicated.
    name : str
        Identifier used in generated module names.

    Raises
    ------
    TypeError, ValueError
        A parameter has the wrong type or is out of range; the message names it and the range.
    """

    mesh_x: int = 2
    mesh_y: int = 2
    flit_width: int = 32
    buffer_depth: int = 4
    local_ports: int = 1
    protection: str = "none"
    tmr: bool = False
    name: str = "noc"

    def __post_init__(self) -> None:
        _check_int("mesh_x", self.mesh_x, 1, 8)
        _check_int("mesh_y", self.mesh_y, 1, 8)
        if self.mesh_x * self.mesh_y < 2:
            raise ValueError("mesh_x * mesh_y must be at least 2 (a mesh of one router "
                             f"is not a network), not {self.mesh_x * self.mesh_y}")
        _check_int("flit_width", self.flit_width, HEADER_BITS, 128)
        if self.flit_width % 8:
            raise ValueError(f"flit_width must be a multiple of 8, not {self.flit_width!r}")
        _check_int("buffer_depth", self.buffer_depth, 2, 64)
        if self.buffer_depth & (self.buffer_depth - 1):
            raise ValueError(
                f"buffer_depth must be a power of two from 2 to 64, not {self.buffer_depth!r}")
        _check_int("local_ports", self.local_ports, 1, 2)
        if self.protection not in NOC_PROTECTIONS:
            raise ValueError(f"protection must be one of {', '.join(NOC_PROTECTIONS)}, "
                             f"not {self.protection!r}")
        if not isinstance(self.tmr, bool):
            raise TypeError(f"tmr must be a bool, not {self.tmr!r}")
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                              self.name):
            raise ValueError(f"name must be a Python/Verilog identifier, not {self.name!r}")

    @property
    def routers(self) -> int:
        return self.mesh_x * self.mesh_y

    @property
    def endpoints(self) -> int:
        return self.routers * self.local_ports

    def endpoint(self, x: int, y: int, p: int = 0) -> int:
        """Flat endpoint index of local port ``p`` of router ``(x, y)``."""
        return (y * self.mesh_x + x) * self.local_ports + p

    def coords(self, index: int) -> tuple[int, int, int]:
        """``(x, y, p)`` of flat endpoint ``index``."""
        node, p = divmod(index, self.local_ports)
        return node % self.mesh_x, node // self.mesh_x, p

    @property
    def top_name(self) -> str:
        return f"obt_noc_{self.name}"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Stand-alone mesh configurations emitted into ``rtl/`` (the multi-tile tops add their own).
NOC_CONFIGS: dict[str, NocConfig] = {
    "mesh4x4": NocConfig(mesh_x=4, mesh_y=4, name="mesh4x4"),
    "mesh4x4_secded": NocConfig(mesh_x=4, mesh_y=4, protection="secded", name="mesh4x4_secded"),
    "mesh4x4_crc": NocConfig(mesh_x=4, mesh_y=4, protection="crc", name="mesh4x4_crc"),
    "mesh4x4_hard": NocConfig(mesh_x=4, mesh_y=4, protection="secded", tmr=True,
                              name="mesh4x4_hard"),
}


def get_noc_config(name: str) -> NocConfig:
    try:
        return NOC_CONFIGS[name]
    except KeyError:
        raise ValueError(f"noc config must be one of {', '.join(sorted(NOC_CONFIGS))}, "
                         f"not {name!r}") from None
