"""hdl_gen.systolic in the Amaranth simulator against Python-int and NumPy references.

The processing element is checked cycle by cycle against a running sum wrapped to int32; the
array is checked against ``A @ B`` and, cycle by cycle, against its documented wavefront: the
product of step ``k`` presented in cycle ``t`` accumulates in PE ``(r, c)`` at the end of cycle
``t + r + c``. Random stimulus is seeded from the test parameters (seed or shape in the id).
"""

import gc
import re
import warnings

import numpy as np
import pytest
from amaranth.hdl import UnusedElaboratable
from amaranth.sim import Simulator

from hdl_gen.systolic import ACC_WIDTH, OPERAND_WIDTH, ProcessingElement, SystolicArray
from orbitbench.spec.params import INT32_MAX, INT32_MIN

OP_MIN, OP_MAX = -(1 << (OPERAND_WIDTH - 1)), (1 << (OPERAND_WIDTH - 1)) - 1


def wrap32(v: int) -> int:
    return ((v + 2**31) % 2**32) - 2**31


def simulate(dut, testbench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


def test_operand_and_accumulator_widths():
    # The zero-point-adjusted operand (int8 - int8) needs 9 bits; the references below rely on it.
    assert (OPERAND_WIDTH, ACC_WIDTH) == (9, 32)
    assert (OP_MIN, OP_MAX) == (-256, 255)


# --- ProcessingElement --------------------------------------------------------------------


def run_pe(steps):
    """Drive ``(a, b, clear)`` one per cycle; return ``(acc, a_out, b_out)`` after each edge."""
    dut = ProcessingElement()
    seen = []

    async def tb(ctx):
        assert (ctx.get(dut.acc), ctx.get(dut.a_out), ctx.get(dut.b_out)) == (0, 0, 0)
        for a, b, clear in steps:
            ctx.set(dut.a_in, a)
            ctx.set(dut.b_in, b)
            ctx.set(dut.clear, clear)
            await ctx.tick()
            seen.append((ctx.get(dut.acc), ctx.get(dut.a_out), ctx.get(dut.b_out)))

    simulate(dut, tb)
    return seen


def ref_pe(steps):
    acc, out = 0, []
    for a, b, clear in steps:
        acc = 0 if clear else wrap32(acc + a * b)
        out.append((acc, a, b))
    return out


@pytest.mark.parametrize("seed", [1, 2024])
def test_pe_random_running_sum(seed):
    rng = np.random.default_rng(seed)
    n = 600
    a = rng.integers(OP_MIN, OP_MAX, n, endpoint=True).tolist()
    b = rng.integers(OP_MIN, OP_MAX, n, endpoint=True).tolist()
    clear = (rng.random(n) < 0.05).astype(int).tolist()
    steps = list(zip(a, b, clear, strict=True))
    assert run_pe(steps) == ref_pe(steps)


def test_pe_operand_extremes():
    steps = [(a, b, 0) for a in (OP_MIN, -1, 0, 1, OP_MAX) for b in (OP_MIN, -1, 0, 1, OP_MAX)]
    assert run_pe(steps) == ref_pe(steps)


def test_pe_clear_has_priority():
    # clear with non-zero operands: the accumulator reads 0, the operands still move on.
    steps = [(100, 200, 0), (OP_MIN, OP_MIN, 1), (OP_MAX, OP_MIN, 1), (3, 4, 0), (5, 6, 1)]
    seen = run_pe(steps)
    assert [acc for acc, _, _ in seen] == [20000, 0, 0, 12, 0]
    assert [(a, b) for _, a, b in seen] == [(a, b) for a, b, _ in steps]


def test_pe_wraps_upward_to_int32_min():
    # 32768 * (-256 * -256) = 2**31: the accumulator passes INT32_MAX and reads INT32_MIN.
    n = 1 << 15
    steps = [(OP_MIN, OP_MIN, 0)] * n + [(OP_MAX, OP_MAX, 0)] * 4 + [(-7, 9, 0)] * 4
    seen = run_pe(steps)
    assert seen == ref_pe(steps)
    assert seen[n - 2][0] == INT32_MAX - 65535
    assert seen[n - 1][0] == INT32_MIN


def test_pe_wraps_downward_past_int32_min():
    # -256 * 255 = -65280 per cycle: 32897 cycles take the sum below INT32_MIN.
    n = 32900
    steps = [(OP_MIN, OP_MAX, 0)] * n
    seen = run_pe(steps)
    assert seen == ref_pe(steps)
    assert seen[-1][0] == wrap32(-65280 * n) > 0


# --- SystolicArray ------------------------------------------------------------------------

SHAPES = [(1, 4), (2, 4), (4, 4)]


def run_array(rows, cols, schedule, extra_cycles):
    """Present ``schedule`` (per cycle: None for idle edges, or ``(a_vec, b_vec)``), then
    ``extra_cycles`` idle cycles; after every edge, snapshot all accumulators via ``drain_row``.

    ``schedule`` may also hold the string ``"clear"`` for a cycle with ``clear`` asserted and idle
    edges. Returns an int64 array ``[cycle, row, col]``.
    """
    dut = SystolicArray(rows, cols)
    snaps = []

    async def tb(ctx):
        for step in list(schedule) + [None] * extra_cycles:
            ctx.set(dut.clear, step == "clear")
            a_vec, b_vec = ([0] * rows, [0] * cols) if step in (None, "clear") else step
            for r in range(rows):
                ctx.set(dut.a_in[r], int(a_vec[r]))
            for c in range(cols):
                ctx.set(dut.b_in[c], int(b_vec[c]))
            await ctx.tick()
            snap = []
            for r in range(rows):
                ctx.set(dut.drain_row, r)
                snap.append([ctx.get(dut.drain_acc[c]) for c in range(cols)])
            snaps.append(snap)

    simulate(dut, tb)
    return np.array(snaps, dtype=np.int64)


def random_operands(rng, rows, k, cols, nonzero=False):
    a = rng.integers(OP_MIN, OP_MAX, (rows, k), endpoint=True)
    b = rng.integers(OP_MIN, OP_MAX, (k, cols), endpoint=True)
    if nonzero:
        a[a == 0] = 1
        b[b == 0] = -1
    return a, b


def wrap32_array(x: np.ndarray) -> np.ndarray:
    return ((x + 2**31) % 2**32) - 2**31


def steps_of(a, b):
    return [(a[:, k], b[k, :]) for k in range(a.shape[1])]


@pytest.mark.parametrize("k", [1, 7, 33])
@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_array_matmul(rows, cols, k):
    rng = np.random.default_rng(1000 * rows + 10 * cols + k)
    a, b = random_operands(rng, rows, k, cols)
    snaps = run_array(rows, cols, steps_of(a, b), extra_cycles=rows + cols - 1)
    expected = wrap32_array(a.astype(np.int64) @ b.astype(np.int64))
    np.testing.assert_array_equal(snaps[-1], expected)


@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_array_extreme_operands(rows, cols):
    # The largest products of both signs (-256 * -256 and -256 * 255), alternating, through
    # every skew stage and PE: a lost operand bit or sign extension shows up in the sum.
    k = 64
    a = np.full((rows, k), OP_MIN)
    b = np.full((k, cols), OP_MIN)
    b[::2, :] = OP_MAX  # mix in -256 * 255
    snaps = run_array(rows, cols, steps_of(a, b), extra_cycles=rows + cols - 1)
    np.testing.assert_array_equal(snaps[-1], a.astype(np.int64) @ b.astype(np.int64))


def wavefront_model(rows, cols, a, b, present_cycle, n_cycles, skew=0):
    """Accumulators after the edge ending each cycle, from the docstring contract (``skew``
    moves every accumulation that many cycles later: a deliberately wrong contract)."""
    out = np.zeros((n_cycles, rows, cols), dtype=np.int64)
    for t_end in range(n_cycles):
        for r in range(rows):
            for c in range(cols):
                ks = [k for k, t in enumerate(present_cycle) if t + r + c + skew <= t_end]
                out[t_end, r, c] = sum(int(a[r, k]) * int(b[k, c]) for k in ks)
    return wrap32_array(out)


def wavefront_run(rows, cols, seed):
    # Steps with random idle cycles between them; all products non-zero so that an
    # accumulation one cycle early or late changes the snapshot.
    rng = np.random.default_rng(seed)
    k = 12
    a, b = random_operands(rng, rows, k, cols, nonzero=True)
    schedule, present_cycle = [None], []
    for step in steps_of(a, b):
        schedule += [None] * int(rng.integers(0, 3))
        present_cycle.append(len(schedule))
        schedule.append(step)
    snaps = run_array(rows, cols, schedule, extra_cycles=rows + cols + 2)
    return snaps, lambda skew: wavefront_model(rows, cols, a, b, present_cycle, len(snaps), skew)


@pytest.mark.parametrize("seed", [5, 77])
@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_array_wavefront_every_cycle(rows, cols, seed):
    snaps, model = wavefront_run(rows, cols, seed)
    expected = model(0)
    for t in range(len(snaps)):
        np.testing.assert_array_equal(snaps[t], expected[t], err_msg=f"end of cycle {t}")


@pytest.mark.parametrize("skew", [-1, 1])
def test_array_wavefront_negative_control(skew):
    # A contract one cycle early or late must disagree with the RTL: the check can fail.
    snaps, model = wavefront_run(2, 4, seed=5)
    assert not np.array_equal(snaps, model(skew))


@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_array_final_exactly_rows_plus_cols_minus_1_after_last_step(rows, cols):
    rng = np.random.default_rng(rows * cols)
    k = 5
    a, b = random_operands(rng, rows, k, cols, nonzero=True)
    snaps = run_array(rows, cols, steps_of(a, b), extra_cycles=rows + cols)
    final = a.astype(np.int64) @ b.astype(np.int64)
    t_last = k - 1
    # snaps[t] is what software reads in cycle t + 1.
    not_yet = snaps[t_last + rows + cols - 3]
    done = snaps[t_last + rows + cols - 2]
    np.testing.assert_array_equal(done, final)
    # rows + cols - 2 cycles after the last step only PE (rows-1, cols-1) still lacks it.
    missing = np.zeros_like(final)
    missing[rows - 1, cols - 1] = a[rows - 1, t_last] * b[t_last, cols - 1]
    np.testing.assert_array_equal(not_yet, final - missing)
    assert not_yet[rows - 1, cols - 1] != final[rows - 1, cols - 1]
    # And nothing moves afterwards while the edges are idle.
    for t in range(t_last + rows + cols - 2, len(snaps)):
        np.testing.assert_array_equal(snaps[t], final)


@pytest.mark.parametrize(("rows", "cols"), SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_array_clear_between_blocks(rows, cols):
    rng = np.random.default_rng(99)
    a1, b1 = random_operands(rng, rows, 6, cols)
    a2, b2 = random_operands(rng, rows, 9, cols)
    drain = [None] * (rows + cols - 1)
    schedule = steps_of(a1, b1) + drain + ["clear"] + steps_of(a2, b2)
    snaps = run_array(rows, cols, schedule, extra_cycles=rows + cols - 1)
    first = len(steps_of(a1, b1)) + len(drain) - 1
    np.testing.assert_array_equal(snaps[first], a1 @ b1)
    np.testing.assert_array_equal(snaps[first + 1], np.zeros((rows, cols)))
    np.testing.assert_array_equal(snaps[-1], a2 @ b2)


@pytest.mark.parametrize(
    ("rows", "cols", "message"),
    [
        (0, 4, "rows must be a positive integer, not 0"),
        (4, -1, "cols must be a positive integer, not -1"),
        (2.0, 4, "rows must be a positive integer, not 2.0"),
    ],
)
def test_array_rejects_bad_geometry(rows, cols, message):
    # The half-built component is collected unused; Amaranth warns about that only once some
    # elaboration has run in the process (so depending on test order): ignore the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            SystolicArray(rows, cols)
        gc.collect()
