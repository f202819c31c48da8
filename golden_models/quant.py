"""Bit-exact TFLite / gemmlowp int8 requantization.

The formulas are copied from the numeric standard in ``REFERENCE.md`` ("Numeric standard:
TFLite / gemmlowp int8 requantization"), i.e. gemmlowp's ``SaturatingRoundingDoublingHighMul``
and ``RoundingDivideByPowerOfTwo`` and TFLite's ``MultiplyByQuantizedMultiplier``. Two points
the standard leaves open are fixed here, the same way the RTL (``hdl_gen.requant``) does them:

* ``acc + bias`` and ``x << left`` wrap to 32-bit two's complement (the low 32 bits,
  reinterpreted as signed), as a 32-bit adder and a 32-bit multiply by ``1 << left`` do;
* all 64 codes of the 6-bit shift field (-32..31) follow the same formulas, although TFLite
  only produces -31..30.

Two roundings of ``MultiplyByQuantizedMultiplier`` exist in TFLite, selected by a
``rounding`` keyword (see :data:`ROUNDINGS`):

* ``"double"`` (the default, what the RTL tile implements): gemmlowp's
  ``RoundingDivideByPowerOfTwo(SaturatingRoundingDoublingHighMul(x << left, m), right)``,
  TFLite's build without ``TFLITE_SINGLE_ROUNDING``. It rounds twice: SRDHM to the nearest
  multiple of ``2**-31``, then RDBPOT to the nearest integer, ties away from zero;
* ``"single"``: TFLite's ``TFLITE_SINGLE_ROUNDING`` build (``kernels/internal/common.cc``;
  ruy's ``detail::MultiplyByQuantizedMultiplier`` in ``apply_multiplier.cc`` is the same
  formula): ``(x * m + 2**(30 - shift)) >> (31 - shift)`` on the exact 64-bit product, one
  rounding, ties toward +inf. TFLite only allows ``m >= 0`` and shift -31..30 there; this
  model takes every int32 ``m`` and all 64 shift codes, and keeps the low 32 bits of the
  result (TFLite's ``static_cast<int32_t>``), which only matters where TFLite's DCHECK fails.

Every function is pure and vectorised: arguments are integer scalars or arrays that broadcast
together (per-channel parameters of shape ``[N]`` broadcast along the last axis of an
``[..., N]`` accumulator), arithmetic is done in int64, and the result has the broadcast shape
(a NumPy scalar when every argument is a scalar). Values outside a parameter's range raise
``ValueError``; non-integer inputs raise ``TypeError``. Inputs are never modified.
"""

from __future__ import annotations

import math

import numpy as np

from orbitbench.spec.params import (
    INT8_MAX,
    INT8_MIN,
    INT32_MAX,
    INT32_MIN,
    ROUNDINGS,
    SHIFT_MAX,
    SHIFT_MIN,
)

__all__ = [
    "ROUNDINGS",
    "check_rounding",
    "multiply_by_quantized_multiplier",
    "quantize_multiplier",
    "requantize",
    "round_half_away",
    "rounding_divide_by_power_of_two",
    "saturating_rounding_doubling_high_mul",
    "wrap_int32",
]

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
#: The two roundings of TFLite's MultiplyByQuantizedMultiplier (module docstring).


def check_rounding(rounding) -> str:
    """``rounding`` itself if it is one of :data:`ROUNDINGS`, else ``ValueError``."""
    if not isinstance(rounding, str) or rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be 'double' or 'single', not {rounding!r}")
    return rounding


def _as_int64(name: str, value, lo: int, hi: int) -> np.ndarray:
    """``value`` as a new int64 array, after checking it holds integers from ``lo`` to ``hi``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {arr.dtype} values")
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(
            f"{name} must be from {lo} to {hi}, not values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def _out(arr: np.ndarray, dtype) -> np.ndarray:
    # `[()]` turns a 0-d result into a NumPy scalar, as NumPy's own ufuncs do.
    return arr.astype(dtype)[()]


def _wrap(x: np.ndarray) -> np.ndarray:
    """Low 32 bits of int64 ``x`` reinterpreted as signed, still as int64 (cannot overflow)."""
    low = x & 0xFFFF_FFFF
    return np.where(low > INT32_MAX, low - (1 << 32), low)


def wrap_int32(x):
    """Wrap integers to 32-bit two's complement.

    Parameters
    ----------
    x : int or array of int
        Any values representable in int64.

    Returns
    -------
    int32 array (NumPy scalar for a scalar input)
        The low 32 bits of ``x``, reinterpreted as signed: ``((x + 2**31) mod 2**32) - 2**31``.
    """
    return _out(_wrap(_as_int64("x", x, _INT64_MIN, _INT64_MAX)), np.int32)


def _srdhm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = a * b  # |a * b| <= 2**62: exact in int64
    v = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # Division by 2**31 truncating toward zero (not the floor an arithmetic shift gives).
    q = np.where(v >= 0, v >> 31, -((-v) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp ``SaturatingRoundingDoublingHighMul``: ``round(a * b / 2**31)``, saturating.

    ``ab = a * b`` exactly; ``nudge = 2**30`` if ``ab >= 0`` else ``1 - 2**30``; the result is
    ``(ab + nudge) / 2**31`` with the division truncating toward zero. The only product whose
    result does not fit int32, ``INT32_MIN * INT32_MIN``, saturates to ``INT32_MAX``.

    Parameters
    ----------
    a, b : int or array of int
        int32 values; broadcast together.

    Returns
    -------
    int32 array (NumPy scalar for scalar inputs)

    Raises
    ------
    TypeError, ValueError
        An argument is not integer or outside the int32 range.
    """
    a = _as_int64("a", a, INT32_MIN, INT32_MAX)
    b = _as_int64("b", b, INT32_MIN, INT32_MAX)
    return _out(_srdhm(a, b), np.int32)


