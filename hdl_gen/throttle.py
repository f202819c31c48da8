"""Thermal throttle controller of the GEMM tile: decisions, registers, duty-cycle clock enable.

The decision rule is :mod:`golden_models.throttle` exactly (its docstring is the contract);
this module is its hardware, plus the 2-bit phase counter that turns the level into the
datapath clock enable and the tile's activity counters.
"""

from types import SimpleNamespace

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

__all__ = ["ThrottleController", "add_throttle", "tile_throttle", "sram_accesses", "PORTS",
           "TILE_PORTS"]

# The controller's ports (also the fields of the ``io`` namespace of :func:`add_throttle`).
PORTS = {
    "code": In(CODE_BITS), "sample": In(1), "busy": In(1), "start": In(1),
    "feed_step": In(1), "sram_access": In(8),
    "reg_we": In(1), "reg_addr": In(4), "reg_wdata": In(32), "reg_rdata": Out(32),
    "level": Out(3), "dvfs": Out(2), "ce": Out(1), "act_feed": Out(32), "act_sram": Out(32),
}

# The ports the controller adds to the GEMM tile (see GemmTile).
TILE_PORTS = {
    "therm_code": In(CODE_BITS), "therm_sample": In(1), "throttle_level": Out(3),
    "dvfs_level": Out(2), "act_feed": Out(32), "act_sram": Out(32),
}


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
    * **Registers**: word ``Reg.THERM_CTRL + reg_addr`` of :mod:`orbitbench.spec.regmap`;
      ``reg_rdata`` is combinational from ``reg_addr``; ``reg_we`` writes ``reg_wdata``.

    The decision state (configuration registers, level, flags, event counters, stuck
    detector, phase) is a :class:`hdl_gen.tmr.StateRegisters` bank named ``therm``.

    Parameters
    ----------
    params : ThrottleParams
        Register reset values.
    tmr : bool
        Triplicate the decision state.

    Members
    -------
    code : In(12)
    sample : In(1)
    busy, start, feed_step : In(1)
    sram_access : In(8)
    reg_we : In(1)
    reg_addr : In(4)
    reg_wdata : In(32)
    reg_rdata : Out(32)
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

    @silence_if_refused
    def __init__(self, params: ThrottleParams | None = None, *, tmr: bool = False):
        params = ThrottleParams() if params is None else params
        if not isinstance(params, ThrottleParams):
            raise TypeError(f"params must be a ThrottleParams, not {params!r}")
        if not isinstance(tmr, bool):
            raise TypeError(f"tmr must be a bool, not {tmr!r}")
        self.params, self.tmr = params, tmr
        super().__init__({**PORTS, "mismatch": Out(1)})

    def elaborate(self, platform):
        m = Module()
        regs = StateRegisters(m, tmr=self.tmr, name="therm")
        # For simulation: the registers by name (``.q``, ``.copies``).
        self.state = add_throttle(m, self, self.params, regs)
        m.d.comb += self.mismatch.eq(regs.mismatch)
        return m


