# amaranth: UnusedElaboratable=no
"""hdl_gen.requant.Requantizer in the Amaranth simulator, bit-exact against golden_models.

Vectors stream in back to back (a new one every cycle) and each output is compared with
``golden_models.quant.requantize`` on the same seven inputs. The vectors are a named corner
list (int32 and shift extremes crossed, then the output stage crossed) plus seeded random
vectors; the seed is in the test id. Negative controls show that deliberately wrong
references disagree with the RTL on the corner list, so the comparison can fail.
"""

import itertools

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_models.quant import requantize
from hdl_gen.requant import Requantizer
from orbitbench.spec.params import INT8_MAX, INT8_MIN, INT32_MAX, INT32_MIN, SHIFT_MAX, SHIFT_MIN

FIELDS = ("acc", "bias", "mult", "shift", "out_zp", "act_min", "act_max")
LATENCY = Requantizer.LATENCY

# --- vectors ------------------------------------------------------------------------------

# (acc, bias): the sum at the int32 extremes, reached directly and by wrapping.
ACC_BIAS = [
    (0, 0),
    (1, 0),
    (-1, 0),
    (3, 0),  # 3 << 31 wraps to INT32_MIN
    (0x5555, 0x2AAA_0000),
    (-0x1234_5678, 0),
    (1 << 30, 0),
    (-(1 << 30), 0),
    (INT32_MAX, 0),
    (INT32_MIN, 0),
    (INT32_MIN + 1, 0),
    (0, INT32_MIN),
    (INT32_MAX, 1),  # wraps to INT32_MIN
    (INT32_MIN, -1),  # wraps to INT32_MAX
    (INT32_MAX, INT32_MAX),  # wraps to -2
    (INT32_MIN, INT32_MIN),  # wraps to 0
    (INT32_MIN, INT32_MAX),  # -1, no wrap
]
MULTS = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, 1 << 30, (1 << 31) - 2, INT32_MAX]
SHIFTS = list(range(SHIFT_MIN, SHIFT_MAX + 1))
FULL_RANGE = (0, INT8_MIN, INT8_MAX)

# Output stage: y = acc exactly (mult 2**30, shift 1), then every zero point and clamp.
Y_VALUES = [-400, -257, -256, -200, -129, -128, -127, -1, 0, 1, 126, 127, 128, 255, 256, 400]
OUT_ZPS = [INT8_MIN, -1, 0, 1, INT8_MAX]
CLAMPS = [
    (INT8_MIN, INT8_MAX),  # full range
    (0, INT8_MAX),  # ReLU with out_zp 0
    (INT8_MIN, 0),
    (-10, 10),
    (10, -10),  # empty range: act_max
    (INT8_MAX, INT8_MIN),  # empty range, widest
    (INT8_MAX, INT8_MAX),
    (INT8_MIN, INT8_MIN),
]