def _rdbpot(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    mask = (np.int64(1) << e) - 1
    rem = x & mask  # low e bits of x's two's complement
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def rounding_divide_by_power_of_two(x, e):
    """gemmlowp ``RoundingDivideByPowerOfTwo``: ``x / 2**e`` rounded to nearest, ties away from 0.

    ``mask = 2**e - 1``; ``rem = x & mask`` (two's complement); ``thr = (mask >> 1) + (x < 0)``;
    result ``(x >> e) + (rem > thr)`` with ``>>`` arithmetic. E.g. ``(5, 1) -> 3``,
    ``(-5, 1) -> -3``, ``(3, 1) -> 2``, ``(-3, 1) -> -2``, ``(-4, 1) -> -2``. Never overflows.

    Parameters
    ----------
    x : int or array of int
        int32 values.
    e : int or array of int
        Exponents from 0 to 32 (32 is reached by the shift code -32); broadcast with ``x``.

    Returns
    -------
    int32 array (NumPy scalar for scalar inputs)

    Raises
    ------
    TypeError, ValueError
        An argument is not integer or out of range.
    """
    x = _as_int64("x", x, INT32_MIN, INT32_MAX)
    e = _as_int64("e", e, 0, 32)
    return _out(_rdbpot(x, e), np.int32)


def _mbqm(x: np.ndarray, m: np.ndarray, shift: np.ndarray) -> np.ndarray:
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    xl = _wrap(x << left)  # |x| <= 2**31, left <= 31: exact in int64 before the wrap
    return _rdbpot(_srdhm(xl, m), right)


def _mbqm_single(x: np.ndarray, m: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``floor((x * m + 2**(t - 1)) / 2**t)`` with ``t = 31 - shift`` (0..63), low 32 bits."""
    ab = x * m  # |x * m| <= 2**62: exact in int64
    t = 31 - shift
    # For t >= 2 halve first: floor((ab + 2**(t-1)) / 2**t) == ((ab >> 1) + 2**(t-2)) >> (t-1),
    # and (ab >> 1) + 2**61 cannot overflow int64 where ab + 2**62 (t = 63) could.
    t2 = np.maximum(t, 2)
    wide = ((ab >> 1) + (np.int64(1) << (t2 - 2))) >> (t2 - 1)
    out = np.where(t >= 2, wide, np.where(t == 1, (ab + 1) >> 1, ab))
    return _wrap(out)


def _apply(x: np.ndarray, m: np.ndarray, shift: np.ndarray, rounding: str) -> np.ndarray:
    return _mbqm(x, m, shift) if rounding == "double" else _mbqm_single(x, m, shift)


def multiply_by_quantized_multiplier(x, m, shift, rounding="double"):
    """TFLite ``MultiplyByQuantizedMultiplier``: ``x * m / 2**31 * 2**shift``, rounded.

    ``rounding="double"`` (gemmlowp): ``left = max(shift, 0)``, ``right = max(-shift, 0)``;
    ``rounding_divide_by_power_of_two(saturating_rounding_doubling_high_mul(x << left, m),
    right)``, where ``x << left`` WRAPS to int32 (the low 32 bits, as a 32-bit multiply by
    ``2**left`` gives): TFLite assumes it never overflows, this model defines what happens.

    ``rounding="single"`` (``TFLITE_SINGLE_ROUNDING``): ``(x * m + 2**(30 - shift)) >>
    (31 - shift)`` on the exact product (no rounding term at shift 31), ties toward +inf,
    then the low 32 bits. E.g. ``x = -10, m = 2**30, shift = -1`` (-2.5) gives -2, where
    ``"double"`` gives -3 (its SRDHM step gives -5 exactly, then RDBPOT rounds the tie away
    from zero).

    Parameters
    ----------
    x, m : int or array of int
        int32 values.
    shift : int or array of int
        -32..31 (the 6-bit signed shift field; TFLite uses -31..30).
    rounding : {"double", "single"}

    Returns
    -------
    int32 array (NumPy scalar for scalar inputs)

    Raises
    ------
    TypeError, ValueError
        An argument is not integer or out of range, or ``rounding`` is not in
        :data:`ROUNDINGS`.
    """
    check_rounding(rounding)
    x = _as_int64("x", x, INT32_MIN, INT32_MAX)
    m = _as_int64("m", m, INT32_MIN, INT32_MAX)
    shift = _as_int64("shift", shift, SHIFT_MIN, SHIFT_MAX)
    return _out(_apply(x, m, shift, rounding), np.int32)


def requantize(acc, bias, mult, shift, out_zp=0, act_min=INT8_MIN, act_max=INT8_MAX, *,
               rounding="double"):
    """Requantize int32 accumulators to int8 outputs (TFLite int8 output stage).

    ``x = wrap_int32(acc + bias)`` (two's-complement wrap);
    ``y = multiply_by_quantized_multiplier(x, mult, shift, rounding)``;
    ``z = y + out_zp`` (exact, no wrap);
    ``out = min(max(z, act_min), act_max)``, in that order, so an empty range
    (``act_min > act_max``) yields ``act_max`` everywhere. ReLU is ``act_min = out_zp``.

    Parameters
    ----------
    acc : int or array of int, shape ``[..., N]``
        int32 accumulators.
    bias, mult : int or array of int, scalar or shape ``[N]``
        int32 bias and multiplier, per tensor (scalar) or per output channel (last axis).
    shift : int or array of int, scalar or shape ``[N]``
        -32..31.
    out_zp, act_min, act_max : int or array of int
        int8 output zero point and clamp bounds.
    rounding : {"double", "single"}
        See :func:`multiply_by_quantized_multiplier`.

    Returns
    -------
    int8 array of the broadcast shape (NumPy scalar for scalar inputs)

    Raises
    ------
    TypeError, ValueError
        An argument is not integer or out of range, or ``rounding`` is unknown.
    """
    check_rounding(rounding)
    acc = _as_int64("acc", acc, INT32_MIN, INT32_MAX)
    bias = _as_int64("bias", bias, INT32_MIN, INT32_MAX)
    mult = _as_int64("mult", mult, INT32_MIN, INT32_MAX)
    shift = _as_int64("shift", shift, SHIFT_MIN, SHIFT_MAX)
    out_zp = _as_int64("out_zp", out_zp, INT8_MIN, INT8_MAX)
    act_min = _as_int64("act_min", act_min, INT8_MIN, INT8_MAX)
    act_max = _as_int64("act_max", act_max, INT8_MIN, INT8_MAX)
    z = _apply(_wrap(acc + bias), mult, shift, rounding) + out_zp
    return _out(np.minimum(np.maximum(z, act_min), act_max), np.int8)


def round_half_away(v):
    """C's ``std::round`` (TFLite's ``TfLiteRound``): nearest integer, ties away from zero.

    Exact for float32 and float64 scalars or arrays (``|v| - floor(|v|)`` is exact, so there
    is no ``floor(v + 0.5)`` trap at 0.49999...). Returns integral values of the input's
    floating type.
    """
    mag = np.abs(v)
    whole = np.floor(mag)
    return np.copysign(whole + (mag - whole >= 0.5), v)


def quantize_multiplier(real_multiplier: float, rounding: str = "double") -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: a real multiplier as ``(m, shift)``, ``m * 2**(shift - 31)``.

    ``q, shift = frexp(real)`` (``0.5 <= |q| < 1``); ``m = round_half_away(q * 2**31)``; if
    ``m == 2**31`` then ``m = 2**30`` and ``shift += 1``; a shift below -31 flushes to
    ``(0, 0)``. ``rounding="single"`` adds the ``TFLITE_SINGLE_ROUNDING`` saturation: a shift
    above 30 becomes ``(2**31 - 1, 30)``. ``real_multiplier == 0`` gives ``(0, 0)``.
    Python floats are C doubles, so a caller that computes ``real_multiplier`` in the same
    order as the TFLite kernel gets TFLite's bits.

    Parameters
    ----------
    real_multiplier : float
    rounding : {"double", "single"}

    Returns
    -------
    (int, int)
        ``(m, shift)``.
    """
    check_rounding(rounding)
    if real_multiplier == 0.0:
        return 0, 0
    q, shift = math.frexp(real_multiplier)
    m = int(round_half_away(q * (1 << 31)))
    if m == 1 << 31:
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if rounding == "single" and shift > 30:
        return (1 << 31) - 1, 30
    return m, shift
