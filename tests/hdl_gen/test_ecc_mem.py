"""hdl_gen.ecc_mem in the Amaranth simulator, against the golden SecdedCode.

Upsets are injected through the simulator into the inner memory (``dut.mem.data[row]``), and
the stored rows are checked against a layout computed here from the documented formula
(codeword bit ``j`` of slot ``s`` at physical bit ``j * I + s``), not from the DUT. Every
protection has a negative control: interleave 1 turns an adjacent double upset
uncorrectable, ``writeback=False`` and ``scrub_interval=0`` leave the upset in storage, a
busy read port stalls the scrubber, and the writeback that a functional write cancels does
land when nothing cancels it.
"""

import contextlib
import gc
import warnings

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import UnusedElaboratable
from amaranth.sim import Simulator

from golden_models.secded import SecdedCode
from hdl_gen.ecc_mem import EccMemory

SEED = 20240919
COUNT_MAX = (1 << 32) - 1

# --- reference layout and simulation helpers ----------------------------------------------


def pack_row(code, interleave, codewords):
    """Physical row holding ``codewords`` (slot order), bit j of slot s at j * I + s."""
    return sum((cw >> j & 1) << (j * interleave + s)
               for s, cw in enumerate(codewords) for j in range(code.code_width))


def unpack_row(code, interleave, row):
    return [sum((row >> (j * interleave + s) & 1) << j for j in range(code.code_width))
            for s in range(interleave)]


def expected_rows(dut, words):
    """Rows of the inner memory after writing ``words`` (logical order, None = never
    written, i.e. the zero codeword)."""
    code, n = dut.code, dut.interleave
    cws = [0 if w is None else code.encode(w) for w in words]
    cws += [0] * (dut.rows * n - len(cws))
    return [pack_row(code, n, cws[r * n:(r + 1) * n]) for r in range(dut.rows)]


def random_words(width, count, seed):
    rng = np.random.default_rng([SEED, seed, width])
    return [int.from_bytes(rng.bytes(16), "little") % (1 << width) for _ in range(count)]


def run(dut, testbench):
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


def rows_of(ctx, dut):
    return [ctx.get(dut.mem.data[r]) for r in range(dut.rows)]


def flip(ctx, dut, row, *bits):
    value = ctx.get(dut.mem.data[row])
    for p in bits:
        value ^= 1 << p
    ctx.set(dut.mem.data[row], value)


async def write(ctx, dut, addr, data):
    ctx.set(dut.wr_en, 1)
    ctx.set(dut.wr_addr, addr)
    ctx.set(dut.wr_data, data)
    await ctx.tick()
    ctx.set(dut.wr_en, 0)


async def write_all(ctx, dut, words):
    for a, w in enumerate(words):
        await write(ctx, dut, a, w)


def outputs(ctx, dut):
    names = ("rd_valid", "rd_data", "rd_corrected", "rd_uncorrectable",
             "ev_corrected", "ev_uncorrectable", "ev_addr")
    return {n: ctx.get(getattr(dut, n)) for n in names}


async def read(ctx, dut, addr, *, keep=False):
    """One functional read; the outputs of its result cycle. ``keep`` leaves rd_en high."""
    ctx.set(dut.rd_en, 1)
    ctx.set(dut.rd_addr, addr)
    await ctx.tick()
    if not keep:
        ctx.set(dut.rd_en, 0)
    return outputs(ctx, dut)


def counts(ctx, dut):
    return (ctx.get(dut.corrected_count), ctx.get(dut.uncorrectable_count),
            ctx.get(dut.last_error_addr))


def clean(data, addr):
    return {"rd_valid": 1, "rd_data": data, "rd_corrected": 0, "rd_uncorrectable": 0,
            "ev_corrected": 0, "ev_uncorrectable": 0, "ev_addr": addr}


def corrected(data, addr):
    return {**clean(data, addr), "rd_corrected": 1, "ev_corrected": 1}


# --- 1. plain storage ---------------------------------------------------------------------


@pytest.mark.parametrize(("width", "interleave"),
                         [(32, 1), (32, 4), (64, 1), (64, 4), (128, 2), (4, 8)])
