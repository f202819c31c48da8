"""TFLite/gemmlowp int8 requantization, one output channel per lane."""

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Requantizer"]

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1


class Requantizer(wiring.Component):
    """Pipelined int32 -> int8 requantizer, bit-exact with ``golden_models.requantize``.

    ``out = clamp(MultiplyByQuantizedMultiplier(wrap32(acc + bias), mult, shift) + out_zp,
    act_min, act_max)`` with the gemmlowp definitions of SaturatingRoundingDoubleHighMul and
    RoundingDivideByPowerOfTwo. ``acc + bias`` and ``x << max(shift, 0)`` wrap to 32 bits;
    the output zero point is added exactly; the clamp is ``min(max(y, act_min), act_max)``, so
    an empty range (``act_min > act_max``) yields ``act_max``.

    Fully pipelined: one result per cycle, ``LATENCY`` cycles from ``i_valid`` to
    ``o_valid``. All inputs are sampled in the ``i_valid`` cycle.

    Members
    -------
    i_valid : In(1)
    acc, bias, mult : In(signed(32))
    shift : In(signed(6))
        -32..31; TFLite uses -31..30.
    out_zp, act_min, act_max : In(signed(8))
    o_valid : Out(1)
    out : Out(signed(8))
    """

    LATENCY = 3

    i_valid: In(1)
    acc: In(signed(32))
    bias: In(signed(32))
    mult: In(signed(32))
    shift: In(signed(6))
    out_zp: In(signed(8))
    act_min: In(signed(8))
    act_max: In(signed(8))
    o_valid: Out(1)
    out: Out(signed(8))

    def elaborate(self, platform):
        m = Module()

        # Stage 1: bias add and left shift (both wrap to 32 bits), saturation case, right shift.
        x = Signal(signed(32))
        m.d.comb += x.eq(self.acc + self.bias)
        left = Mux(self.shift > 0, self.shift.as_unsigned(), 0)[:5]
        xl = Signal(signed(32))
        m.d.comb += xl.eq((x << left)[:32])
        s1_xl = Signal(signed(32))
        s1_mult = Signal(signed(32))
        s1_sat = Signal()
        s1_right = Signal(range(33))
        s1_valid = Signal()
        s1_zp, s1_min, s1_max = (Signal(signed(8), name=f"s1_{n}") for n in ("zp", "min", "max"))
        m.d.sync += [
            s1_xl.eq(xl),
            s1_mult.eq(self.mult),
            s1_sat.eq((xl == _INT32_MIN) & (self.mult == _INT32_MIN)),
            s1_right.eq(Mux(self.shift < 0, -self.shift, 0)),
            s1_valid.eq(self.i_valid),
            s1_zp.eq(self.out_zp), s1_min.eq(self.act_min), s1_max.eq(self.act_max),
        ]

        # Stage 2: the 32 x 32 product.
        s2_ab = Signal(signed(64))
        s2_sat = Signal()
        s2_right = Signal(range(33))
        s2_valid = Signal()
        s2_zp, s2_min, s2_max = (Signal(signed(8), name=f"s2_{n}") for n in ("zp", "min", "max"))
        m.d.sync += [
            s2_ab.eq(s1_xl * s1_mult),
            s2_sat.eq(s1_sat), s2_right.eq(s1_right), s2_valid.eq(s1_valid),
            s2_zp.eq(s1_zp), s2_min.eq(s1_min), s2_max.eq(s1_max),
        ]

        # Stage 3: rounding high half (division by 2**31 truncating toward zero), rounding
        # right shift, output zero point and clamp.
        v = Signal(signed(66))
        m.d.comb += v.eq(s2_ab + Mux(s2_ab >= 0, 1 << 30, 1 - (1 << 30)))
        q = Signal(signed(66))
        m.d.comb += q.eq(Mux(v >= 0, v >> 31, (v + ((1 << 31) - 1)) >> 31))
        hm = Signal(signed(32))
        m.d.comb += hm.eq(Mux(s2_sat, _INT32_MAX, q[:32]))
        mask = Signal(unsigned(33))
        m.d.comb += mask.eq((Const(1, 34) << s2_right) - 1)
        rem = Signal(unsigned(33))
        m.d.comb += rem.eq(hm.as_unsigned() & mask)
        thr = Signal(unsigned(33))
        m.d.comb += thr.eq((mask >> 1) + (hm < 0))
        res = Signal(signed(34))
        m.d.comb += res.eq((hm >> s2_right) + (rem > thr))
        y = Signal(signed(35))
        m.d.comb += y.eq(res + s2_zp)
        lo = Signal(signed(35))
        m.d.comb += lo.eq(Mux(y < s2_min, s2_min, y))
        m.d.sync += [
            self.out.eq(Mux(lo > s2_max, s2_max, lo)),
            self.o_valid.eq(s2_valid),
        ]
        return m
