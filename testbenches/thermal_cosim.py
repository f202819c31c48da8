"""cocotb side of ``orbitbench thermal``: the closed orbital thermal loop around the tile's RTL.

Reads its request from the JSON file ``ORBITBENCH_REQUEST`` (scenario name, orbits, seed,
starting temperatures, GEMM dimensions, ``corrupt``) and writes the run (trace, GEMM checks,
upset) to ``ORBITBENCH_REPLY``; :mod:`orbitbench.apps.thermal` checks and reports it.

Two coroutines share the simulated time:

- the **thermal task** (:func:`_thermal_task`), one step per ``cycles_per_step`` cycles
  (see :mod:`golden_models.thermal_loop` for the time scale): present the sensor code with one
  ``therm_sample`` strobe, read the decided ``throttle_level`` / ``dvfs_level`` 3 cycles
  later, feed the same code to the reference controller
  (:class:`golden_models.throttle.ThrottleController`), and at the step's end read the
  ``act_feed`` / ``act_sram`` deltas and the GEMMs completed, and advance the physics;
- the **software task** (:class:`GemmSoftware`): GEMMs back to back through the harness's
  bus player, random operands from the seed, every result memory compared word by word with
  :func:`golden_models.tile.run_tile` and read back over the bus. While it waits for a
  GEMM's interrupt it also serves the thermal task's requests to clear a critical shutdown
  (THERM_CTRL.CLEAR), never within 16 cycles of a strobe so the write and the sample cannot
  share a cycle; the reference controller applies the clear before the next sample, as the
  RTL does.

The run ends after the last step; a GEMM still held in a shutdown at that point is abandoned
(not counted). The test passes whenever the run completed: the checks are the caller's.
"""

from __future__ import annotations

import json
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import Event, FallingEdge, First, RisingEdge, Timer
from cocotb.utils import get_sim_time

from golden_models.stimulus import random_case
from golden_models.thermal_loop import SCENARIOS, ClosedLoop, ref_sample, reference_controller
from orbitbench.spec.knobs import REPLY, REQUEST
from orbitbench.spec.regmap import Reg, Status

from .tile_tb import GemmTileTestbench

PERIOD_NS = 10
DECISION_DELAY = 3  # cycles after the strobe at which the decided level is read
CLEAR_GUARD = 16  # cycles around a strobe in which software does not write CLEAR
CLEAR_BIT = 1  # THERM_CTRL bit 0 (orbitbench.spec.regmap)


def _now() -> int:
    return int(get_sim_time("ns")) // PERIOD_NS