def test_write_then_read_back(width, interleave):
    depth = 11  # not a multiple of 2, 4 or 8: the last row is partly unused
    dut = EccMemory(width=width, depth=depth, interleave=interleave)
    words = random_words(width, depth, seed=1)
    order = np.random.default_rng([SEED, 2]).permutation(depth).tolist()
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        seen["rows"] = rows_of(ctx, dut)
        # Back-to-back reads in random order, as a busy tile issues them.
        seen["reads"] = [await read(ctx, dut, a, keep=True) for a in order]
        ctx.set(dut.rd_en, 0)
        await ctx.tick()
        seen["counts"] = counts(ctx, dut)

    run(dut, tb)
    assert seen["rows"] == expected_rows(dut, words)
    assert seen["reads"] == [clean(words[a], a) for a in order]
    assert seen["counts"] == (0, 0, 0)


def test_read_during_write_of_the_same_word_returns_the_new_word():
    dut = EccMemory(width=32, depth=4, interleave=2)
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, [1, 2, 3, 4])
        ctx.set(dut.wr_en, 1)
        ctx.set(dut.wr_addr, 2)
        ctx.set(dut.wr_data, 0xCAFE)
        seen["same"] = await read(ctx, dut, 2)
        ctx.set(dut.wr_en, 1)
        ctx.set(dut.wr_addr, 0)
        ctx.set(dut.wr_data, 0xBEEF)
        seen["neighbour"] = await read(ctx, dut, 1)  # same row, other slot
        ctx.set(dut.wr_en, 0)

    run(dut, tb)
    assert seen["same"] == clean(0xCAFE, 2)
    assert seen["neighbour"] == clean(2, 1)


# --- 2./3. single and double upsets -------------------------------------------------------


@pytest.mark.parametrize("writeback", [True, False])
@pytest.mark.parametrize("interleave", [1, 4])
@pytest.mark.parametrize("bit", [3, 35])  # a data bit, a check bit of the (39, 32) code
def test_single_upset_is_corrected(writeback, interleave, bit):
    width, depth, addr = 32, 8, 5
    dut = EccMemory(width=width, depth=depth, interleave=interleave, writeback=writeback)
    code = SecdedCode(width)
    words = random_words(width, depth, seed=3)
    row, phys = addr // interleave, bit * interleave + addr % interleave
    assert dut.bit_location(addr, bit) == (row, phys)
    bad_cw = code.encode(words[addr]) ^ 1 << bit
    golden = code.decode(bad_cw)
    assert (golden.data, golden.corrected, golden.uncorrectable) == (words[addr], True, False)
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        flip(ctx, dut, row, phys)
        seen["upset_rows"] = rows_of(ctx, dut)
        seen["first"] = await read(ctx, dut, addr)
        await ctx.tick()
        seen["counts1"] = counts(ctx, dut)
        await ctx.tick()
        seen["rows"] = rows_of(ctx, dut)
        seen["second"] = await read(ctx, dut, addr)
        await ctx.tick()
        seen["counts2"] = counts(ctx, dut)

    run(dut, tb)
    good_rows = expected_rows(dut, words)
    assert unpack_row(code, interleave, seen["upset_rows"][row])[addr % interleave] == bad_cw
    assert seen["first"] == corrected(golden.data, addr)
    assert seen["counts1"] == (1, 0, addr)
    if writeback:
        assert seen["rows"] == good_rows, "writeback must restore the stored bits"
        assert seen["second"] == clean(words[addr], addr)
        assert seen["counts2"] == (1, 0, addr)
    else:
        assert seen["rows"] == seen["upset_rows"], "no writeback: the upset stays stored"
        assert seen["second"] == corrected(words[addr], addr)
        assert seen["counts2"] == (2, 0, addr)


@pytest.mark.parametrize("interleave", [1, 4])
def test_double_upset_is_flagged_never_corrected(interleave):
    width, depth, addr = 32, 8, 6
    dut = EccMemory(width=width, depth=depth, interleave=interleave, writeback=True)
    code = SecdedCode(width)
    words = random_words(width, depth, seed=4)
    bad_cw = code.encode(words[addr]) ^ (1 << 2 | 1 << 7)
    golden = code.decode(bad_cw)
    assert golden.uncorrectable and not golden.corrected
    assert golden.data == bad_cw % (1 << width) != words[addr]  # raw, not "corrected"
    row = addr // interleave
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        flip(ctx, dut, row, *(dut.bit_location(addr, b)[1] for b in (2, 7)))
        seen["upset_rows"] = rows_of(ctx, dut)
        seen["read"] = await read(ctx, dut, addr)
        for _ in range(3):
            await ctx.tick()
        seen["rows"] = rows_of(ctx, dut)
        seen["counts"] = counts(ctx, dut)

    run(dut, tb)
    assert seen["read"] == {**clean(golden.data, addr), "rd_uncorrectable": 1,
                            "ev_uncorrectable": 1}
    assert seen["counts"] == (0, 1, addr)
    assert seen["rows"] == seen["upset_rows"], "an uncorrectable word is never written back"


