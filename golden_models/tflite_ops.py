"""Bit-exact NumPy transcriptions of LiteRT's int8 reference kernels that are not a GEMM.

Each function mirrors one kernel of ``tflite/kernels/internal/reference`` (LiteRT 2.3.0,
``OpResolverType.BUILTIN_REF``) together with the parameters its ``Prepare`` derives from the
tensors' scales, vectorised over a batch (axis 0) instead of looping:

* :func:`compute_padding`: ``ComputePaddingHeightWidth`` (``kernels/padding.h``);
* :func:`max_pool` / :func:`average_pool`: ``reference_integer_ops::MaxPool`` /
  ``AveragePool`` (``integer_ops/pooling.h``; the average rounds half away from zero with
  C's truncating division; windows are clipped at the border, not padded);
* :func:`add`: ``reference_integer_ops::Add`` with ``add.cc``'s multipliers (inputs shifted
  left by 20, rescaled to twice the larger input scale, summed, rescaled to the output);
* :func:`softmax`: ``reference_ops::Softmax`` for int8, gemmlowp fixed point (Q5.26 input
  differences, ``exp_on_negative_values``, a Q12.19 sum, ``one_over_one_plus_x_for_x_in_0_1``),
  transcribed from gemmlowp's ``fixedpoint/fixedpoint.h``.

``rounding`` picks TFLite's ``MultiplyByQuantizedMultiplier`` build (:mod:`golden_models.quant`):
ADD and SOFTMAX call it (as ``...SmallerThanOneExp`` / ``...GreaterThanOne``), and
``TFLITE_SINGLE_ROUNDING`` also changes ``QuantizeMultiplier`` and softmax's multiplier cap.
Pooling never rescales. int32 additions wrap, as the compiled C++ does.
"""

from __future__ import annotations

import numpy as np

from golden_models.quant import (
    _apply,
    _rdbpot,
    _srdhm,
    _wrap,
    check_rounding,
    quantize_multiplier,
)
from orbitbench.spec.params import INT8_MAX, INT8_MIN, INT32_MAX, INT32_MIN

__all__ = ["add", "add_params", "average_pool", "compute_padding", "max_pool", "softmax",
           "softmax_params"]


def compute_padding(padding: str, in_size: int, filter_size: int, stride: int,
                    dilation: int = 1) -> tuple[int, int]:
    """``(out_size, leading_pad)`` of one spatial axis, as TFLite's ``padding.h`` computes them.

    ``SAME``: ``out = ceil(in / stride)``; ``VALID``: ``out = (in + stride - eff) // stride``
    with ``eff = (filter - 1) * dilation + 1``; the leading pad is
    ``max((out - 1) * stride + eff - in, 0) // 2`` (any odd pixel goes to the trailing side).
    """
    eff = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        out = (in_size + stride - eff) // stride
    else:
        raise ValueError(f"padding must be 'SAME' or 'VALID', not {padding!r}")
    return out, max((out - 1) * stride + eff - in_size, 0) // 2


def _windows(x: np.ndarray, fh: int, fw: int, stride: tuple[int, int], pad: tuple[int, int],
             out_hw: tuple[int, int], fill: int) -> tuple[np.ndarray, np.ndarray]:
    """``[B, OH, OW, fh*fw, C]`` windows of ``x`` (``[B, H, W, C]``) and their in-image mask."""
    b, h, w, c = x.shape
    oh, ow = out_hw
    ys = np.arange(oh)[:, None] * stride[0] - pad[0] + np.arange(fh)[None, :]  # [OH, fh]
    xs = np.arange(ow)[:, None] * stride[1] - pad[1] + np.arange(fw)[None, :]  # [OW, fw]
    inside = ((ys >= 0) & (ys < h))[:, None, :, None] & ((xs >= 0) & (xs < w))[None, :, None, :]
    padded = np.full((b, h + 2, w + 2, c), fill, dtype=x.dtype)  # one guard row/col each side
    padded[:, 1:-1, 1:-1] = x
    yi = np.clip(ys, -1, h) + 1
    xi = np.clip(xs, -1, w) + 1
    win = padded[:, yi[:, None, :, None], xi[None, :, None, :]]  # [B, OH, OW, fh, fw, C]
    return (win.reshape(b, oh, ow, fh * fw, c),
            np.broadcast_to(inside.reshape(oh, ow, fh * fw, 1), (oh, ow, fh * fw, c)))


def max_pool(x, filter_hw, stride, padding, act_min, act_max) -> np.ndarray:
    """int8 MAX_POOL_2D on ``[B, H, W, C]``: the maximum over the in-image part of each window."""
    x = np.asarray(x, dtype=np.int64)
    (oh, pt), (ow, pl) = (compute_padding(padding, x.shape[1], filter_hw[0], stride[0]),
                          compute_padding(padding, x.shape[2], filter_hw[1], stride[1]))
    win, inside = _windows(x, *filter_hw, stride, (pt, pl), (oh, ow), INT8_MIN)
    m = np.where(inside, win, INT8_MIN).max(axis=3)
    return np.minimum(np.maximum(m, act_min), act_max).astype(np.int8)


