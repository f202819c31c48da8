"""Wishbone B4 classic bus signature (32-bit data, word addresses, byte selects).

Hand-written because amaranth-soc, which has a Wishbone signature, is not released on PyPI
(the ``amaranth-soc`` package there is an empty placeholder) and the stack pins releases.
Only the classic subset the tile needs: no ``err``, ``rty``, ``cti`` or ``bte``.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["WishboneSignature"]


class WishboneSignature(wiring.Signature):
    """Wishbone classic bus, from the initiator's point of view.

    Members
    -------
    cyc, stb : Out(1)
        A transfer is requested while both are high.
    we : Out(1)
        Write (1) or read (0).
    adr : Out(addr_width)
        Word address.
    dat_w : Out(32)
        Write data.
    sel : Out(4)
        Byte selects for writes to byte-addressable targets.
    dat_r : In(32)
        Read data, valid while ``ack`` is high.
    ack : In(1)
        Transfer complete. Targets here register ``ack``: a transfer takes at least two
        cycles, and ``ack`` is high for exactly one cycle per transfer.
    """

    def __init__(self, *, addr_width: int):
        if not isinstance(addr_width, int) or not 1 <= addr_width <= 32:
            raise ValueError(f"addr_width must be an integer from 1 to 32, not {addr_width!r}")
        self.addr_width = addr_width
        super().__init__({
            "cyc": Out(1),
            "stb": Out(1),
            "we": Out(1),
            "adr": Out(addr_width),
            "dat_w": Out(32),
            "sel": Out(4),
            "dat_r": In(32),
            "ack": In(1),
        })
