"""Amaranth generators for the orbitbench accelerator."""

from .requant import Requantizer
from .systolic import ProcessingElement, SystolicArray
from .tile import GemmTile
from .wishbone import WishboneSignature

__all__ = ["GemmTile", "ProcessingElement", "Requantizer", "SystolicArray", "WishboneSignature"]
