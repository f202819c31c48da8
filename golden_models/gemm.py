"""Bit-exact int8 GEMM with int32 accumulation and TFLite requantization.

Zero points are subtracted before the multiplication (the gemmlowp / TFLite convention); the
products are summed exactly and the sum wraps to int32, as an int32 accumulator does. For any
``K`` a :class:`~orbitbench.spec.params.TileConfig` allows (<= 16384) the sum cannot wrap.
"""

from __future__ import annotations

import numpy as np

from golden_models.quant import _as_int64, _wrap, check_rounding, requantize
from orbitbench.spec.params import INT8_MAX, INT8_MIN

__all__ = ["gemm_int32", "gemm_requant"]


def _matrix(name: str, value, shape_doc: str) -> np.ndarray:
    arr = _as_int64(name, value, INT8_MIN, INT8_MAX)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D int8 array {shape_doc}, not shape {arr.shape}")
    return arr


def gemm_int32(a, b, a_zp=0, b_zp=0):
    """int8 matrix product with zero points and int32 accumulation.

    ``acc[i, n] = wrap_int32(sum_k (a[i, k] - a_zp) * (b[k, n] - b_zp))``, the sum exact.

    Parameters
    ----------
    a : array of int, shape ``[M, K]``
        int8 activations.
    b : array of int, shape ``[K, N]``
        int8 weights (the mathematical B, not the transposed scratchpad layout).
    a_zp, b_zp : int or array of int
        int8 zero points; a scalar per tensor, or anything that broadcasts against ``a``
        (resp. ``b``), e.g. ``b_zp`` of shape ``[N]`` per output channel.

    Returns
    -------
    int32 array, shape ``[M, N]``

    Raises
    ------
    TypeError, ValueError
        An argument is not integer, outside int8, not 2-D, or the inner dimensions differ.
    """
    a = _matrix("a", a, "[M, K]")
    b = _matrix("b", b, "[K, N]")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"b must have K = {a.shape[1]} rows to match a, not {b.shape[0]}")
    a_zp = _as_int64("a_zp", a_zp, INT8_MIN, INT8_MAX)
    b_zp = _as_int64("b_zp", b_zp, INT8_MIN, INT8_MAX)
    # |(a - a_zp) * (b - b_zp)| <= 255**2: exact in int64 for any K below 2**47.
    return _wrap((a - a_zp) @ (b - b_zp)).astype(np.int32)


def gemm_requant(a, b, bias=0, mult=1 << 30, shift=0, *, a_zp=0, b_zp=0, out_zp=0,
                 act_min=INT8_MIN, act_max=INT8_MAX, rounding="double"):
    """Full int8 GEMM: ``requantize(gemm_int32(a, b, a_zp, b_zp), bias, mult, shift, ...)``.

    Keyword names and defaults follow :class:`~orbitbench.spec.params.GemmCommand`
    (``mult = 2**30``, ``shift = 0``: multiply by 0.5). See :func:`gemm_int32` and
    :func:`golden_models.quant.requantize` for the rounding, wrap and clamp contract.

    Parameters
    ----------
    a : array of int, shape ``[M, K]``
        int8 activations.
    b : array of int, shape ``[K, N]``
        int8 weights.
    bias, mult : int or array of int, scalar or shape ``[N]``
        int32 bias and multiplier, per tensor or per output channel.
    shift : int or array of int, scalar or shape ``[N]``
        -32..31.
    a_zp, b_zp, out_zp, act_min, act_max : int
        int8 zero points and output clamp bounds.
    rounding : {"double", "single"}
        TFLite's two roundings of the multiplier (:mod:`golden_models.quant`).

    Returns
    -------
    int8 array, shape ``[M, N]``
    """
    check_rounding(rounding)
    acc = gemm_int32(a, b, a_zp, b_zp)
    return np.asarray(requantize(acc, bias, mult, shift, out_zp, act_min, act_max,
                                 rounding=rounding), dtype=np.int8)
