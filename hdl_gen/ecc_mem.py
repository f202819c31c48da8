"""SECDED-protected memory: bit-interleaved storage, corrected reads, writeback and a scrubber.

The code is the Hsiao code of :class:`golden_models.secded.SecdedCode`; the encoder and the
decoder are :mod:`hdl_gen.secded`, so the stored words are exactly what the golden model
encodes and the read data is exactly what it decodes.
"""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from golden_models.secded import DATA_WIDTH_MAX, DATA_WIDTH_MIN, SecdedCode

from .secded import SecdedDecoder, SecdedEncoder

__all__ = ["EccMemory"]

INTERLEAVES = (1, 2, 4, 8)
_COUNT_MAX = (1 << 32) - 1


def _check_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")


class EccMemory(wiring.Component):
    """SECDED-protected memory of ``depth`` words of ``width`` bits; read latency 1 cycle.

    * **Write**: ``wr_en`` stores ``wr_data`` (a full logical word, encoded) at ``wr_addr`` at
      the clock edge. Only that word's bits are written; its row neighbours are untouched.
    * **Read**: ``rd_en`` with ``rd_addr`` gives ``rd_valid`` one cycle later, with
      ``rd_data`` (corrected data), ``rd_corrected`` and ``rd_uncorrectable`` valid in that
      cycle (the flags are 0 whenever ``rd_valid`` is 0; ``rd_data`` is not held and means
      nothing without ``rd_valid``). A single error (data or check bit) is corrected and
      flagged ``rd_corrected``; a double error is flagged ``rd_uncorrectable`` and ``rd_data``
      is then the raw stored data bits, uncorrected. The two flags are never both set. A read
      in the same cycle as a write to the same word returns the new word (write-first).
    * **Writeback** (``writeback=True``): a functional read that corrects an error also
      writes the re-encoded corrected word back. Uncorrectable words are never written back.
    * **Scrub**: with ``scrub_interval = N > 0`` the scrubber reads the next word (addresses
      ``0 .. depth-1``, wrapping; the position survives ``N = 0``) once every ``N`` cycles,
      at the first cycle where ``rd_en`` is low and it is due (functional reads win; a busy
      read port stalls the scrubber and the interval restarts after the late read). A
      corrected scrub read is always written back. With the read and write ports idle, every
      word is read within ``depth * N`` cycles of setting ``N`` and repaired in storage two
      cycles after its read, so within ``depth * N + 2`` cycles. ``N = 0`` disables it.
    * **Writeback arbitration** (read or scrub): the corrected word is written in the first
      cycle with ``wr_en`` low, from the second cycle after the read on. Functional writes
      always win: a write to the same word in the cycle after the read or while the writeback
      waits drops it (the new data stands). One writeback waits at a time; an error corrected
      while another writeback waits behind ``wr_en`` is reported but not written back (the
      next read or scrub pass finds it again), and the scrubber does not start a read while a
      writeback waits behind ``wr_en``.
    * **Events**: ``ev_corrected`` / ``ev_uncorrectable`` pulse for one cycle (the cycle
      after the read) for every functional *and* scrub read that corrected / could not
      correct, with the logical address on ``ev_addr``. A word read again before its
      writeback lands counts again: the counters count erroneous reads, not distinct upsets.
    * **Counters**: ``corrected_count`` and ``uncorrectable_count`` count the pulses
      (updated one cycle after the pulse) and saturate at ``2**32 - 1``;
      ``last_error_addr`` is ``ev_addr`` of the latest pulse. ``clear_counts`` zeroes all
      three at the edge; a pulse in the same cycle is not lost (counts as 1 after the clear).

    Physical layout: ``interleave = I`` logical codewords share one physical row of
    ``code_width * I`` bits. Logical address ``a`` lives in row ``a // I``, slot
    ``s = a % I``; bit ``j`` of its codeword (data bits ``0 .. width-1``, then check bits, as
    ``SecdedCode.encode``) is physical bit ``j * I + s``, so physically adjacent bits belong
    to different codewords and an upset of up to ``I`` adjacent bits in a row is at most one
    error per codeword. The storage is the submodule ``mem`` (also attribute ``mem``), an
    ``amaranth.lib.memory.Memory`` of ``ceil(depth / I)`` rows, all zero at reset (the zero
    word is the codeword of data 0); in simulation a row is ``dut.mem.data[row]``.
    ``bit_location(addr, bit)`` gives ``(row, physical bit)`` of a codeword bit.

    Addresses at or above ``depth`` must not be driven (undefined).

    Parameters
    ----------
    width : int
        Data bits per logical word, 4 to 128.
    depth : int
        Logical words, at least 1.
    interleave : int
        Codewords per physical row: 1, 2, 4 or 8.
    writeback : bool
        Write corrected words found by functional reads back.
    name : str or None
        Prefix of the internal signal names (waveforms, fault sites).

    Members
    -------
    rd_addr : In(range(depth))
    rd_en : In(1)
    rd_valid : Out(1)
    rd_data : Out(width)
    rd_corrected, rd_uncorrectable : Out(1)
    wr_addr : In(range(depth))
    wr_data : In(width)
    wr_en : In(1)
    scrub_interval : In(32)
    ev_corrected, ev_uncorrectable : Out(1)
    ev_addr : Out(range(depth))
    corrected_count, uncorrectable_count : Out(32)
    last_error_addr : Out(range(depth))
    clear_counts : In(1)

    Raises
    ------
    TypeError
        ``width``, ``depth`` or ``interleave`` is not an integer (bools are rejected),
        ``writeback`` is not a bool, ``name`` is neither a str nor None.
    ValueError
        ``width``, ``depth`` or ``interleave`` is out of range.
    """

    def __init__(self, *, width, depth, interleave=1, writeback=True, name=None):
        _check_int("width", width)
        if not DATA_WIDTH_MIN <= width <= DATA_WIDTH_MAX:
            raise ValueError(f"width must be an integer from {DATA_WIDTH_MIN} to "
                             f"{DATA_WIDTH_MAX}, not {width!r}")
        _check_int("depth", depth)
        if depth < 1:
            raise ValueError(f"depth must be an integer of at least 1, not {depth!r}")
        _check_int("interleave", interleave)
        if interleave not in INTERLEAVES:
            raise ValueError(f"interleave must be 1, 2, 4 or 8, not {interleave!r}")
        if not isinstance(writeback, bool):
            raise TypeError(f"writeback must be a bool, not {writeback!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, not {name!r}")

        self.width, self.depth, self.interleave = width, depth, interleave
        self.writeback, self.name = writeback, name
        self.code = SecdedCode(width)
        self.rows = -(-depth // interleave)
        super().__init__({
            "rd_addr": In(range(depth)),
            "rd_en": In(1),
            "rd_valid": Out(1),
            "rd_data": Out(width),
            "rd_corrected": Out(1),
            "rd_uncorrectable": Out(1),
            "wr_addr": In(range(depth)),
            "wr_data": In(width),
            "wr_en": In(1),
            "scrub_interval": In(32),
            "ev_corrected": Out(1),
            "ev_uncorrectable": Out(1),
            "ev_addr": Out(range(depth)),
            "corrected_count": Out(32),
            "uncorrectable_count": Out(32),
            "last_error_addr": Out(range(depth)),
            "clear_counts": In(1),
        })
        # Built here, not in elaborate: ports must exist before the memory is elaborated,
        # and tests reach the contents through ``mem.data`` before simulation starts.
        self.mem = Memory(shape=self.code.code_width * interleave, depth=self.rows, init=[])
        self._wr = self.mem.write_port(granularity=1)
        self._rd = self.mem.read_port(transparent_for=(self._wr,))

    def bit_location(self, addr: int, bit: int) -> tuple[int, int]:
        """``(row, physical bit)`` holding codeword bit ``bit`` of logical word ``addr``."""
        if not 0 <= addr < self.depth:
            raise ValueError(f"addr must be from 0 to {self.depth - 1}, not {addr!r}")
        if not 0 <= bit < self.code.code_width:
            raise ValueError(f"bit must be from 0 to {self.code.code_width - 1}, not {bit!r}")
        return addr // self.interleave, bit * self.interleave + addr % self.interleave

    def elaborate(self, platform):
        code, n_slots, cw_bits = self.code, self.interleave, self.code.code_width
        slot_bits = n_slots.bit_length() - 1
        prefix = f"{self.name}_" if self.name else ""

        def sig(shape, name):
            return Signal(shape, name=prefix + name)

        def slot_of(addr):
            return addr[:slot_bits]

        m = Module()
        m.submodules.mem = self.mem
        m.submodules.encoder = enc = SecdedEncoder(code)
        m.submodules.decoder = dec = SecdedDecoder(code)
        rd, wr = self._rd, self._wr

        # --- Scrubber state and writeback buffer ------------------------------------------
        scrub_addr = sig(range(self.depth), "scrub_addr")
        scrub_timer = sig(32, "scrub_timer")
        scrub_issue = sig(1, "scrub_issue")
        wb_pending = sig(1, "wb_pending")
        wb_addr = sig(range(self.depth), "wb_addr")
        wb_data = sig(self.width, "wb_data")

        # --- Read issue: functional reads win over the scrubber ---------------------------
        interval = self.scrub_interval
        due = (interval != 0) & (scrub_timer + 1 >= interval)
        m.d.comb += scrub_issue.eq(due & ~self.rd_en & ~(wb_pending & self.wr_en))
        with m.If(interval == 0):
            m.d.sync += scrub_timer.eq(0)
        with m.Elif(scrub_issue):
            m.d.sync += [
                scrub_timer.eq(0),
                scrub_addr.eq(Mux(scrub_addr == self.depth - 1, 0, scrub_addr + 1)),
            ]
        with m.Elif(~due):
            m.d.sync += scrub_timer.eq(scrub_timer + 1)

        issue_addr = Mux(self.rd_en, self.rd_addr, scrub_addr)
        m.d.comb += [rd.addr.eq(issue_addr >> slot_bits), rd.en.eq(self.rd_en | scrub_issue)]
        r_scrub = sig(1, "r_scrub")
        r_addr = sig(range(self.depth), "r_addr")
        m.d.sync += [self.rd_valid.eq(self.rd_en), r_scrub.eq(scrub_issue),
                     r_addr.eq(issue_addr)]

        # --- Decode (the cycle after the read) --------------------------------------------
        lanes = [Cat(rd.data[j * n_slots + s] for j in range(cw_bits)) for s in range(n_slots)]
        if n_slots == 1:
            m.d.comb += dec.codeword.eq(lanes[0])
        else:
            with m.Switch(slot_of(r_addr)):
                for s, lane in enumerate(lanes):
                    with m.Case(s):
                        m.d.comb += dec.codeword.eq(lane)
        r_any = self.rd_valid | r_scrub
        m.d.comb += [
            self.rd_data.eq(dec.data),
            self.rd_corrected.eq(self.rd_valid & dec.corrected),
            self.rd_uncorrectable.eq(self.rd_valid & dec.uncorrectable),
            self.ev_corrected.eq(r_any & dec.corrected),
            self.ev_uncorrectable.eq(r_any & dec.uncorrectable),
            self.ev_addr.eq(r_addr),
        ]

        # --- Writeback buffer: functional writes win and cancel a write to their word -----
        wants_wb = r_scrub | (self.rd_valid if self.writeback else 0)
        candidate = (self.ev_corrected & wants_wb
                     & ~(self.wr_en & (self.wr_addr == r_addr)))
        wb_fire = wb_pending & ~self.wr_en
        wb_cancel = wb_pending & self.wr_en & (self.wr_addr == wb_addr)
        with m.If(candidate & (~wb_pending | wb_fire | wb_cancel)):
            m.d.sync += [wb_pending.eq(1), wb_addr.eq(r_addr), wb_data.eq(dec.data)]
        with m.Elif(wb_fire | wb_cancel):
            m.d.sync += wb_pending.eq(0)

        # --- Write port: one encoder for functional writes and writebacks -----------------
        w_addr = Mux(self.wr_en, self.wr_addr, wb_addr)
        w_active = self.wr_en | wb_pending
        m.d.comb += enc.data.eq(Mux(self.wr_en, self.wr_data, wb_data))
        slot_en = [w_active & (slot_of(w_addr) == s) for s in range(n_slots)]
        m.d.comb += [
            wr.addr.eq(w_addr >> slot_bits),
            wr.data.eq(Cat(enc.codeword[j] for j in range(cw_bits) for _ in range(n_slots))),
            wr.en.eq(Cat(slot_en[p % n_slots] for p in range(cw_bits * n_slots))),
        ]

        # --- Counters ---------------------------------------------------------------------
        ev_any = self.ev_corrected | self.ev_uncorrectable
        counters = ((self.corrected_count, self.ev_corrected),
                    (self.uncorrectable_count, self.ev_uncorrectable))
        with m.If(self.clear_counts):
            m.d.sync += [count.eq(ev) for count, ev in counters]
            m.d.sync += self.last_error_addr.eq(Mux(ev_any, r_addr, 0))
        with m.Else():
            for count, ev in counters:
                with m.If(ev & (count != _COUNT_MAX)):
                    m.d.sync += count.eq(count + 1)
            with m.If(ev_any):
                m.d.sync += self.last_error_addr.eq(r_addr)
        return m