def add_throttle(m: Module, io, p: ThrottleParams, regs: StateRegisters) -> dict:
    """Add the controller's logic to ``m``, its state to ``regs`` (a bank of ``m``).

    ``io`` has one attribute per :data:`PORTS` entry (signals of ``m``; inputs are read,
    outputs driven). The tile uses this directly so that the controller's state lives in the
    tile's own module (visible to testbenches like the tile's other state); returns the
    registers by name.
    """
    cfg = {name: regs.add(CODE_BITS, init=getattr(p, name), name=name)
           for name in ("trip1", "trip2", "trip3", "crit", "hyst", "range_min",
                        "range_max")}
    STUCK = regs.add(8, init=p.stuck_samples, name="stuck_samples")
    SAFE = regs.add(3, init=p.safe_level, name="safe_level")
    LEVEL = regs.add(3, name="level")
    TEMP = regs.add(CODE_BITS, name="temp")
    PREV = regs.add(CODE_BITS + 1, init=1 << CODE_BITS, name="prev")  # no reading yet
    RUN = regs.add(8, name="run")
    FAULT = regs.add(1, name="sensor_fault")
    COOL = regs.add(1, name="cool")
    RAISES = regs.add(16, name="raises")
    SHUTS = regs.add(8, name="shutdowns")
    FAULTS = regs.add(8, name="faults")
    PHASE = regs.add(2, name="phase")

    trips = [cfg[f"trip{i}"].q for i in (1, 2, 3)]
    crit, hyst = cfg["crit"].q, cfg["hyst"].q
    level, code = LEVEL.q, io.code

    # --- Register writes -----------------------------------------------------------
    we = io.reg_we
    wd = io.reg_wdata
    sel = {reg: we & (io.reg_addr == _index(reg)) for reg in THERM_REGS}
    clear = sel[Reg.THERM_CTRL] & wd[0]
    for i, reg in enumerate((Reg.THERM_TRIP1, Reg.THERM_TRIP2, Reg.THERM_TRIP3,
                             Reg.THERM_CRIT, Reg.THERM_HYST)):
        name = ("trip1", "trip2", "trip3", "crit", "hyst")[i]
        with m.If(sel[reg]):
            m.d.comb += cfg[name].d.eq(wd[:CODE_BITS])
    with m.If(sel[Reg.THERM_RANGE]):
        m.d.comb += [cfg["range_min"].d.eq(wd[:CODE_BITS]),
                     cfg["range_max"].d.eq(wd[16:16 + CODE_BITS])]
    with m.If(sel[Reg.THERM_STUCK]):
        m.d.comb += STUCK.d.eq(wd[:8])
    with m.If(sel[Reg.THERM_SAFE_LEVEL]):
        m.d.comb += SAFE.d.eq(Mux(wd[:3] > SHUTDOWN, SHUTDOWN, wd[:3]))

    # --- Decision --------------------------------------------------------------------
    # CLEAR first: level 4 -> 3 when the last sample was cool.
    lvl0 = Signal(3)
    m.d.comb += lvl0.eq(Mux(clear & (level == SHUTDOWN) & COOL.q, 3, level))
    run_next = Signal(8)
    m.d.comb += run_next.eq(Mux(PREV.q == code, Mux(RUN.q == STUCK_RUN_MAX, RUN.q,
                                                    RUN.q + 1), 0))
    stuck = (STUCK.q != 0) & (run_next >= STUCK.q)
    implausible = Signal()
    m.d.comb += implausible.eq((code < cfg["range_min"].q) | (code > cfg["range_max"].q)
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
        m.d.comb += new_level.eq(Mux(lvl0 == SHUTDOWN, SHUTDOWN, SAFE.q))
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

    sample = io.sample
    raised = sample & (new_level > lvl0)
    shut = sample & (new_level == SHUTDOWN) & (lvl0 != SHUTDOWN)
    fault_ev = sample & implausible
    m.d.comb += LEVEL.d.eq(Mux(sample, new_level, lvl0))
    with m.If(sample):
        m.d.comb += [TEMP.d.eq(code), PREV.d.eq(code), RUN.d.eq(run_next),
                     COOL.d.eq(~implausible & (code + hyst < crit))]
    w1c = sel[Reg.THERM_STATUS] & wd[6]
    m.d.comb += FAULT.d.eq((FAULT.q & ~w1c) | fault_ev)
    ev_clear = sel[Reg.THERM_EVENTS]
    for reg, event, maximum in ((RAISES, raised, RAISES_MAX), (SHUTS, shut, SHUTDOWNS_MAX),
                                (FAULTS, fault_ev, FAULTS_MAX)):
        m.d.comb += reg.d.eq(_sat_inc(Mux(ev_clear, 0, reg.q), event, maximum))

    # --- Duty cycle ----------------------------------------------------------------
    m.d.comb += PHASE.d.eq(Mux(io.start, 0, PHASE.q + 1))
    m.d.comb += [
        io.ce.eq(~io.busy | ((level < SHUTDOWN) & (PHASE.q >= level))),
        io.level.eq(level),
        io.dvfs.eq(Mux(level >= 3, 3, level)),
    ]

    # --- Diagnostics counters (plain registers) --------------------------------------
    throttled = Signal(32)
    m.d.sync += [
        throttled.eq(Mux(sel[Reg.THERM_THROTTLED], 0, throttled)
                     + (io.busy & ~io.ce)),
        io.act_feed.eq(io.act_feed + io.feed_step),
        io.act_sram.eq(io.act_sram + io.sram_access),
    ]

    # --- Register reads (combinational) ------------------------------------------------
    status = Cat(level, io.dvfs, level == SHUTDOWN, FAULT.q, COOL.q)
    values = {
        Reg.THERM_STATUS: status,
        Reg.THERM_TEMP: TEMP.q,
        Reg.THERM_TRIP1: trips[0], Reg.THERM_TRIP2: trips[1], Reg.THERM_TRIP3: trips[2],
        Reg.THERM_CRIT: crit, Reg.THERM_HYST: hyst,
        Reg.THERM_RANGE: Cat(cfg["range_min"].q, Const(0, 4), cfg["range_max"].q),
        Reg.THERM_STUCK: STUCK.q, Reg.THERM_SAFE_LEVEL: SAFE.q,
        Reg.THERM_EVENTS: Cat(RAISES.q, SHUTS.q, FAULTS.q),
        Reg.THERM_THROTTLED: throttled,
        Reg.ACT_FEED: io.act_feed, Reg.ACT_SRAM: io.act_sram,
    }
    with m.Switch(io.reg_addr):
        for reg, value in values.items():
            with m.Case(_index(reg)):
                m.d.comb += io.reg_rdata.eq(value)
    return {r.q.name.removeprefix(regs.prefix): r for r in regs.registers
            if r.q.name.startswith(regs.prefix)}


def tile_throttle(m: Module, tile, params: ThrottleParams, *, tmr: bool, reg_idx, reg_write,
                  reg_wdata):
    """The controller inside the tile's module ``m``: returns ``(io, regs)``.

    Connects the tile's :data:`TILE_PORTS` and its register window (THERM_CTRL..ACT_SRAM of
    the tile's word index ``reg_idx``; ``reg_write`` is the tile's register write strobe).
    The caller drives ``io.busy``, ``io.start``, ``io.feed_step`` and ``io.sram_access``,
    reads ``io.ce`` and returns ``io.reg_rdata`` for the window's registers.
    """
    io = SimpleNamespace(**{n: Signal(p.shape, name=f"thr_{n}") for n, p in PORTS.items()})
    regs = StateRegisters(m, tmr=tmr, name="therm")
    add_throttle(m, io, params, regs)
    lo, hi = int(THERM_REGS[0]), int(THERM_REGS[-1])
    m.d.comb += [
        io.code.eq(tile.therm_code), io.sample.eq(tile.therm_sample),
        io.reg_we.eq(reg_write & (reg_idx >= lo) & (reg_idx <= hi)),
        io.reg_addr.eq(reg_idx - lo), io.reg_wdata.eq(reg_wdata),
        tile.throttle_level.eq(io.level), tile.dvfs_level.eq(io.dvfs),
        tile.act_feed.eq(io.act_feed), tile.act_sram.eq(io.act_sram),
    ]
    return io, regs


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
