"""golden_models.gemm against a scalar Python-int matrix product.

``gemm_requant`` is checked as the composition ``requantize(gemm_int32(...))``; ``requantize``
itself is checked against its scalar transcription in ``test_quant.py``.
"""

import itertools

import numpy as np
import pytest

from golden_models.gemm import gemm_int32, gemm_requant
from golden_models.quant import requantize
from orbitbench.spec.params import CONFIGS

SEEDS = [20261124, 7, 0xB0B]


def ref_wrap32(v):
    return ((v + 2**31) % 2**32) - 2**31


def ref_gemm(a, b, a_zp, b_zp):
    """Scalar reference: Python ints, exact sum, then the int32 accumulator wrap."""
    a, b = np.asarray(a).tolist(), np.asarray(b).tolist()
    m, k, n = len(a), len(b), len(b[0]) if b else 0
    return [[ref_wrap32(sum((a[i][j] - a_zp) * (b[j][c] - b_zp) for j in range(k)))
             for c in range(n)] for i in range(m)]


def ref_gemm_const(av, bv, a_zp, b_zp, k):
    """A constant-matrix product has the closed form K * (a - a_zp) * (b - b_zp)."""
    return ref_wrap32(k * (av - a_zp) * (bv - b_zp))


# K = 33026 is the first K at which 255 * 255 * K exceeds INT32_MAX, so the sum wraps.
# 16384 is the largest max_k a TileConfig allows.
LONG_K = [1, 255, 16384, 33025, 33026, 65536]
ZPS = [-128, 0, 127]


@pytest.mark.parametrize("k", LONG_K, ids=lambda k: f"K={k}")
@pytest.mark.parametrize("av, bv", list(itertools.product([-128, 127], repeat=2)),
                         ids=lambda v: str(v))
def test_extreme_operands_long_k(av, bv, k):
    a = np.full((2, k), av, dtype=np.int8)
    b = np.full((k, 3), bv, dtype=np.int8)
    for a_zp, b_zp in itertools.product(ZPS, ZPS):
        got = gemm_int32(a, b, a_zp, b_zp)
        assert got.dtype == np.int32 and got.shape == (2, 3)
        assert (got == ref_gemm_const(av, bv, a_zp, b_zp, k)).all(), (a_zp, b_zp)