def average_pool(x, filter_hw, stride, padding, act_min, act_max) -> np.ndarray:
    """int8 AVERAGE_POOL_2D on ``[B, H, W, C]``.

    ``acc`` = sum of the raw int8 values in the in-image part of the window (no zero point:
    input and output share scale and zero point), ``n`` their count;
    ``(acc + n // 2) / n`` if ``acc > 0`` else ``(acc - n // 2) / n``, dividing with C's
    truncation toward zero; then the activation clamp.
    """
    x = np.asarray(x, dtype=np.int64)
    (oh, pt), (ow, pl) = (compute_padding(padding, x.shape[1], filter_hw[0], stride[0]),
                          compute_padding(padding, x.shape[2], filter_hw[1], stride[1]))
    win, inside = _windows(x, *filter_hw, stride, (pt, pl), (oh, ow), 0)
    acc = np.where(inside, win, 0).sum(axis=3)
    n = inside.sum(axis=2)
    num = np.where(acc > 0, acc + n // 2, acc - n // 2)
    q = np.sign(num) * (np.abs(num) // n)  # C division truncates toward zero
    return np.minimum(np.maximum(q, act_min), act_max).astype(np.int8)


def _quantize_smaller_than_one(real: float, rounding: str) -> tuple[int, int]:
    m, shift = quantize_multiplier(real, rounding)
    if not (0.0 < real < 1.0 and shift <= 0):
        raise ValueError(f"multiplier {real!r} must be in (0, 1) (QuantizeMultiplierSmaller"
                         "ThanOneExp)")
    return m, shift


def add_params(scale1: float, scale2: float, out_scale: float,
               rounding: str = "double") -> dict[str, int]:
    """``add.cc`` Prepare for int8: ``left_shift = 20`` and three (multiplier, shift) pairs.

    ``twice = 2 * max(s1, s2)`` (float32, exact); ``r1 = s1 / twice``, ``r2 = s2 / twice``,
    ``r_out = twice / (2**20 * s_out)`` in double, each through ``QuantizeMultiplier``.
    """
    s1, s2, so = (np.float32(v) for v in (scale1, scale2, out_scale))
    twice = float(np.float32(2) * max(s1, s2))
    r_out = twice / float(np.float32(1 << 20) * so)
    out = {"left_shift": 20}
    for key, real in (("1", float(s1) / twice), ("2", float(s2) / twice), ("out", r_out)):
        out[f"mult{key}"], out[f"shift{key}"] = _quantize_smaller_than_one(real, rounding)
    return out


def add(x1, x2, zp1: int, zp2: int, out_zp: int, params: dict[str, int], act_min: int,
        act_max: int, rounding: str = "double") -> np.ndarray:
    """int8 ADD of equal-shape tensors (``reference_integer_ops::AddFunc``, element-wise)."""
    check_rounding(rounding)
    ls = params["left_shift"]
    v1 = (np.asarray(x1, dtype=np.int64) - zp1) << ls
    v2 = (np.asarray(x2, dtype=np.int64) - zp2) << ls
    s1 = _apply(v1, np.int64(params["mult1"]), np.int64(params["shift1"]), rounding)
    s2 = _apply(v2, np.int64(params["mult2"]), np.int64(params["shift2"]), rounding)
    raw = _apply(_wrap(s1 + s2), np.int64(params["multout"]), np.int64(params["shiftout"]),
                 rounding) + out_zp
    return np.minimum(np.maximum(raw, act_min), act_max).astype(np.int8)


# --- gemmlowp fixed point on int32 values held in int64 arrays ---------------------------

_SCALED_DIFF_INTEGER_BITS = 5  # softmax input differences are Q5.26
_ACCUM_INTEGER_BITS = 12  # the sum of exponentials is Q12.19


def _sat_shl(x: np.ndarray, e: int) -> np.ndarray:
    """gemmlowp ``SaturatingRoundingMultiplyByPOT<e>`` for ``e > 0``: saturating ``x << e``."""
    thr = (1 << (31 - e)) - 1
    return np.where(x > thr, INT32_MAX, np.where(x < -thr, INT32_MIN, x << e))


def _exp_quarter(a: np.ndarray) -> np.ndarray:
    """``exp_on_interval_between_negative_one_quarter_and_0_excl`` (Q0.31 in and out)."""
    const_term, one_third = 1895147668, 715827883  # exp(-1/8), 1/3
    x = _wrap(a + (1 << 28))  # + 1/8
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, np.int64(2))
    poly = _rdbpot(_wrap(_srdhm(_wrap(x4_over_4 + x3), np.int64(one_third)) + x2), np.int64(1))
    return _wrap(const_term + _srdhm(np.int64(const_term), _wrap(x + poly)))


# (exponent, Q0.31 exp(-2**exponent)) of gemmlowp's barrel shifter.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def _exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """gemmlowp ``exp_on_negative_values`` of a Q(integer_bits) value, result Q0.31."""
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = _wrap((a & (quarter - 1)) - quarter)
    result = _exp_quarter(_sat_shl(a_mod, integer_bits))  # Rescale<0>
    remainder = _wrap(a_mod - a)
    for exponent, mult in _EXP_BARREL:
        if integer_bits > exponent:
            bit = (remainder & (1 << (frac + exponent))) != 0
            result = np.where(bit, _srdhm(result, np.int64(mult)), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _one_over_one_plus_x(a: np.ndarray) -> np.ndarray:
    """gemmlowp ``one_over_one_plus_x_for_x_in_0_1`` (Q0.31 in and out, Newton in Q2.29)."""
    s = a + INT32_MAX  # RoundingHalfSum(a, One): (sum + sign) / 2, truncating, in int64
    half_den = np.where(s >= 0, (s + 1) // 2, -((-s + 1) // 2))
    x = _wrap(1515870810 + _srdhm(half_den, np.int64(-1010580540)))  # 48/17 - 32/17 * d
    for _ in range(3):
        one_minus = _wrap((1 << 29) - _srdhm(half_den, x))
        x = _wrap(x + _sat_shl(_srdhm(x, one_minus), 2))
    return _sat_shl(x, 1)


def _clz32(x: np.ndarray) -> np.ndarray:
    """Leading zeros of ``x`` as a uint32 (``x >= 0``)."""
    bits = sum((x >= (np.int64(1) << k)).astype(np.int64) for k in range(32))
    return 32 - bits


def softmax_params(input_scale: float, beta: float, rounding: str = "double") -> dict:
    """``activations.cc`` SoftmaxPrepare (kReference, int8): multiplier, left shift, diff_min.

    ``real = min(beta * input_scale * 2**26, cap)`` in double, with ``cap = 2**31 - 1``
    (``2**30 - 1`` for single rounding), through ``QuantizeMultiplier`` (shift >= 0);
    ``diff_min = -floor(31 * 2**26 / 2**left_shift)`` (``CalculateInputRadius(5, shift)``).
    """
    check_rounding(rounding)
    cap = float((1 << 30) - 1) if rounding == "single" else float((1 << 31) - 1)
    real = min(float(np.float32(beta)) * float(np.float32(input_scale))
               * float(1 << (31 - _SCALED_DIFF_INTEGER_BITS)), cap)
    mult, shift = quantize_multiplier(real, rounding)
    if shift < 0:
        raise ValueError(f"softmax multiplier {real!r} must be above 1 "
                         "(QuantizeMultiplierGreaterThanOne)")
    radius = int(np.floor(1.0 * ((1 << _SCALED_DIFF_INTEGER_BITS) - 1)
                          * float(1 << (31 - _SCALED_DIFF_INTEGER_BITS)) / float(1 << shift)))
    return {"mult": mult, "left_shift": shift, "diff_min": -radius}


def softmax(x, params: dict, rounding: str = "double") -> np.ndarray:
    """int8 SOFTMAX over the last axis, output scale 1/256 and zero point -128.

    ``diff = x - max(x)``; entries with ``diff < diff_min`` give -128; the others
    ``exp(diff * beta * scale)`` in gemmlowp fixed point, scaled by the reciprocal of their
    Q12.19 sum, rounded by ``RoundingDivideByPOT``, offset by -128 and clamped.
    """
    check_rounding(rounding)
    x = np.asarray(x, dtype=np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    valid = diff >= params["diff_min"]
    rescaled = _apply(diff, np.int64(params["mult"]), np.int64(params["left_shift"]), rounding)
    exp = _exp_on_negative_values(rescaled, _SCALED_DIFF_INTEGER_BITS)
    terms = np.where(valid, _rdbpot(exp, np.int64(_ACCUM_INTEGER_BITS)), 0)  # Rescale<12>
    total = _wrap(terms.sum(axis=-1, keepdims=True))
    headroom = _clz32(total)
    bits_over_unit = _ACCUM_INTEGER_BITS - headroom
    shifted = _wrap(((total << headroom) & 0xFFFF_FFFF) - (1 << 31))
    scale = _one_over_one_plus_x(shifted)
    exponent = bits_over_unit + 31 - 8
    if np.any((exponent < 0) | (exponent > 31)):
        raise ValueError("softmax reciprocal exponent outside 0..31 (TFLITE_CHECK)")
    unsat = _rdbpot(_srdhm(scale, exp), exponent)
    out = np.minimum(np.maximum(unsat + INT8_MIN, INT8_MIN), INT8_MAX)
    return np.where(valid, out, INT8_MIN).astype(np.int8)
