"""golden_models.secded against an independent reference and the SECDED properties.

The ``ref_*`` functions rebuild ``H`` from ``code.columns`` plus unit columns and compute
parities bit by bit with ``bin().count``; they share nothing with the model but the column
list. The column list itself is checked for the Hsiao properties (distinct, odd weight >= 3,
lowest weights first, balanced rows) and pinned, so it cannot change across runs or platforms.
Single and double errors are exhaustive for (8,4), (13,8) and (39,32), seeded random for
(72,64) and (137,128); for (8,4) and (13,8) every possible received word is also decoded by
brute-force nearest-codeword search. Negative controls show the property checks fail on
deliberately broken codes.
"""

import dataclasses
import hashlib
import itertools
from functools import cached_property

import numpy as np
import pytest

from golden_models.secded import DecodeResult, SecdedCode

WIDTHS = [4, 8, 16, 32, 64, 128]
# (code_width, data_width): REFERENCE.md, section SECDED.
CODE_SHAPES = {4: (8, 4), 8: (13, 8), 16: (22, 16), 32: (39, 32), 64: (72, 64), 128: (137, 128)}
EXHAUSTIVE = [4, 8, 32]
SEED = 20240917

# --- independent reference (Python ints) --------------------------------------------------


def ref_h(code):
    """``H`` as one column per codeword bit: data columns, then unit columns for check bits."""
    return list(code.columns) + [1 << j for j in range(code.check_width)]


def ref_encode(code, data):
    check = 0
    for j in range(code.check_width):
        row = sum(1 << i for i, column in enumerate(code.columns) if column >> j & 1)
        check |= (bin(data & row).count("1") % 2) << j
    return data | check << code.data_width


def ref_syndrome(code, word):
    s = 0
    for p, column in enumerate(ref_h(code)):
        if word >> p & 1:
            s ^= column
    return s


def ref_decode(code, word):
    s = ref_syndrome(code, word)
    data = word % (1 << code.data_width)
    if s == 0:
        return data, False, False, 0
    hits = [p for p, column in enumerate(ref_h(code)) if column == s]
    if len(hits) == 1:
        if hits[0] < code.data_width:
            data ^= 1 << hits[0]
        return data, True, False, s
    return data, False, True, s


def as_tuple(result):
    return tuple(int(x) for x in result)


