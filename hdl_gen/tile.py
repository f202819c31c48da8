"""The int8 GEMM tile: register file, controller, datapath, scratchpads and throttle.

:class:`GemmTile` joins five components, each testable alone:

* :class:`~hdl_gen.tile_regfile.RegisterFile`: the Wishbone target; region decode,
  registers, STATUS with its write-1-to-clear bits, irq, TMR and ECC diagnostics, the
  THERM_* window.
* :class:`~hdl_gen.tile_controller.Controller`: the command FSM (:class:`Ctrl`), loop
  counters, BUSY/DONE/ERROR and CYCLES.
* :class:`~hdl_gen.tile_datapath.Datapath`: operands into the systolic array, requantizers,
  result writes.
* :class:`~hdl_gen.tile_scratchpads.Scratchpads`: every scratchpad memory, bus and datapath
  side.
* :class:`~hdl_gen.throttle.ThrottleController`: thermal decisions and the datapath's clock
  enable.

Their interfaces are in :mod:`hdl_gen.tile_signatures`.
"""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_models.throttle import ThrottleParams
from orbitbench.spec.params import TileConfig
from orbitbench.spec.regmap import ADDR_WIDTH

from .checks import silence_if_refused
from .throttle import TILE_PORTS, ThrottleController, sram_accesses
from .tile_controller import Controller, Ctrl
from .tile_datapath import Datapath
from .tile_regfile import RegisterFile
from .tile_scratchpads import Scratchpads
from .wishbone import WishboneSignature

__all__ = ["GemmTile", "Ctrl", "COMPONENTS", "Controller", "Datapath", "RegisterFile",
           "Scratchpads"]

#: Instance names of the tile's components (the submodules of :class:`GemmTile`).
COMPONENTS = ("regfile", "controller", "datapath", "scratchpads", "throttle")


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

    Submodules (:data:`COMPONENTS`): ``regfile`` (:class:`RegisterFile`), ``controller``
    (:class:`Controller`), ``datapath`` (:class:`Datapath`, with ``array`` and
    ``requant_<c>``), ``scratchpads`` (:class:`Scratchpads`, with the memories
    ``a_bank<r>``, ``b_bank<c>``, ``bias_bank<c>``, ``mult_bank<c>``, ``shift_bank<c>``,
    ``c_mem``) and ``throttle``
    (:class:`~hdl_gen.throttle.ThrottleController`). The controller's, register file's and
    throttle's state registers are triplicated in the TMR profiles; any disagreement sets
    STATUS.TMR_MISMATCH and counts in TMR_ERRORS.

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

    Raises
    ------
    TypeError
        ``config`` is not a TileConfig or ``throttle`` not a ThrottleParams.
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
        m = Module()
        m.submodules.regfile = regfile = RegisterFile(cfg)
        m.submodules.controller = controller = Controller(cfg)
        m.submodules.datapath = datapath = Datapath(cfg)
        m.submodules.scratchpads = scratchpads = Scratchpads(cfg)
        m.submodules.throttle = throttle = ThrottleController(self.throttle,
                                                                    tmr=cfg.tmr_of("throttle"))

        wiring.connect(m, tile=wiring.flipped(self.bus), regfile=regfile.bus)
        wiring.connect(m, regfile=regfile.mem, scratchpads=scratchpads.bus)
        wiring.connect(m, regfile=regfile.cmd, controller=controller.cmd, datapath=datapath.cmd)
        wiring.connect(m, regfile=regfile.ctl, controller=controller.ctl)
        wiring.connect(m, regfile=regfile.therm, throttle=throttle.regs)
        wiring.connect(m, controller=controller.step, datapath=datapath.step)
        wiring.connect(m, datapath=datapath.mem, scratchpads=scratchpads.dp)
        if cfg.ecc:
            wiring.connect(m, scratchpads=scratchpads.ecc, regfile=regfile.ecc)
        if cfg.abft:
            m.d.comb += [regfile.abft_corrected.eq(datapath.abft_corrected),
                         regfile.abft_detected.eq(datapath.abft_detected)]

        busy, ce = controller.busy, throttle.ce
        m.d.comb += [
            self.busy.eq(busy), regfile.busy.eq(busy), scratchpads.busy.eq(busy),
            throttle.busy.eq(busy),
            controller.ce.eq(ce), datapath.ce.eq(ce), scratchpads.ce.eq(ce),
            # One flag for every triplicated register of the tile.
            regfile.tmr_mismatch.eq(controller.mismatch | regfile.mismatch
                                    | throttle.mismatch),
            self.irq.eq(regfile.irq),
        ]
        step = controller.step
        m.d.comb += [
            throttle.code.eq(self.therm_code), throttle.sample.eq(self.therm_sample),
            self.throttle_level.eq(throttle.level), self.dvfs_level.eq(throttle.dvfs),
            self.act_feed.eq(throttle.act_feed), self.act_sram.eq(throttle.act_sram),
            throttle.start.eq(regfile.ctl.start), throttle.feed_step.eq(datapath.feed_step),
            throttle.sram_access.eq(sram_accesses(
                cfg.rows, cfg.cols, cfg.ecc, feed=step.feeding, drain=step.draining,
                result_write=datapath.mem.c_wr_en.any(), bus_access=scratchpads.bus_access,
                bus_rmw=scratchpads.bus_rmw)),
        ]
        return m