class GemmSoftware:
    """The software in the loop: GEMMs back to back, checked; serves shutdown clears."""

    def __init__(self, tb: GemmTileTestbench, dims, rng: np.random.Generator, corrupt: str):
        self.tb, self.dims, self.rng, self.corrupt = tb, dims, rng, corrupt
        self.done = 0
        self.mismatches: list[str] = []
        self.clear_request = Event()
        self.cleared = False  # a CLEAR was written since the last sample
        self.clears = 0
        self.next_sample = 0  # cycle of the next strobe (set by the thermal task)
        self.stop = False

    async def gemm(self) -> None:
        tb = self.tb
        m, k, n = self.dims
        case = random_case(tb.cfg, self.rng, m=m, k=k, n=n)
        image = case.image(tb.cfg, tb.shadow)
        # The tile program: operands through the bus player; command, START and the DONE
        # clear cycle by cycle from Python; the wait for irq is this task's own (it serves
        # shutdown clears meanwhile), so the program's wait and status phases are not played.
        prog = tb.program_of(case.cmd, image, path="frontdoor")
        await tb.play(prog.phase("load"))
        tb.shadow = image.copy()
        expected = prog.golden.c
        await tb.play(prog.phase("command", "irq_enable", "start"), master=True)
        while tb.dut.irq.value != 1:
            await First(RisingEdge(tb.dut.irq), self.clear_request.wait())
            if self.clear_request.is_set() and tb.dut.irq.value != 1:
                await self._clear()
        await tb.play(prog.phase("clear"), master=True)
        if self.corrupt == "result" and self.done == 1:
            # Negative control: one flipped result bit, as an upset in C would.
            words = tb.backdoor.peek("c")
            words[0] ^= 1
            tb.backdoor.poke("c", words, only=np.array([0]))
        observed = tb.backdoor.peek("c")
        bad = [int(w) for w in np.nonzero(expected != observed)[0]]
        reads = await tb.play(prog.phase("readback"))
        for i, value in zip(prog.phase_reads("readback"), reads, strict=True):
            w = prog.result_reads[i]
            if value != expected[w] and w not in bad:
                bad.append(w)
        if bad:
            w = bad[0]
            self.mismatches.append(f"GEMM {self.done} {case.cmd}: {len(bad)} words differ, "
                                   f"word {w} expected 0x{int(expected[w]):08x} got "
                                   f"0x{int(observed[w]):08x}")
        tb.shadow.c = expected.copy()
        self.done += 1

    async def _clear(self) -> None:
        self.clear_request.clear()
        gap = self.next_sample - _now()
        if gap < CLEAR_GUARD:
            await Timer((gap + CLEAR_GUARD) * PERIOD_NS, "ns")
        await self.tb.write_reg(Reg.THERM_CTRL, CLEAR_BIT)
        self.cleared = True
        self.clears += 1

    async def run(self) -> None:
        while not self.stop:
            await self.gemm()


def _controller_state(tile) -> list:
    """Candidate handles of the throttle controller's level register (the
    :class:`hdl_gen.tmr.StateRegisters` register ``therm_level`` of bank ``therm``, in the
    tile's ``throttle`` submodule, or in the top module of a tile without one): the three
    copies ``therm_level_tmr<i>`` with TMR; without, ``therm_level``, or the output it
    drives (``throttle_level``) where synthesis merged the register into that port and left
    ``therm_level`` a wire, so each is a candidate (see :func:`_inject`)."""
    names = {h._name: h for scope in (getattr(tile, "throttle", None), tile)
             if scope is not None for h in scope}
    copies = [names[f"therm_level_tmr{i}"] for i in range(3) if f"therm_level_tmr{i}" in names]
    return copies or [names[n] for n in ("therm_level", "throttle_level") if n in names]


async def _inject(tb, rng, state, step) -> dict:
    """Flip one bit of the controller's level register at the next falling edge (the
    thermal task runs on falling edges), then let one rising edge pass: 2 cycles.

    With TMR one random copy is flipped (it must be out-voted). Without, the candidates are
    tried in turn until the flip shows on ``throttle_level`` one cycle later (a flip of a
    wire is overwritten at once and proves nothing); ``landed`` records it.
    """
    if not state:
        raise AssertionError("no throttle controller state found in the tile")
    bit = int(rng.integers(3))
    if tb.cfg.tmr:
        state = [state[int(rng.integers(len(state)))]]
    for handle in state:
        await Timer(PERIOD_NS, "ns")
        old = handle.value.to_unsigned()
        handle.value = old ^ (1 << bit)
        await Timer(PERIOD_NS, "ns")
        level_after = int(tb.dut.throttle_level.value)
        if tb.cfg.tmr or level_after == old ^ (1 << bit):
            break
    return {"signal": handle._name, "bit": bit, "step": step, "before": old, "tmr": tb.cfg.tmr,
            "level_after": level_after, "landed": level_after == old ^ (1 << bit)}


