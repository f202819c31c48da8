"""TFLite/gemmlowp int8 requantization, one output channel per lane."""

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import ROUNDINGS

__all__ = ["Requantizer"]

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1


class Requantizer(wiring.Component):
    """Pipelined int32 -> int8 requantizer, bit-exact with ``golden_models.requantize``.

    ``out = clamp(MultiplyByQuantizedMultiplier(wrap32(acc + bias), mult, shift) + out_zp,
    act_min, act_max)``. ``acc + bias`` wraps to 32 bits; the output zero point is added
    exactly; the clamp is ``min(max(y, act_min), act_max)``, so an empty range
    (``act_min > act_max``) yields ``act_max``. MultiplyByQuantizedMultiplier is TFLite's in
    one of its two builds (:data:`orbitbench.spec.params.ROUNDINGS`):

    * ``"double"``: gemmlowp's SaturatingRoundingDoubleHighMul then RoundingDivideByPowerOfTwo,
      ``x << max(shift, 0)`` wrapping to 32 bits;
    * ``"single"``: ``TFLITE_SINGLE_ROUNDING``, ``(x * mult + 2**(30 - shift)) >> (31 - shift)``
      on the exact 64-bit product (ties toward +inf), low 32 bits.

    Fully pipelined: one result per cycle, ``LATENCY`` cycles from ``i_valid`` to
    ``o_valid``, in every rounding. All inputs are sampled in the ``i_valid`` cycle.

    Parameters
    ----------
    rounding : str
        ``"double"`` (the default) or ``"single"``: the lane implements that rounding only;
        ``"selectable"``: both, chosen per result by the ``single`` input.

    Members
    -------
    single : In(1)
        Only with ``rounding="selectable"``: 1 selects single rounding for this input.
    i_valid : In(1)
    acc, bias, mult : In(signed(32))
    shift : In(signed(6))
        -32..31; TFLite uses -31..30.
    out_zp, act_min, act_max : In(signed(8))
    o_valid : Out(1)
    out : Out(signed(8))
    """

    LATENCY = 3

    def __init__(self, rounding: str = "double"):
        if rounding not in (*ROUNDINGS, "selectable"):
            raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)} or selectable, "
                             f"not {rounding!r}")
        self.rounding = rounding
        ports = {"i_valid": In(1), "acc": In(signed(32)), "bias": In(signed(32)),
                 "mult": In(signed(32)), "shift": In(signed(6)), "out_zp": In(signed(8)),
                 "act_min": In(signed(8)), "act_max": In(signed(8)), "o_valid": Out(1),
                 "out": Out(signed(8))}
        if rounding == "selectable":
            ports = {"single": In(1), **ports}
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        if self.rounding == "double":
            return self._double(m)
        return self._with_single(m)

    def _double(self, m: Module) -> Module:
        """gemmlowp double rounding only (the generated Verilog of every tile before the
        rounding parameter existed)."""

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

    def _with_single(self, m: Module) -> Module:
        """Single rounding, or both selected per input by ``single``."""
        single = Const(1) if self.rounding == "single" else self.single

        # Stage 1: bias add; the double path's left shift (wraps); the shift amounts.
        x = Signal(signed(32))
        m.d.comb += x.eq(self.acc + self.bias)
        left = Mux(self.shift > 0, self.shift.as_unsigned(), 0)[:5]
        xl = Signal(signed(32))
        m.d.comb += xl.eq((x << left)[:32])
        s1_x = Signal(signed(32))
        s1_mult = Signal(signed(32))
        s1_sat, s1_single, s1_valid = Signal(), Signal(), Signal()
        s1_right = Signal(range(33))
        s1_t = Signal(range(64))  # single rounding: 31 - shift, 0..63
        s1_zp, s1_min, s1_max = (Signal(signed(8), name=f"s1_{n}") for n in ("zp", "min", "max"))
        m.d.sync += [
            s1_x.eq(Mux(single, x, xl)),
            s1_mult.eq(self.mult),
            s1_sat.eq(~single & (xl == _INT32_MIN) & (self.mult == _INT32_MIN)),
            s1_single.eq(single),
            s1_right.eq(Mux(self.shift < 0, -self.shift, 0)),
            s1_t.eq(31 - self.shift),
            s1_valid.eq(self.i_valid),
            s1_zp.eq(self.out_zp), s1_min.eq(self.act_min), s1_max.eq(self.act_max),
        ]

        # Stage 2: the 32 x 32 product.
        s2_ab = Signal(signed(64))
        s2_sat, s2_single, s2_valid = Signal(), Signal(), Signal()
        s2_right = Signal(range(33))
        s2_t = Signal(range(64))
        s2_zp, s2_min, s2_max = (Signal(signed(8), name=f"s2_{n}") for n in ("zp", "min", "max"))
        m.d.sync += [
            s2_ab.eq(s1_x * s1_mult),
            s2_sat.eq(s1_sat), s2_single.eq(s1_single), s2_right.eq(s1_right), s2_t.eq(s1_t),
            s2_valid.eq(s1_valid),
            s2_zp.eq(s1_zp), s2_min.eq(s1_min), s2_max.eq(s1_max),
        ]

        # Stage 3, double: rounding high half, rounding right shift (as _double).
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
        res_double = Signal(signed(34))
        m.d.comb += res_double.eq((hm >> s2_right) + (rem > thr))
        # Stage 3, single: (ab + 2**(t-1)) >> t on the exact product (no term at t = 0), low
        # 32 bits. 66 bits: ab + 2**62 can exceed the int64 range.
        half = Signal(signed(66))
        m.d.comb += half.eq(Mux(s2_t == 0, 0, (Const(1, 66) << s2_t) >> 1))
        wide = Signal(signed(66))
        m.d.comb += wide.eq((s2_ab + half) >> s2_t)
        res_single = Signal(signed(32))
        m.d.comb += res_single.eq(wide[:32])
        # Output zero point and clamp.
        y = Signal(signed(35))
        m.d.comb += y.eq(Mux(s2_single, res_single, res_double) + s2_zp)
        lo = Signal(signed(35))
        m.d.comb += lo.eq(Mux(y < s2_min, s2_min, y))
        m.d.sync += [
            self.out.eq(Mux(lo > s2_max, s2_max, lo)),
            self.o_valid.eq(s2_valid),
        ]
        return m
