"""The GEMM tile's register file: the Wishbone target, the registers, STATUS and the irq."""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import HARDENING_PROFILES, TILE_ROUNDINGS, TileConfig
from orbitbench.spec.regmap import ADDR_WIDTH, REGION_SHIFT, THERM_REGS, TILE_ID, Reg, Region

from .checks import silence_if_refused
from .throttle import RegisterWindow
from .tile_scratchpads import memory_count
from .tile_signatures import CommandSignature, ControlSignature, EccReport, ScratchpadBus
from .tmr import StateRegisters
from .wishbone import WishboneSignature

__all__ = ["RegisterFile"]

_COUNT_MAX = 0xFFFF_FFFF

# Command registers (writes ignored while busy): register -> field of CommandSignature.
_COMMAND = ((Reg.M, "m"), (Reg.K, "k"), (Reg.N, "n"), (Reg.A_ZP, "a_zp"), (Reg.B_ZP, "b_zp"),
            (Reg.OUT_ZP, "out_zp"), (Reg.ACT_MIN, "act_min"), (Reg.ACT_MAX, "act_max"),
            (Reg.QMODE, "per_channel"), (Reg.QMULT, "qmult"), (Reg.QSHIFT, "qshift"))


def _saturating(counter, events):
    total = counter + events
    return Mux(total > _COUNT_MAX, _COUNT_MAX, total)


