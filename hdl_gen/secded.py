"""Hsiao SECDED encoder and decoder, built from a :class:`golden_models.secded.SecdedCode`.

Both blocks read the parity-check matrix from ``code.columns`` and nothing else, so the RTL
implements exactly the code the golden model computes with.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_models.secded import SecdedCode

__all__ = ["SecdedDecoder", "SecdedEncoder"]


def _check_code(code) -> SecdedCode:
    if not isinstance(code, SecdedCode):
        raise TypeError(f"code must be a SecdedCode, not {code!r}")
    return code


def _row_bits(code: SecdedCode, j: int) -> list[int]:
    """Data bits in the parity of check bit ``j`` (row ``j`` of ``H``)."""
    return [i for i, column in enumerate(code.columns) if column >> j & 1]


class SecdedEncoder(wiring.Component):
    """Systematic SECDED encoder, combinational; bit-exact with ``SecdedCode.encode``.

    ``check[j]`` is the XOR of the data bits whose ``H`` column has bit ``j`` set;
    ``codeword`` is ``Cat(data, check)``: data at bits ``[0, data_width)``, check bits above.

    Parameters
    ----------
    code : SecdedCode

    Members
    -------
    data : In(code.data_width)
    check : Out(code.check_width)
    codeword : Out(code.code_width)

    Raises
    ------
    TypeError
        ``code`` is not a ``SecdedCode``.
    """

    def __init__(self, code: SecdedCode):
        self.code = _check_code(code)
        super().__init__({
            "data": In(code.data_width),
            "check": Out(code.check_width),
            "codeword": Out(code.code_width),
        })

    def elaborate(self, platform):
        m = Module()
        for j in range(self.code.check_width):
            m.d.comb += self.check[j].eq(Cat(self.data[i] for i in _row_bits(self.code, j)).xor())
        m.d.comb += self.codeword.eq(Cat(self.data, self.check))
        return m


class SecdedDecoder(wiring.Component):
    """SECDED decoder, combinational; bit-exact with ``SecdedCode.decode`` for every input.

    ``syndrome`` is ``H`` times ``codeword``. Then:

    * syndrome 0: ``data`` is the received data, no flag;
    * syndrome equal to the column of data bit ``i``: that bit is flipped in ``data`` and
      ``corrected`` is set;
    * syndrome equal to ``1 << j`` (check bit ``j`` in error): ``data`` is the received data,
      ``corrected`` is set;
    * any other syndrome (every double error, some errors of three or more bits):
      ``uncorrectable`` is set and ``data`` is the received data, uncorrected.

    ``corrected`` and ``uncorrectable`` are never both set.

    Parameters
    ----------
    code : SecdedCode

    Members
    -------
    codeword : In(code.code_width)
        Data at bits ``[0, data_width)``, check bits above.
    data : Out(code.data_width)
    corrected : Out(1)
        A single error (in a data or a check bit) was corrected.
    uncorrectable : Out(1)
        Non-zero syndrome naming no bit: the data is not to be trusted.
    syndrome : Out(code.check_width)

    Raises
    ------
    TypeError
        ``code`` is not a ``SecdedCode``.
    """

    def __init__(self, code: SecdedCode):
        self.code = _check_code(code)
        super().__init__({
            "codeword": In(code.code_width),
            "data": Out(code.data_width),
            "corrected": Out(1),
            "uncorrectable": Out(1),
            "syndrome": Out(code.check_width),
        })

    def elaborate(self, platform):
        code = self.code
        m = Module()
        raw = self.codeword[:code.data_width]
        for j in range(code.check_width):
            bits = [raw[i] for i in _row_bits(code, j)] + [self.codeword[code.data_width + j]]
            m.d.comb += self.syndrome[j].eq(Cat(bits).xor())
        # One comparator per data bit: the flip mask, and with the unit columns, "names a bit".
        flip = Signal(code.data_width)
        m.d.comb += flip.eq(Cat(self.syndrome == column for column in code.columns))
        check_hit = Cat(self.syndrome == 1 << j for j in range(code.check_width)).any()
        m.d.comb += [
            self.data.eq(raw ^ flip),
            self.corrected.eq(flip.any() | check_hit),
            self.uncorrectable.eq(self.syndrome.any() & ~flip.any() & ~check_hit),
        ]
        return m