async def _thermal_task(tb, loop: ClosedLoop, sw: GemmSoftware, rng, upset_step):
    dut, n = tb.dut, loop.scenario.cycles_per_step
    ctrl = reference_controller()
    feed0, sram0, done0 = (int(dut.act_feed.value), int(dut.act_sram.value), sw.done)
    upset = None
    while not loop.done:
        clear = sw.cleared
        if clear:
            ctrl.clear()
            loop.trace["clear"][-1] = True
            sw.cleared = False
        code = loop.code()
        dut.therm_code.value = code
        dut.therm_sample.value = 1
        await Timer(PERIOD_NS, "ns")
        dut.therm_sample.value = 0
        sw.next_sample = _now() + n - 1
        ref_level, fault = ref_sample(ctrl, code)
        await Timer(DECISION_DELAY * PERIOD_NS, "ns")
        level = int(dut.throttle_level.value)
        if level == 4 and ctrl.cool:
            sw.clear_request.set()
        spent = 1 + DECISION_DELAY
        if loop.k == upset_step:
            state = _controller_state(tb.tile)
            upset = await _inject(tb, rng, state, loop.k)
            spent = n - (sw.next_sample - _now())
        await Timer((n - spent) * PERIOD_NS, "ns")
        feed, sram, done = int(dut.act_feed.value), int(dut.act_sram.value), sw.done
        loop.advance(code, level, ref_level, fault, False, (feed - feed0) % (1 << 32),
                     (sram - sram0) % (1 << 32), done - done0)
        feed0, sram0, done0 = feed, sram, done
    return upset


@cocotb.test()
async def thermal_closed_loop(dut):
    request = json.loads(Path(REQUEST.require()).read_text())
    scenario = SCENARIOS[request["scenario"]]
    seed = int(request["seed"])
    dut.therm_sample.value = 0
    dut.therm_code.value = 0
    tb = GemmTileTestbench(dut, period_ns=PERIOD_NS)
    await tb.reset()
    rng = np.random.default_rng([seed, 0x6E])
    sw = GemmSoftware(tb, tuple(request["gemm_dims"]), rng, request.get("corrupt", "none"))
    # Baseline: the second of two unthrottled GEMMs (the first also creates the handles).
    await sw.gemm()
    t0 = _now()
    await sw.gemm()
    baseline = _now() - t0
    sw.done = 0
    await FallingEdge(dut.clk)
    steps = scenario.steps(float(request["orbits"]))
    loop = ClosedLoop(scenario, tb.cfg, steps, seed, request["temps"])
    upset_step = None if scenario.upset_at is None else int(scenario.upset_at * steps)
    software = cocotb.start_soon(sw.run())
    upset = await _thermal_task(tb, loop, sw, np.random.default_rng([seed, 0x75]), upset_step)
    sw.stop = True
    # Long enough for a GEMM at level 3 (4x the datapath cycles), not for one held in shutdown.
    timeout = Timer(8 * baseline * PERIOD_NS, "ns")
    abandoned = await First(software.complete, timeout) is timeout
    if abandoned:
        software.cancel()
    status = await tb.read_reg(Reg.STATUS)
    if upset is not None:
        upset["tmr_mismatch"] = bool(status & Status.TMR_MISMATCH)
        upset["diverged_samples"] = int(np.sum(np.asarray(loop.trace["level"])
                                               != np.asarray(loop.trace["ref_level"])))
    registers = {}
    for name in ("THERM_STATUS", "THERM_EVENTS", "THERM_THROTTLED", "ACT_FEED", "ACT_SRAM"):
        if hasattr(Reg, name):
            registers[name] = await tb.read_reg(getattr(Reg, name))
    reply = {"mode": "rtl", "scenario": scenario.name, "config": tb.cfg.name, "seed": seed,
             "orbits": float(request["orbits"]), "dt_s": scenario.dt_s,
             "cycles_per_step": scenario.cycles_per_step, "baseline_cycles": baseline,
             "gemm_dims": list(sw.dims), "gemms_checked": sw.done + 2 - int(abandoned),
             "gemm_mismatches": sw.mismatches, "clears": sw.clears,
             "abandoned_gemm": abandoned, "upset": upset, "registers": registers,
             "trace": loop.trace}
    with open(REPLY.require(), "w") as f:
        json.dump(reply, f)