class RegisterFile(wiring.Component):
    """Wishbone target of the tile: region decode, registers, STATUS, irq, diagnostics.

    * **Bus** (``bus``): a transfer is requested while ``cyc & stb`` and ``ack`` is low. A
      register transfer is served in the cycle it is requested; any other region is
      forwarded on ``mem`` and served when ``mem.served`` says so. ``ack`` is high for one
      cycle, the cycle after the served one, with ``dat_r``: a register's value in the served
      cycle (signed fields sign-extended, unmapped registers 0), or ``mem.rdata``.
    * **Writes** take effect at the end of the served cycle. Command registers (M..QSHIFT)
      ignore writes while ``busy``; CTRL.START while ``busy`` is ignored, else it raises
      ``ctl.start`` for that cycle. STATUS is write-1-to-clear per bit: DONE and ERROR through
      ``ctl.clear_done`` / ``ctl.clear_error`` (the controller's registers), TMR_MISMATCH and
      ECC_UE here; a TMR_MISMATCH clear, like a TMR_ERRORS clear, is ignored in a cycle with
      ``tmr_mismatch`` high. Writing TMR_ERRORS, ECC_CORRECTED or ECC_UNCORRECTABLE clears it
      (the clear wins over an event in the same cycle).
    * **Diagnostics** (plain registers): STATUS.TMR_MISMATCH is set and TMR_ERRORS counts
      (saturating at ``2**32 - 1``) in every cycle with ``tmr_mismatch`` high. ECC profiles:
      ECC_CORRECTED / ECC_UNCORRECTABLE add ``ecc.corrected`` / ``ecc.uncorrectable`` every
      cycle (saturating), ECC_LAST_ADDR takes ``ecc.event_addr`` on ``ecc.event``,
      STATUS.ECC_UE is set by any uncorrectable event; all visible from the next cycle.
    * **THERM_CTRL..ACT_SRAM** are forwarded to ``therm`` (``therm.addr`` = word - THERM_CTRL).
    * **ABFT** profiles: ABFT_CORRECTED / ABFT_DETECTED count (saturating; a write clears
      them, winning over an event) the cycles with ``abft_corrected`` / ``abft_detected``,
      which also set the sticky STATUS.ABFT_CORRECTED / STATUS.ABFT_ERROR.
    * ``irq = STATUS.DONE & IRQ_ENABLE[0] | STATUS.ECC_UE & IRQ_ENABLE[1] |
      STATUS.ABFT_ERROR & IRQ_ENABLE[2]`` (combinational; the second term with ECC only, the
      third with ABFT only).

    The command registers, IRQ_ENABLE and SCRUB_INTERVAL are a
    :class:`hdl_gen.tmr.StateRegisters` bank (triplicated with TMR): ``mismatch`` reports
    its copies disagreeing.

    Parameters
    ----------
    config : TileConfig

    Members
    -------
    bus : In(WishboneSignature(addr_width=21))
    mem : Out(ScratchpadBus())
    ctl : Out(ControlSignature())
    cmd : Out(CommandSignature(config.selectable))
        The command registers.
    therm : Out(RegisterWindow(addr_width=4))
    ecc : In(EccReport(memory_count(config)))
        ECC profiles only.
    abft_corrected, abft_detected : In(1)
        ABFT profiles only: the datapath corrected an element / detected an uncorrectable
        error this cycle.
    busy : In(1)
        STATUS.BUSY.
    tmr_mismatch : In(1)
        Some triplicated register of the tile disagrees this cycle.
    irq : Out(1)
    mismatch : Out(1)
        Combinational: this bank's copies disagree (0 without TMR).

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
        members = {
            "bus": In(WishboneSignature(addr_width=ADDR_WIDTH)),
            "mem": Out(ScratchpadBus()), "ctl": Out(ControlSignature()),
            "cmd": Out(CommandSignature(config.selectable)),
            "therm": Out(RegisterWindow(addr_width=4)),
            "busy": In(1), "tmr_mismatch": In(1), "irq": Out(1), "mismatch": Out(1),
        }
        if config.ecc:
            members["ecc"] = In(EccReport(memory_count(config)))
        if config.abft:
            members |= {"abft_corrected": In(1), "abft_detected": In(1)}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        regs = StateRegisters(m, tmr=self.config.tmr_of("regfile"), name="")
        state = self._registers(regs)
        m.d.comb += self.mismatch.eq(regs.mismatch)
        for _, field in _COMMAND:
            m.d.comb += getattr(self.cmd, field).eq(state[field].q)
        if self.config.selectable:
            m.d.comb += self.cmd.single.eq(state["single"].q)
        dec = self._decode(m)
        diag = self._diagnostics(m, state)
        self._reads(m, dec, state, diag)
        self._writes(m, dec, state, diag)
        return m

    def _registers(self, regs: StateRegisters) -> dict:
        """The bank: IRQ_ENABLE, the command registers, SCRUB_INTERVAL (ECC)."""
        irq_bits = 3 if self.config.abft else 2 if self.config.ecc else 1
        state = {"irq_en": regs.add(irq_bits, name="irq_en")}
        for field in ("m", "k", "n"):
            state[field] = regs.add(16, name=f"reg_{field}")
        for field in ("a_zp", "b_zp", "out_zp"):
            state[field] = regs.add(signed(8), name=field)
        state["act_min"] = regs.add(signed(8), init=-128, name="act_min")
        state["act_max"] = regs.add(signed(8), init=127, name="act_max")
        state["per_channel"] = regs.add(1, name="per_channel")
        if self.config.selectable:  # QMODE.SINGLE exists only where it selects something
            state["single"] = regs.add(1, name="single")
        state["qmult"] = regs.add(signed(32), init=1 << 30, name="qmult")
        state["qshift"] = regs.add(signed(6), name="qshift")
        if self.config.ecc:
            state["scrub"] = regs.add(32, name="scrub_interval")
        return state

    def _decode(self, m) -> SimpleNamespace:
        """Region decode, the served and ack cycles, the forwarded scratchpad transfer."""
        bus, mem = self.bus, self.mem
        region = bus.adr[REGION_SHIFT:]
        off = bus.adr[:REGION_SHIFT]
        req = bus.cyc & bus.stb & ~bus.ack
        is_mem = region != Region.REGS
        served = Signal()  # this cycle's request is answered next cycle
        rd_region = Signal(range(8))  # the region answered in the ack cycle
        m.d.comb += [
            mem.req.eq(req & is_mem), mem.region.eq(region), mem.addr.eq(off),
            mem.we.eq(bus.we), mem.sel.eq(bus.sel), mem.wdata.eq(bus.dat_w),
            mem.ack_region.eq(rd_region),
            served.eq(Mux(is_mem, mem.served, req)),
        ]
        m.d.sync += bus.ack.eq(served)
        with m.If(served):
            m.d.sync += rd_region.eq(region)
        reg_rdata = Signal(32)
        with m.If(bus.ack), m.Switch(rd_region):
            with m.Case(Region.REGS):
                m.d.comb += bus.dat_r.eq(reg_rdata)
            with m.Case(*(r for r in Region if r != Region.REGS)):
                m.d.comb += bus.dat_r.eq(mem.rdata)
        regs = served & (region == Region.REGS)
        return SimpleNamespace(idx=off, read=regs & ~bus.we, write=regs & bus.we,
                               rdata=reg_rdata)

    def _diagnostics(self, m, state) -> SimpleNamespace:
        """TMR and ECC event registers (plain: diagnostics, not state a result depends on)."""
        # An out-voted upset: sticky flag and a count of the cycles it was seen in.
        diag = SimpleNamespace(tmr_flag=Signal(name="tmr_flag"),
                               tmr_errors=Signal(32, name="tmr_errors"),
                               ecc_ue=Signal(name="ecc_ue"), regs=[])
        tmr_flag, tmr_errors = diag.tmr_flag, diag.tmr_errors
        with m.If(self.tmr_mismatch):
            m.d.sync += [tmr_flag.eq(1), tmr_errors.eq(tmr_errors + (tmr_errors != _COUNT_MAX))]
        irq_en, done = state["irq_en"].q, self.ctl.done
        irq = done & irq_en[0]
        diag.abft_corrected = diag.abft_flag = diag.abft_error = Const(0)
        if self.config.abft:
            irq = irq | self._abft_diagnostics(m, diag) & irq_en[2]
        if not self.config.ecc:
            m.d.comb += self.irq.eq(irq)
            return diag
        ecc = self.ecc
        diag.ecc_corrected = Signal(32, name="ecc_corrected")
        diag.ecc_uncorrectable = Signal(32, name="ecc_uncorrectable")
        ecc_last = Signal(32)
        m.d.sync += [
            diag.ecc_corrected.eq(_saturating(diag.ecc_corrected, ecc.corrected)),
            diag.ecc_uncorrectable.eq(_saturating(diag.ecc_uncorrectable, ecc.uncorrectable)),
        ]
        with m.If(ecc.event):
            m.d.sync += ecc_last.eq(ecc.event_addr)
        with m.If(ecc.uncorrectable != 0):  # sticky: an uncorrectable scratchpad read
            m.d.sync += diag.ecc_ue.eq(1)
        m.d.comb += [ecc.scrub_interval.eq(state["scrub"].q),
                     self.irq.eq(irq | (diag.ecc_ue & irq_en[1]))]
        diag.regs = [*diag.regs, (Reg.ECC_CORRECTED, diag.ecc_corrected),
                     (Reg.ECC_UNCORRECTABLE, diag.ecc_uncorrectable),
                     (Reg.ECC_LAST_ADDR, ecc_last), (Reg.SCRUB_INTERVAL, state["scrub"].q)]
        return diag

    def _abft_diagnostics(self, m, diag):
        """ABFT counters and sticky flags; returns STATUS.ABFT_ERROR."""
        diag.abft_flag = Signal(name="abft_flag")
        diag.abft_error = Signal(name="abft_error")
        diag.abft_corrected = Signal(32, name="abft_corrected_count")
        diag.abft_detected = Signal(32, name="abft_detected_count")
        m.d.sync += [
            diag.abft_corrected.eq(_saturating(diag.abft_corrected, self.abft_corrected)),
            diag.abft_detected.eq(_saturating(diag.abft_detected, self.abft_detected)),
        ]
        with m.If(self.abft_corrected):
            m.d.sync += diag.abft_flag.eq(1)
        with m.If(self.abft_detected):
            m.d.sync += diag.abft_error.eq(1)
        diag.regs = [*diag.regs, (Reg.ABFT_CORRECTED, diag.abft_corrected),
                     (Reg.ABFT_DETECTED, diag.abft_detected)]
        return diag.abft_error

    def _reads(self, m, dec, state, diag):
        """The register read in the served cycle, into ``dec.rdata`` for the ack cycle."""
        cfg, ctl = self.config, self.ctl
        status = Cat(self.busy, ctl.done, ctl.error, diag.tmr_flag, diag.ecc_ue)
        qmode = (Cat(state["per_channel"].q, state["single"].q) if cfg.selectable
                 else state["per_channel"].q)
        if cfg.abft:
            status = Cat(status, diag.abft_flag, diag.abft_error)
        values = [
            (Reg.ID, Const(TILE_ID, 32)),
            (Reg.GEOMETRY, Const(cfg.rows | (cfg.cols << 8) | (cfg.ecc_interleave << 16)
                                 | (TILE_ROUNDINGS.index(cfg.rounding) << 20), 32)),
            (Reg.MAX_M, Const(cfg.max_m, 32)), (Reg.MAX_K, Const(cfg.max_k, 32)),
            (Reg.MAX_N, Const(cfg.max_n, 32)),
            (Reg.STATUS, status), (Reg.IRQ_ENABLE, state["irq_en"].q),
            *[(reg, qmode if reg == Reg.QMODE else state[field].q) for reg, field in _COMMAND],
            (Reg.CYCLES, ctl.cycles), (Reg.TMR_ERRORS, diag.tmr_errors),
            (Reg.HARDENING, Const(HARDENING_PROFILES.index(cfg.hardening), 32)),
            *diag.regs, *[(r, self.therm.rdata) for r in THERM_REGS],
        ]
        with m.If(dec.read), m.Switch(dec.idx):
            for reg, value in values:
                with m.Case(reg):
                    # Signed fields read sign-extended.
                    m.d.sync += dec.rdata.eq(value)
            with m.Default():
                m.d.sync += dec.rdata.eq(0)

    def _writes(self, m, dec, state, diag):
        wdata, mismatch, ctl = self.bus.dat_w, self.tmr_mismatch, self.ctl
        lo, hi = int(THERM_REGS[0]), int(THERM_REGS[-1])
        m.d.comb += [
            self.therm.we.eq(dec.write & (dec.idx >= lo) & (dec.idx <= hi)),
            self.therm.addr.eq(dec.idx - lo), self.therm.wdata.eq(wdata),
        ]
        with m.If(dec.write):
            with m.Switch(dec.idx):
                with m.Case(Reg.CTRL):
                    m.d.comb += ctl.start.eq(wdata[0] & ~self.busy)
                with m.Case(Reg.STATUS):
                    m.d.comb += [ctl.clear_done.eq(wdata[1]), ctl.clear_error.eq(wdata[2])]
                    with m.If(wdata[3] & ~mismatch):
                        m.d.sync += diag.tmr_flag.eq(0)
                    with m.If(wdata[4]):
                        m.d.sync += diag.ecc_ue.eq(0)
                    if self.config.abft:
                        with m.If(wdata[5]):
                            m.d.sync += diag.abft_flag.eq(0)
                        with m.If(wdata[6]):
                            m.d.sync += diag.abft_error.eq(0)
                with m.Case(Reg.IRQ_ENABLE):
                    m.d.comb += state["irq_en"].d.eq(wdata)
                with m.Case(Reg.TMR_ERRORS), m.If(~mismatch):
                    m.d.sync += diag.tmr_errors.eq(0)
                if self.config.abft:
                    with m.Case(Reg.ABFT_CORRECTED):
                        m.d.sync += diag.abft_corrected.eq(0)
                    with m.Case(Reg.ABFT_DETECTED):
                        m.d.sync += diag.abft_detected.eq(0)
                if self.config.ecc:
                    with m.Case(Reg.ECC_CORRECTED):
                        m.d.sync += diag.ecc_corrected.eq(0)
                    with m.Case(Reg.ECC_UNCORRECTABLE):
                        m.d.sync += diag.ecc_uncorrectable.eq(0)
                    with m.Case(Reg.SCRUB_INTERVAL):
                        m.d.comb += state["scrub"].d.eq(wdata)
            with m.If(~self.busy), m.Switch(dec.idx):
                for reg, field in _COMMAND:
                    with m.Case(reg):
                        m.d.comb += state[field].d.eq(wdata)
                        if reg == Reg.QMODE and self.config.selectable:
                            m.d.comb += state["single"].d.eq(wdata[1])
