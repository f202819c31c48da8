"""ABFT of the systolic array in amaranth.sim: exhaustive single-upset coverage, the classes
it does not cover, and negative controls.

The harness is the array with its checksums and the :class:`AbftChecker` driven the way the
tile's controller drives them (CLEAR, K operand steps, the wavefront wait, one drain row per
cycle, CHECK), with the tile's correction applied to the drained rows (``acc - fix_d`` in the
located column). Each experiment runs one block and may flip one bit of one register at the
start of one cycle; its outcome is ``masked`` (no flag, result right), ``corrected`` (fix,
result right), ``detected`` (the checker's flag) or ``silent`` (no detected flag, result
wrong) -- a wrong result after a "correction" counts as silent.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Elaboratable, Module
from amaranth.sim import Simulator

from golden_models.abft import check_block, checksums
from hdl_gen.abft import AbftChecker
from hdl_gen.systolic import SystolicArray

R, C, K = 2, 2, 3
T0 = K + C  # first drain cycle (operand steps presented in cycles 1..K)
CHECK = T0 + R
CYCLES = CHECK + 1


class Harness(Elaboratable):
    def __init__(self, checker=AbftChecker):
        self.array = SystolicArray(R, C, checksums=True)
        self.chk = checker(R, C)

    def elaborate(self, platform):
        m = Module()
        m.submodules.array, m.submodules.chk = self.array, self.chk
        for c in range(C):
            m.d.comb += [self.chk.drain_acc[c].eq(self.array.drain_acc[c]),
                         self.chk.chk_row[c].eq(self.array.chk_row[c])]
        for r in range(R):
            m.d.comb += self.chk.chk_col[r].eq(self.array.chk_col[r])
        return m


def operands(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-256, 256, (R, K)), rng.integers(-256, 256, (K, C))


async def _experiment(ctx, h, a, b, upsets):
    """One block with ``upsets`` (``(register index, bit, cycle)`` each); its outcome."""
    regs = h.array.registers + h.chk.registers
    drained = np.zeros((R, C), dtype=np.int64)
    fix, detected = None, False
    for t in range(CYCLES):
        for i, bit, when in upsets:
            if when == t:
                ctx.set(regs[i][1], ctx.get(regs[i][1]) ^ (1 << bit))
        ctx.set(h.array.clear, t == 0)
        step = t - 1
        for r in range(R):
            ctx.set(h.array.a_in[r], int(a[r, step]) if 0 <= step < K else 0)
        for c in range(C):
            ctx.set(h.array.b_in[c], int(b[step, c]) if 0 <= step < K else 0)
        drain = T0 <= t < T0 + R
        ctx.set(h.chk.drain, drain)
        ctx.set(h.chk.check, t == CHECK)
        if drain:
            ctx.set(h.array.drain_row, t - T0)
            ctx.set(h.chk.drain_row, t - T0)
            drained[t - T0] = [ctx.get(h.array.drain_acc[c]) for c in range(C)]
        if t == CHECK:
            detected = bool(ctx.get(h.chk.detected))
            if ctx.get(h.chk.fix):  # the tile's correction: row re-issued, acc - fix_d
                row = ctx.get(h.chk.fix_row)
                ctx.set(h.array.drain_row, row)
                col, d = ctx.get(h.chk.fix_col), ctx.get(h.chk.fix_d)
                fix = (row, [ctx.get(h.array.drain_acc[c]) - (d if col >> c & 1 else 0)
                             for c in range(C)])
        await ctx.tick()
    if fix is not None:
        drained[fix[0]] = fix[1]
    right = not np.any((drained - a @ b) % (1 << 32))
    if detected:
        return "detected"
    if not right:
        return "silent"
    return "corrected" if fix is not None else "masked"


def run(experiments, a, b, checker=AbftChecker):
    """Outcome of each experiment (a list of upsets), all in one simulation."""
    h = Harness(checker)
    outcomes = []

    async def tb(ctx):
        for upsets in experiments:
            outcomes.append(await _experiment(ctx, h, a, b, upsets))

    sim = Simulator(h)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return outcomes


def all_single_upsets(names_widths):
    return [(i, bit, t) for i, (_, width) in enumerate(names_widths) for bit in range(width)
            for t in range(CYCLES)]


def register_widths():
    h = Harness()
    Simulator(h)  # elaborates: fills the register lists
    return [(n, len(s)) for n, s in h.array.registers + h.chk.registers]


def test_fault_free_block_is_ok_and_matches_golden_checksums():
    a, b = operands(1)
    assert run([[]], a, b) == ["masked"]
    chk_row, chk_col = checksums(a, b)
    assert check_block(a @ b, chk_row, chk_col)[0] == "ok"


def _exhaustive(select):
    """Every single-bit upset of the registers ``select`` picks, at every cycle of the block:
    never silent; an accumulator upset landing before its drain read is corrected; a checksum
    accumulator upset is never "corrected". Returns the outcome counts."""
    a, b = operands(2)
    regs = register_widths()
    chosen = [i for i, (name, _) in enumerate(regs) if select(name)]
    exps = [(i, bit, t) for i in chosen for bit in range(regs[i][1]) for t in range(CYCLES)]
    outcomes = run([[e] for e in exps], a, b)
    silent = [(regs[i][0], bit, t) for (i, bit, t), o in zip(exps, outcomes, strict=True)
              if o == "silent"]
    assert not silent, silent[:5]
    for (i, bit, t), outcome in zip(exps, outcomes, strict=True):
        name = regs[i][0]
        if name.startswith("pe_") and name.endswith(".acc"):
            r = int(name.split("_")[1])
            if 1 <= t <= T0 + r:  # after CLEAR, up to its drain read
                assert outcome == "corrected", (name, bit, t, outcome)
        if name.startswith("sum_") and name.endswith(".acc"):
            assert outcome != "corrected", (name, bit, t)  # reported, never "corrected"
    return {o: outcomes.count(o) for o in ("masked", "corrected", "detected", "silent")}


def test_exhaustive_accumulator_and_checksum_upsets_never_silent():
    """The issue's proof: every accumulator and checksum accumulator bit, every cycle."""
    counts = _exhaustive(lambda name: name.endswith(".acc"))
    assert counts["corrected"] == 32 * sum(T0 + r for r in range(R) for _ in range(C))
    assert counts["detected"] > 0


