"""The GEMM tile's scratchpads: operand, channel-parameter and result memories, both sides."""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import TileConfig
from orbitbench.spec.regmap import REGION_SHIFT, Region

from .checks import silence_if_refused
from .ecc_mem import EccMemory
from .tile_signatures import DatapathPorts, Depths, EccReport, ScratchpadBus, log2

__all__ = ["Scratchpads", "memory_count"]

#: Regions whose banks are selected by the bank index of the last read (all but C).
_BANKED = (Region.A, Region.B, Region.BIAS, Region.MULT, Region.SHIFT)


def memory_count(config: TileConfig) -> int:
    """Memories of the scratchpads: ``rows`` A banks, ``cols`` each of B, BIAS, MULT, SHIFT,
    and the result memory."""
    return config.rows + 4 * config.cols + 1


def _byte_address(region: Region, word):
    """Bus byte address of word ``word`` (a Value) of ``region``."""
    return (int(region) << (REGION_SHIFT + 2)) + 4 * word


class _Port:
    """One memory and its read and write ports (each with ``addr``, ``data``, ``en``); with
    ECC the read data is the EccMemory's, holding its last valid value."""

    def __init__(self, name, memory, rd, wr):
        self.name, self.memory, self.rd, self.wr = name, memory, rd, wr