def data_words(code, n_random=3, seed=SEED):
    ones = (1 << code.data_width) - 1
    rng = np.random.default_rng([seed, code.data_width])
    rand = [int.from_bytes(rng.bytes(17), "little") & ones for _ in range(n_random)]
    return [0, ones, ones // 3, *rand]  # ones // 3 is 0b0101...


# --- property checker (shared by the real tests and the negative controls) ----------------


def error_violations(code, words, errors):
    """Decode ``code.encode(d) ^ e`` for every data word ``d`` and error mask ``e`` and list
    every departure from the SECDED promise (empty = the code keeps it)."""
    bad = []
    received = np.array([code.encode(d) ^ e for d in words for e in errors], dtype=object)
    got = code.decode(received)
    for k, (d, e) in enumerate(itertools.product(words, errors)):
        n = e.bit_count()
        data, corrected, uncorrectable = int(got.data[k]), bool(got.corrected[k]), bool(
            got.uncorrectable[k])
        if n == 0:
            ok = data == d and not corrected and not uncorrectable
        elif n == 1:
            ok = data == d and corrected and not uncorrectable
        elif n == 2:
            raw = (int(received[k]) % (1 << code.data_width))
            ok = uncorrectable and not corrected and data == raw
        else:
            raise ValueError(f"{n}-bit errors carry no promise")
        if not ok:
            bad.append(f"data {d:#x} error {e:#x}: {tuple(x[k] for x in got)}")
    return bad


def assert_secded(code, words, errors):
    bad = error_violations(code, words, errors)
    assert not bad, f"{len(bad)} violations:\n" + "\n".join(bad[:10])


def singles(code):
    return [1 << p for p in range(code.code_width)]


def doubles(code):
    return [1 << p | 1 << q for p, q in itertools.combinations(range(code.code_width), 2)]


# --- parameters and validation ------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_check_width_follows_reference(width):
    code = SecdedCode(width)
    assert (code.code_width, code.data_width) == CODE_SHAPES[width]
    assert code.check_width == code.code_width - width


@pytest.mark.parametrize("width", range(4, 129))
def test_check_width_is_hamming_bound_plus_one(width):
    c = SecdedCode(width).check_width - 1
    assert 2**c >= width + c + 1
    assert 2 ** (c - 1) < width + (c - 1) + 1  # c is the smallest such


@pytest.mark.parametrize(("value", "error", "message"), [
    (3, ValueError, "data_width must be an integer from 4 to 128, not 3"),
    (129, ValueError, "data_width must be an integer from 4 to 128, not 129"),
    (-8, ValueError, "data_width must be an integer from 4 to 128, not -8"),
    (0, ValueError, "data_width must be an integer from 4 to 128, not 0"),
    (8.0, TypeError, "data_width must be an integer, not 8.0"),
    ("8", TypeError, "data_width must be an integer, not '8'"),
    (True, TypeError, "data_width must be an integer, not True"),
    (None, TypeError, "data_width must be an integer, not None"),
])
def test_data_width_validation(value, error, message):
    with pytest.raises(error) as info:
        SecdedCode(value)
    assert str(info.value) == message


def test_code_is_frozen_and_compares_by_width():
    code = SecdedCode(32)
    with pytest.raises(dataclasses.FrozenInstanceError):
        code.data_width = 16
    assert code == SecdedCode(32) and hash(code) == hash(SecdedCode(32))
    assert code != SecdedCode(16)
    assert dataclasses.replace(code, data_width=64).check_width == 8


@pytest.mark.parametrize(("method", "value", "error", "message"), [
    ("encode", 1 << 32, ValueError, "data must be from 0 to 2**32 - 1, not 4294967296"),
    ("encode", -1, ValueError, "data must be from 0 to 2**32 - 1, not -1"),
    ("encode", [0, 1 << 40], ValueError, "data must be from 0 to 2**32 - 1, not 1099511627776"),
    ("encode", 1.0, TypeError, "data must hold integers, not 1.0"),
    ("encode", np.array([1.0]), TypeError, "data must hold integers, not float64 values"),
    ("encode", True, TypeError, "data must hold integers, not True"),
    ("encode", np.array([True]), TypeError, "data must hold integers, not bool values"),
    ("encode", [1, None], TypeError, "data must hold integers, not None"),
    ("encode", np.array([1, True], dtype=object), TypeError, "data must hold integers, not True"),
    ("decode", 1 << 39, ValueError, "codeword must be from 0 to 2**39 - 1, not 549755813888"),
    ("syndrome", -3, ValueError, "codeword must be from 0 to 2**39 - 1, not -3"),
    ("check_bits", "7", TypeError, "data must hold integers, not '7'"),
])
def test_word_validation(method, value, error, message):
    with pytest.raises(error) as info:
        getattr(SecdedCode(32), method)(value)
    assert str(info.value) == message


# --- the Hsiao matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("width", range(4, 129))
def test_columns_are_hsiao(width):
    code = SecdedCode(width)
    cols = code.columns
    assert len(cols) == width and len(set(cols)) == width
    weights = [bin(c).count("1") for c in cols]
    assert all(w % 2 == 1 and w >= 3 for w in weights)
    assert all(0 < c < 1 << code.check_width for c in cols)
    assert weights == sorted(weights)
    # A heavier class is used only after every column of the lighter ones.
    for w in range(3, max(weights), 2):
        n_all = len(list(itertools.combinations(range(code.check_width), w)))
        assert weights.count(w) == n_all, w
    rows = [sum(c >> j & 1 for c in cols) for j in range(code.check_width)]
    assert tuple(rows) == code.row_weights
    assert max(rows) - min(rows) <= 1, rows
    assert sum(rows) == sum(weights)


# Pinned: a change of the selection algorithm changes every generated RTL and stored codeword.
PINNED = {
    4: (0x7, 0xB, 0xD, 0xE),
    8: (0x7, 0xB, 0x13, 0x15, 0x19, 0xE, 0x16, 0x1C),
    32: (0x7, 0xB, 0x13, 0x23, 0x43, 0xD, 0x15, 0x25, 0x45, 0x19, 0x29, 0x31, 0x51, 0x61,
         0xE, 0x16, 0x26, 0x46, 0x1A, 0x2A, 0x4A, 0x52, 0x62, 0x1C, 0x2C, 0x4C, 0x34, 0x54,
         0x38, 0x58, 0x68, 0x70),
    64: "c29a9887b180a62d3711cb33053f3d30f52a48736f3fd14cc1d518fc499f8a2b",
    128: "c5cfc931936745c7c98b6d0510440067269837f4960a27d97af638c78146a7ae",
}
ROW_WEIGHTS = {
    32: (14, 14, 14, 14, 14, 13, 13),
    64: (26,) * 8,
    128: (53, 53, 53, 52, 53, 52, 52, 52, 52),
}


# Every width at once: the repair swaps of the selection run only for some widths (28, 80,
# ...), and a change there can keep every Hsiao property while changing the matrix.
EVERY_WIDTH_DIGEST = "e6848b0a90e9a50f8e9de0e3fda5ad995ca5c9f05cf782bcbfee681c36dab37f"


def test_columns_of_every_width_are_pinned():
    cols = tuple(SecdedCode(w).columns for w in range(4, 129))
    assert hashlib.sha256(repr(cols).encode()).hexdigest() == EVERY_WIDTH_DIGEST


@pytest.mark.parametrize("width", list(PINNED))
def test_columns_are_pinned(width):
    cols = SecdedCode(width).columns
    pinned = PINNED[width]
    if isinstance(pinned, str):
        assert hashlib.sha256(repr(cols).encode()).hexdigest() == pinned
    else:
        assert cols == pinned


@pytest.mark.parametrize("width", list(ROW_WEIGHTS))
def test_row_weights_are_pinned(width):
    assert SecdedCode(width).row_weights == ROW_WEIGHTS[width]


def test_72_64_uses_all_weight_3_columns_and_eight_of_weight_5():
    weights = [bin(c).count("1") for c in SecdedCode(64).columns]
    assert weights.count(3) == 56 and weights.count(5) == 8


@pytest.mark.parametrize("width", [4, 8, 16])
def test_minimum_distance_is_four(width):
    code = SecdedCode(width)
    words = np.array(code.encode(np.arange(1, 1 << width, dtype=np.uint64)).tolist(),
                     dtype=np.uint64)
    assert int(np.bitwise_count(words).min()) == 4


# --- encoding, syndrome and decoding against the reference --------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_encode_matches_reference(width):
    code = SecdedCode(width)
    words = data_words(code, n_random=200)
    got = code.encode(words)
    assert [int(x) for x in got] == [ref_encode(code, d) for d in words]
    assert [code.encode(d) for d in words] == list(got)
    assert code.check_bits(words).tolist() == [int(x) >> width for x in got]
    assert not code.syndrome(got).any()


# Odd widths too: there (1 << w) - 1 and (1 & w) - 1 differ in a way the syndrome shows.
@pytest.mark.parametrize("width", [*WIDTHS, 5, 13, 57])
def test_random_received_words_match_reference(width):
    # Mostly multi-bit errors: the reference defines decode for every word, not only 1 and 2.
    code = SecdedCode(width)
    rng = np.random.default_rng([SEED, width, 1])
    words = [int.from_bytes(rng.bytes(18), "little") % (1 << code.code_width)
             for _ in range(500)]
    got = code.decode(words)
    for k, word in enumerate(words):
        want = ref_decode(code, word)
        assert as_tuple(x[k] for x in got) == want, hex(word)
        assert code.syndrome(word) == want[3]


@pytest.mark.parametrize("width", EXHAUSTIVE)
def test_no_error_no_flags(width):
    code = SecdedCode(width)
    words = data_words(code, n_random=50)
    assert_secded(code, words, [0])
    result = code.decode(code.encode(words))
    assert not result.corrected.any() and not result.uncorrectable.any()


@pytest.mark.parametrize("width", EXHAUSTIVE)
def test_every_single_error_is_corrected(width):
    code = SecdedCode(width)
    words = data_words(code)
    assert_secded(code, words, singles(code))
    for d in words:
        for p, column in enumerate(ref_h(code)):
            got = code.decode(code.encode(d) ^ 1 << p)
            assert got == DecodeResult(d, True, False, column)
            assert as_tuple(got) == ref_decode(code, code.encode(d) ^ 1 << p)


@pytest.mark.parametrize("width", EXHAUSTIVE)
def test_every_double_error_is_detected(width):
    code = SecdedCode(width)
    words = data_words(code)
    errors = doubles(code)
    assert len(errors) == code.code_width * (code.code_width - 1) // 2
    assert_secded(code, words, errors)
    for d in words[:2]:
        for e in errors:
            got = code.decode(code.encode(d) ^ e)
            assert as_tuple(got) == ref_decode(code, code.encode(d) ^ e)
            assert bin(got.syndrome).count("1") % 2 == 0


@pytest.mark.parametrize("width", [64, 128])
@pytest.mark.parametrize("n_bits", [1, 2])
def test_random_errors_wide(width, n_bits):
    code = SecdedCode(width)
    rng = np.random.default_rng([SEED, width, n_bits])
    words = data_words(code, n_random=20)
    errors = sorted({sum(1 << int(p) for p in rng.choice(code.code_width, n_bits, replace=False))
                     for _ in range(400)})
    assert_secded(code, words, errors)
    for d in words[:3]:
        for e in errors[:50]:
            assert as_tuple(code.decode(code.encode(d) ^ e)) == ref_decode(code, code.encode(d) ^ e)


def nearest_codeword_decode(code):
    """Decode every possible received word by brute force: the unique codeword at distance
    0 or 1, else uncorrectable. Knows nothing of syndromes."""
    m, n = code.data_width, code.code_width
    codewords = np.array([ref_encode(code, d) for d in range(1 << m)], dtype=np.uint64)
    received = np.arange(1 << n, dtype=np.uint64)
    dist = np.bitwise_count(received[:, None] ^ codewords[None, :])
    nearest = dist.argmin(axis=1)
    d_min = dist.min(axis=1)
    ok = d_min <= 1
    data = np.where(ok, nearest, received % (1 << m))
    return data, (d_min == 1), ~ok


@pytest.mark.parametrize("width", [4, 8])
def test_decode_is_nearest_codeword_for_every_received_word(width):
    code = SecdedCode(width)
    data, corrected, uncorrectable = nearest_codeword_decode(code)
    got = code.decode(np.arange(1 << code.code_width))
    assert got.data.astype(np.int64).tolist() == data.tolist()
    assert got.corrected.tolist() == corrected.tolist()
    assert got.uncorrectable.tolist() == uncorrectable.tolist()


# --- the vectorised interface -------------------------------------------------------------


def test_arrays_keep_shape_and_match_scalars():
    code = SecdedCode(64)
    data = np.array([[0, 1, 2], [2**64 - 1, 12345, 2**63]], dtype=np.uint64)
    cw = code.encode(data)
    assert cw.shape == (2, 3) and cw.dtype == object
    assert all(type(x) is int for x in cw.ravel())
    assert cw[1, 0] == code.encode(2**64 - 1) == ref_encode(code, 2**64 - 1)
    noisy = cw ^ np.array([[0, 1, 1 << 70], [3, 1 << 65, 0]], dtype=object)
    got = code.decode(noisy)
    assert got.data.shape == got.corrected.shape == got.uncorrectable.shape == (2, 3)
    assert got.corrected.dtype == bool and got.syndrome.dtype == np.int64
    assert got.corrected.tolist() == [[False, True, True], [False, True, False]]
    assert got.uncorrectable.tolist() == [[False, False, False], [True, False, False]]
    for idx in np.ndindex(2, 3):
        assert code.decode(int(noisy[idx])) == tuple(x[idx] for x in got)
    assert isinstance(code.decode(0).corrected, bool) and isinstance(code.encode(0), int)
    assert code.encode(np.uint8(5)) == code.encode(5)
    assert code.encode([]).shape == (0,)
    # Python ints beyond int64 in a list stay exact (np.asarray would make them floats).
    assert code.encode([0, 2**64 - 1, 5])[1] == ref_encode(code, 2**64 - 1)


def test_inputs_are_not_modified():
    code = SecdedCode(32)
    data = np.array([1, 2, 3], dtype=np.int64)
    code.encode(data)
    assert data.tolist() == [1, 2, 3]


# --- negative controls --------------------------------------------------------------------


def broken_code(width, mutation):
    """A ``SecdedCode`` whose column list is deliberately wrong; everything else derived."""

    class Broken(SecdedCode):
        @cached_property
        def columns(self):
            cols = list(SecdedCode(self.data_width).columns)
            if mutation == "duplicate":
                cols[5] = cols[2]
            elif mutation == "even_weight":
                cols[3] = 0b11
            elif mutation == "unit_column":
                cols[0] = 0b1
            return tuple(cols)

    return Broken(width)


@pytest.mark.parametrize("width", [8, 32])
@pytest.mark.parametrize(("mutation", "property_"), [
    ("duplicate", "double"), ("even_weight", "double"), ("unit_column", "single")])
def test_broken_code_fails_the_property(width, mutation, property_):
    code = broken_code(width, mutation)
    assert code.columns != SecdedCode(width).columns
    errors = doubles(code) if property_ == "double" else singles(code)
    with pytest.raises(AssertionError, match="violations"):
        assert_secded(code, data_words(code), errors)


def test_broken_encoder_disagrees_with_reference():
    class DroppedCheckBit(SecdedCode):
        def _check(self, data):
            return super()._check(data) & ~1

    code, wrong = SecdedCode(32), DroppedCheckBit(32)
    words = data_words(code, n_random=20)
    assert [int(x) for x in code.encode(words)] == [ref_encode(code, d) for d in words]
    assert [int(x) for x in wrong.encode(words)] != [ref_encode(code, d) for d in words]