# --- 4. interleaving ----------------------------------------------------------------------


@pytest.mark.parametrize("interleave", [1, 2, 4, 8])
def test_adjacent_double_upset_splits_across_codewords(interleave):
    width, depth = 32, 16
    dut = EccMemory(width=width, depth=depth, interleave=interleave, writeback=False)
    code = SecdedCode(width)
    words = random_words(width, depth, seed=5)
    row, phys = 1, 5 * interleave + interleave // 2  # two physically adjacent bits
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        flip(ctx, dut, row, phys, phys + 1)
        seen["raw"] = ctx.get(dut.mem.data[row])
        addrs = range(row * interleave, (row + 1) * interleave)
        seen["reads"] = [await read(ctx, dut, a, keep=True) for a in addrs]

    run(dut, tb)
    golden = code.decode(unpack_row(code, interleave, seen["raw"]))
    want = [{**clean(int(d), row * interleave + s), "rd_corrected": int(c),
             "ev_corrected": int(c), "rd_uncorrectable": int(u), "ev_uncorrectable": int(u)}
            for s, (d, c, u) in enumerate(zip(golden.data, golden.corrected,
                                              golden.uncorrectable, strict=True))]
    assert seen["reads"] == want
    if interleave == 1:  # negative control: both upsets land in one codeword
        assert [r["rd_uncorrectable"] for r in seen["reads"]] == [1]
    else:
        assert sum(r["rd_corrected"] for r in seen["reads"]) == 2
        assert [r["rd_data"] for r in seen["reads"]] == \
            words[row * interleave:(row + 1) * interleave]


# --- 5. scrubber --------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [0, 1, 3])
def test_scrubber_repairs_every_word_within_depth_times_interval(interval):
    width, depth, interleave = 16, 6, 2
    dut = EccMemory(width=width, depth=depth, interleave=interleave, writeback=False)
    words = random_words(width, depth, seed=6)
    budget = depth * max(interval, 3) + 2
    seen = {"events": []}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        for a in range(depth):  # one upset in every word, a different bit each
            flip(ctx, dut, *dut.bit_location(a, 3 * a))
        seen["upset_rows"] = rows_of(ctx, dut)
        ctx.set(dut.scrub_interval, interval)
        for cycle in range(1, budget + 1):
            await ctx.tick()
            if ctx.get(dut.ev_corrected):
                seen["events"].append((cycle, ctx.get(dut.ev_addr)))
            # Scrub reads are not functional reads: no rd_valid, no read flags.
            assert (ctx.get(dut.rd_valid), ctx.get(dut.rd_corrected)) == (0, 0)
        seen["rows"] = rows_of(ctx, dut)
        seen["counts"] = counts(ctx, dut)

    run(dut, tb)
    if interval == 0:  # negative control
        assert seen["events"] == []
        assert seen["rows"] == seen["upset_rows"]
        assert seen["counts"] == (0, 0, 0)
        return
    assert seen["events"] == [((a + 1) * interval, a) for a in range(depth)]
    assert seen["rows"] == expected_rows(dut, words)
    assert seen["counts"] == (depth, 0, depth - 1)


def test_scrubber_waits_for_an_idle_read_port():
    width, depth, interval, addr = 16, 6, 2, 3
    dut = EccMemory(width=width, depth=depth, writeback=False)
    words = random_words(width, depth, seed=7)
    budget = depth * interval + 2
    seen = {"events": []}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        flip(ctx, dut, *dut.bit_location(addr, 0))
        upset = rows_of(ctx, dut)
        ctx.set(dut.scrub_interval, interval)
        # Read the upset word every cycle like a busy tile: corrected each time, but neither
        # written back (writeback=False) nor scrubbed, and the scrub position stays at 0.
        ctx.set(dut.rd_en, 1)
        ctx.set(dut.rd_addr, addr)
        for _ in range(budget):
            await ctx.tick()
        seen["busy"] = (rows_of(ctx, dut) == upset, counts(ctx, dut))
        ctx.set(dut.rd_en, 0)
        for cycle in range(1, budget + 1):
            await ctx.tick()
            if ctx.get(dut.ev_corrected):
                seen["events"].append((cycle, ctx.get(dut.ev_addr)))
        seen["idle"] = (rows_of(ctx, dut), counts(ctx, dut))

    run(dut, tb)
    assert seen["busy"] == (True, (budget - 1, 0, addr))  # the last event counts next cycle
    # The overdue scrubber reads word 0 in the first idle cycle, then one word every
    # ``interval`` cycles.
    assert seen["events"] == [(1 + addr * interval, addr)]
    assert seen["idle"] == (expected_rows(dut, words), (budget + 1, 0, addr))


