"""golden_models.tile against a byte-by-byte reading of the layout in orbitbench.spec.regmap.

The ``ref_*`` helpers below index Python ``bytearray``s with the byte-address formulas of the
regmap docstring, independently of the NumPy view tricks in the model. The arithmetic is
``gemm_requant``, checked in ``test_gemm.py`` / ``test_quant.py``.
"""

import dataclasses

import numpy as np
import pytest

from golden_models import tile
from golden_models.gemm import gemm_requant
from golden_models.tile import TileMemory, TileResult, pack_operands, run_tile, unpack_result
from orbitbench.spec.params import CONFIGS, GemmCommand

CFGS = list(CONFIGS.values())
SEEDS = [20261124, 7, 0xB0B]
FIELDS = ("a", "b", "bias", "mult", "shift", "c")


def cfg_id(cfg):
    return cfg.name


def seed_id(seed):
    return f"seed={seed}"


# --- byte-level reference -----------------------------------------------------------------


def to_bytes(words):
    return bytearray(b for w in words for b in int(w).to_bytes(4, "little"))


def to_words(buf):
    return [int.from_bytes(buf[i:i + 4], "little") for i in range(0, len(buf), 4)]


def s8(v):
    return v - 256 if v > 127 else v


def s32(w):
    return w - 2**32 if w >= 2**31 else w


def s6(w):
    w &= 0x3F
    return w - 64 if w >= 32 else w


def ref_pack(cfg, a, b, bias, mult, shift):
    """Word lists per region, A[i][k] at byte i*MAX_K+k, B[k][n] at byte n*MAX_K+k."""
    (m, k), n = np.shape(a), np.shape(b)[1]
    a_buf, b_buf = bytearray(cfg.max_m * cfg.max_k), bytearray(cfg.max_n * cfg.max_k)
    for i in range(m):
        for j in range(k):
            a_buf[i * cfg.max_k + j] = int(a[i][j]) & 0xFF
    for j in range(k):
        for c in range(n):
            b_buf[c * cfg.max_k + j] = int(b[j][c]) & 0xFF
    pad = [0] * (cfg.max_n - n)
    return {"a": to_words(a_buf), "b": to_words(b_buf),
            "bias": [int(v) & 0xFFFF_FFFF for v in bias] + pad,
            "mult": [int(v) & 0xFFFF_FFFF for v in mult] + pad,
            "shift": [int(v) & 0x3F for v in shift] + pad, "c": [0] * cfg.c_words}


def ref_run(cfg, cmd, mem):
    """(C image as a word list, error) following the regmap and GemmCommand docs."""
    c_buf = to_bytes(mem.c)
    m, k, n = cmd.m, cmd.k, cmd.n
    if not (1 <= m <= cfg.max_m and 1 <= k <= cfg.max_k and 1 <= n <= cfg.max_n):
        return to_words(c_buf), True
    a_buf, b_buf = to_bytes(mem.a), to_bytes(mem.b)
    a = [[s8(a_buf[i * cfg.max_k + j]) for j in range(k)] for i in range(m)]
    b = [[s8(b_buf[c * cfg.max_k + j]) for c in range(n)] for j in range(k)]
    bias = [s32(int(w)) for w in mem.bias[:n]]
    if cmd.per_channel:
        mult, shift = [s32(int(w)) for w in mem.mult[:n]], [s6(int(w)) for w in mem.shift[:n]]
    else:
        mult, shift = [cmd.qmult] * n, [cmd.qshift] * n
    out = gemm_requant(np.array(a), np.array(b), bias, mult, shift, a_zp=cmd.a_zp,
                       b_zp=cmd.b_zp, out_zp=cmd.out_zp, act_min=cmd.act_min,
                       act_max=cmd.act_max)
    for i in range(m):
        for c in range(n):
            c_buf[i * cfg.max_n + c] = int(out[i, c]) & 0xFF
    return to_words(c_buf), False


# --- stimulus -----------------------------------------------------------------------------


def random_problem(rng, m, k, n):
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    bias = rng.integers(-(1 << 16), 1 << 16, n)
    mult = rng.integers(1 << 30, 2**31, n)
    shift = rng.integers(-14, 1, n)
    # Keep the extremes in play: a channel with the corner multiplier / shift codes.
    mult[0], shift[-1] = rng.choice([2**31 - 1, -(2**31), 0]), rng.choice([-32, 31, -1])
    return a, b, bias, mult, shift