@pytest.mark.regress
def test_exhaustive_every_register_never_silent():
    """Also the forwarded operands, the skews and the checker's own registers (~2.5 min)."""
    counts = _exhaustive(lambda name: True)
    assert counts["corrected"] > 0 and counts["detected"] > 0


def _acc_index(name):
    return [n for n, _ in register_widths()].index(name)


def one(upsets, a, b, checker=AbftChecker):
    return run([upsets], a, b, checker)[0]


def test_uncovered_two_upsets_in_one_column_detected_not_corrected():
    a, b = operands(3)
    upsets = [(_acc_index("pe_0_0.acc"), 3, 2), (_acc_index("pe_1_0.acc"), 5, 2)]
    assert one(upsets, a, b) == "detected"
    assert check_block(a @ b + np.array([[8, 0], [32, 0]]), *checksums(a, b))[0] == "detected"


def test_uncovered_two_upsets_in_one_row_detected_not_corrected():
    a, b = operands(3)
    upsets = [(_acc_index("pe_0_0.acc"), 3, 2), (_acc_index("pe_0_1.acc"), 5, 2)]
    assert one(upsets, a, b) == "detected"


def test_uncovered_rectangle_of_four_is_silent():
    """+d -d / -d +d on the corners of a rectangle leaves every sum intact: silent."""
    # Operands with a bit i clear at (0,0) and (1,1) and set at (0,1) and (1,0): flipping it
    # in all four after the last accumulation adds +2**i, -2**i / -2**i, +2**i.
    want = np.array([[0, 1], [1, 0]])
    found = ((a, b, i) for seed in range(100) for a, b in [operands(seed)]
             for i in range(32) if np.array_equal(((a @ b) % (1 << 32) >> i) & 1, want))
    a, b, bit = next(found)
    d = 1 << bit
    outcome, fixed = check_block(a @ b + np.array([[d, -d], [-d, d]]), *checksums(a, b))
    assert outcome == "ok" and not np.array_equal(fixed, a @ b)
    upsets = [(_acc_index(f"pe_{r}_{c}.acc"), bit, T0) for r in range(R) for c in range(C)]
    assert one(upsets, a, b) == "silent"


class _NoCompare(AbftChecker):
    """Negative control: the compare disabled (never fix, never detect)."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        m.d.comb += [self.fix.eq(0), self.detected.eq(0)]
        return m


class _BrokenCorrector(AbftChecker):
    """Negative control: the located error reported off by one."""

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = inner = AbftChecker(self.rows, self.cols)
        self.registers = []
        for port in ("drain", "drain_row", "check"):
            m.d.comb += getattr(inner, port).eq(getattr(self, port))
        for c in range(self.cols):
            m.d.comb += [inner.drain_acc[c].eq(self.drain_acc[c]),
                         inner.chk_row[c].eq(self.chk_row[c])]
        for r in range(self.rows):
            m.d.comb += inner.chk_col[r].eq(self.chk_col[r])
        m.d.comb += [self.fix.eq(inner.fix), self.fix_row.eq(inner.fix_row),
                     self.fix_col.eq(inner.fix_col), self.fix_d.eq(inner.fix_d + 1),
                     self.detected.eq(inner.detected)]
        return m


def test_negative_control_compare_disabled_makes_acc_upset_silent():
    a, b = operands(2)
    assert one([(_acc_index("pe_1_1.acc"), 4, 3)], a, b, _NoCompare) == "silent"
    assert one([(_acc_index("pe_1_1.acc"), 4, 3)], a, b) == "corrected"


def test_negative_control_broken_corrector_is_caught():
    a, b = operands(2)
    upset = [(_acc_index("pe_1_1.acc"), 4, 3)]
    assert one(upset, a, b, _BrokenCorrector) == "silent"
    with pytest.raises(AssertionError):
        assert one(upset, a, b, _BrokenCorrector) == "corrected"


def test_checksum_register_upset_is_reported_not_corrected():
    a, b = operands(2)
    for name in ("sum_row_1.acc", "sum_col_0.acc"):
        assert one([(_acc_index(name), 7, 3)], a, b) == "detected"