# --- 6. writeback arbitration -------------------------------------------------------------


@pytest.mark.parametrize("source", ["scrub", "read"])
@pytest.mark.parametrize("overwrite", ["decode_cycle", "pending", "none"])
def test_functional_write_wins_over_writeback(source, overwrite):
    width, depth, interleave, addr, other = 32, 4, 2, 1, 3
    dut = EccMemory(width=width, depth=depth, interleave=interleave, writeback=True)
    words = random_words(width, depth, seed=8)
    new, other_new = 0x1234_5678, 0x0BAD_F00D
    seen = {}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        flip(ctx, dut, *dut.bit_location(addr, 4))
        upset = rows_of(ctx, dut)
        # Keep the write port busy with another word (in the other row).
        ctx.set(dut.wr_en, 1)
        ctx.set(dut.wr_addr, other)
        ctx.set(dut.wr_data, other_new)
        if source == "scrub":
            ctx.set(dut.scrub_interval, 1)
            while True:
                await ctx.tick()
                if ctx.get(dut.ev_corrected):
                    break
            ctx.set(dut.scrub_interval, 0)
        else:
            await read(ctx, dut, addr)
        assert (ctx.get(dut.ev_corrected), ctx.get(dut.ev_addr)) == (1, addr)
        if overwrite == "decode_cycle":
            ctx.set(dut.wr_addr, addr)
            ctx.set(dut.wr_data, new)
            await ctx.tick()
        else:
            for _ in range(3):
                await ctx.tick()
            # The writeback waits behind the busy write port: the upset is still stored.
            seen["waiting"] = ctx.get(dut.mem.data[addr // interleave]) == \
                upset[addr // interleave]
            if overwrite == "pending":
                ctx.set(dut.wr_addr, addr)
                ctx.set(dut.wr_data, new)
                await ctx.tick()
        ctx.set(dut.wr_en, 0)
        for _ in range(3):
            await ctx.tick()
        seen["rows"] = rows_of(ctx, dut)
        seen["read"] = await read(ctx, dut, addr)

    run(dut, tb)
    final = list(words)
    final[other] = other_new
    if overwrite != "none":
        final[addr] = new
    # else, the control: nothing cancels the writeback, so it lands once the port is free.
    assert seen.get("waiting", True)
    assert seen["rows"] == expected_rows(dut, final)
    assert seen["read"] == clean(final[addr], addr)


def test_scrubber_stalls_while_a_writeback_waits_for_the_write_port():
    width, depth, other, busy = 16, 4, 3, 12
    dut = EccMemory(width=width, depth=depth, writeback=False)
    words = random_words(width, depth, seed=9)
    seen = {"events": []}

    async def tb(ctx):
        await write_all(ctx, dut, words)
        for a in (0, 2):
            flip(ctx, dut, *dut.bit_location(a, 1))
        ctx.set(dut.wr_en, 1)  # the write port stays busy with word 3
        ctx.set(dut.wr_addr, other)
        ctx.set(dut.wr_data, words[other])
        ctx.set(dut.scrub_interval, 1)
        for cycle in range(1, 2 * busy + 1):
            if cycle == busy:
                ctx.set(dut.wr_en, 0)
            await ctx.tick()
            if ctx.get(dut.ev_corrected):
                seen["events"].append((cycle, ctx.get(dut.ev_addr)))
        ctx.set(dut.scrub_interval, 0)
        await ctx.tick()
        seen["rows"] = rows_of(ctx, dut)
        seen["counts"] = counts(ctx, dut)

    run(dut, tb)
    # Word 0's writeback waits until the port frees (cycle ``busy``); the scrubber waits with
    # it rather than walk on and find (and drop) words 2 and 0 again and again. Then it reads
    # word 2 at once, and both words are repaired: each upset is counted once.
    assert seen["events"] == [(1, 0), (busy, 2)]
    assert seen["rows"] == expected_rows(dut, words)
    assert seen["counts"] == (2, 0, 2)


# --- counters -----------------------------------------------------------------------------


def test_counters_saturate_and_clear_without_losing_an_event():
    dut = EccMemory(width=8, depth=4, writeback=False)
    seen = {}

    async def tb(ctx):
        flip(ctx, dut, *dut.bit_location(2, 0))  # zero init is a codeword; upset word 2
        flip(ctx, dut, *dut.bit_location(3, 0))
        flip(ctx, dut, *dut.bit_location(3, 1))  # word 3: double upset
        ctx.set(dut.corrected_count, COUNT_MAX - 1)
        for _ in range(2):
            await read(ctx, dut, 2)
            await ctx.tick()
        seen["saturated"] = counts(ctx, dut)
        ctx.set(dut.clear_counts, 1)
        await ctx.tick()
        ctx.set(dut.clear_counts, 0)
        seen["cleared"] = counts(ctx, dut)
        await read(ctx, dut, 3)
        ctx.set(dut.clear_counts, 1)  # in the event's own cycle: the event still counts
        await ctx.tick()
        ctx.set(dut.clear_counts, 0)
        seen["clear_with_event"] = counts(ctx, dut)

    run(dut, tb)
    assert seen["saturated"] == (COUNT_MAX, 0, 2)
    assert seen["cleared"] == (0, 0, 0)
    assert seen["clear_with_event"] == (0, 1, 3)


# --- ports, layout, validation ------------------------------------------------------------


@contextlib.contextmanager
def never_elaborated():
    """Collect components that are never elaborated (see test_secded.never_elaborated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        yield
        gc.collect()


def test_ports_and_layout_come_from_the_parameters():
    with never_elaborated():
        dut = EccMemory(width=64, depth=10, interleave=4)
        assert (len(dut.rd_data), len(dut.wr_data), len(dut.rd_addr), len(dut.ev_addr)) == (
            64, 64, 4, 4)
        assert (dut.code, dut.rows, dut.mem.depth, dut.mem.shape) == (
            SecdedCode(64), 3, 3, 72 * 4)
        assert dut.bit_location(9, 71) == (2, 71 * 4 + 1)
        with pytest.raises(ValueError, match=r"^addr must be from 0 to 9, not 10$"):
            dut.bit_location(10, 0)
        del dut


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    ({"width": 3, "depth": 4}, ValueError, "width must be an integer from 4 to 128, not 3"),
    ({"width": 129, "depth": 4}, ValueError, "width must be an integer from 4 to 128, not 129"),
    ({"width": 8.0, "depth": 4}, TypeError, "width must be an integer, not 8.0"),
    ({"width": 8, "depth": 0}, ValueError, "depth must be an integer of at least 1, not 0"),
    ({"width": 8, "depth": True}, TypeError, "depth must be an integer, not True"),
    ({"width": 8, "depth": 4, "interleave": 3}, ValueError,
     "interleave must be 1, 2, 4 or 8, not 3"),
    ({"width": 8, "depth": 4, "interleave": 16}, ValueError,
     "interleave must be 1, 2, 4 or 8, not 16"),
    ({"width": 8, "depth": 4, "interleave": "2"}, TypeError,
     "interleave must be an integer, not '2'"),
    ({"width": 8, "depth": 4, "writeback": 1}, TypeError, "writeback must be a bool, not 1"),
    ({"width": 8, "depth": 4, "name": 7}, TypeError, "name must be a str or None, not 7"),
])
def test_parameter_validation(kwargs, exc, message):
    with never_elaborated():
        with pytest.raises(exc) as info:
            EccMemory(**kwargs)
        got = str(info.value)
        del info  # its traceback holds the half-built component
    assert got == message


@pytest.mark.parametrize(("depth", "interleave"), [(1, 1), (5, 8), (64, 4)])
def test_converts_to_rtlil(depth, interleave):
    text = rtlil.convert(EccMemory(width=32, depth=depth, interleave=interleave, name="wbuf"),
                         name="ecc_mem")
    assert "module \\ecc_mem" in text
    assert "wbuf_scrub_addr" in text
