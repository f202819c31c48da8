"""Amaranth generators for the orbitbench accelerator."""

from .ecc_mem import EccMemory
from .requant import Requantizer
from .secded import SecdedDecoder, SecdedEncoder
from .systolic import ProcessingElement, SystolicArray
from .tile import GemmTile
from .tmr import StateRegisters
from .wishbone import WishboneSignature

__all__ = ["EccMemory", "GemmTile", "ProcessingElement", "Requantizer", "SecdedDecoder",
           "SecdedEncoder", "StateRegisters", "SystolicArray", "WishboneSignature"]