class Scratchpads(wiring.Component):
    """A and B operand banks, BIAS/MULT/SHIFT channel banks and the result memory C.

    * **Banking** (the bus map of :mod:`orbitbench.spec.regmap`): A row ``i`` lives in bank
      ``a_bank<i % rows>`` at words ``(i // rows) * max_k/4 ..``; B column ``n`` (B is stored
      transposed) in ``b_bank<n % cols>`` likewise; channel ``n`` of BIAS, MULT and SHIFT in
      word ``n // cols`` of ``bias_bank``/``mult_bank``/``shift_bank<n % cols>``; result row
      ``i``'s bytes ``n`` in row ``i * max_n/cols + n // cols`` of ``c_mem``, byte
      ``n % cols``. Without ECC each is an ``amaranth.lib.memory.Memory`` submodule of that
      name; with ECC an :class:`~hdl_gen.ecc_mem.EccMemory` (its storage is ``<name>.mem``).
      Memories are not reset.
    * **Bus side** (``bus``, :class:`ScratchpadBus`): a transfer is ``served`` in the cycle
      it is requested unless ``busy`` (then it waits until ``busy`` falls). With ECC, partial
      writes (A or B with ``sel != 0xF``; C unless ``sel == 0xF`` with ``cols == 4``) are
      read-modify-write and served one cycle later. ``rdata`` in the acknowledge cycle is the
      word read (0 beyond the region's capacity; SHIFT sign-extended); writes beyond it are
      ignored, C byte lanes follow ``sel``.
    * **Datapath side** (``dp``, :class:`DatapathPorts`): while ``busy`` the datapath owns
      every read port and the result write port. Read data arrives one cycle after the
      address and holds while ``ce`` is low (without ECC the ports are disabled then; with
      ECC the last valid data is held in ``<name>_rd_hold``).
    * **ECC** (``ecc``, ECC profiles only): this cycle's corrected / uncorrectable read
      events summed over the memories and the byte address of the last one;
      ``ecc.scrub_interval`` drives every scrubber.
    * **Activity** (combinational): ``bus_access`` is high when a served transfer addresses a
      word inside a scratchpad's capacity, ``bus_rmw`` in the first cycle of such a
      read-modify-write (:func:`hdl_gen.throttle.sram_accesses`).
    * **Simulation**: after elaboration ``memories`` maps each name to its memory
      (``Memory``, or ``EccMemory`` whose ``mem`` is the storage).

    Parameters
    ----------
    config : TileConfig

    Members
    -------
    bus : In(ScratchpadBus())
    dp : In(DatapathPorts(config))
    busy : In(1)
        A command runs: the datapath owns the ports and bus transfers stall.
    ce : In(1)
        The datapath advances this cycle.
    ecc : Out(EccReport(memory_count(config)))
        ECC profiles only.
    bus_access, bus_rmw : Out(1)

    Raises
    ------
    TypeError
        ``config`` is not a TileConfig.
    """

    @silence_if_refused
    def __init__(self, config: TileConfig):
        if not isinstance(config, TileConfig):
            raise TypeError(f"config must be a TileConfig, not {config!r}")
        self.config = config
        members = {"bus": In(ScratchpadBus()), "dp": In(DatapathPorts(config)),
                   "busy": In(1), "ce": In(1), "bus_access": Out(1), "bus_rmw": Out(1)}
        if config.ecc:
            members["ecc"] = Out(EccReport(memory_count(config)))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        self._ecc_mems = []  # (EccMemory, bus byte address of its logical word: function)
        banks = self._memories(m)
        self.memories = {port.name: port.memory for ports in banks.values() for port in ports}
        served, rmw_issue = self._transfer(m)
        rd_bank = Signal(range(max(self.config.rows, self.config.cols, 2)))
        rd_valid = Signal()
        rd_lane = Signal(range(max(self.config.cols // 4, 2)))
        reads = (rd_bank, rd_valid, rd_lane)
        wr, rd = served & self.bus.we, served & ~self.bus.we
        self._operand_banks(m, banks, wr, rd, rmw_issue, reads)
        self._channel_banks(m, banks, wr, rd, reads)
        c_in_range = self._result_memory(m, banks[Region.C][0], wr, rd, rmw_issue, reads)
        self._read_data(m, banks, reads)
        if self.config.ecc:
            self._ecc_report(m)
        self._activity(m, served, rmw_issue, c_in_range)
        return m

    # --- memories ----------------------------------------------------------------------
    def _memory(self, m, name, width, depth, granularity, bus_address) -> _Port:
        cfg = self.config
        if not cfg.ecc:
            mm = Memory(shape=width, depth=depth, init=[])
            m.submodules[name] = mm
            return _Port(name, mm, mm.read_port(), mm.write_port(granularity=granularity))
        em = EccMemory(width=width, depth=depth, interleave=cfg.ecc_interleave,
                       writeback=cfg.ecc_writeback, name=name)
        m.submodules[name] = em
        self._ecc_mems.append((em, bus_address))
        # rd_data is only valid the cycle after a read; a held datapath uses it later.
        hold = Signal(width, name=f"{name}_rd_hold")
        with m.If(em.rd_valid):
            m.d.sync += hold.eq(em.rd_data)
        data = Mux(em.rd_valid, em.rd_data, hold)
        return _Port(name, em, SimpleNamespace(addr=em.rd_addr, data=data, en=em.rd_en),
                     SimpleNamespace(addr=em.wr_addr, data=em.wr_data, en=em.wr_en))

    def _memories(self, m) -> dict[Region, list[_Port]]:
        cfg, d = self.config, Depths(self.config)
        R, C, kw = cfg.rows, cfg.cols, cfg.max_k // 4

        def operand_address(region, nbanks, bank):
            def f(a):
                row = ((a >> log2(kw)) << log2(nbanks)) | bank
                return _byte_address(region, Cat(a[:log2(kw)], row))
            return f

        def vec_address(region, bank):
            return lambda a: _byte_address(region, Cat(Const(bank, log2(C)), a))

        banks = {
            Region.A: [self._memory(m, f"a_bank{r}", 32, d.a, 8, operand_address(Region.A, R, r))
                       for r in range(R)],
            Region.B: [self._memory(m, f"b_bank{c}", 32, d.b, 8, operand_address(Region.B, C, c))
                       for c in range(C)],
        }
        for region, prefix, width in ((Region.BIAS, "bias", 32), (Region.MULT, "mult", 32),
                                      (Region.SHIFT, "shift", 6)):
            banks[region] = [self._memory(m, f"{prefix}_bank{c}", width, d.vec, None,
                                          vec_address(region, c)) for c in range(C)]
        banks[Region.C] = [self._memory(m, "c_mem", 8 * C, d.c, 8,
                                        lambda a: (int(Region.C) << (REGION_SHIFT + 2)) + C * a)]
        return banks

    # --- bus side ----------------------------------------------------------------------
    def _transfer(self, m):
        """(served, first cycle of a read-modify-write) of the requested transfer."""
        bus, busy = self.bus, self.busy
        if not self.config.ecc:
            served = Signal()
            m.d.comb += [served.eq(bus.req & ~busy), bus.served.eq(served)]
            return served, Const(0)
        # Partial writes into ECC words are read-modify-write: one extra cycle.
        rmw = Signal()
        whole = (bus.sel == 0xF) if self.config.cols == 4 else Const(0)
        partial = (bus.we & ((bus.region == Region.A) | (bus.region == Region.B))
                   & (bus.sel != 0xF)) | (bus.we & (bus.region == Region.C) & ~whole)
        rmw_issue = bus.req & ~busy & partial & ~rmw
        served = Signal()
        m.d.comb += [served.eq(bus.req & ~busy & (~partial | rmw)), bus.served.eq(served)]
        m.d.sync += rmw.eq(rmw_issue)
        return served, rmw_issue

    def _operand_banks(self, m, banks, bus_wr, bus_rd, rmw_issue, reads):
        cfg, bus, dp, busy = self.config, self.bus, self.dp, self.busy
        rd_bank, rd_valid, _ = reads
        kw, off = cfg.max_k // 4, bus.addr
        for rgn, words, dp_addr, dp_data in ((Region.A, cfg.a_words, dp.a_addr, dp.a_data),
                                             (Region.B, cfg.b_words, dp.b_addr, dp.b_data)):
            nb = len(banks[rgn])
            row = off >> log2(kw)
            bank = row[:log2(nb)] if nb > 1 else Const(0)
            addr = Cat(off[:log2(kw)], row >> log2(nb))
            in_range = off < words
            for idx, port in enumerate(banks[rgn]):
                rd, wr = port.rd, port.wr
                hit = (bus.region == rgn) & in_range & (bank == idx)
                m.d.comb += [rd.addr.eq(Mux(busy, dp_addr, addr)), dp_data[idx].eq(rd.data),
                             wr.addr.eq(addr)]
                if cfg.ecc:
                    merged = Cat(*[Mux(bus.sel[i], bus.wdata.word_select(i, 8),
                                       rd.data.word_select(i, 8)) for i in range(4)])
                    m.d.comb += [rd.en.eq(Mux(busy, dp.op_read, (bus_rd | rmw_issue) & hit)),
                                 wr.data.eq(merged), wr.en.eq(bus_wr & hit)]
                else:  # read data must hold while the datapath does
                    m.d.comb += [rd.en.eq(~busy | self.ce), wr.data.eq(bus.wdata),
                                 wr.en.eq(Mux(bus_wr & hit, bus.sel, 0))]
            with m.If(bus_rd & (bus.region == rgn)):
                m.d.sync += [rd_bank.eq(bank), rd_valid.eq(in_range)]

    def _channel_banks(self, m, banks, bus_wr, bus_rd, reads):
        cfg, bus, dp, busy, ce = self.config, self.bus, self.dp, self.busy, self.ce
        rd_bank, rd_valid, _ = reads
        off, nb = bus.addr, cfg.cols
        in_range, bank, addr = off < cfg.max_n, off[:log2(nb)], off >> log2(nb)
        for rgn, dp_data in ((Region.BIAS, dp.bias), (Region.MULT, dp.mult),
                             (Region.SHIFT, dp.shift)):
            for idx, port in enumerate(banks[rgn]):
                rd, wr = port.rd, port.wr
                hit = (bus.region == rgn) & in_range & (bank == idx)
                m.d.comb += [
                    rd.addr.eq(Mux(busy, dp.ch_addr, addr)),
                    dp_data[idx].eq(rd.data),
                    wr.addr.eq(addr), wr.data.eq(bus.wdata), wr.en.eq(bus_wr & hit),
                ]
                if cfg.ecc:  # read every datapath cycle: the drain uses the data directly
                    m.d.comb += rd.en.eq((busy & ce) | (bus_rd & hit))
                else:
                    m.d.comb += rd.en.eq(~busy | ce)
            with m.If(bus_rd & (bus.region == rgn)):
                m.d.sync += [rd_bank.eq(bank), rd_valid.eq(in_range)]

    def _result_memory(self, m, port, bus_wr, bus_rd, rmw_issue, reads):
        """Both sides of C; returns the bus word's in-range condition."""
        cfg, bus, dp, busy = self.config, self.bus, self.dp, self.busy
        _, rd_valid, rd_lane = reads
        c_rd, c_wr, off = port.rd, port.wr, bus.addr
        c_lanes = cfg.cols // 4
        c_in_range = off < cfg.c_words
        c_lane = off[:log2(c_lanes)] if c_lanes > 1 else Const(0)
        c_addr = off >> log2(c_lanes)
        with m.If(bus_rd & (bus.region == Region.C)):
            m.d.sync += [rd_lane.eq(c_lane), rd_valid.eq(c_in_range)]
        c_hit = (bus.region == Region.C) & c_in_range
        lane_en = Signal(cfg.cols)
        m.d.comb += lane_en.eq(Mux((bus_wr | rmw_issue) & c_hit, bus.sel << (4 * c_lane), 0))
        bus_bytes = bus.wdata.replicate(c_lanes)
        if not cfg.ecc:
            m.d.comb += c_rd.addr.eq(c_addr)
            m.d.comb += [c_wr.addr.eq(Mux(busy, dp.c_wr_addr, c_addr)),
                         c_wr.data.eq(Mux(busy, dp.c_wr_data, bus_bytes)),
                         c_wr.en.eq(Mux(busy, dp.c_wr_en, lane_en))]
            return c_in_range
        # ECC words are written whole: the bus merges its bytes into the word it read in the
        # first cycle of its read-modify-write (the datapath merges its own).
        bus_word = Cat(*[Mux(lane_en[i], bus_bytes.word_select(i, 8),
                             c_rd.data.word_select(i, 8)) for i in range(cfg.cols)])
        m.d.comb += [
            dp.c_rd_data.eq(c_rd.data),
            c_rd.addr.eq(Mux(busy, dp.c_rd_addr, c_addr)),
            c_rd.en.eq(Mux(busy, dp.c_rd_en, (bus_rd | rmw_issue) & c_hit)),
            c_wr.addr.eq(Mux(busy, dp.c_wr_addr, c_addr)),
            c_wr.data.eq(Mux(busy, dp.c_wr_data, bus_word)),
            c_wr.en.eq(Mux(busy, dp.c_wr_en.any(), bus_wr & c_hit)),
        ]
        return c_in_range

    def _read_data(self, m, banks, reads):
        """``bus.rdata`` in the acknowledge cycle, from the bank/lane of the last read."""
        rd_bank, rd_valid, rd_lane = reads

        def pick(ports):
            value = Signal(32)
            with m.Switch(rd_bank):
                for idx, port in enumerate(ports):
                    data = port.rd.data
                    with m.Case(idx):
                        m.d.comb += value.eq(data.as_signed() if len(data) < 32 else data)
            return value

        c_data = banks[Region.C][0].rd.data
        c_word = Signal(32)
        with m.Switch(rd_lane):
            for ln in range(self.config.cols // 4):
                with m.Case(ln):
                    m.d.comb += c_word.eq(c_data[32 * ln:32 * (ln + 1)])
        words = {rgn: pick(banks[rgn]) for rgn in _BANKED}
        with m.Switch(self.bus.ack_region):
            for rgn, word in (*words.items(), (Region.C, c_word)):
                with m.Case(rgn):
                    m.d.comb += self.bus.rdata.eq(Mux(rd_valid, word, 0))

    # --- ECC and activity -----------------------------------------------------------
    def _ecc_report(self, m):
        ecc, mems = self.ecc, self._ecc_mems
        m.d.comb += [
            ecc.corrected.eq(sum(em.ev_corrected for em, _ in mems)),
            ecc.uncorrectable.eq(sum(em.ev_uncorrectable for em, _ in mems)),
        ]
        for em, bus_address in mems:
            m.d.comb += em.scrub_interval.eq(ecc.scrub_interval)
            with m.If(em.ev_corrected | em.ev_uncorrectable):  # the last memory wins
                m.d.comb += [ecc.event.eq(1), ecc.event_addr.eq(bus_address(em.ev_addr))]

    def _activity(self, m, served, rmw_issue, c_in_range):
        cfg, region, off = self.config, self.bus.region, self.bus.addr
        mem_hit = Mux(region == Region.A, off < cfg.a_words, 0) | Mux(
            region == Region.B, off < cfg.b_words, 0) | Mux(
            (region >= Region.BIAS) & (region <= Region.SHIFT), off < cfg.max_n, 0) | Mux(
            region == Region.C, c_in_range, 0)
        m.d.comb += [self.bus_access.eq(served & mem_hit), self.bus_rmw.eq(rmw_issue & mem_hit)]

