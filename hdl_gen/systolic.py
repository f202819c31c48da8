"""Output-stationary systolic array of int8 multiply-accumulate processing elements."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["OPERAND_WIDTH", "ACC_WIDTH", "ProcessingElement", "SystolicArray", "sum_width"]

# Operands reach the PEs with their zero point already subtracted: int8 - int8 needs 9 bits.
OPERAND_WIDTH = 9
ACC_WIDTH = 32


def sum_width(n: int) -> int:
    """Bits of a sum of ``n`` operands (the checksum row's and column's operands)."""
    return OPERAND_WIDTH + (n - 1).bit_length()


class ProcessingElement(wiring.Component):
    """One multiply-accumulate cell.

    Every cycle: ``acc <= 0`` if ``clear`` else ``acc <= acc + a_in * b_in``, wrapping modulo
    2**32 (two's complement); ``a_out <= a_in`` and ``b_out <= b_in`` forward the operands to
    the right and downward neighbours with a latency of one cycle.

    Parameters
    ----------
    a_width, b_width : int
        Operand widths: 9, wider in the checksum row (``a``) and column (``b``), whose
        operands are sums of operands (:func:`sum_width`).

    Members
    -------
    a_in : In(signed(a_width))
    b_in : In(signed(b_width))
        Zero-point-adjusted operands.
    clear : In(1)
        Synchronous accumulator clear; has priority over accumulation.
    a_out : Out(signed(a_width))
    b_out : Out(signed(b_width))
        Registered operands.
    acc : Out(signed(32))
        The accumulator register.
    """

    def __init__(self, a_width: int = OPERAND_WIDTH, b_width: int = OPERAND_WIDTH):
        self.a_width, self.b_width = a_width, b_width
        super().__init__({
            "a_in": In(signed(a_width)), "b_in": In(signed(b_width)), "clear": In(1),
            "a_out": Out(signed(a_width)), "b_out": Out(signed(b_width)),
            "acc": Out(signed(ACC_WIDTH)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.sync += [self.a_out.eq(self.a_in), self.b_out.eq(self.b_in)]
        with m.If(self.clear):
            m.d.sync += self.acc.eq(0)
        with m.Else():
            # Assignment truncates to 32 bits: the documented int32 wrap.
            m.d.sync += self.acc.eq(self.acc + self.a_in * self.b_in)
        return m


class SystolicArray(wiring.Component):
    """``rows`` x ``cols`` output-stationary array with input skew built in.

    Operand step ``k`` is presented on all edges in the same cycle: ``a_in[r]`` carries
    ``A[i0 + r][k]`` and ``b_in[c]`` carries ``B[k][j0 + c]``. Row ``r`` is delayed by ``r``
    cycles and column ``c`` by ``c`` cycles before entering the array, so PE ``(r, c)``
    accumulates the product of step ``k`` at the end of cycle ``t + r + c``, where ``t`` is the
    cycle the step was presented. After the last step, the accumulators are final
    ``rows + cols - 1`` cycles later. Idle edges must carry 0.

    ``drain_row`` selects one row of accumulators onto ``drain_acc`` (combinational).

    **Checksums** (``checksums=True``, the ABFT profiles, :mod:`hdl_gen.abft`): a checksum
    row of PEs ``sum_row_<c>`` (grid row ``rows``), fed ``sum_r a_in[r]`` skewed by ``rows``
    cycles, accumulates ``chk_row[c] = sum_k (sum_r A[r][k]) B[k][c]``, final one cycle after
    PE ``(rows - 1, c)``; a checksum column of PEs ``sum_col_<r>`` (grid column ``cols``), fed
    ``sum_c b_in[c]`` skewed by ``cols`` cycles, accumulates
    ``chk_col[r] = sum_k A[r][k] (sum_c B[k][c])``, final one cycle after PE
    ``(r, cols - 1)``. Both wrap modulo 2**32 like the accumulators, so without upsets
    ``chk_row[c]`` is the wrapped sum of column ``c``'s accumulators and ``chk_col[r]`` that of
    row ``r``'s, exactly. ``clear`` clears them too. The checksum PEs take their other operand
    from the data PEs' forwarding chains (``a_out`` of PE ``(r, cols - 1)``, ``b_out`` of PE
    ``(rows - 1, c)``), so an upset of a forwarded operand reaches the data and its checksum
    alike and shows up in the other direction's check.

    Parameters
    ----------
    rows, cols : int
        Array geometry (validated by :class:`orbitbench.spec.params.TileConfig`).
    checksums : bool
        Add the checksum row and column.

    Members
    -------
    a_in : In(signed(9)).array(rows)
    b_in : In(signed(9)).array(cols)
    clear : In(1)
        Clears every accumulator in one cycle.
    drain_row : In(range(rows))
    drain_acc : Out(signed(32)).array(cols)
    chk_row : Out(signed(32)).array(cols)
    chk_col : Out(signed(32)).array(rows)
        With ``checksums`` only: the checksum accumulators.
    """

    def __init__(self, rows: int, cols: int, *, checksums: bool = False):
        for name, value in (("rows", rows), ("cols", cols)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not isinstance(checksums, bool):
            raise TypeError(f"checksums must be a bool, not {checksums!r}")
        self.rows, self.cols, self.checksums = rows, cols, checksums
        ports = {
            "a_in": In(signed(OPERAND_WIDTH)).array(rows),
            "b_in": In(signed(OPERAND_WIDTH)).array(cols),
            "clear": In(1),
            "drain_row": In(range(rows)),
            "drain_acc": Out(signed(ACC_WIDTH)).array(cols),
        }
        if checksums:
            ports |= {"chk_row": Out(signed(ACC_WIDTH)).array(cols),
                      "chk_col": Out(signed(ACC_WIDTH)).array(rows)}
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        #: Every state register of the array, (name, signal), for fault injection in tests.
        self.registers = []
        pes = [[ProcessingElement() for _ in range(self.cols)] for _ in range(self.rows)]
        for r in range(self.rows):
            for c in range(self.cols):
                m.submodules[f"pe_{r}_{c}"] = pes[r][c]
                m.d.comb += pes[r][c].clear.eq(self.clear)

        def skew(value, depth, name):
            for i in range(depth):
                stage = Signal.like(value, name=f"{name}_skew{i}")
                m.d.sync += stage.eq(value)
                self.registers.append((stage.name, stage))
                value = stage
            return value

        for r in range(self.rows):
            m.d.comb += pes[r][0].a_in.eq(skew(self.a_in[r], r, f"a{r}"))
            for c in range(1, self.cols):
                m.d.comb += pes[r][c].a_in.eq(pes[r][c - 1].a_out)
        for c in range(self.cols):
            m.d.comb += pes[0][c].b_in.eq(skew(self.b_in[c], c, f"b{c}"))
            for r in range(1, self.rows):
                m.d.comb += pes[r][c].b_in.eq(pes[r - 1][c].b_out)

        for r, row in enumerate(pes):
            for c, pe in enumerate(row):
                self.registers += _pe_registers(f"pe_{r}_{c}", pe)
        for c in range(self.cols):
            with m.Switch(self.drain_row):
                for r in range(self.rows):
                    with m.Case(r):
                        m.d.comb += self.drain_acc[c].eq(pes[r][c].acc)
        if self.checksums:
            self._checksums(m, pes, skew)
        return m

    def _checksums(self, m, pes, skew):
        R, C = self.rows, self.cols
        sum_row = [ProcessingElement(a_width=sum_width(R)) for _ in range(C)]
        sum_col = [ProcessingElement(b_width=sum_width(C)) for _ in range(R)]
        for i, pe in enumerate(sum_row):
            m.submodules[f"sum_row_{i}"] = pe
            self.registers += _pe_registers(f"sum_row_{i}", pe)
        for i, pe in enumerate(sum_col):
            m.submodules[f"sum_col_{i}"] = pe
            self.registers += _pe_registers(f"sum_col_{i}", pe)
        a_sum = Signal(signed(sum_width(R)), name="a_sum")
        b_sum = Signal(signed(sum_width(C)), name="b_sum")
        m.d.comb += [a_sum.eq(sum(self.a_in[r] for r in range(R))),
                     b_sum.eq(sum(self.b_in[c] for c in range(C)))]
        m.d.comb += sum_row[0].a_in.eq(skew(a_sum, R, "asum"))
        m.d.comb += sum_col[0].b_in.eq(skew(b_sum, C, "bsum"))
        for c in range(C):
            m.d.comb += [sum_row[c].clear.eq(self.clear), sum_row[c].b_in.eq(pes[R - 1][c].b_out),
                         self.chk_row[c].eq(sum_row[c].acc)]
            if c:
                m.d.comb += sum_row[c].a_in.eq(sum_row[c - 1].a_out)
        for r in range(R):
            m.d.comb += [sum_col[r].clear.eq(self.clear), sum_col[r].a_in.eq(pes[r][C - 1].a_out),
                         self.chk_col[r].eq(sum_col[r].acc)]
            if r:
                m.d.comb += sum_col[r].b_in.eq(sum_col[r - 1].b_out)


def _pe_registers(name, pe):
    return [(f"{name}.{port}", getattr(pe, port)) for port in ("acc", "a_out", "b_out")]