def random_command(rng, m, k, n, per_channel):
    zp = [-128, 127, *rng.integers(-128, 128, 2)]
    act_min, act_max = sorted(rng.integers(-128, 128, 2))
    return GemmCommand(m=m, k=k, n=n, a_zp=int(rng.choice(zp)), b_zp=int(rng.choice(zp)),
                       out_zp=int(rng.choice(zp)), act_min=int(act_min), act_max=int(act_max),
                       per_channel=per_channel, qmult=int(rng.integers(1 << 30, 2**31)),
                       qshift=int(rng.integers(-14, 1)))


def sentinel_memory(cfg, rng):
    """Every word random, so any write outside the intended bytes shows."""
    return TileMemory(**{f: rng.integers(0, 2**32, len(getattr(TileMemory.zeros(cfg), f)),
                                         dtype=np.uint32) for f in FIELDS})


def shapes_for(cfg):
    return [(1, 1, 1), (cfg.max_m, cfg.max_k, cfg.max_n), (3, 5, 7),
            (cfg.rows + 1, 3, cfg.cols - 1), (cfg.max_m - 1, cfg.max_k, 1),
            (1, cfg.max_k - 3, cfg.max_n), (cfg.max_m, 1, cfg.cols + 3)]


# --- TileMemory, pack_operands, unpack_result ---------------------------------------------


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_tile_memory_zeros(cfg):
    mem = TileMemory.zeros(cfg)
    lengths = [cfg.a_words, cfg.b_words, cfg.max_n, cfg.max_n, cfg.max_n, cfg.c_words]
    for field, length in zip(FIELDS, lengths, strict=True):
        arr = getattr(mem, field)
        assert arr.dtype == np.uint32 and arr.shape == (length,) and not arr.any()
    copy = mem.copy()
    copy.c[0] = 1
    assert mem.c[0] == 0


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_pack_matches_byte_layout(cfg, seed):
    rng = np.random.default_rng(seed)
    for m, k, n in shapes_for(cfg):
        problem = random_problem(rng, m, k, n)
        mem = pack_operands(cfg, *problem)
        expected = ref_pack(cfg, *problem)
        for field in FIELDS:
            got = getattr(mem, field)
            assert got.dtype == np.uint32 and got.tolist() == expected[field], (field, m, k, n)


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_unpack_round_trip(cfg, seed):
    rng = np.random.default_rng(seed)
    full = rng.integers(-128, 128, (cfg.max_m, cfg.max_n), dtype=np.int8)
    c_buf = bytearray(cfg.max_m * cfg.max_n)
    for i in range(cfg.max_m):
        for c in range(cfg.max_n):
            c_buf[i * cfg.max_n + c] = int(full[i, c]) & 0xFF
    words = np.array(to_words(c_buf), dtype=np.uint32)
    for m, _, n in shapes_for(cfg) + [(0, 0, cfg.max_n), (cfg.max_m, 0, 0)]:
        got = unpack_result(cfg, words, m, n)
        assert got.dtype == np.int8 and got.shape == (m, n)
        assert (got == full[:m, :n]).all()
    # And back: a result written by run_tile reads back as the matrix that was computed.
    a, b, bias, mult, shift = random_problem(rng, 5, 6, 7)
    res = run_tile(cfg, GemmCommand(5, 6, 7, per_channel=True),
                   pack_operands(cfg, a, b, bias, mult, shift))
    assert (unpack_result(cfg, res.c, 5, 7) == gemm_requant(a, b, bias, mult, shift)).all()


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_pack_starts_from_mem_and_keeps_it(cfg):
    rng = np.random.default_rng(SEEDS[0])
    mem = sentinel_memory(cfg, rng)
    before = mem.copy()
    a, b, bias, _, _ = random_problem(rng, 3, 6, 5)
    out = pack_operands(cfg, a, b, bias=bias, mem=mem)  # mult/shift None: left as they were
    for field in FIELDS:
        assert (getattr(mem, field) == getattr(before, field)).all(), field  # not mutated
    assert (out.mult == mem.mult).all() and (out.shift == mem.shift).all()
    assert (out.c == mem.c).all()
    assert [s32(int(w)) for w in out.bias[:5]] == bias.tolist()
    assert (out.bias[5:] == mem.bias[5:]).all()
    a_old, a_new = to_bytes(mem.a), to_bytes(out.a)
    for addr in range(len(a_old)):
        i, j = divmod(addr, cfg.max_k)
        want = int(a[i, j]) & 0xFF if i < 3 and j < 6 else a_old[addr]
        assert a_new[addr] == want, addr
    b_old, b_new = to_bytes(mem.b), to_bytes(out.b)
    for addr in range(len(b_old)):
        c, j = divmod(addr, cfg.max_k)
        want = int(b[j, c]) & 0xFF if c < 5 and j < 6 else b_old[addr]
        assert b_new[addr] == want, addr


