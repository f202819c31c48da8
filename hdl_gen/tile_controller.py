"""The GEMM tile's controller: the command FSM, its loop counters, BUSY/DONE/ERROR, CYCLES."""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import TileConfig

from .checks import silence_if_refused
from .requant import Requantizer
from .tile_signatures import CommandSignature, ControlSignature, StepSignature, log2
from .tmr import StateRegisters

__all__ = ["Ctrl", "Controller"]


class Ctrl(enum.Enum, shape=3):
    """Controller states (the FSM diagram is in docs/tile.md)."""

    IDLE = 0
    CLEAR = 1
    FEED = 2
    WAIT = 3
    DRAIN = 4
    FLUSH = 5
    CHECK = 6  # ABFT profiles: after each block's DRAIN


class Controller(wiring.Component):
    """Runs one command: ``rows`` x ``cols`` output blocks, row blocks outer, columns inner.

    * **Start**: ``ctl.start`` in IDLE clears DONE, ERROR and CYCLES. With ``cmd.m``, ``k``,
      ``n`` all in ``1..max`` the controller goes busy (from the next cycle) with
      ``ib = jb = 0``; otherwise DONE and ERROR are set in that cycle's edge and it stays
      idle (a bad command costs one cycle and touches nothing).
    * **Per block** (state, cycles): CLEAR (1, ``step.clear``: the accumulators clear),
      FEED (``cmd.k``, ``step.feeding`` with ``step.k = 0 .. k-1``), WAIT (``cols``: the last
      step's wavefront crosses the array), DRAIN (``rows``, ``step.draining`` with
      ``step.drain = 0 .. rows-1``), with ABFT CHECK (1, ``step.checking``: the checksums
      are compared and a located element corrected). After the last block FLUSH
      (``Requantizer.LATENCY + 1``) lets the last row leave the requantizers; then BUSY falls
      and DONE is set at the same edge. In all: ``gemm_cycles`` of
      :mod:`golden_models.tile` advancing cycles from START to DONE.
    * **Clock enable**: in a cycle with ``ce`` low the FSM, the counters and the strobes
      stand still (the strobes are low); ``ce`` is high whenever idle, so START is never
      lost.
    * **STATUS**: ``ctl.clear_done`` / ``ctl.clear_error`` clear DONE / ERROR at the edge;
      the FSM wins in the same cycle (a command finishing sets DONE). CYCLES counts every
      busy cycle, advancing or held, and keeps its value when idle.

    State (an explicit state register, not ``m.FSM``, so that the profile can triplicate
    it): ``busy``, ``done``, ``error``, ``cycles``, ``ctrl_state``, ``ib``, ``jb``, ``k``,
    ``wait``, ``drain``, a :class:`hdl_gen.tmr.StateRegisters` bank (triplicated with TMR).

    Parameters
    ----------
    config : TileConfig

    Members
    -------
    ctl : In(ControlSignature())
    cmd : In(CommandSignature(config.selectable))
        Only ``m``, ``k`` and ``n`` are used.
    ce : In(1)
        The datapath advances this cycle.
    step : Out(StepSignature(config))
    busy : Out(1)
        STATUS.BUSY.
    mismatch : Out(1)
        Combinational: the bank's copies disagree (0 without TMR).

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
        super().__init__({
            "ctl": In(ControlSignature()), "cmd": In(CommandSignature(config.selectable)),
            "ce": In(1),
            "step": Out(StepSignature(config)), "busy": Out(1), "mismatch": Out(1),
        })

    def elaborate(self, platform):
        cfg, m = self.config, Module()
        R, C = cfg.rows, cfg.cols
        regs = StateRegisters(m, tmr=cfg.tmr_of("controller"), name="")
        BUSY, DONE, ERROR = (regs.add(1, name=n) for n in ("busy", "done", "error"))
        CYCLES = regs.add(32, name="cycles")
        STATE = regs.add(Ctrl, init=Ctrl.IDLE, name="ctrl_state")
        IB = regs.add(range(cfg.max_m // R + 1), name="ib")  # row block
        JB = regs.add(range(cfg.max_n // C + 1), name="jb")  # column block
        K = regs.add(range(cfg.max_k + 1), name="k")
        WAIT = regs.add(range(R + C + 1), name="wait")
        DRAIN = regs.add(range(R + 1), name="drain")
        r = {"busy": BUSY, "done": DONE, "error": ERROR, "cycles": CYCLES, "state": STATE,
             "ib": IB, "jb": JB, "k": K, "wait": WAIT, "drain": DRAIN}
        step, ctl = self.step, self.ctl
        m.d.comb += [
            self.mismatch.eq(regs.mismatch), self.busy.eq(BUSY.q),
            ctl.done.eq(DONE.q), ctl.error.eq(ERROR.q), ctl.cycles.eq(CYCLES.q),
            step.k.eq(K.q), step.ib.eq(IB.q), step.jb.eq(JB.q), step.drain.eq(DRAIN.q),
        ]
        with m.If(ctl.clear_done):
            m.d.comb += DONE.d.eq(0)
        with m.If(ctl.clear_error):
            m.d.comb += ERROR.d.eq(0)
        with m.If(BUSY.q):
            m.d.comb += CYCLES.d.eq(CYCLES.q + 1)
        blocks = self._blocks(m)
        with m.If(self.ce):
            self._fsm(m, r, *blocks)
        return m

    def _blocks(self, m):
        """(row blocks, column blocks, dimensions valid) of the command."""
        cfg, cmd = self.config, self.cmd
        R, C = cfg.rows, cfg.cols
        m_blocks = Signal(range(cfg.max_m // R + 1))
        n_blocks = Signal(range(cfg.max_n // C + 1))
        m.d.comb += [m_blocks.eq((cmd.m + R - 1) >> log2(R)),
                     n_blocks.eq((cmd.n + C - 1) >> log2(C))]
        dims_ok = ((cmd.m != 0) & (cmd.k != 0) & (cmd.n != 0) & (cmd.m <= cfg.max_m)
                   & (cmd.k <= cfg.max_k) & (cmd.n <= cfg.max_n))
        return m_blocks, n_blocks, dims_ok

    def _fsm(self, m, r, m_blocks, n_blocks, dims_ok):
        """The state transitions of an advancing cycle (``ce`` high); ``r``: the registers."""
        cmd, step = self.cmd, self.step
        R, C = self.config.rows, self.config.cols
        k, wait, drain, ib, jb = (r[n].q for n in ("k", "wait", "drain", "ib", "jb"))
        BUSY, DONE, ERROR, STATE = r["busy"], r["done"], r["error"], r["state"]
        IB, JB, K, WAIT, DRAIN = r["ib"], r["jb"], r["k"], r["wait"], r["drain"]
        with m.Switch(STATE.q):
            with m.Case(Ctrl.IDLE), m.If(self.ctl.start):
                m.d.comb += [DONE.d.eq(0), ERROR.d.eq(0), r["cycles"].d.eq(0)]
                with m.If(dims_ok):
                    m.d.comb += [BUSY.d.eq(1), IB.d.eq(0), JB.d.eq(0), STATE.d.eq(Ctrl.CLEAR)]
                with m.Else():
                    m.d.comb += [DONE.d.eq(1), ERROR.d.eq(1)]
            with m.Case(Ctrl.CLEAR):
                m.d.comb += [step.clear.eq(1), K.d.eq(0), STATE.d.eq(Ctrl.FEED)]
            with m.Case(Ctrl.FEED):
                m.d.comb += [step.feeding.eq(1), K.d.eq(k + 1)]
                with m.If(k == cmd.k - 1):
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
                m.d.comb += [step.draining.eq(1), DRAIN.d.eq(drain + 1)]
                with m.If(drain == R - 1):
                    if self.config.abft:
                        m.d.comb += STATE.d.eq(Ctrl.CHECK)
                    else:
                        self._next_block(m, r, m_blocks, n_blocks)
            if self.config.abft:
                with m.Case(Ctrl.CHECK):
                    m.d.comb += step.checking.eq(1)
                    self._next_block(m, r, m_blocks, n_blocks)
            with m.Case(Ctrl.FLUSH):
                m.d.comb += WAIT.d.eq(wait + 1)
                with m.If(wait == Requantizer.LATENCY):
                    m.d.comb += [BUSY.d.eq(0), DONE.d.eq(1), STATE.d.eq(Ctrl.IDLE)]

    @staticmethod
    def _next_block(m, r, m_blocks, n_blocks):
        """The block's last cycle: on to the next block, or FLUSH after the last."""
        ib, jb = r["ib"].q, r["jb"].q
        IB, JB, WAIT, STATE = r["ib"], r["jb"], r["wait"], r["state"]
        with m.If(jb + 1 < n_blocks):
            m.d.comb += [JB.d.eq(jb + 1), STATE.d.eq(Ctrl.CLEAR)]
        with m.Elif(ib + 1 < m_blocks):
            m.d.comb += [JB.d.eq(0), IB.d.eq(ib + 1), STATE.d.eq(Ctrl.CLEAR)]
        with m.Else():
            m.d.comb += [WAIT.d.eq(0), STATE.d.eq(Ctrl.FLUSH)]
