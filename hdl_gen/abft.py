"""Algorithm-based fault tolerance of the systolic array: the checksum checker.

For an output block ``acc[r][c] = sum_k a'[r][k] b'[k][c]`` (mod 2**32) the array's
checksum row and column (:class:`hdl_gen.systolic.SystolicArray` with ``checksums``) hold
``chk_row[c] = sum_r acc[r][c]`` and ``chk_col[r] = sum_c acc[r][c]`` (mod 2**32), computed
from the operands, not from the accumulators. Integer arithmetic modulo 2**32 has no
round-off, so without upsets both hold exactly; :class:`AbftChecker` compares them with the
accumulators as the drain reads them (before requantization) and, in the block's CHECK
cycle, decides (the NumPy model is :func:`golden_models.abft.check_block`):

* no mismatch: the block is accepted;
* exactly one row ``r*`` and one column ``c*`` mismatch, by the same difference ``d``: the
  element ``(r*, c*)`` is wrong by ``d`` (an accumulator upset): ``fix`` re-issues row ``r*``
  through the requantizers in the CHECK cycle with ``acc[r*][c*] - d`` (**corrected**);
* any other pattern (a row or columns alone: an upset of a checksum register, of a
  forwarded operand, of the checker's own registers; two rows or two columns; different
  differences): **detected**, never corrected.

Timing: row ``r`` is drained in cycle ``t0 + r``; its sum is registered and compared one
cycle later with ``chk_col[r]`` (final one cycle after the row's drain slot); the column sums
accumulate over the drain and are compared in the CHECK cycle ``t0 + rows``, together with
the last row. Cost: one CHECK cycle per block, whether or not it corrects.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .systolic import ACC_WIDTH

__all__ = ["AbftChecker"]


class AbftChecker(wiring.Component):
    """Checksum compare, location and correction decision of one ``rows`` x ``cols`` block.

    Parameters
    ----------
    rows, cols : int
        Array geometry.

    Members
    -------
    drain : In(1)
        Array row ``drain_row`` is drained this cycle (state DRAIN; not the fix re-issue).
    drain_row : In(range(rows))
    drain_acc : In(signed(32)).array(cols)
        The drained row (combinational from the array).
    chk_row : In(signed(32)).array(cols)
    chk_col : In(signed(32)).array(rows)
        The array's checksum accumulators.
    check : In(1)
        The block's CHECK cycle (the cycle after its last drain row).
    fix : Out(1)
        Combinational, in the CHECK cycle: one element is located; correct it.
    fix_row : Out(range(rows))
    fix_col : Out(cols)
        One-hot column of the located element.
    fix_d : Out(signed(32))
        Its error: the corrected value is ``acc - fix_d`` (mod 2**32).
    detected : Out(1)
        Combinational, in the CHECK cycle: a mismatch that is not one located element.
    """

    def __init__(self, rows: int, cols: int):
        self.rows, self.cols = rows, cols
        super().__init__({
            "drain": In(1), "drain_row": In(range(rows)),
            "drain_acc": In(signed(ACC_WIDTH)).array(cols),
            "chk_row": In(signed(ACC_WIDTH)).array(cols),
            "chk_col": In(signed(ACC_WIDTH)).array(rows),
            "check": In(1),
            "fix": Out(1), "fix_row": Out(range(rows)), "fix_col": Out(cols),
            "fix_d": Out(signed(ACC_WIDTH)), "detected": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        R, C = self.rows, self.cols
        # Column sums of the drained rows (restarted by row 0).
        colsum = [Signal(ACC_WIDTH, name=f"abft_colsum_{c}") for c in range(C)]
        with m.If(self.drain):
            for c in range(C):
                base = Mux(self.drain_row == 0, 0, colsum[c])
                m.d.sync += colsum[c].eq(base + self.drain_acc[c])
        # The drained row's sum, compared in the next cycle (its checksum is final then).
        rowsum = Signal(ACC_WIDTH, name="abft_rowsum")
        rowsum_row = Signal(range(R), name="abft_rowsum_row")
        rowsum_valid = Signal(name="abft_rowsum_valid")
        m.d.sync += [rowsum.eq(sum(self.drain_acc[c].as_unsigned() for c in range(C))),
                     rowsum_row.eq(self.drain_row), rowsum_valid.eq(self.drain)]
        chk_col = Signal(ACC_WIDTH)
        with m.Switch(rowsum_row):
            for r in range(R):
                with m.Case(r):
                    m.d.comb += chk_col.eq(self.chk_col[r])
        row_d = Signal(ACC_WIDTH)
        m.d.comb += row_d.eq(rowsum - chk_col)
        row_bad = Signal()
        m.d.comb += row_bad.eq(rowsum_valid & (row_d != 0))
        # Mismatching rows of this block so far: none, one (which, by how much), several.
        bad_rows = Signal(range(3), name="abft_bad_rows")
        bad_row = Signal(range(R), name="abft_bad_row")
        bad_d = Signal(ACC_WIDTH, name="abft_bad_d")
        rows_now = Signal(range(3))
        m.d.comb += rows_now.eq(Mux(row_bad, Mux(bad_rows == 0, 1, 2), bad_rows))
        with m.If(self.drain & (self.drain_row == 0)):
            m.d.sync += bad_rows.eq(0)
        with m.Elif(row_bad):
            m.d.sync += [bad_rows.eq(rows_now), bad_row.eq(rowsum_row), bad_d.eq(row_d)]
        #: Every state register, (name, signal), for fault injection in tests.
        self.registers = [(s.name, s) for s in (*colsum, rowsum, rowsum_row, rowsum_valid,
                                                bad_rows, bad_row, bad_d)]
        the_row = Mux(row_bad, rowsum_row, bad_row)
        the_d = Mux(row_bad, row_d, bad_d)
        # The CHECK cycle: column sums against the checksum row.
        col_d = [Signal(ACC_WIDTH, name=f"col_d_{c}") for c in range(C)]
        col_bad = Signal(C)
        for c in range(C):
            m.d.comb += [col_d[c].eq(colsum[c] - self.chk_row[c].as_unsigned()),
                         col_bad[c].eq(col_d[c] != 0)]
        one_col = Signal()
        m.d.comb += one_col.eq((col_bad != 0) & ((col_bad & (col_bad - 1)) == 0))
        d_of_col = Signal(ACC_WIDTH)
        m.d.comb += d_of_col.eq(_or(*(Mux(col_bad[c], col_d[c], 0) for c in range(C))))
        locate = Signal()
        m.d.comb += locate.eq((rows_now == 1) & one_col & (d_of_col == the_d))
        m.d.comb += [
            self.fix.eq(self.check & locate),
            self.fix_row.eq(the_row), self.fix_col.eq(Mux(locate, col_bad, 0)),
            self.fix_d.eq(the_d),
            self.detected.eq(self.check & ~locate & ((rows_now != 0) | (col_bad != 0))),
        ]
        return m


def _or(*values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return Cat(out)