def test_pack_scalar_parameters_broadcast():
    cfg = CONFIGS["small"]
    mem = pack_operands(cfg, np.ones((2, 2), int), np.ones((2, 3), int), bias=-1, mult=7,
                        shift=-32)
    assert mem.bias[:4].tolist() == [0xFFFF_FFFF] * 3 + [0]
    assert mem.mult[:4].tolist() == [7] * 3 + [0]
    assert mem.shift[:4].tolist() == [0x20] * 3 + [0]


# --- run_tile -----------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_run_tile_matches_models(cfg, per_channel, seed):
    rng = np.random.default_rng(seed)
    shapes = shapes_for(cfg) + [tuple(int(v) for v in rng.integers(1, [cfg.max_m, cfg.max_k,
                                                                       cfg.max_n], endpoint=True))
                                for _ in range(3)]
    for m, k, n in shapes:
        a, b, bias, mult, shift = random_problem(rng, m, k, n)
        mem = pack_operands(cfg, a, b, bias, mult, shift, mem=sentinel_memory(cfg, rng))
        before = mem.copy()
        cmd = random_command(rng, m, k, n, per_channel)
        res = run_tile(cfg, cmd, mem)
        assert isinstance(res, TileResult) and res.error is False
        assert res.c.dtype == np.uint32 and res.c.shape == (cfg.c_words,)
        # The whole image, including the sentinel bytes outside C[:M, :N].
        assert (res.c.tolist(), False) == ref_run(cfg, cmd, mem), (m, k, n)
        q = (mult, shift) if per_channel else (cmd.qmult, cmd.qshift)
        expected = gemm_requant(a, b, bias, *q, a_zp=cmd.a_zp, b_zp=cmd.b_zp,
                                out_zp=cmd.out_zp, act_min=cmd.act_min, act_max=cmd.act_max)
        assert (unpack_result(cfg, res.c, m, n) == expected).all(), (m, k, n)
        for field in FIELDS:
            assert (getattr(mem, field) == getattr(before, field)).all(), field


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_per_channel_vs_per_tensor(cfg):
    rng = np.random.default_rng(SEEDS[1])
    m, k, n = cfg.max_m // 2, cfg.max_k, cfg.max_n - 1
    a, b, bias, mult, shift = random_problem(rng, m, k, n)
    mem = pack_operands(cfg, a, b, bias, mult, shift)
    tensor = GemmCommand(m, k, n, qmult=int(mult[1]), qshift=int(shift[1]))
    channel = GemmCommand(m, k, n, qmult=int(mult[1]), qshift=int(shift[1]), per_channel=True)
    c_tensor = unpack_result(cfg, run_tile(cfg, tensor, mem).c, m, n)
    c_channel = unpack_result(cfg, run_tile(cfg, channel, mem).c, m, n)
    assert (c_tensor == gemm_requant(a, b, bias, mult[1], shift[1])).all()
    assert (c_channel == gemm_requant(a, b, bias, mult, shift)).all()
    assert (c_tensor != c_channel).any()  # per-tensor really ignores the MULT/SHIFT images
    assert (c_tensor[:, 1] == c_channel[:, 1]).all()
    # Uniform per-channel parameters equal to the per-tensor ones give the same image.
    same = pack_operands(cfg, a, b, bias, mult[1], shift[1])
    assert (run_tile(cfg, channel, same).c == run_tile(cfg, tensor, mem).c).all()


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_shift_word_upper_bits_ignored(cfg):
    rng = np.random.default_rng(SEEDS[2])
    a, b, bias, mult, shift = random_problem(rng, 4, 8, cfg.max_n)
    mem = pack_operands(cfg, a, b, bias, mult, shift)
    noisy = mem.copy()
    noisy.shift = (mem.shift & 0x3F) | (rng.integers(0, 2**26, cfg.max_n, dtype=np.uint32) << 6)
    cmd = GemmCommand(4, 8, cfg.max_n, per_channel=True)
    assert (run_tile(cfg, cmd, noisy).c == run_tile(cfg, cmd, mem).c).all()


