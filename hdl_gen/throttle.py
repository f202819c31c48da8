"""Thermal throttle controller of the GEMM tile: decisions, registers, duty-cycle clock enable.

The decision rule is :mod:`golden_models.throttle` exactly (its docstring is the contract);
this module is its hardware, plus the 2-bit phase counter that turns the level into the
datapath clock enable and the tile's activity counters.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_models.throttle import (
    CODE_BITS,
    FAULTS_MAX,
    RAISES_MAX,
    SHUTDOWN,
    SHUTDOWNS_MAX,
    STUCK_RUN_MAX,
    ThrottleParams,
)
from orbitbench.spec.regmap import THERM_REGS, Reg

from .checks import silence_if_refused
from .tmr import StateRegisters

__all__ = ["ThrottleController", "RegisterWindow", "sram_accesses", "TILE_PORTS"]

# The ports the controller adds to the GEMM tile (see GemmTile).
TILE_PORTS = {
    "therm_code": In(CODE_BITS), "therm_sample": In(1), "throttle_level": Out(3),
    "dvfs_level": Out(2), "act_feed": Out(32), "act_sram": Out(32),
}


class RegisterWindow(wiring.Signature):
    """A block of 32-bit registers inside a larger register file, from the decoder's side.

    ``we`` writes ``wdata`` into word ``addr`` at the clock edge; ``rdata`` is word ``addr``
    (combinational).

    Members
    -------
    we : Out(1)
    addr : Out(addr_width)
    wdata : Out(32)
    rdata : In(32)
    """

    def __init__(self, *, addr_width: int):
        super().__init__({"we": Out(1), "addr": Out(addr_width), "wdata": Out(32),
                          "rdata": In(32)})


def _index(reg: Reg) -> int:
    return int(reg) - int(THERM_REGS[0])


def _sat_inc(value, event, maximum):
    """``value + event`` saturating at ``maximum`` (combinational)."""
    return Mux(event & (value != maximum), value + 1, value)


class ThrottleController(wiring.Component):
    """One decision per ``sample`` strobe, the THERM_* / ACT_* registers and the clock enable.

    * **Decision**: in a cycle with ``sample`` high, the rule of
      :class:`golden_models.throttle.ThrottleController` is applied to ``code``; ``level`` and
      every flag and counter show the result from the next cycle on (registered outputs). A
      THERM_CTRL.CLEAR write in the same cycle is applied before the decision. Register
      writes take effect from the next cycle (a sample in the write cycle sees the old value).
    * **Clock enable** ``ce`` (combinational): ``~busy | (level < 4 & phase >= level)`` with
      ``phase`` a 2-bit counter that advances every cycle and is 0 in the first busy cycle
      (``start`` high: the tile accepted START this cycle). ``ce`` low = the datapath holds.
    * **Counters** (plain registers, diagnostics): THERM_THROTTLED counts busy cycles with
      ``ce`` low (wrapping, write clears); ``act_feed`` counts cycles with ``feed_step`` high,
      ``act_sram`` adds ``sram_access`` every cycle (both free-running, wrapping, read-only).
    * **Registers** (``regs``, a :class:`RegisterWindow`): word ``Reg.THERM_CTRL +
      regs.addr`` of :mod:`orbitbench.spec.regmap`.

    The decision state (configuration registers, level, flags, event counters, stuck
    detector, phase) is a :class:`hdl_gen.tmr.StateRegisters` bank named ``therm``; after
    elaboration ``state`` maps its register names (``"level"``, ...) to the registers
    (``.q``, ``.copies``), for simulation.

    Parameters
    ----------
    params : ThrottleParams
        Register reset values.
    tmr : bool or frozenset of str
        Triplicate the decision state: all of it, or the registers named (bank names without
        the ``therm_`` prefix, :class:`hdl_gen.tmr.StateRegisters`).

    Members
    -------
    code : In(12)
    sample : In(1)
    busy, start, feed_step : In(1)
    sram_access : In(8)
    regs : In(RegisterWindow(addr_width=4))
    level : Out(3)
        0 = full speed, 1..3 throttled, 4 = critical shutdown.
    dvfs : Out(2)
        ``min(level, 3)``.
    ce : Out(1)
    mismatch : Out(1)
        Combinational: triplicated copies disagree (0 without TMR).
    act_feed, act_sram : Out(32)

    Raises
    ------
    TypeError
        ``params`` is not a ThrottleParams or ``tmr`` not a bool.
    """

    code: In(CODE_BITS)
    sample: In(1)
    busy: In(1)
    start: In(1)
    feed_step: In(1)
    sram_access: In(8)
    regs: In(RegisterWindow(addr_width=4))
    level: Out(3)
    dvfs: Out(2)
    ce: Out(1)
    mismatch: Out(1)
    act_feed: Out(32)
    act_sram: Out(32)

    @silence_if_refused
    def __init__(self, params: ThrottleParams | None = None, *,
                 tmr: bool | frozenset[str] = False):
        params = ThrottleParams() if params is None else params
        if not isinstance(params, ThrottleParams):
            raise TypeError(f"params must be a ThrottleParams, not {params!r}")
        if not isinstance(tmr, bool | frozenset):
            raise TypeError(f"tmr must be a bool or a frozenset of register names, "
                            f"not {tmr!r}")
        self.params, self.tmr = params, tmr
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        bank = StateRegisters(m, tmr=self.tmr, name="therm")
        r = self._registers(bank)
        self.state = {reg.q.name.removeprefix(bank.prefix): reg for reg in bank.registers}
        sel = {reg: self.regs.we & (self.regs.addr == _index(reg)) for reg in THERM_REGS}
        self._writes(m, r, sel)
        self._decision(m, r, sel)
        # Duty cycle.
        level = r["level"].q
        m.d.comb += [
            r["phase"].d.eq(Mux(self.start, 0, r["phase"].q + 1)),
            self.ce.eq(~self.busy | ((level < SHUTDOWN) & (r["phase"].q >= level))),
            self.level.eq(level),
            self.dvfs.eq(Mux(level >= 3, 3, level)),
        ]
        # Diagnostics counters (plain registers).
        throttled = Signal(32)
        m.d.sync += [
            throttled.eq(Mux(sel[Reg.THERM_THROTTLED], 0, throttled)
                         + (self.busy & ~self.ce)),
            self.act_feed.eq(self.act_feed + self.feed_step),
            self.act_sram.eq(self.act_sram + self.sram_access),
        ]
        self._reads(m, r, throttled)
        m.d.comb += self.mismatch.eq(bank.mismatch)
        return m

    def _registers(self, bank: StateRegisters) -> dict:
        p = self.params
        r = {name: bank.add(CODE_BITS, init=getattr(p, name), name=name)
             for name in ("trip1", "trip2", "trip3", "crit", "hyst", "range_min",
                          "range_max")}
        r["stuck"] = bank.add(8, init=p.stuck_samples, name="stuck_samples")
        r["safe"] = bank.add(3, init=p.safe_level, name="safe_level")
        r["level"] = bank.add(3, name="level")
        r["temp"] = bank.add(CODE_BITS, name="temp")
        r["prev"] = bank.add(CODE_BITS + 1, init=1 << CODE_BITS, name="prev")  # no reading yet
        for name, width in (("run", 8), ("sensor_fault", 1), ("cool", 1), ("raises", 16),
                            ("shutdowns", 8), ("faults", 8), ("phase", 2)):
            r[name] = bank.add(width, name=name)
        return r

    def _writes(self, m, r, sel):
        """Configuration register writes (the others are handled where they act)."""
        wd = self.regs.wdata
        for reg, name in ((Reg.THERM_TRIP1, "trip1"), (Reg.THERM_TRIP2, "trip2"),
                          (Reg.THERM_TRIP3, "trip3"), (Reg.THERM_CRIT, "crit"),
                          (Reg.THERM_HYST, "hyst")):
            with m.If(sel[reg]):
                m.d.comb += r[name].d.eq(wd[:CODE_BITS])
        with m.If(sel[Reg.THERM_RANGE]):
            m.d.comb += [r["range_min"].d.eq(wd[:CODE_BITS]),
                         r["range_max"].d.eq(wd[16:16 + CODE_BITS])]
        with m.If(sel[Reg.THERM_STUCK]):
            m.d.comb += r["stuck"].d.eq(wd[:8])
        with m.If(sel[Reg.THERM_SAFE_LEVEL]):
            m.d.comb += r["safe"].d.eq(Mux(wd[:3] > SHUTDOWN, SHUTDOWN, wd[:3]))

    def _decision(self, m, r, sel):
        """The rule of :mod:`golden_models.throttle`, applied in a ``sample`` cycle."""
        trips = [r[f"trip{i}"].q for i in (1, 2, 3)]
        crit, hyst = r["crit"].q, r["hyst"].q
        level, code, wd = r["level"].q, self.code, self.regs.wdata
        RUN, COOL, STUCK = r["run"], r["cool"], r["stuck"]
        # CLEAR first: level 4 -> 3 when the last sample was cool.
        clear = sel[Reg.THERM_CTRL] & wd[0]
        lvl0 = Signal(3)
        m.d.comb += lvl0.eq(Mux(clear & (level == SHUTDOWN) & COOL.q, 3, level))
        run_next = Signal(8)
        m.d.comb += run_next.eq(Mux(r["prev"].q == code, Mux(RUN.q == STUCK_RUN_MAX, RUN.q,
                                                             RUN.q + 1), 0))
        stuck = (STUCK.q != 0) & (run_next >= STUCK.q)
        implausible = Signal()
        m.d.comb += implausible.eq((code < r["range_min"].q) | (code > r["range_max"].q)
                                   | stuck)
        up = Signal(2)
        m.d.comb += up.eq(sum((code >= t).as_unsigned() for t in trips))
        # code < trip - hyst without underflow: code + hyst < trip (13-bit sums).
        below_hyst = Signal()
        with m.Switch(lvl0):
            for lv in (1, 2, 3):
                with m.Case(lv):
                    m.d.comb += below_hyst.eq(code + hyst < trips[lv - 1])
        new_level = Signal(3)
        with m.If(implausible):
            m.d.comb += new_level.eq(Mux(lvl0 == SHUTDOWN, SHUTDOWN, r["safe"].q))
        with m.Elif(code >= crit):
            m.d.comb += new_level.eq(SHUTDOWN)
        with m.Elif(lvl0 == SHUTDOWN):
            m.d.comb += new_level.eq(SHUTDOWN)
        with m.Elif(up > lvl0):
            m.d.comb += new_level.eq(up)
        with m.Elif(below_hyst):
            m.d.comb += new_level.eq(lvl0 - 1)
        with m.Else():
            m.d.comb += new_level.eq(lvl0)
        self._update(m, r, sel, lvl0, new_level, implausible, run_next)

    def _update(self, m, r, sel, lvl0, new_level, implausible, run_next):
        """Registers after the decision: level, last reading, fault flag, event counters."""
        sample, code, wd = self.sample, self.code, self.regs.wdata
        raised = sample & (new_level > lvl0)
        shut = sample & (new_level == SHUTDOWN) & (lvl0 != SHUTDOWN)
        fault_ev = sample & implausible
        m.d.comb += r["level"].d.eq(Mux(sample, new_level, lvl0))
        with m.If(sample):
            m.d.comb += [r["temp"].d.eq(code), r["prev"].d.eq(code), r["run"].d.eq(run_next),
                         r["cool"].d.eq(~implausible & (code + r["hyst"].q < r["crit"].q))]
        w1c = sel[Reg.THERM_STATUS] & wd[6]
        FAULT = r["sensor_fault"]
        m.d.comb += FAULT.d.eq((FAULT.q & ~w1c) | fault_ev)
        ev_clear = sel[Reg.THERM_EVENTS]
        for name, event, maximum in (("raises", raised, RAISES_MAX),
                                     ("shutdowns", shut, SHUTDOWNS_MAX),
                                     ("faults", fault_ev, FAULTS_MAX)):
            reg = r[name]
            m.d.comb += reg.d.eq(_sat_inc(Mux(ev_clear, 0, reg.q), event, maximum))

    def _reads(self, m, r, throttled):
        """Register reads (combinational from ``regs.addr``)."""
        level = r["level"].q
        status = Cat(level, self.dvfs, level == SHUTDOWN, r["sensor_fault"].q, r["cool"].q)
        events = Cat(r["raises"].q, r["shutdowns"].q, r["faults"].q)
        values = {
            Reg.THERM_STATUS: status,
            Reg.THERM_TEMP: r["temp"].q,
            Reg.THERM_TRIP1: r["trip1"].q, Reg.THERM_TRIP2: r["trip2"].q,
            Reg.THERM_TRIP3: r["trip3"].q, Reg.THERM_CRIT: r["crit"].q,
            Reg.THERM_HYST: r["hyst"].q,
            Reg.THERM_RANGE: Cat(r["range_min"].q, Const(0, 4), r["range_max"].q),
            Reg.THERM_STUCK: r["stuck"].q, Reg.THERM_SAFE_LEVEL: r["safe"].q,
            Reg.THERM_EVENTS: events,
            Reg.THERM_THROTTLED: throttled,
            Reg.ACT_FEED: self.act_feed, Reg.ACT_SRAM: self.act_sram,
        }
        with m.Switch(self.regs.addr):
            for reg, value in values.items():
                with m.Case(_index(reg)):
                    m.d.comb += self.regs.rdata.eq(value)


def sram_accesses(rows: int, cols: int, ecc: bool, *, feed, drain, result_write, bus_access,
                  bus_rmw):
    """Scratchpad word accesses in one cycle (the ACT_SRAM increment), combinational.

    A feed step reads one word of every A and B bank (``rows + cols``); a drain row reads
    bias, multiplier and shift of every column (``3 * cols``) plus, with ECC, the old result
    word it merges into; a result row write is one word; a bus access to a scratchpad word
    inside its capacity is one (its read-modify-write read, with ECC, one more). ECC
    writebacks and scrubber reads are not counted.
    """
    return (Mux(feed, rows + cols, 0) + Mux(drain, 3 * cols + int(ecc), 0) + result_write
            + bus_access + bus_rmw)