def test_accumulator_wraps_exactly_once_past_int32_max():
    a = np.full((1, 33026), -128, dtype=np.int8)
    b = np.full((33026, 1), -128, dtype=np.int8)
    # 33026 * 255 * 255 = 2147515650 > INT32_MAX: wraps to 2147515650 - 2**32
    assert gemm_int32(a, b, 127, 127)[0, 0] == 2147515650 - 2**32


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_random_vs_scalar_reference(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        m, k, n = rng.integers(1, 10, 3)
        a = rng.integers(-128, 127, (m, k), endpoint=True, dtype=np.int8)
        b = rng.integers(-128, 127, (k, n), endpoint=True, dtype=np.int8)
        a_zp, b_zp = (int(z) for z in rng.choice([-128, 127, *rng.integers(-128, 128, 2)], 2))
        assert gemm_int32(a, b, a_zp, b_zp).tolist() == ref_gemm(a, b, a_zp, b_zp)


def test_per_channel_b_zero_point_broadcasts():
    rng = np.random.default_rng(SEEDS[0])
    a = rng.integers(-128, 128, (4, 6))
    b = rng.integers(-128, 128, (6, 3))
    b_zp = np.array([-128, 0, 127])
    got = gemm_int32(a, b, 5, b_zp)
    for c in range(3):
        assert got[:, c].tolist() == [row[0] for row in ref_gemm(a, b[:, c:c + 1], 5, b_zp[c])]


def test_empty_k_gives_zero():
    got = gemm_int32(np.zeros((2, 0), np.int8), np.zeros((0, 3), np.int8))
    assert got.tolist() == [[0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("cfg", list(CONFIGS.values()), ids=lambda c: c.name)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_gemm_requant_is_requantize_of_gemm(cfg, seed):
    rng = np.random.default_rng(seed)
    m, k, n = cfg.max_m, cfg.max_k, cfg.max_n
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    bias = rng.integers(-(1 << 20), 1 << 20, n)
    mult = rng.integers(1 << 30, 2**31, n)
    shift = rng.integers(-20, 2, n)
    kw = {"a_zp": -128, "b_zp": 127, "out_zp": -3, "act_min": -100, "act_max": 90}
    got = gemm_requant(a, b, bias, mult, shift, **kw)
    acc = gemm_int32(a, b, kw["a_zp"], kw["b_zp"])
    assert got.dtype == np.int8 and got.shape == (m, n)
    assert (got == requantize(acc, bias, mult, shift, -3, -100, 90)).all()
    # Per-tensor: scalars broadcast to every channel.
    assert (gemm_requant(a, b, 0, mult[0], shift[0])
            == requantize(gemm_int32(a, b), 0, mult[0], shift[0])).all()


def test_gemm_requant_hand():
    a = np.array([[1, 2], [-3, 4]])
    b = np.array([[5, -6], [7, 8]])
    # acc = [[19, 10], [13, 50]]; + bias [1, -1] = [[20, 9], [14, 49]]; * 0.5 (ties away)
    # = [[10, 5], [7, 25]] (4.5 -> 5, 24.5 -> 25); + out_zp 100, clamp at 120.
    got = gemm_requant(a, b, [1, -1], 1 << 30, 0, out_zp=100, act_max=120)
    assert got.tolist() == [[110, 105], [107, 120]]
    assert gemm_requant(a, b).tolist() == [[10, 5], [7, 25]]  # GemmCommand defaults: * 0.5


@pytest.mark.parametrize("call, match", [
    (lambda: gemm_int32(np.zeros(3, int), np.zeros((3, 1), int)), r"a must be a 2-D int8 array"),
    (lambda: gemm_int32(np.zeros((1, 3), int), np.zeros(3, int)), r"b must be a 2-D int8 array"),
    (lambda: gemm_int32(np.zeros((1, 3), int), np.zeros((2, 1), int)),
     r"b must have K = 3 rows to match a, not 2"),
    # Fewer columns in a than rows in b is as wrong as more (numpy would raise its own error).
    (lambda: gemm_int32(np.zeros((1, 2), int), np.zeros((3, 1), int)),
     r"b must have K = 2 rows to match a, not 3"),
    # 3-D operands would broadcast through @ into a batch of products: refused, not computed.
    (lambda: gemm_int32(np.zeros((2, 1, 3), int), np.zeros((3, 1), int)),
     r"a must be a 2-D int8 array \[M, K\], not shape \(2, 1, 3\)"),
    (lambda: gemm_int32(np.zeros((1, 3), int), np.zeros((2, 3, 1), int)),
     r"b must be a 2-D int8 array \[K, N\], not shape \(2, 3, 1\)"),
    (lambda: gemm_int32([[128]], [[1]]), r"a must be from -128 to 127"),
    (lambda: gemm_int32([[1]], [[1]], a_zp=-129), r"a_zp must be from -128 to 127"),
])
def test_invalid_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_gemm_requant_zero_points_and_clamps_are_keyword_only():
    """A sixth positional argument is refused: a zero point passed by position could land in
    the wrong slot (a_zp for out_zp) and still give plausible int8 output."""
    a, b = np.ones((1, 2), np.int8), np.ones((2, 1), np.int8)
    with pytest.raises(TypeError, match="positional argument"):
        gemm_requant(a, b, 0, 1 << 30, 0, 5)
    # And every argument can be named, the matrices included.
    got = gemm_requant(a=a, b=b, bias=2, mult=1 << 30, shift=0, a_zp=-1, b_zp=0, out_zp=1)
    assert got.tolist() == [[4]]  # (2 * (1 + 1) + 2) * 0.5 + 1


def test_negative_control_zero_point_after_multiply():
    """Folding zero points the wrong way (a*b - a_zp*b_zp) must disagree with the reference."""
    def broken(a, b, a_zp, b_zp):
        return (np.asarray(a, np.int64) @ np.asarray(b, np.int64) - a.shape[1] * a_zp * b_zp)

    a = np.full((1, 4), -128, np.int8)
    b = np.full((4, 1), 127, np.int8)
    assert broken(a, b, 127, -128).tolist() != ref_gemm(a, b, 127, -128)
    assert gemm_int32(a, b, 127, -128).tolist() == ref_gemm(a, b, 127, -128)


def test_negative_control_missing_wrap():
    """A model that keeps the int64 sum (no int32 wrap) fails the long-K corner."""
    a = np.full((1, 33026), -128, np.int8)
    b = np.full((33026, 1), -128, np.int8)
    no_wrap = int(((a.astype(np.int64) - 127) @ (b.astype(np.int64) - 127))[0, 0])
    assert no_wrap != ref_gemm_const(-128, -128, 127, 127, 33026)