def other_config(cfg):
    """A configuration whose memory images have other sizes (hardened twins share them)."""
    return next(c for c in CONFIGS.values() if c.a_words != cfg.a_words)


def bad_dims(cfg):
    return [("m", 0), ("k", 0), ("n", 0), ("m", cfg.max_m + 1), ("k", cfg.max_k + 1),
            ("n", cfg.max_n + 1), ("m", 0xFFFF), ("n", 0xFFFF)]


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_error_leaves_c_unchanged(cfg):
    rng = np.random.default_rng(SEEDS[0])
    mem = sentinel_memory(cfg, rng)
    for dim, value in bad_dims(cfg):
        fields = {"m": 2, "k": 2, "n": 2, dim: value}
        cmd = GemmCommand(**fields)
        res = run_tile(cfg, cmd, mem)
        assert res.error is True, fields
        assert (res.c == mem.c).all() and res.c is not mem.c, fields
        assert ref_run(cfg, cmd, mem) == (res.c.tolist(), True)


@pytest.mark.parametrize("call, exc, match", [
    (lambda c: pack_operands(c, np.zeros((c.max_m + 1, 1), int), np.zeros((1, 1), int)),
     ValueError, r"a has M = \d+, above max_m = \d+ of config"),
    (lambda c: pack_operands(c, np.zeros((1, c.max_k + 1), int),
                             np.zeros((c.max_k + 1, 1), int)),
     ValueError, r"a has K = \d+, above max_k"),
    (lambda c: pack_operands(c, np.zeros((1, 1), int), np.zeros((1, c.max_n + 1), int)),
     ValueError, r"b has N = \d+, above max_n"),
    (lambda c: pack_operands(c, np.zeros((1, 2), int), np.zeros((3, 1), int)),
     ValueError, r"b must have K = 2 rows to match a, not 3"),
    (lambda c: pack_operands(c, np.zeros(2, int), np.zeros((2, 1), int)),
     ValueError, r"a must be a 2-D array \[M, K\]"),
    (lambda c: pack_operands(c, [[200]], [[1]]), ValueError, r"a must be from -128 to 127"),
    (lambda c: pack_operands(c, [[1]], [[1]], bias=[1, 2]),
     ValueError, r"bias must be a scalar or of shape \(1,\)"),
    (lambda c: pack_operands(c, [[1]], [[1]], shift=[32]),
     ValueError, r"shift must be from -32 to 31"),
    (lambda c: pack_operands(c, [[1]], [[1]], mult=[2**31]), ValueError, r"mult must be from"),
    (lambda c: run_tile(c, GemmCommand(1, 1, 1), TileMemory.zeros(other_config(c))),
     ValueError, r"mem.a must be a 1-D array of \d+ words for config"),
    (lambda c: run_tile(c, (1, 1, 1), TileMemory.zeros(c)), TypeError, r"cmd must be a"),
    (lambda c: run_tile(GemmCommand(1, 1, 1), c, TileMemory.zeros(c)), TypeError, r"cfg must"),
    (lambda c: unpack_result(c, np.zeros(c.c_words, np.uint32), c.max_m + 1, 1),
     ValueError, r"m must be from 0 to \d+"),
    (lambda c: unpack_result(c, np.zeros(3, np.uint32), 1, 1), ValueError, r"c_words must be"),
])
@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_invalid_arguments(cfg, call, exc, match):
    with pytest.raises(exc, match=match):
        call(cfg)