def _exact_negative_multiples() -> list[tuple[int, int]]:
    """(x, mult) whose product plus gemmlowp's negative nudge ``1 - 2**30`` is an exact
    negative multiple of 2**31: the one case where truncating the high half toward zero and
    flooring it differ by the rounding constant (a classic off-by-one). E.g. x = -1,
    mult = 2**30 + 1: product + nudge = -2**31, high half exactly -1."""
    pairs = []
    for k in (1, 2, 3, 5):
        target = k * (1 << 31) - (1 << 30) + 1  # -(x * mult)
        for x in (1, 3, 5, 7, 25, 127, 255):
            if target % x == 0 and target // x <= INT32_MAX:
                pairs.append((-x, target // x))
                pairs.append((x, -(target // x)))
    return pairs


EXACT_NEGATIVE = _exact_negative_multiples()


def corner_vectors() -> dict[str, list[tuple[int, ...]]]:
    groups = {
        "exact_negative_multiple_of_2_31": [
            (x, 0, mult, shift, *FULL_RANGE)
            for (x, mult), shift in itertools.product(EXACT_NEGATIVE, (-31, -8, -1, 0))
        ],
        "int32_x_shift": [
            (acc, bias, mult, shift, *FULL_RANGE)
            for (acc, bias), mult, shift in itertools.product(ACC_BIAS, MULTS, SHIFTS)
        ],
        "output_stage": [
            (y, 0, 1 << 30, 1, zp, lo, hi)
            for y, zp, (lo, hi) in itertools.product(Y_VALUES, OUT_ZPS, CLAMPS)
        ],
        # ReLU as TFLite builds it: act_min = out_zp.
        "relu": [
            (y, 0, 1 << 30, 1, zp, zp, INT8_MAX)
            for y, zp in itertools.product(Y_VALUES, OUT_ZPS)
        ],
        # Extreme zero points and clamps on extreme products.
        "extreme_x_output": [
            (acc, bias, mult, shift, zp, lo, hi)
            for (acc, bias), mult, shift, zp, (lo, hi) in itertools.product(
                ACC_BIAS[::4], MULTS[::3], (SHIFT_MIN, -31, -1, 0, 1, 30, SHIFT_MAX),
                (INT8_MIN, INT8_MAX), CLAMPS[::2])
        ],
    }
    return groups


CORNERS = [v for group in corner_vectors().values() for v in group]


def random_vectors(seed: int, kind: str, n: int) -> list[tuple[int, ...]]:
    rng = np.random.default_rng(seed)

    def ints(lo, hi):
        return rng.integers(lo, hi, n, endpoint=True)

    if kind == "uniform":
        cols = [ints(INT32_MIN, INT32_MAX), ints(INT32_MIN, INT32_MAX), ints(INT32_MIN, INT32_MAX),
                ints(SHIFT_MIN, SHIFT_MAX), ints(INT8_MIN, INT8_MAX), ints(INT8_MIN, INT8_MAX),
                ints(INT8_MIN, INT8_MAX)]
    else:  # "tflite": the ranges a converted model uses, so outputs spread over int8
        zp = ints(INT8_MIN, INT8_MAX)
        relu = rng.random(n) < 0.3
        cols = [ints(-(1 << 18), 1 << 18), ints(-(1 << 12), 1 << 12), ints(1 << 30, INT32_MAX),
                ints(-14, -8), zp, np.where(relu, zp, INT8_MIN), np.full(n, INT8_MAX)]
    return [tuple(int(x) for x in row) for row in zip(*cols, strict=True)]


RANDOM_SETS = [(20240601, "uniform", 3000), (31337, "tflite", 3000)]

# --- simulation ---------------------------------------------------------------------------


def simulate(vectors, valid=None, rounding="double", singles=None):
    """Present ``vectors`` one per cycle with ``i_valid`` from ``valid`` (all ones by default);
    return ``(o_valid, out)`` per cycle for ``len(vectors) + LATENCY`` cycles. With
    ``rounding="selectable"``, ``singles`` gives the ``single`` input per vector."""
    dut = Requantizer(rounding)
    ports = [getattr(dut, f) for f in FIELDS]
    valid = [1] * len(vectors) if valid is None else valid
    seen = []

    async def tb(ctx):
        idle = (0,) * len(FIELDS)
        for cycle in range(len(vectors) + LATENCY):
            vec = vectors[cycle] if cycle < len(vectors) else idle
            for port, value in zip(ports, vec, strict=True):
                ctx.set(port, value)
            if rounding == "selectable":
                ctx.set(dut.single, singles[cycle] if cycle < len(vectors) else 0)
            ctx.set(dut.i_valid, valid[cycle] if cycle < len(vectors) else 0)
            seen.append((ctx.get(dut.o_valid), ctx.get(dut.out)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return seen


def rtl_requantize(vectors, rounding="double", singles=None) -> np.ndarray:
    """RTL outputs for back-to-back ``vectors``, checking ``o_valid`` on the way."""
    seen = simulate(vectors, rounding=rounding, singles=singles)
    assert [v for v, _ in seen] == [0] * LATENCY + [1] * len(vectors)
    return np.array([out for _, out in seen[LATENCY:]], dtype=np.int64)


def golden(vectors, rounding="double") -> np.ndarray:
    cols = np.array(vectors, dtype=np.int64).T
    return requantize(*cols, rounding=rounding).astype(np.int64)


def assert_bit_exact(vectors, got, expected):
    bad = np.flatnonzero(got != expected)
    lines = [f"{dict(zip(FIELDS, vectors[i], strict=True))}: rtl {got[i]}, golden {expected[i]}"
             for i in bad[:10]]
    assert not bad.size, f"{bad.size} of {len(vectors)} differ:\n" + "\n".join(lines)


@pytest.fixture(scope="module")
def corner_results():
    return rtl_requantize(CORNERS)


# --- tests --------------------------------------------------------------------------------


def test_corner_list_covers_what_it_claims():
    sums = {((acc + bias + 2**31) % 2**32) - 2**31 for acc, bias, *_ in CORNERS}
    assert {INT32_MIN, INT32_MAX, -2, -1, 0} <= sums
    assert {v[3] for v in CORNERS} == set(range(-32, 32))
    assert set(MULTS) <= {v[2] for v in CORNERS}
    assert any(v[5] > v[6] for v in CORNERS)  # empty clamp range
    assert len(CORNERS) > 8000
    assert (-1, 1 + (1 << 30)) in EXACT_NEGATIVE and len(EXACT_NEGATIVE) >= 6
    for x, mult in EXACT_NEGATIVE:
        assert (x * mult + 1 - (1 << 30)) % (1 << 31) == 0 and x * mult < 0


@pytest.mark.parametrize("group", list(corner_vectors()))
def test_corners_bit_exact(group, corner_results):
    groups = corner_vectors()
    start = sum(len(groups[g]) for g in itertools.takewhile(lambda g: g != group, groups))
    vectors = groups[group]
    got = corner_results[start:start + len(vectors)]
    assert_bit_exact(vectors, got, golden(vectors))


@pytest.mark.parametrize(
    ("seed", "kind", "n"), RANDOM_SETS, ids=[f"{k}-seed{s}-n{n}" for s, k, n in RANDOM_SETS])
def test_random_bit_exact(seed, kind, n):
    vectors = random_vectors(seed, kind, n)
    assert_bit_exact(vectors, rtl_requantize(vectors), golden(vectors))


def test_saturating_product_and_empty_range_spot_values(corner_results):
    # A few values worked by hand, so that RTL and golden model cannot agree on a shared error.
    spot = {
        (INT32_MIN, 0, INT32_MIN, 0, *FULL_RANGE): INT8_MAX,  # INT32_MAX saturation
        (INT32_MAX, 1, INT32_MIN, 0, *FULL_RANGE): INT8_MAX,  # acc + bias wraps to INT32_MIN
        (1, 0, INT32_MIN, 31, *FULL_RANGE): INT8_MAX,  # 1 << 31 wraps to INT32_MIN
        (INT32_MIN, 0, INT32_MIN, -31, *FULL_RANGE): 1,  # (2**31 - 1) / 2**31, rounded
        (INT32_MIN, 0, INT32_MIN, -32, *FULL_RANGE): 0,  # (2**31 - 1) / 2**32, rounded
        (-400, 0, 1 << 30, 1, 0, 10, -10): -10,  # empty range yields act_max
        (400, 0, 1 << 30, 1, 0, 10, -10): -10,
        (-5, 0, 1 << 30, 1, -3, -3, INT8_MAX): -3,  # ReLU at out_zp
        (5, 0, 1 << 30, 0, *FULL_RANGE): 3,  # SRDHM: 2.5 -> 3
        (-5, 0, 1 << 30, 0, *FULL_RANGE): -2,  # SRDHM: -2.5 -> -2 (nudge 1 - 2**30)
        (5, 0, INT32_MAX, -1, *FULL_RANGE): 3,  # shift: 2.5 -> 3, ties away from zero
        (-5, 0, INT32_MAX, -1, *FULL_RANGE): -3,
        (-1, 0, (1 << 30) + 1, 0, *FULL_RANGE): -1,  # product + nudge = -2**31 exactly
    }
    index = {v: i for i, v in enumerate(CORNERS)}
    for vec, want in spot.items():
        got = corner_results[index[vec]] if vec in index else rtl_requantize([vec])[0]
        assert got == want, vec


@pytest.mark.parametrize("seed", [7, 8])
def test_o_valid_follows_i_valid_with_latency(seed):
    rng = np.random.default_rng(seed)
    n = 300
    vectors = random_vectors(seed, "tflite", n)
    valid = (rng.random(n) < 0.6).astype(int).tolist()
    seen = simulate(vectors, valid)
    o_valid = [v for v, _ in seen]
    assert LATENCY == 3
    assert o_valid == [0] * LATENCY + valid
    # Inputs change every cycle, valid or not: each output belongs to its own i_valid cycle.
    expected = golden(vectors)
    for cycle in range(n):
        if valid[cycle]:
            assert seen[cycle + LATENCY][1] == expected[cycle], cycle


# --- negative controls --------------------------------------------------------------------


def wrong_requantize(vectors, mutation: str) -> np.ndarray:
    """The requantization formula with one deliberate mistake (Python ints)."""
    out = []
    for acc, bias, mult, shift, zp, lo, hi in vectors:
        x = acc + bias
        x = max(min(x, INT32_MAX), INT32_MIN) if mutation == "saturating_bias" else (
            ((x + 2**31) % 2**32) - 2**31)
        left, right = max(shift, 0), max(-shift, 0)
        if mutation == "shift_off_by_one":
            right += 1
        x = ((x << left) + 2**31) % 2**32 - 2**31
        if x == mult == INT32_MIN and mutation != "no_saturation":
            hm = INT32_MAX
        else:
            ab = x * mult
            v = ab + (1 << 30 if ab >= 0 else 1 - (1 << 30))
            hm = v >> 31 if mutation == "floor_division" else (abs(v) >> 31) * (1 if v >= 0 else -1)
            hm = ((hm + 2**31) % 2**32) - 2**31
        if mutation == "round_half_even":
            res = round(hm / 2**right)
        else:
            mask = (1 << right) - 1
            res = (hm >> right) + ((hm & mask) > (mask >> 1) + (hm < 0))
        y = res + zp
        out.append(max(min(y, hi), lo) if mutation == "clamp_order" else min(max(y, lo), hi))
    return np.array(out, dtype=np.int64)


MUTATIONS = ["floor_division", "shift_off_by_one", "saturating_bias", "no_saturation",
             "round_half_even", "clamp_order"]


def test_unmutated_reference_agrees(corner_results):
    # The mutants below differ from this one only in their mutation.
    assert_bit_exact(CORNERS, corner_results, wrong_requantize(CORNERS, "none"))


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_wrong_reference_disagrees(mutation, corner_results):
    wrong = wrong_requantize(CORNERS, mutation)
    assert np.count_nonzero(wrong != corner_results) > 0
    with pytest.raises(AssertionError, match="differ"):
        assert_bit_exact(CORNERS, corner_results, wrong)


# --- single rounding and the selectable lane ------------------------------------------------


@pytest.fixture(scope="module")
def single_corner_results():
    return rtl_requantize(CORNERS, "single")


@pytest.mark.parametrize("group", list(corner_vectors()))
def test_single_rounding_corners_bit_exact(group, single_corner_results):
    groups = corner_vectors()
    start = sum(len(groups[g]) for g in itertools.takewhile(lambda g: g != group, groups))
    vectors = groups[group]
    got = single_corner_results[start:start + len(vectors)]
    assert_bit_exact(vectors, got, golden(vectors, "single"))


def test_single_rounding_spot_values(single_corner_results):
    """Worked by hand: ties toward +inf on the exact product, no rounding term at shift 31."""
    spot = {
        (-10, 0, 1 << 30, -1, *FULL_RANGE): -2,  # -2.5 -> -2 (double rounding gives -3)
        (10, 0, 1 << 30, -1, *FULL_RANGE): 3,  # 2.5 -> 3
        (-5, 0, 1 << 30, 0, *FULL_RANGE): -2,  # -2.5 -> -2
        (3, 0, 1 << 30, 31, *FULL_RANGE): -128,  # 3 * 2**30 (no rounding term), low 32 bits
        (INT32_MIN, 0, INT32_MIN, 0, *FULL_RANGE): INT8_MIN,  # 2**62 / 2**31 wraps to INT32_MIN
    }
    index = {v: i for i, v in enumerate(CORNERS)}
    for vec, want in spot.items():
        got = single_corner_results[index[vec]] if vec in index else rtl_requantize(
            [vec], "single")[0]
        assert got == want, vec


def test_single_rounding_wrong_reference_disagrees(single_corner_results):
    """Negative control: the double-rounding reference does not fit the single lane."""
    assert np.count_nonzero(golden(CORNERS, "double") != single_corner_results) > 100


@pytest.mark.parametrize(("seed", "kind", "n"), RANDOM_SETS)
def test_selectable_lane_follows_its_select_input(seed, kind, n):
    """Both roundings in one lane, chosen per vector at random, back to back."""
    vectors = random_vectors(seed, kind, n) + CORNERS[::7]
    singles = (np.random.default_rng(seed + 1).random(len(vectors)) < 0.5).astype(int)
    got = rtl_requantize(vectors, "selectable", singles.tolist())
    want = np.where(singles == 1, golden(vectors, "single"), golden(vectors, "double"))
    assert_bit_exact(vectors, got, want)
    # Negative control: ignoring the select input is caught.
    assert np.count_nonzero(got != golden(vectors, "double")) > 0


def test_rounding_parameter_is_checked():
    with pytest.raises(ValueError, match="rounding must be one of double, single or "
                                         "selectable, not 'nearest'"):
        Requantizer("nearest")


def test_latency_matches_the_golden_timing_model():
    from golden_models.tile import DRAIN_TAIL_CYCLES

    assert Requantizer.LATENCY + 1 == DRAIN_TAIL_CYCLES
