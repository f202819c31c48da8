"""hdl_gen.secded encoder and decoder in the Amaranth simulator, bit-exact against the model.

Both blocks are combinational: one simulator per block and vector list, and in an Amaranth
0.5 testbench every ``ctx.get`` after a ``ctx.set`` sees the settled combinational outputs,
so a vector costs one set and a few gets. The decoder sees every single and double error of
(13,8) and (39,32) on several data words, every syndrome (including odd-weight ones that
name no bit) and seeded random errors and words for (72,64) and (137,128); widths that are not
a power of two (5, 12, 57, 100) get every single error and every syndrome; each output is
compared with ``SecdedCode.decode``. Negative controls build the RTL from a deliberately
different code and show that it then disagrees with the model of the real code, i.e. the RTL
reads its matrix from the code object and the comparison can fail.
"""

import contextlib
import gc
import itertools
import warnings
from functools import cached_property

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal, UnusedElaboratable
from amaranth.sim import Simulator

from golden_models.secded import SecdedCode
from hdl_gen.secded import SecdedDecoder, SecdedEncoder

WIDTHS = [4, 8, 16, 32, 64, 128]
SEED = 20240918
DECODER_OUT = ("data", "corrected", "uncorrectable", "syndrome")

# --- simulation ---------------------------------------------------------------------------


def run_comb(dut, inputs, in_port, out_ports):
    """Drive ``in_port`` with each of ``inputs`` in turn; return the tuple of ``out_ports``
    for each."""
    seen = []

    async def tb(ctx):
        for value in inputs:
            ctx.set(getattr(dut, in_port), value)
            seen.append(tuple(ctx.get(getattr(dut, p)) for p in out_ports))

    sim = Simulator(dut)
    sim.add_testbench(tb)
    sim.run()
    return seen


def rtl_encode(code, data):
    return run_comb(SecdedEncoder(code), data, "data", ("check", "codeword"))


def rtl_decode(code, words):
    return run_comb(SecdedDecoder(code), words, "codeword", DECODER_OUT)


def golden_decode(code, words):
    got = code.decode(np.array(words, dtype=object))
    return [tuple(int(x[k]) for x in got) for k in range(len(words))]


def assert_decoder_matches(code, words, rtl):
    want = golden_decode(code, words)
    bad = [k for k in range(len(words)) if rtl[k] != want[k]]
    lines = [f"{words[k]:#x}: rtl {rtl[k]}, golden {want[k]}" for k in bad[:10]]
    assert not bad, f"{len(bad)} of {len(words)} differ:\n" + "\n".join(lines)