# --- negative controls: a broken model must be caught -------------------------------------


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_negative_control_untransposed_b(cfg):
    """Packing B row-major (B[k][n] at byte k*MAX_K+n) must be caught by the layout check."""
    rng = np.random.default_rng(SEEDS[0])
    a, b, bias, mult, shift = random_problem(rng, 4, 6, 6)
    broken = pack_operands(cfg, a, b.T, bias, mult, shift)  # the transpose forgotten
    assert broken.b.tolist() != ref_pack(cfg, a, b, bias, mult, shift)["b"]
    res = run_tile(cfg, GemmCommand(4, 6, 6, per_channel=True), broken)
    assert (unpack_result(cfg, res.c, 4, 6) != gemm_requant(a, b, bias, mult, shift)).any()


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
def test_negative_control_shift_not_sign_extended(cfg, monkeypatch):
    """A tile that zero-extends the 6-bit shift field must disagree with the reference."""
    rng = np.random.default_rng(SEEDS[1])
    m, k, n = 4, 8, 6
    a, b, bias, mult, _ = random_problem(rng, m, k, n)
    mem = pack_operands(cfg, a, b, bias, mult, [-1, -3, -8, -12, -20, -32])
    cmd = GemmCommand(m, k, n, per_channel=True)
    assert ref_run(cfg, cmd, mem) == (run_tile(cfg, cmd, mem).c.tolist(), False)
    monkeypatch.setattr(tile, "_to_shift", lambda words: np.asarray(words).astype(np.int64) & 63)
    with pytest.raises(ValueError, match="shift must be from -32 to 31"):
        run_tile(cfg, cmd, mem)  # zero-extended codes 32..63 are not even valid shifts
    monkeypatch.setattr(tile, "_to_shift",
                        lambda words: (np.asarray(words).astype(np.int64) & 63) % 32)
    assert ref_run(cfg, cmd, mem) != (run_tile(cfg, cmd, mem).c.tolist(), False)


# --- rounding ------------------------------------------------------------------------------


def _with_rounding(cfg, rounding):
    return dataclasses.replace(cfg, rounding=rounding)


@pytest.mark.parametrize("cfg", CFGS, ids=cfg_id)
@pytest.mark.parametrize("seed", SEEDS, ids=seed_id)
def test_run_tile_single_rounding(cfg, seed):
    """The tile's rounding reaches gemm_requant: a fixed tile uses its own whatever the
    command says, a selectable tile the command's (that they differ: the tie below)."""
    rng = np.random.default_rng(seed)
    m, k, n = cfg.max_m, cfg.max_k, cfg.max_n
    a, b, bias, mult, shift = random_problem(rng, m, k, n)
    mem = pack_operands(cfg, a, b, bias, mult, shift)
    cmd = random_command(rng, m, k, n, True)
    args = dict(a_zp=cmd.a_zp, b_zp=cmd.b_zp, out_zp=cmd.out_zp, act_min=cmd.act_min,
                act_max=cmd.act_max)
    want = {r: gemm_requant(a, b, bias, mult, shift, rounding=r, **args)
            for r in ("double", "single")}
    for tile_rounding in ("double", "single", "selectable"):
        tile_cfg = _with_rounding(cfg, tile_rounding)
        for cmd_rounding in ("double", "single"):
            c = dataclasses.replace(cmd, rounding=cmd_rounding)
            got = unpack_result(tile_cfg, run_tile(tile_cfg, c, mem).c, m, n)
            used = cmd_rounding if tile_rounding == "selectable" else tile_rounding
            assert np.array_equal(got, want[used]), (tile_rounding, cmd_rounding)


def test_roundings_differ_on_a_tie():
    """-10 * 0.5 / 2 = -2.5: single rounding gives -2, gemmlowp -3."""
    cfg = _with_rounding(CONFIGS["small"], "selectable")
    mem = pack_operands(cfg, [[-10]], [[1]], 0, 1 << 30, -1)
    got = {r: int(unpack_result(cfg, run_tile(cfg, GemmCommand(m=1, k=1, n=1, per_channel=True,
                                                                rounding=r), mem).c, 1, 1)[0, 0])
           for r in ("double", "single")}
    assert got == {"double": -3, "single": -2}
    for fixed, want in (("double", -3), ("single", -2)):  # a fixed tile ignores the command
        cfg = _with_rounding(CONFIGS["small"], fixed)
        for r in ("double", "single"):
            cmd = GemmCommand(m=1, k=1, n=1, per_channel=True, rounding=r)
            assert unpack_result(cfg, run_tile(cfg, cmd, mem).c, 1, 1)[0, 0] == want
