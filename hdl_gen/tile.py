"""The int8 GEMM tile: systolic array, scratchpads, requantization, controller, registers."""

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, EnableInserter, Module, Mux, Signal, signed
from amaranth.lib import enum, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from golden_models.throttle import ThrottleParams
from orbitbench.spec.params import HARDENING_PROFILES, TileConfig
from orbitbench.spec.regmap import ADDR_WIDTH, REGION_SHIFT, THERM_REGS, TILE_ID, Reg, Region

from .checks import silence_if_refused
from .ecc_mem import EccMemory
from .requant import Requantizer
from .systolic import SystolicArray
from .throttle import TILE_PORTS, sram_accesses, tile_throttle
from .tmr import StateRegisters
from .wishbone import WishboneSignature

__all__ = ["GemmTile", "Ctrl"]


class Ctrl(enum.Enum, shape=3):
    """Controller states (see the README's FSM diagram)."""

    IDLE = 0
    CLEAR = 1
    FEED = 2
    WAIT = 3
    DRAIN = 4
    FLUSH = 5


def _log2(x: int) -> int:
    return x.bit_length() - 1


class GemmTile(wiring.Component):
    """``C[MxN] = requant(A[MxK] . B[KxN] + bias)`` on a ``rows`` x ``cols`` systolic array.

    Software loads the scratchpads and the command registers over ``bus`` (address and
    register map in :mod:`orbitbench.spec.regmap`), writes CTRL.START and waits for STATUS.DONE or
    ``irq``. The controller tiles the output into ``rows`` x ``cols`` blocks (row blocks
    outer, column blocks inner); for each block it clears the accumulators, streams all K
    steps through the array (one step per cycle), waits for the wavefront to drain, then
    requantizes one array row per cycle into the result scratchpad. Only ``C[i][n]`` with
    ``i < M`` and ``n < N`` are written; the rest of the result scratchpad keeps its contents.

    Datapath cycles per command: ``W = ceil(M/rows) * ceil(N/cols) * (K + rows + cols + 1)
    + Requantizer.LATENCY + 1``; a command with M, K or N of 0 or above capacity sets
    STATUS.ERROR and STATUS.DONE in one cycle and writes nothing.

    Thermal throttling (:mod:`hdl_gen.throttle`, rule in :mod:`golden_models.throttle`): the
    compute datapath (FSM, counters, operand pipeline, array, requantizers, its scratchpad
    reads and result writes) advances only in busy cycles ``t`` (0 = the first) with
    ``t % 4 >= level`` (never at level 4); results are bit-exact whatever the pattern and
    CYCLES counts wall cycles: the smallest count holding ``W`` advancing cycles.

    Parameters
    ----------
    config : TileConfig
    throttle : ThrottleParams, optional
        Reset values of the THERM_* registers (default :class:`ThrottleParams()`).

    Members
    -------
    bus : In(WishboneSignature(addr_width=21))
        Register and scratchpad access; scratchpad transfers stall while busy.
    irq : Out(1)
        ``STATUS.DONE & IRQ_ENABLE[0]``, level-sensitive.
    busy : Out(1)
        STATUS.BUSY, for observation.
    therm_code : In(12), therm_sample : In(1)
        Sensor reading (``degC = code / 8 - 64``), one decision per cycle with ``therm_sample``
        high; tied low, the tile never throttles.
    throttle_level : Out(3), dvfs_level : Out(2)
        0 full speed, 1..3 throttled, 4 critical shutdown; ``min(throttle_level, 3)``.
    act_feed, act_sram : Out(32)
        Wrapping counts of operand steps consumed by the array and of scratchpad word
        accesses (:func:`hdl_gen.throttle.sram_accesses`).
    """

    @silence_if_refused
    def __init__(self, config: TileConfig, *, throttle: ThrottleParams | None = None):
        if not isinstance(config, TileConfig):
            raise TypeError(f"config must be a TileConfig, not {config!r}")
        throttle = ThrottleParams() if throttle is None else throttle
        if not isinstance(throttle, ThrottleParams):
            raise TypeError(f"throttle must be a ThrottleParams, not {throttle!r}")
        self.config, self.throttle = config, throttle
        super().__init__({
            "bus": In(WishboneSignature(addr_width=ADDR_WIDTH)),
            "irq": Out(1),
            "busy": Out(1),
            **TILE_PORTS,
        })

    def elaborate(self, platform):
        cfg = self.config
        R, C = cfg.rows, cfg.cols
        kw = cfg.max_k // 4  # 32-bit words per A row / B column
        m = Module()

        # The throttle controller, its state in this module (bank "therm", triplicated in
        # the tmr profiles); ce is the datapath clock enable it duty-cycles.
        bus = self.bus
        reg_idx = bus.adr[:REGION_SHIFT]
        reg_write = Signal()
        therm, therm_regs = tile_throttle(m, self, self.throttle, tmr=cfg.tmr, reg_idx=reg_idx,
                                          reg_write=reg_write, reg_wdata=bus.dat_w)
        ce = therm.ce
        array = SystolicArray(R, C)
        m.submodules.array = EnableInserter(ce)(array)
        lanes = [Requantizer() for _ in range(C)]
        for c, lane in enumerate(lanes):
            m.submodules[f"requant_{c}"] = EnableInserter(ce)(lane)

        # --- Scratchpads ---------------------------------------------------------------
        # ECC profiles: every scratchpad is an EccMemory (full-word writes only; the bus does
        # read-modify-write for partial writes and the drain merges masked columns).
        ecc_mems = []  # (EccMemory, bus byte address of its logical word: function)

        def mem(name, width, depth, granularity=None, bus_addr=None):
            if not cfg.ecc:
                mm = Memory(shape=width, depth=depth, init=[])
                m.submodules[name] = mm
                return mm, mm.read_port(), mm.write_port(granularity=granularity)
            em = EccMemory(width=width, depth=depth, interleave=cfg.ecc_interleave,
                           writeback=cfg.ecc_writeback, name=name)
            m.submodules[name] = em
            ecc_mems.append((em, bus_addr))
            # rd_data is only valid the cycle after a read; a held datapath uses it later.
            hold = Signal(width, name=f"{name}_rd_hold")
            with m.If(em.rd_valid):
                m.d.sync += hold.eq(em.rd_data)
            data = Mux(em.rd_valid, em.rd_data, hold)
            return (em, SimpleNamespace(addr=em.rd_addr, data=data, en=em.rd_en),
                    SimpleNamespace(addr=em.wr_addr, data=em.wr_data, en=em.wr_en))

        def a_addr(region, nbanks, bank):
            """Bus byte address of word ``a`` of operand bank ``bank`` (A or B layout)."""
            def f(a):
                row = ((a >> _log2(kw)) << _log2(nbanks)) | bank
                return (int(region) << (REGION_SHIFT + 2)) + 4 * Cat(a[:_log2(kw)], row)
            return f

        def vec_addr(region, bank):
            return lambda a: (int(region) << (REGION_SHIFT + 2)) + 4 * Cat(Const(bank, _log2(C)), a)

        a_banks = [mem(f"a_bank{r}", 32, (cfg.max_m // R) * kw, 8, a_addr(Region.A, R, r))
                   for r in range(R)]
        b_banks = [mem(f"b_bank{c}", 32, (cfg.max_n // C) * kw, 8, a_addr(Region.B, C, c))
                   for c in range(C)]
        bias_banks = [mem(f"bias_bank{c}", 32, cfg.max_n // C, None, vec_addr(Region.BIAS, c))
                      for c in range(C)]
        mult_banks = [mem(f"mult_bank{c}", 32, cfg.max_n // C, None, vec_addr(Region.MULT, c))
                      for c in range(C)]
        shift_banks = [mem(f"shift_bank{c}", 6, cfg.max_n // C, None,
                           vec_addr(Region.SHIFT, c)) for c in range(C)]
        c_mem, c_rd, c_wr = mem("c_mem", 8 * C, cfg.max_m * cfg.max_n // C, 8,
                                lambda a: (int(Region.C) << (REGION_SHIFT + 2)) + C * a)

        # --- State registers: controller and command (triplicated in the tmr profile) ----
        regs = StateRegisters(m, tmr=cfg.tmr, name="")
        BUSY, DONE, ERROR = (regs.add(1, name=n) for n in ("busy", "done", "error"))
        IRQ_EN = regs.add(2 if cfg.ecc else 1, name="irq_en")
        REG_M, REG_K, REG_N = (regs.add(16, name=f"reg_{x}") for x in "mkn")
        A_ZP, B_ZP, OUT_ZP = (regs.add(signed(8), name=n) for n in ("a_zp", "b_zp", "out_zp"))
        ACT_MIN = regs.add(signed(8), init=-128, name="act_min")
        ACT_MAX = regs.add(signed(8), init=127, name="act_max")
        PER_CHANNEL = regs.add(1, name="per_channel")
        QMULT = regs.add(signed(32), init=1 << 30, name="qmult")
        QSHIFT = regs.add(signed(6), name="qshift")
        CYCLES = regs.add(32, name="cycles")
        STATE = regs.add(Ctrl, init=Ctrl.IDLE, name="ctrl_state")
        IB = regs.add(range(cfg.max_m // R + 1), name="ib")  # row block
        JB = regs.add(range(cfg.max_n // C + 1), name="jb")  # column block
        K = regs.add(range(cfg.max_k + 1), name="k")
        WAIT = regs.add(range(R + C + 1), name="wait")
        DRAIN = regs.add(range(R + 1), name="drain")
        busy, done, error, irq_en = BUSY.q, DONE.q, ERROR.q, IRQ_EN.q
        reg_m, reg_k, reg_n = REG_M.q, REG_K.q, REG_N.q
        a_zp, b_zp, out_zp = A_ZP.q, B_ZP.q, OUT_ZP.q
        act_min, act_max, per_channel = ACT_MIN.q, ACT_MAX.q, PER_CHANNEL.q
        qmult, qshift, cycles = QMULT.q, QSHIFT.q, CYCLES.q
        ib, jb, k, wait, drain = IB.q, JB.q, K.q, WAIT.q, DRAIN.q
        m.d.comb += self.busy.eq(busy)
        ecc_regs = []  # (Reg, value) readable in ECC profiles
        ecc_ue = Signal()  # sticky: an uncorrectable scratchpad read
        if cfg.ecc:
            SCRUB = regs.add(32, name="scrub_interval")
            ecc_corrected, ecc_uncorrectable = Signal(32), Signal(32)
            ecc_last = Signal(32)

            def saturating(counter, events):
                total = counter + sum(events)
                return Mux(total > 0xFFFF_FFFF, 0xFFFF_FFFF, total)

            for em, _ in ecc_mems:
                m.d.comb += em.scrub_interval.eq(SCRUB.q)
            m.d.sync += [
                ecc_corrected.eq(saturating(ecc_corrected,
                                            [em.ev_corrected for em, _ in ecc_mems])),
                ecc_uncorrectable.eq(saturating(ecc_uncorrectable,
                                                [em.ev_uncorrectable for em, _ in ecc_mems])),
            ]
            for em, bus_address in ecc_mems:
                with m.If(em.ev_corrected | em.ev_uncorrectable):
                    m.d.sync += ecc_last.eq(bus_address(em.ev_addr))
                with m.If(em.ev_uncorrectable):
                    m.d.sync += ecc_ue.eq(1)
            ecc_regs = [(Reg.ECC_CORRECTED, ecc_corrected),
                        (Reg.ECC_UNCORRECTABLE, ecc_uncorrectable),
                        (Reg.ECC_LAST_ADDR, ecc_last), (Reg.SCRUB_INTERVAL, SCRUB.q)]
            m.d.comb += self.irq.eq((done & irq_en[0]) | (ecc_ue & irq_en[1]))
        else:
            m.d.comb += self.irq.eq(done & irq_en[0])
        # An out-voted upset: sticky flag and a count of the cycles it was seen in. Plain
        # registers: diagnostics, not state the computation depends on.
        tmr_flag = Signal()
        tmr_errors = Signal(32)
        mismatch = regs.mismatch | therm_regs.mismatch
        with m.If(mismatch):
            m.d.sync += [tmr_flag.eq(1), tmr_errors.eq(tmr_errors + (tmr_errors != 0xFFFF_FFFF))]

        # --- Bus decode ----------------------------------------------------------------
        bus = self.bus
        region = bus.adr[REGION_SHIFT:]
        off = bus.adr[:REGION_SHIFT]
        req = bus.cyc & bus.stb & ~bus.ack
        is_mem = (region != Region.REGS)
        served = Signal()  # this cycle's request is answered next cycle
        stalled = is_mem & busy
        rmw_issue = Const(0)  # ECC: first cycle of a partial write (reads the old word)
        if cfg.ecc:
            # Partial writes into ECC words are read-modify-write: one extra cycle.
            rmw = Signal()
            whole = (bus.sel == 0xF) if C == 4 else Const(0)
            partial = (bus.we & ((region == Region.A) | (region == Region.B))
                       & (bus.sel != 0xF)) | (bus.we & (region == Region.C) & ~whole)
            rmw_issue = req & ~stalled & partial & ~rmw
            m.d.comb += served.eq(req & ~stalled & (~partial | rmw))
            m.d.sync += rmw.eq(rmw_issue)
        else:
            m.d.comb += served.eq(req & ~stalled)
        m.d.sync += bus.ack.eq(served)
        bus_wr = served & bus.we
        bus_rd = served & ~bus.we

        def decode(off_value, words, banks):
            """(in range, bank index, address in bank) for A/B, banked by row mod len(banks)."""
            nb = len(banks)
            row = off_value >> _log2(kw)
            bank = row[:_log2(nb)] if nb > 1 else Const(0)
            addr = Cat(off_value[:_log2(kw)], (row >> _log2(nb)))
            return off_value < words, bank, addr

        def decode_vec(off_value, banks):
            nb = len(banks)
            return (off_value < cfg.max_n, off_value[:_log2(nb)],
                    off_value >> _log2(nb))

        # Which read data to return in the ack cycle.
        rd_region = Signal(range(8))
        rd_bank = Signal(range(max(R, C, 2)))
        rd_valid = Signal()
        rd_lane = Signal(range(max(C // 4, 2)))
        reg_rdata = Signal(32)
        with m.If(served):
            m.d.sync += rd_region.eq(region)

        # --- Controller state ----------------------------------------------------------
        feeding = Signal()
        m_blocks = Signal(range(cfg.max_m // R + 1))
        n_blocks = Signal(range(cfg.max_n // C + 1))
        m.d.comb += [
            m_blocks.eq((reg_m + R - 1) >> _log2(R)),
            n_blocks.eq((reg_n + C - 1) >> _log2(C)),
        ]

        # Operand reads: the controller owns the read ports while busy.
        for banks, words, rgn, blk in ((a_banks, cfg.a_words, Region.A, ib),
                                       (b_banks, cfg.b_words, Region.B, jb)):
            in_range, bank, addr = decode(off, words, banks)
            for idx, (_, rd, wr) in enumerate(banks):
                hit = (region == rgn) & in_range & (bank == idx)
                with m.If(busy):
                    m.d.comb += rd.addr.eq(Cat(k[2:2 + _log2(kw)], blk))
                with m.Else():
                    m.d.comb += rd.addr.eq(addr)
                if not cfg.ecc:  # read data must hold while the datapath does
                    m.d.comb += rd.en.eq(~busy | ce)
                if cfg.ecc:
                    merged = Cat(*[Mux(bus.sel[i], bus.dat_w.word_select(i, 8),
                                       rd.data.word_select(i, 8)) for i in range(4)])
                    m.d.comb += [
                        rd.en.eq(Mux(busy, feeding, (bus_rd | rmw_issue) & hit)),
                        wr.addr.eq(addr), wr.data.eq(merged), wr.en.eq(bus_wr & hit),
                    ]
                else:
                    m.d.comb += [
                        wr.addr.eq(addr),
                        wr.data.eq(bus.dat_w),
                        wr.en.eq(Mux(bus_wr & hit, bus.sel, 0)),
                    ]
            with m.If(bus_rd & (region == rgn)):
                m.d.sync += [rd_bank.eq(bank), rd_valid.eq(in_range)]

        # Channel parameters: controller reads block jb while busy.
        for rgn, banks in ((Region.BIAS, bias_banks), (Region.MULT, mult_banks),
                           (Region.SHIFT, shift_banks)):
            in_range, bank, addr = decode_vec(off, banks)
            for idx, (_, rd, wr) in enumerate(banks):
                hit = (region == rgn) & in_range & (bank == idx)
                m.d.comb += [
                    rd.addr.eq(Mux(busy, jb, addr)),
                    wr.addr.eq(addr),
                    wr.data.eq(bus.dat_w),
                    wr.en.eq(bus_wr & hit),
                ]
                if cfg.ecc:  # read every datapath cycle: the drain uses the data directly
                    m.d.comb += rd.en.eq((busy & ce) | (bus_rd & hit))
                else:
                    m.d.comb += rd.en.eq(~busy | ce)
            with m.If(bus_rd & (region == rgn)):
                m.d.sync += [rd_bank.eq(bank), rd_valid.eq(in_range)]

        # Result memory: bus side.
        c_lanes = C // 4
        c_in_range = off < cfg.c_words
        c_lane = off[:_log2(c_lanes)] if c_lanes > 1 else Const(0)
        c_addr = off >> _log2(c_lanes)
        if not cfg.ecc:
            m.d.comb += c_rd.addr.eq(c_addr)
        with m.If(bus_rd & (region == Region.C)):
            m.d.sync += [rd_lane.eq(c_lane), rd_valid.eq(c_in_range)]

        # Read data mux (ack cycle).
        def pick(banks):
            value = Signal(32)
            with m.Switch(rd_bank):
                for idx, (_, rd, _) in enumerate(banks):
                    with m.Case(idx):
                        m.d.comb += value.eq(rd.data.as_signed() if len(rd.data) < 32
                                             else rd.data)
            return value

        c_word = Signal(32)
        with m.Switch(rd_lane):
            for ln in range(c_lanes):
                with m.Case(ln):
                    m.d.comb += c_word.eq(c_rd.data[32 * ln:32 * (ln + 1)])
        with m.If(bus.ack), m.Switch(rd_region):
            with m.Case(Region.REGS):
                m.d.comb += bus.dat_r.eq(reg_rdata)
            for rgn, banks in ((Region.A, a_banks), (Region.B, b_banks),
                               (Region.BIAS, bias_banks), (Region.MULT, mult_banks),
                               (Region.SHIFT, shift_banks)):
                with m.Case(rgn):
                    m.d.comb += bus.dat_r.eq(Mux(rd_valid, pick(banks), 0))
            with m.Case(Region.C):
                m.d.comb += bus.dat_r.eq(Mux(rd_valid, c_word, 0))

        # --- Register file -------------------------------------------------------------
        start = Signal()
        m.d.comb += reg_write.eq(bus_wr & (region == Region.REGS))
        with m.If(bus_rd & (region == Region.REGS)), m.Switch(reg_idx):
            for reg, value in (
                    (Reg.ID, Const(TILE_ID, 32)),
                    (Reg.GEOMETRY, Const(R | (C << 8) | (cfg.ecc_interleave << 16), 32)),
                    (Reg.MAX_M, Const(cfg.max_m, 32)),
                    (Reg.MAX_K, Const(cfg.max_k, 32)),
                    (Reg.MAX_N, Const(cfg.max_n, 32)),
                    (Reg.STATUS, Cat(busy, done, error, tmr_flag, ecc_ue)),
                    (Reg.IRQ_ENABLE, irq_en),
                    (Reg.M, reg_m), (Reg.K, reg_k), (Reg.N, reg_n),
                    (Reg.A_ZP, a_zp), (Reg.B_ZP, b_zp), (Reg.OUT_ZP, out_zp),
                    (Reg.ACT_MIN, act_min), (Reg.ACT_MAX, act_max),
                    (Reg.QMODE, per_channel), (Reg.QMULT, qmult), (Reg.QSHIFT, qshift),
                    (Reg.CYCLES, cycles), (Reg.TMR_ERRORS, tmr_errors),
                    (Reg.HARDENING, Const(HARDENING_PROFILES.index(cfg.hardening), 32)),
                    *ecc_regs, *[(r, therm.reg_rdata) for r in THERM_REGS]):
                with m.Case(reg):
                    # Signed fields read sign-extended.
                    m.d.sync += reg_rdata.eq(value)
            with m.Default():
                m.d.sync += reg_rdata.eq(0)
        with m.If(reg_write):
            with m.Switch(reg_idx):
                with m.Case(Reg.CTRL):
                    m.d.comb += start.eq(bus.dat_w[0] & ~busy)
                with m.Case(Reg.STATUS):
                    with m.If(bus.dat_w[1]):
                        m.d.comb += DONE.d.eq(0)
                    with m.If(bus.dat_w[2]):
                        m.d.comb += ERROR.d.eq(0)
                    with m.If(bus.dat_w[3] & ~mismatch):
                        m.d.sync += tmr_flag.eq(0)
                    with m.If(bus.dat_w[4]):
                        m.d.sync += ecc_ue.eq(0)
                with m.Case(Reg.IRQ_ENABLE):
                    m.d.comb += IRQ_EN.d.eq(bus.dat_w)
                with m.Case(Reg.TMR_ERRORS), m.If(~mismatch):
                    m.d.sync += tmr_errors.eq(0)
                if cfg.ecc:
                    with m.Case(Reg.ECC_CORRECTED):
                        m.d.sync += ecc_corrected.eq(0)
                    with m.Case(Reg.ECC_UNCORRECTABLE):
                        m.d.sync += ecc_uncorrectable.eq(0)
                    with m.Case(Reg.SCRUB_INTERVAL):
                        m.d.comb += SCRUB.d.eq(bus.dat_w)
            with m.If(~busy), m.Switch(reg_idx):
                for reg, sig in ((Reg.M, REG_M), (Reg.K, REG_K), (Reg.N, REG_N),
                                 (Reg.A_ZP, A_ZP), (Reg.B_ZP, B_ZP), (Reg.OUT_ZP, OUT_ZP),
                                 (Reg.ACT_MIN, ACT_MIN), (Reg.ACT_MAX, ACT_MAX),
                                 (Reg.QMODE, PER_CHANNEL), (Reg.QMULT, QMULT),
                                 (Reg.QSHIFT, QSHIFT)):
                    with m.Case(reg):
                        m.d.comb += sig.d.eq(bus.dat_w)

        # --- Operand path into the array -----------------------------------------------
        # Read data arrives one cycle after the address; the byte select and valid follow.
        byte_sel = Signal(2)
        valid = Signal()
        with m.If(ce):
            m.d.sync += [byte_sel.eq(k[:2]), valid.eq(feeding)]
        for r, (_, rd, _) in enumerate(a_banks):
            byte = rd.data.word_select(byte_sel, 8).as_signed()
            m.d.comb += array.a_in[r].eq(Mux(valid, byte - a_zp, 0))
        for c, (_, rd, _) in enumerate(b_banks):
            byte = rd.data.word_select(byte_sel, 8).as_signed()
            m.d.comb += array.b_in[c].eq(Mux(valid, byte - b_zp, 0))

        # --- Drain: one array row per cycle through the requantizers -------------------
        draining = Signal()
        row = Signal(range(cfg.max_m + R))
        m.d.comb += [array.drain_row.eq(drain[:max(_log2(R), 1)] if R > 1 else 0),
                     row.eq(Cat(drain[:_log2(R)], ib) if R > 1 else ib)]
        for c, lane in enumerate(lanes):
            _, bias_rd, _ = bias_banks[c]
            _, mult_rd, _ = mult_banks[c]
            _, shift_rd, _ = shift_banks[c]
            m.d.comb += [
                lane.i_valid.eq(draining),
                lane.acc.eq(array.drain_acc[c]),
                lane.bias.eq(bias_rd.data),
                lane.mult.eq(Mux(per_channel, mult_rd.data, qmult)),
                lane.shift.eq(Mux(per_channel, shift_rd.data, qshift)),
                lane.out_zp.eq(out_zp),
                lane.act_min.eq(act_min),
                lane.act_max.eq(act_max),
            ]
        # Write address and byte enables travel alongside the requantizer pipeline.
        wr_addr = Signal.like(c_wr.addr)
        wr_en = Signal(C)
        m.d.comb += [
            wr_addr.eq(Cat(jb[:_log2(cfg.max_n // C)], row)),
            wr_en.eq(Mux(draining & (row < reg_m),
                         Cat(*[(jb * C + c) < reg_n for c in range(C)]), 0)),
        ]
        drain_addr = wr_addr
        for _ in range(Requantizer.LATENCY):
            nxt_addr, nxt_en = Signal.like(wr_addr), Signal.like(wr_en)
            with m.If(ce):
                m.d.sync += [nxt_addr.eq(wr_addr), nxt_en.eq(wr_en)]
            wr_addr, wr_en = nxt_addr, nxt_en
        c_hit = (region == Region.C) & c_in_range
        lane_en = Signal(C)
        m.d.comb += lane_en.eq(Mux((bus_wr | rmw_issue) & c_hit, bus.sel << (4 * c_lane), 0))
        if cfg.ecc:
            # ECC words are written whole: merge the new bytes into the old word. The drain
            # reads the old word when it issues a row (LATENCY cycles before its write; each
            # row has its own address), the bus in the first cycle of its read-modify-write.
            old = c_rd.data
            for _ in range(Requantizer.LATENCY - 1):
                nxt = Signal.like(c_rd.data)
                with m.If(ce):
                    m.d.sync += nxt.eq(old)
                old = nxt
            out_bytes = Cat(*[lane.out for lane in lanes])
            drain_word = Cat(*[Mux(wr_en[i], out_bytes.word_select(i, 8), old.word_select(i, 8))
                               for i in range(C)])
            bus_bytes = bus.dat_w.replicate(c_lanes)
            bus_word = Cat(*[Mux(lane_en[i], bus_bytes.word_select(i, 8),
                                 c_rd.data.word_select(i, 8)) for i in range(C)])
            m.d.comb += [
                c_rd.addr.eq(Mux(busy, drain_addr, c_addr)),
                c_rd.en.eq(Mux(busy, draining, (bus_rd | rmw_issue) & c_hit)),
                c_wr.addr.eq(Mux(busy, wr_addr, c_addr)),
                c_wr.data.eq(Mux(busy, drain_word, bus_word)),
                c_wr.en.eq(Mux(busy, wr_en.any() & ce, bus_wr & c_hit)),
            ]
        else:
            with m.If(busy):
                m.d.comb += [
                    c_wr.addr.eq(wr_addr),
                    c_wr.data.eq(Cat(*[lane.out for lane in lanes])),
                    c_wr.en.eq(Mux(ce, wr_en, 0)),
                ]
            with m.Else():
                m.d.comb += [
                    c_wr.addr.eq(c_addr),
                    c_wr.data.eq(bus.dat_w.replicate(c_lanes)),
                    c_wr.en.eq(lane_en),
                ]

        # --- Controller FSM ------------------------------------------------------------
        # An explicit state register (not m.FSM) so that the profile can triplicate it.
        with m.If(busy):
            m.d.comb += CYCLES.d.eq(cycles + 1)
        dims_ok = ((reg_m != 0) & (reg_k != 0) & (reg_n != 0) & (reg_m <= cfg.max_m)
                   & (reg_k <= cfg.max_k) & (reg_n <= cfg.max_n))
        # Held cycles (ce low, only while busy): the FSM and its strobes (feeding,
        # draining, clear) stand still; in IDLE ce is high, so START is never lost.
        with m.If(ce), m.Switch(STATE.q):
            with m.Case(Ctrl.IDLE), m.If(start):
                m.d.comb += [DONE.d.eq(0), ERROR.d.eq(0), CYCLES.d.eq(0)]
                with m.If(dims_ok):
                    m.d.comb += [BUSY.d.eq(1), IB.d.eq(0), JB.d.eq(0), STATE.d.eq(Ctrl.CLEAR)]
                with m.Else():
                    m.d.comb += [DONE.d.eq(1), ERROR.d.eq(1)]
            with m.Case(Ctrl.CLEAR):
                m.d.comb += [array.clear.eq(1), K.d.eq(0), STATE.d.eq(Ctrl.FEED)]
            with m.Case(Ctrl.FEED):
                m.d.comb += [feeding.eq(1), K.d.eq(k + 1)]
                with m.If(k == reg_k - 1):
                    m.d.comb += [WAIT.d.eq(0), STATE.d.eq(Ctrl.WAIT)]
            with m.Case(Ctrl.WAIT):
                # The last step reaches the array edge one cycle after its read (cycle K) and
                # PE (r, cols-1) accumulates it at the end of cycle K + r + cols - 1. Row r is
                # drained r cycles after DRAIN starts, so DRAIN may start at cycle K + cols:
                # cols cycles of waiting.
                m.d.comb += WAIT.d.eq(wait + 1)
                with m.If(wait == C - 1):
                    m.d.comb += [DRAIN.d.eq(0), STATE.d.eq(Ctrl.DRAIN)]
            with m.Case(Ctrl.DRAIN):
                m.d.comb += [draining.eq(1), DRAIN.d.eq(drain + 1)]
                with m.If(drain == R - 1):
                    with m.If(jb + 1 < n_blocks):
                        m.d.comb += [JB.d.eq(jb + 1), STATE.d.eq(Ctrl.CLEAR)]
                    with m.Elif(ib + 1 < m_blocks):
                        m.d.comb += [JB.d.eq(0), IB.d.eq(ib + 1), STATE.d.eq(Ctrl.CLEAR)]
                    with m.Else():
                        m.d.comb += [WAIT.d.eq(0), STATE.d.eq(Ctrl.FLUSH)]
            with m.Case(Ctrl.FLUSH):
                m.d.comb += WAIT.d.eq(wait + 1)
                with m.If(wait == Requantizer.LATENCY):
                    m.d.comb += [BUSY.d.eq(0), DONE.d.eq(1), STATE.d.eq(Ctrl.IDLE)]

        # --- Throttle controller inputs, activity ------------------------------------------
        mem_hit = Mux(region == Region.A, off < cfg.a_words, 0) | Mux(
            region == Region.B, off < cfg.b_words, 0) | Mux(
            (region >= Region.BIAS) & (region <= Region.SHIFT), off < cfg.max_n, 0) | Mux(
            region == Region.C, c_in_range, 0)
        m.d.comb += [
            therm.busy.eq(busy), therm.start.eq(start), therm.feed_step.eq(valid & ce),
            therm.sram_access.eq(sram_accesses(
                R, C, cfg.ecc, feed=feeding, drain=draining, result_write=wr_en.any() & ce,
                bus_access=served & mem_hit, bus_rmw=rmw_issue & mem_hit)),
        ]
        return m
