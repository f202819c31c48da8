"""Bit-exact NumPy golden models of the orbitbench int8 GEMM tile.

Pure, vectorised NumPy (no simulator import), one module per block:

* :mod:`golden_models.quant`: TFLite / gemmlowp int8 requantization;
* :mod:`golden_models.gemm`: int8 GEMM with int32 accumulation, plus requantization;
* :mod:`golden_models.tile`: the whole tile on the same command and scratchpad images as the RTL;
* :mod:`golden_models.network`: a whole int8 TFLite network, bit-exact with LiteRT's reference
  kernels (with :mod:`golden_models.tflite_ops` for its non-GEMM operators and
  :mod:`golden_models.digits` for the data set). Not re-exported here: they need
  ai-edge-litert and scikit-learn, which the tile models do not.
"""

from golden_models.gemm import gemm_int32, gemm_requant
from golden_models.quant import (
    multiply_by_quantized_multiplier,
    requantize,
    rounding_divide_by_power_of_two,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from golden_models.secded import DecodeResult, SecdedCode
from golden_models.tile import TileMemory, TileResult, pack_operands, run_tile, unpack_result

__all__ = [
    "DecodeResult",
    "SecdedCode",
    "TileMemory",
    "TileResult",
    "gemm_int32",
    "gemm_requant",
    "multiply_by_quantized_multiplier",
    "pack_operands",
    "requantize",
    "rounding_divide_by_power_of_two",
    "run_tile",
    "saturating_rounding_doubling_high_mul",
    "unpack_result",
    "wrap_int32",
]
