"""golden_models.quant against scalar Python-int transcriptions of the TFLite/gemmlowp standard.

The ``ref_*`` functions below are straight transcriptions of REFERENCE.md ("Numeric standard:
TFLite / gemmlowp int8 requantization") on unbounded Python ints; the model under test is the
vectorised int64 NumPy code. Every comparison runs over a named corner list and over seeded
random vectors (the seed is in the test id).
"""

import itertools

import numpy as np
import pytest

from golden_models import quant
from golden_models.quant import (
    multiply_by_quantized_multiplier,
    requantize,
    rounding_divide_by_power_of_two,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from orbitbench.spec.params import INT32_MAX, INT32_MIN

# --- scalar reference (Python ints) -------------------------------------------------------


def ref_wrap32(v):
    return ((v + 2**31) % 2**32) - 2**31


def ref_srdhm(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = 1 << 30 if ab >= 0 else 1 - (1 << 30)
    v = ab + nudge
    q = abs(v) // 2**31  # truncation toward zero, done on the magnitude
    return q if v >= 0 else -q


def ref_rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask  # Python ints: infinite two's complement, so these are x's low e bits
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def ref_mbqm(x, m, shift):
    left, right = max(shift, 0), max(-shift, 0)
    return ref_rdbpot(ref_srdhm(ref_wrap32(x << left), m), right)


def ref_requantize(acc, bias, mult, shift, out_zp, act_min, act_max):
    y = ref_mbqm(ref_wrap32(acc + bias), mult, shift)
    return min(max(y + out_zp, act_min), act_max)


def mismatches(model, ref, *columns):
    """Rows where the vectorised ``model`` differs from the scalar ``ref`` (empty = agree)."""
    got = np.asarray(model(*(np.asarray(c) for c in columns))).tolist()
    rows = list(zip(*columns, strict=True))
    return [(row, g, ref(*row)) for row, g in zip(rows, got, strict=True) if g != ref(*row)]


# --- named corner lists -------------------------------------------------------------------

INT32_CORNERS = [
    INT32_MIN, INT32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -65536, -32768, -257, -256, -255,
    -129, -128, -127, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 127, 128, 255, 256, 32767,
    (1 << 30) - 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX,
]
MULT_CORNERS = [
    INT32_MAX, 2**31 - 2, 1518500250,  # ~ sqrt(1/2) * 2**31, a typical normalised multiplier
    (1 << 30) + 1, 1 << 30, (1 << 30) - 1, 12345, 1, 0, -1, -(1 << 30), INT32_MIN + 1,
    INT32_MIN,
]
BIAS_CORNERS = [INT32_MIN, -1, 0, 1, INT32_MAX]
SHIFTS = list(range(-32, 32))
ZP_CORNERS = [-128, -1, 0, 127]
ACT_RANGES = {
    "full": (-128, 127),
    "relu_zp0": (0, 127),
    "relu6_like": (-128, -128 + 60),  # out_zp -128, 6.0 quantised to 60 steps
    "single": (5, 5),
    "empty": (10, -10),  # act_min > act_max: act_max everywhere
}
SEEDS = [20261124, 7, 0xB0B]


def seed_id(seed):
    return f"seed={seed}"


# --- wrap_int32 ---------------------------------------------------------------------------


@pytest.mark.parametrize("v, expected", [
    (0, 0), (INT32_MAX, INT32_MAX), (INT32_MIN, INT32_MIN), (2**31, INT32_MIN),
    (INT32_MIN - 1, INT32_MAX), (2**32, 0), (2**32 + 5, 5), (-(2**32) - 1, -1),
    ((1 << 63) - 1, -1), (-(1 << 63), 0),
])
def test_wrap_int32(v, expected):
    got = wrap_int32(v)
    assert got.dtype == np.int32 and got == expected == ref_wrap32(v)


# --- SaturatingRoundingDoublingHighMul ----------------------------------------------------

# Hand-checked: (a * b + nudge) / 2**31 truncated toward zero.
SRDHM_HAND = [
    (INT32_MIN, INT32_MIN, INT32_MAX),  # the one saturating case
    (INT32_MIN, INT32_MAX, -INT32_MAX),  # (-2**62 + 2**31 + 1 - 2**30) / 2**31 -> -(2**31 - 1)
    (INT32_MAX, INT32_MAX, INT32_MAX - 1),  # (2**62 - 2**32 + 1 + 2**30) / 2**31 -> 2**31 - 2
    (1 << 30, 1 << 30, 1 << 29),  # 2**29 + 0.5 truncates down
    (7, 1 << 30, 4),  # (7 * 2**30 + 2**30) / 2**31 = 4 exactly
    (-7, 1 << 30, -3),  # (1 - 2**33) / 2**31 = -3.99..: truncates to -3 (floor gives -4)
    (-1, 1 << 30, 0),  # (1 - 2**31) / 2**31 = -0.99..: truncates to 0 (floor would give -1)
    (1, 1 << 30, 1),  # (2**30 + 2**30) / 2**31 = 1
    (0, INT32_MIN, 0),
]


@pytest.mark.parametrize("a, b, expected", SRDHM_HAND, ids=lambda v: str(v))
def test_srdhm_hand(a, b, expected):
    assert ref_srdhm(a, b) == expected
    got = saturating_rounding_doubling_high_mul(a, b)
    assert got.dtype == np.int32 and got == expected


def test_srdhm_corner_grid():
    values = INT32_CORNERS + MULT_CORNERS
    a, b = zip(*itertools.product(values, values), strict=True)
    assert mismatches(saturating_rounding_doubling_high_mul, ref_srdhm, a, b) == []


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_srdhm_random(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(INT32_MIN, INT32_MAX, 3000, endpoint=True).tolist()
    b = rng.integers(INT32_MIN, INT32_MAX, 3000, endpoint=True).tolist()
    assert mismatches(saturating_rounding_doubling_high_mul, ref_srdhm, a, b) == []


# --- RoundingDivideByPowerOfTwo -----------------------------------------------------------

# Hand-checked with mask = 2**e - 1, rem = x & mask, thr = (mask >> 1) + (x < 0):
RDBPOT_HAND = [
    (5, 1, 3),  # rem 1 > thr 0: 2 + 1            (2.5 -> 3)
    (-5, 1, -3),  # rem 1, thr 1: -3 + 0          (-2.5 -> -3, ties away from zero)
    (-4, 1, -2),  # rem 0: -2
    (3, 1, 2),  # rem 1 > thr 0: 1 + 1            (1.5 -> 2)
    (-3, 1, -2),  # rem 1, thr 1: -2 + 0          (-1.5 -> -2)
    (-1, 1, -1),  # rem 1, thr 1: -1 + 0          (-0.5 -> -1)
    (1, 1, 1),  # 0.5 -> 1
    (-5, 2, -1),  # rem 3 > thr 2: -2 + 1         (-1.25 -> -1)
    (-6, 2, -2),  # rem 2, thr 2: -2 + 0          (-1.5 -> -2)
    (6, 2, 2),  # rem 2 > thr 1: 1 + 1            (1.5 -> 2)
    (INT32_MIN, 32, -1),  # rem 2**31, thr 2**31: -1 + 0         (-0.5 -> -1)
    (INT32_MAX, 32, 0),  # 0.49.. -> 0
    (-1, 32, 0),  # rem 2**32 - 1 > thr 2**31: -1 + 1
    (INT32_MAX, 0, INT32_MAX),
    (INT32_MIN, 0, INT32_MIN),
    (INT32_MIN, 31, -1),
    (INT32_MAX, 31, 1),
]


@pytest.mark.parametrize("x, e, expected", RDBPOT_HAND, ids=lambda v: str(v))
def test_rdbpot_hand(x, e, expected):
    assert ref_rdbpot(x, e) == expected
    got = rounding_divide_by_power_of_two(x, e)
    assert got.dtype == np.int32 and got == expected


def round_half_away(x, e):
    """x / 2**e rounded to nearest, ties away from zero (what the gemmlowp formula computes)."""
    q, r = divmod(abs(x), 2**e)
    q += 2 * r >= 2**e
    return q if x >= 0 else -q


def test_rdbpot_every_exponent():
    ties = [s * (2 * j + 1) << (e - 1) for e in range(1, 32) for j in (0, 1, 7) for s in (1, -1)]
    values = INT32_CORNERS + [t for t in ties if INT32_MIN <= t <= INT32_MAX]
    x, e = zip(*itertools.product(values, range(33)), strict=True)
    assert mismatches(rounding_divide_by_power_of_two, ref_rdbpot, x, e) == []
    # Cross-check that the transcription is the rounding it claims to be.
    assert all(ref_rdbpot(xi, ei) == round_half_away(xi, ei) for xi, ei in zip(x, e, strict=True))


def test_rdbpot_broadcasts_exponent_array():
    got = rounding_divide_by_power_of_two(np.array([[-5], [5]]), np.arange(4))
    assert got.shape == (2, 4)
    assert got.tolist() == [[ref_rdbpot(x, e) for e in range(4)] for x in (-5, 5)]


# --- MultiplyByQuantizedMultiplier --------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS, ids=lambda s: f"shift={s}")
def test_mbqm_every_shift(shift):
    x, m = zip(*itertools.product(INT32_CORNERS, MULT_CORNERS), strict=True)
    s = [shift] * len(x)
    assert mismatches(multiply_by_quantized_multiplier, ref_mbqm, x, m, s) == []


@pytest.mark.parametrize("x, m, shift, expected", [
    (1 << 30, 1 << 30, 1, -(1 << 30)),  # x << 1 wraps to INT32_MIN; * 0.5 -> -2**30
    (1 << 30, INT32_MIN, 1, INT32_MAX),  # wraps to INT32_MIN, then the SRDHM saturation
    (3, 1 << 30, 31, -(1 << 30)),  # 3 << 31 wraps to INT32_MIN (low bit to sign bit)
    (2, 1 << 30, 31, 0),  # 2 << 31 wraps to 0
    (INT32_MAX, INT32_MAX, -32, 0),  # right shift by 32: 0.49.. -> 0
    (INT32_MIN, INT32_MAX, -32, 0),  # SRDHM -(2**31 - 1), / 2**32 = -0.49.. -> 0
    (100, 1 << 30, -1, 25),  # 100 * 0.5 / 2
])
def test_mbqm_hand(x, m, shift, expected):
    assert ref_mbqm(x, m, shift) == expected
    assert multiply_by_quantized_multiplier(x, m, shift) == expected


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_mbqm_random(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
    x[: n // 2] >>= rng.integers(0, 32, n // 2)  # half small-magnitude, as accumulators are
    m = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
    m[: n // 2] = rng.integers(1 << 30, INT32_MAX, n // 2, endpoint=True)  # TFLite-normalised
    s = rng.integers(-32, 31, n, endpoint=True)
    cols = (x.tolist(), m.tolist(), s.tolist())
    assert mismatches(multiply_by_quantized_multiplier, ref_mbqm, *cols) == []


# --- requantize ---------------------------------------------------------------------------

# (name, acc, bias, mult, shift, out_zp, act_min, act_max, expected), hand-checked.
REQUANT_HAND = [
    ("half", 7, 0, 1 << 30, 0, 0, -128, 127, 4),  # 7 * 0.5 = 3.5 -> 4
    ("half_neg", -7, 0, 1 << 30, 0, 0, -128, 127, -3),  # SRDHM truncates: -3.99.. -> -3
    ("bias", 10, -20, 1 << 30, 1, 0, -128, 127, -10),  # (10 - 20) * 0.5 * 2
    ("bias_add_wraps", INT32_MAX, 1, 1, 0, 0, -128, 127, -1),  # INT32_MIN * 2**-31 -> -1
    ("bias_add_wraps_neg", INT32_MIN, -1, 1, 0, 0, -128, 127, 1),  # wraps to INT32_MAX
    ("out_zp_no_wrap", 240, 0, 1 << 30, 0, 127, -128, 127, 127),  # 120 + 127 clamps, no wrap
    ("out_zp_low", -240, 0, 1 << 30, 0, -128, -128, 127, -128),
    ("relu", -50, 0, 1 << 30, 0, -5, -5, 127, -5),  # act_min = out_zp
    ("relu_pass", 50, 0, 1 << 30, 0, -5, -5, 127, 20),
    ("relu6_like", 1000, 0, 1 << 30, 0, -128, -128, -68, -68),
    ("empty_range", 0, 0, 1 << 30, 0, 0, 10, -10, -10),  # act_min > act_max -> act_max
    ("empty_range_low", -1000, 0, 1 << 30, 0, 0, 10, -10, -10),
    ("srdhm_saturation", INT32_MIN, 0, INT32_MIN, -25, 0, -128, 127, 64),  # INT32_MAX / 2**25
    ("shift_m32", INT32_MAX, 0, INT32_MAX, -32, 0, -128, 127, 0),
    ("shift_p31", 1, 0, 1 << 30, 31, 0, -128, 127, -128),  # 1 << 31 wraps to INT32_MIN
    ("neg_mult", 100, 0, -(1 << 30), -1, 0, -128, 127, -25),
    ("zero_mult", INT32_MAX, 0, 0, 31, 3, -128, 127, 3),
]
REQUANT_HAND_ROWS = [case[1:-1] for case in REQUANT_HAND]


@pytest.mark.parametrize("case", REQUANT_HAND, ids=lambda c: c[0])
def test_requantize_hand(case):
    args, expected = case[1:-1], case[-1]
    assert ref_requantize(*args) == expected
    got = requantize(*args)
    assert got.dtype == np.int8 and got == expected


def test_requantize_corner_grid():
    """acc x bias x mult over the corner lists, at the shift extremes, default zp and range."""
    rows = list(itertools.product(INT32_CORNERS, BIAS_CORNERS, MULT_CORNERS,
                                  [-32, -31, -1, 0, 1, 30, 31], [0], [-128], [127]))
    assert mismatches(requantize, ref_requantize, *zip(*rows, strict=True)) == []


@pytest.mark.parametrize("act", list(ACT_RANGES), ids=lambda a: f"act={a}")
@pytest.mark.parametrize("out_zp", ZP_CORNERS, ids=lambda z: f"out_zp={z}")
def test_requantize_every_shift_zp_and_range(out_zp, act):
    act_min, act_max = ACT_RANGES[act]
    acc = [INT32_MIN, -(1 << 30), -1000, -3, -1, 0, 1, 3, 1000, 1 << 30, INT32_MAX]
    mult = [INT32_MAX, 1 << 30, 1518500250, 1, -(1 << 30), INT32_MIN]
    rows = [(x, 7, m, s, out_zp, act_min, act_max)
            for x, m, s in itertools.product(acc, mult, SHIFTS)]
    assert mismatches(requantize, ref_requantize, *zip(*rows, strict=True)) == []


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_requantize_random(seed):
    """Random values, half drawn from the corner lists so the extremes stay frequent."""
    rng = np.random.default_rng(seed)
    n = 4000

    def draw(lo, hi, corners):
        v = rng.integers(lo, hi, n, endpoint=True)
        pick = rng.random(n) < 0.5
        v[pick] = rng.choice(corners, n)[pick]
        return v.tolist()

    act_a, act_b = draw(-128, 127, [-128, 0, 127]), draw(-128, 127, [-128, 0, 127])
    cols = (draw(INT32_MIN, INT32_MAX, INT32_CORNERS), draw(INT32_MIN, INT32_MAX, BIAS_CORNERS),
            draw(INT32_MIN, INT32_MAX, MULT_CORNERS), draw(-32, 31, [-32, -31, 0, 30, 31]),
            draw(-128, 127, ZP_CORNERS), act_a, act_b)  # act_min > act_max about half the time
    assert mismatches(requantize, ref_requantize, *cols) == []


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_requantize_per_channel_broadcast(seed):
    rng = np.random.default_rng(seed)
    acc = rng.integers(-(1 << 20), 1 << 20, (3, 4, 5))
    bias = rng.integers(-1000, 1000, 5)
    mult = rng.integers(1 << 30, INT32_MAX, 5)
    shift = rng.integers(-12, 4, 5)
    got = requantize(acc, bias, mult, shift, 3, -100, 100)
    assert got.shape == (3, 4, 5) and got.dtype == np.int8
    expected = [[[ref_requantize(int(acc[i, j, c]), int(bias[c]), int(mult[c]), int(shift[c]),
                                 3, -100, 100) for c in range(5)] for j in range(4)]
                for i in range(3)]
    assert got.tolist() == expected


def test_scalar_in_scalar_out_and_inputs_untouched():
    assert isinstance(requantize(5, 0, 1 << 30, 0), np.int8)
    assert isinstance(multiply_by_quantized_multiplier(5, 1 << 30, 0), np.int32)
    acc = np.array([[1, 2]], dtype=np.int32)
    shift = np.array([0, -1], dtype=np.int8)
    requantize(acc, 0, 1 << 30, shift)
    assert acc.tolist() == [[1, 2]] and shift.tolist() == [0, -1]


@pytest.mark.parametrize("call, exc, match", [
    (lambda: requantize(0, 0, 1, 32), ValueError, "shift must be from -32 to 31"),
    (lambda: requantize(0, 0, 1, -33), ValueError, "shift must be from -32 to 31"),
    (lambda: requantize(2**31, 0, 1, 0), ValueError, "acc must be from"),
    (lambda: requantize(0, 0, 2**31, 0), ValueError, "mult must be from"),
    (lambda: requantize(0, 0, 1, 0, 128), ValueError, "out_zp must be from -128 to 127"),
    (lambda: requantize(0, 0, 1, 0, 0, -129), ValueError, "act_min must be from -128 to 127"),
    (lambda: requantize(0, 0, 1, 0, 0, 0, 128), ValueError, "act_max must be from -128 to 127"),
    (lambda: requantize(0.5, 0, 1, 0), TypeError, "acc must hold integers"),
    (lambda: rounding_divide_by_power_of_two(1, 33), ValueError, "e must be from 0 to 32"),
    (lambda: saturating_rounding_doubling_high_mul(1, 2**31), ValueError, "b must be from"),
    (lambda: wrap_int32(1 << 64), TypeError, "x must hold integers"),
])
def test_invalid_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- negative controls: a broken model must be caught -------------------------------------


def srdhm_floor(a, b):
    """SRDHM with an arithmetic shift (floor) instead of truncation toward zero: a classic bug."""
    ab = a * b
    v = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, v >> 31)


def rdbpot_no_negative_tie(x, e):
    """RDBPOT without the ``+ (x < 0)`` in the threshold: rounds negative ties toward +inf."""
    mask = (np.int64(1) << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1))


def test_negative_control_srdhm_floor(monkeypatch):
    values = INT32_CORNERS + MULT_CORNERS
    a, b = zip(*itertools.product(values, values), strict=True)
    monkeypatch.setattr(quant, "_srdhm", srdhm_floor)
    assert mismatches(saturating_rounding_doubling_high_mul, ref_srdhm, a, b) != []
    bad = mismatches(requantize, ref_requantize, *zip(*REQUANT_HAND_ROWS, strict=True))
    assert (REQUANT_HAND_ROWS[1], -4, -3) in bad  # "half_neg": floor(-3.99..) = -4


def test_negative_control_rdbpot_ties(monkeypatch):
    monkeypatch.setattr(quant, "_rdbpot", rdbpot_no_negative_tie)
    x, e = zip(*itertools.product(INT32_CORNERS, range(33)), strict=True)
    bad = mismatches(rounding_divide_by_power_of_two, ref_rdbpot, x, e)
    assert ((-5, 1), -2, -3) in bad and ((-3, 1), -1, -2) in bad


def test_negative_control_clamp_order():
    """Clamping max-after-min would give act_min on an empty range: the hand list catches it."""
    def clamp_swapped(*args):
        *head, act_min, act_max = (np.asarray(a) for a in args)
        y = np.asarray(requantize(*head, -128, 127), dtype=np.int64)
        return np.maximum(np.minimum(y, act_max), act_min)

    bad = mismatches(clamp_swapped, ref_requantize, *zip(*REQUANT_HAND_ROWS, strict=True))
    assert {row[0] for row, _, _ in bad} == {0, -1000}  # the two "empty_range" cases



# --- single rounding (TFLITE_SINGLE_ROUNDING) ----------------------------------------------
#
# Transcribed from TFLite's kernels/internal/common.cc, the TFLITE_SINGLE_ROUNDING build of
# MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized_multiplier, int shift) (ruy's
# detail::MultiplyByQuantizedMultiplier in apply_multiplier.cc is the same formula):
#     total_shift = 31 - shift; round = 1 << (total_shift - 1);
#     result = (x * (int64_t)quantized_multiplier + round) >> total_shift;
#     return (int32_t)result;
# TFLite only allows shift <= 30 (total_shift >= 1); at shift 31 this model adds no rounding
# term. Python ints: no int64 overflow to worry about, >> is a floor.


def ref_mbqm_single(x, m, shift):
    total_shift = 31 - shift
    rnd = 1 << (total_shift - 1) if total_shift >= 1 else 0
    return ref_wrap32((x * m + rnd) >> total_shift)


def ref_requantize_single(acc, bias, mult, shift, out_zp, act_min, act_max):
    y = ref_mbqm_single(ref_wrap32(acc + bias), mult, shift)
    return min(max(y + out_zp, act_min), act_max)


def mbqm_single(x, m, s):
    return multiply_by_quantized_multiplier(x, m, s, rounding="single")


def requantize_single(*args):
    return requantize(*args, rounding="single")


@pytest.mark.parametrize("x, m, shift, single, double", [
    (-10, 1 << 30, -1, -2, -3),  # -2.5: single ties up, gemmlowp's RDBPOT ties away from 0
    (10, 1 << 30, -1, 3, 3),  # 2.5
    (-6, 1 << 30, -1, -1, -2),  # -1.5
    (-5, 1 << 30, 0, -2, -2),  # -2.5 at shift 0: gemmlowp's SRDHM also ties up
    (7, 1 << 30, -2, 1, 1),  # 0.875
    (INT32_MIN, INT32_MIN, 0, INT32_MIN, INT32_MAX),  # 2**31 wraps; gemmlowp saturates
    (INT32_MIN, INT32_MIN, -32, 1, 0),  # 2**62 + 2**62 would overflow int64: no wrap here
    (INT32_MAX, INT32_MAX, -32, 0, 0),  # (2**31 - 1)**2 / 2**63 = 0.4999..: 0
    (3, 1 << 30, 31, -(1 << 30), -(1 << 30)),  # no rounding term; 3 * 2**30 wraps
    (1 << 20, 1 << 30, 12, INT32_MIN, 0),  # 2**31 wraps; gemmlowp wraps x << 12 to 0
], ids=str)
def test_mbqm_single_hand(x, m, shift, single, double):
    assert ref_mbqm_single(x, m, shift) == single
    assert mbqm_single(x, m, shift) == single
    assert multiply_by_quantized_multiplier(x, m, shift) == double == ref_mbqm(x, m, shift)


@pytest.mark.parametrize("shift", SHIFTS, ids=lambda s: f"shift={s}")
def test_mbqm_single_every_shift(shift):
    x, m = zip(*itertools.product(INT32_CORNERS, MULT_CORNERS), strict=True)
    assert mismatches(mbqm_single, ref_mbqm_single, x, m, [shift] * len(x)) == []


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_mbqm_single_random(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
    x[: n // 2] >>= rng.integers(0, 32, n // 2)
    m = rng.integers(INT32_MIN, INT32_MAX, n, endpoint=True)
    m[: n // 2] = rng.integers(1 << 30, INT32_MAX, n // 2, endpoint=True)
    s = rng.integers(-32, 31, n, endpoint=True)
    assert mismatches(mbqm_single, ref_mbqm_single, x.tolist(), m.tolist(), s.tolist()) == []


def test_single_rounding_is_round_half_up_in_tflite_range():
    """Cross-check of the transcription: in TFLite's range it is exact round-half-up, and
    within 1 of gemmlowp's double rounding."""
    rng = np.random.default_rng(11)
    x = (rng.integers(-(1 << 20), 1 << 20, 4000)).tolist()
    m = rng.integers(1 << 30, INT32_MAX, 4000, endpoint=True).tolist()
    s = rng.integers(-31, 0, 4000, endpoint=True).tolist()
    for xi, mi, si in zip(x, m, s, strict=True):
        num, den = xi * mi, 1 << (31 - si)
        assert ref_mbqm_single(xi, mi, si) == (2 * num + den) // (2 * den)
        assert abs(ref_mbqm_single(xi, mi, si) - ref_mbqm(xi, mi, si)) <= 1
    got = np.asarray(mbqm_single(x, m, s)) != np.asarray(multiply_by_quantized_multiplier(x, m, s))
    assert got.any()  # the two roundings do differ on realistic parameters


@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_requantize_single_random(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    cols = (rng.integers(-(1 << 24), 1 << 24, n).tolist(), rng.integers(-5000, 5000, n).tolist(),
            rng.integers(1 << 30, INT32_MAX, n).tolist(), rng.integers(-31, 4, n).tolist(),
            rng.integers(-128, 128, n).tolist(), [-128] * n, [127] * n)
    assert mismatches(requantize_single, ref_requantize_single, *cols) == []


def test_requantize_single_hand_list():
    assert mismatches(requantize_single, ref_requantize_single,
                      *zip(*REQUANT_HAND_ROWS, strict=True)) == []


@pytest.mark.parametrize("call", [
    lambda: multiply_by_quantized_multiplier(1, 1, 0, rounding="nearest"),
    lambda: requantize(0, 0, 1, 0, rounding="nearest"),
    lambda: requantize(0, 0, 1, 0, rounding=None),
], ids=["mbqm", "requantize", "none"])
def test_unknown_rounding(call):
    with pytest.raises(ValueError, match="rounding must be 'double' or 'single', not"):
        call()


def mbqm_single_ties_away(x, m, shift):
    """A plausible wrong single rounding: ties away from zero (C round) instead of up."""
    ab = x * m
    t = 31 - shift
    half = np.int64(1) << np.maximum(t - 1, 0)
    mag = (np.abs(ab) + half) >> t
    return quant._wrap(np.where(ab < 0, -mag, mag))


def test_negative_control_single_ties_away(monkeypatch):
    monkeypatch.setattr(quant, "_mbqm_single", mbqm_single_ties_away)
    bad = mismatches(mbqm_single, ref_mbqm_single, [-10, -6, 10], [1 << 30] * 3, [-1] * 3)
    assert [row for row, _, _ in bad] == [(-10, 1 << 30, -1), (-6, 1 << 30, -1)]


def test_negative_control_double_for_single(monkeypatch):
    monkeypatch.setattr(quant, "_mbqm_single", quant._mbqm)
    x, m = zip(*itertools.product(INT32_CORNERS, MULT_CORNERS), strict=True)
    assert mismatches(mbqm_single, ref_mbqm_single, x, m, [-1] * len(x)) != []