def data_words(code, n_random, seed=SEED):
    ones = (1 << code.data_width) - 1
    rng = np.random.default_rng([seed, code.data_width])
    rand = [int.from_bytes(rng.bytes(17), "little") & ones for _ in range(n_random)]
    return [0, ones, ones // 3, *rand]


def error_words(code, words, max_bits):
    """``encode(d) ^ e`` for every data word and every error of at most ``max_bits`` bits."""
    n = code.code_width
    errors = [sum(1 << p for p in ps)
              for k in range(max_bits + 1) for ps in itertools.combinations(range(n), k)]
    return [code.encode(d) ^ e for d in words for e in errors]


# --- ports and validation -----------------------------------------------------------------


@contextlib.contextmanager
def never_elaborated():
    """Collect, inside the block, components that are never elaborated.

    Amaranth warns about an unused component only once some elaboration has happened in the
    process, so whether it warns depends on test order: ignore it rather than expect it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        yield
        gc.collect()


@pytest.mark.parametrize("width", WIDTHS)
def test_port_widths_come_from_the_code(width):
    code = SecdedCode(width)
    with never_elaborated():
        enc, dec = SecdedEncoder(code), SecdedDecoder(code)
        assert (len(enc.data), len(enc.check), len(enc.codeword)) == (
            width, code.check_width, code.code_width)
        assert (len(dec.codeword), len(dec.data), len(dec.syndrome)) == (
            code.code_width, width, code.check_width)
        assert len(dec.corrected) == len(dec.uncorrectable) == 1
        assert enc.code is code and dec.code is code
        del enc, dec


@pytest.mark.parametrize("cls", [SecdedEncoder, SecdedDecoder])
@pytest.mark.parametrize(("value", "message"), [
    (32, "code must be a SecdedCode, not 32"),
    (None, "code must be a SecdedCode, not None"),
])
def test_code_must_be_a_secded_code(cls, value, message):
    with never_elaborated():
        with pytest.raises(TypeError) as info:
            cls(value)
        got = str(info.value)
        del info  # its traceback holds the half-built component
    assert got == message


@pytest.mark.parametrize("cls", [SecdedEncoder, SecdedDecoder])
def test_converts_to_rtlil(cls):
    text = rtlil.convert(cls(SecdedCode(64)), name="secded")
    assert "module \\secded" in text


# --- encoder ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_encoder_matches_golden(width):
    code = SecdedCode(width)
    data = data_words(code, n_random=300)
    got = rtl_encode(code, data)
    want_cw = [int(x) for x in code.encode(data)]
    assert [cw for _, cw in got] == want_cw
    assert [check for check, _ in got] == code.check_bits(data).tolist()


# --- decoder ------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "n_random"), [(8, 3), (32, 2)])
def test_decoder_every_single_and_double_error(width, n_random):
    code = SecdedCode(width)
    words = error_words(code, data_words(code, n_random), max_bits=2)
    n = code.code_width
    assert len(words) == (3 + n_random) * (1 + n + n * (n - 1) // 2)
    rtl = rtl_decode(code, words)
    assert_decoder_matches(code, words, rtl)
    # And the promise itself, on the RTL outputs: single -> corrected, double -> flagged.
    per_word = 1 + n + n * (n - 1) // 2
    sent = [d for d in data_words(code, n_random) for _ in range(per_word)]
    for k, (data, corrected, uncorrectable, _) in enumerate(rtl):
        bits = 0 if k % per_word == 0 else 1 if k % per_word <= n else 2
        assert (corrected, uncorrectable) == (bits == 1, bits == 2), hex(words[k])
        raw = words[k] % (1 << width)
        assert data == (sent[k] if bits < 2 else raw), hex(words[k])


@pytest.mark.parametrize("width", [8, 32])
def test_decoder_every_syndrome(width):
    # Flipping check bits only reaches every syndrome, including odd-weight ones of no column.
    code = SecdedCode(width)
    words = [code.encode(d) ^ s << width
             for d in data_words(code, 2) for s in range(1 << code.check_width)]
    rtl = rtl_decode(code, words)
    assert_decoder_matches(code, words, rtl)
    assert {s for *_, s in rtl} == set(range(1 << code.check_width))
    assert any(u and bin(s).count("1") % 2 for _, _, u, s in rtl)  # odd, names no bit


@pytest.mark.parametrize("width", [64, 128])
def test_decoder_random_errors_and_words(width):
    code = SecdedCode(width)
    n = code.code_width
    rng = np.random.default_rng([SEED, width])
    words = []
    for d in data_words(code, n_random=40):
        cw = code.encode(d)
        words.append(cw)
        for n_bits in (1, 2, 3):
            for _ in range(12):
                words.append(cw ^ sum(1 << int(p) for p in rng.choice(n, n_bits, replace=False)))
    words += [int.from_bytes(rng.bytes(18), "little") % (1 << n) for _ in range(300)]
    rtl = rtl_decode(code, words)
    assert_decoder_matches(code, words, rtl)


# Widths that are not a power of two: there ``data_width + j`` (where check bit ``j`` sits in
# the codeword) differs from ``data_width | j`` and ``data_width ^ j``, so an RTL that reads
# a check bit from the wrong position shows; with the power-of-two WIDTHS it cannot.
ODD_WIDTHS = [5, 12, 57, 100]


@pytest.mark.parametrize("width", ODD_WIDTHS)
def test_encoder_and_decoder_other_widths(width):
    code = SecdedCode(width)
    assert any(width & j for j in range(code.check_width))  # the premise above
    data = data_words(code, n_random=20)
    assert [cw for _, cw in rtl_encode(code, data)] == [int(x) for x in code.encode(data)]
    # Every single error (data and check bits) and every syndrome (check bits flipped).
    words = error_words(code, data[:4], max_bits=1)
    words += [code.encode(d) ^ s << width for d in data[:2] for s in range(1 << code.check_width)]
    rtl = rtl_decode(code, words)
    assert_decoder_matches(code, words, rtl)
    n = code.code_width
    assert sum(c for _, c, _, _ in rtl[:4 * (n + 1)]) == 4 * n  # every single error corrected


def test_premises_of_the_listed_equivalent_mutants():
    """mutation.toml lists seven decoder mutants as equivalent on two premises, checked here:
    the 1-bit flag terms of ``corrected`` are never both 1, and on 1-bit values Amaranth's
    ``*`` and ``//`` (with ``x // 0 == 0``) equal ``&``. If either stops holding, those
    mutants are no longer equivalent and this test says so."""
    for width in (*WIDTHS, *ODD_WIDTHS):
        code = SecdedCode(width)
        units = {1 << j for j in range(code.check_width)}
        assert not units & set(code.columns), width
    a, b = Signal(), Signal()
    outs = [Signal(2, name=n) for n in ("and_", "mul", "div")]
    m = Module()
    m.d.comb += [outs[0].eq(a & b), outs[1].eq(a * b), outs[2].eq(a // b)]
    seen = []

    async def tb(ctx):
        for x, y in itertools.product((0, 1), repeat=2):
            ctx.set(a, x)
            ctx.set(b, y)
            seen.append([ctx.get(o) for o in outs])

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
    assert seen == [[x & y] * 3 for x, y in itertools.product((0, 1), repeat=2)]


# --- negative controls --------------------------------------------------------------------


class SwappedCode(SecdedCode):
    """Still a valid Hsiao code, but not the one ``SecdedCode`` selects: two columns swapped."""

    @cached_property
    def columns(self):
        cols = list(SecdedCode(self.data_width).columns)
        cols[0], cols[-1] = cols[-1], cols[0]
        return tuple(cols)


def test_encoder_built_from_another_code_disagrees():
    code, other = SecdedCode(32), SwappedCode(32)
    data = data_words(code, n_random=50)
    got = [cw for _, cw in rtl_encode(other, data)]
    assert got == [int(x) for x in other.encode(data)]  # the RTL follows its code object
    assert got != [int(x) for x in code.encode(data)]


def test_decoder_built_from_another_code_disagrees():
    code, other = SecdedCode(32), SwappedCode(32)
    words = error_words(code, [0x1234_5678], max_bits=1)
    rtl = rtl_decode(other, words)
    assert_decoder_matches(other, words, rtl)
    with pytest.raises(AssertionError, match="differ"):
        assert_decoder_matches(code, words, rtl)
