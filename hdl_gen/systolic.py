"""Output-stationary systolic array of int8 multiply-accumulate processing elements."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["OPERAND_WIDTH", "ACC_WIDTH", "ProcessingElement", "SystolicArray"]

# Operands reach the PEs with their zero point already subtracted: int8 - int8 needs 9 bits.
OPERAND_WIDTH = 9
ACC_WIDTH = 32


class ProcessingElement(wiring.Component):
    """One multiply-accumulate cell.

    Every cycle: ``acc <= 0`` if ``clear`` else ``acc <= acc + a_in * b_in``, wrapping modulo
    2**32 (two's complement); ``a_out <= a_in`` and ``b_out <= b_in`` forward the operands to
    the right and downward neighbours with a latency of one cycle.

    Members
    -------
    a_in, b_in : In(signed(9))
        Zero-point-adjusted operands.
    clear : In(1)
        Synchronous accumulator clear; has priority over accumulation.
    a_out, b_out : Out(signed(9))
        Registered operands.
    acc : Out(signed(32))
        The accumulator register.
    """

    a_in: In(signed(OPERAND_WIDTH))
    b_in: In(signed(OPERAND_WIDTH))
    clear: In(1)
    a_out: Out(signed(OPERAND_WIDTH))
    b_out: Out(signed(OPERAND_WIDTH))
    acc: Out(signed(ACC_WIDTH))

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

    Parameters
    ----------
    rows, cols : int
        Array geometry (validated by :class:`orbitbench.spec.params.TileConfig`).

    Members
    -------
    a_in : In(signed(9)).array(rows)
    b_in : In(signed(9)).array(cols)
    clear : In(1)
        Clears every accumulator in one cycle.
    drain_row : In(range(rows))
    drain_acc : Out(signed(32)).array(cols)
    """

    def __init__(self, rows: int, cols: int):
        for name, value in (("rows", rows), ("cols", cols)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        self.rows, self.cols = rows, cols
        super().__init__({
            "a_in": In(signed(OPERAND_WIDTH)).array(rows),
            "b_in": In(signed(OPERAND_WIDTH)).array(cols),
            "clear": In(1),
            "drain_row": In(range(rows)),
            "drain_acc": Out(signed(ACC_WIDTH)).array(cols),
        })

    def elaborate(self, platform):
        m = Module()
        pes = [[ProcessingElement() for _ in range(self.cols)] for _ in range(self.rows)]
        for r in range(self.rows):
            for c in range(self.cols):
                m.submodules[f"pe_{r}_{c}"] = pes[r][c]
                m.d.comb += pes[r][c].clear.eq(self.clear)

        def skew(value, depth, name):
            for i in range(depth):
                stage = Signal.like(value, name=f"{name}_skew{i}")
                m.d.sync += stage.eq(value)
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

        for c in range(self.cols):
            with m.Switch(self.drain_row):
                for r in range(self.rows):
                    with m.Case(r):
                        m.d.comb += self.drain_acc[c].eq(pes[r][c].acc)
        return m
