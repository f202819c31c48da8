"""Thermal throttling through the real tile RTL (run by tests/testbenches/test_throttle.py).

:class:`ThrottleTestbench` adds to :class:`~testbenches.tile_tb.GemmTileTestbench` a sensor
driver (drives ``therm_code`` / ``therm_sample`` at falling edges and checks the level after
every strobe against :class:`golden_models.throttle.ThrottleController`, the model adapter),
a cycle monitor (``busy`` and ``throttle_level`` of every cycle) and the checks of a
throttled command: bit-exact result, CYCLES equal to the duty-cycle formula applied to the
observed levels, activity counters equal to their formula. The seed is cocotb's.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge

from golden_models.stimulus import GemmCase, random_case
from golden_models.throttle import (
    SHUTDOWN,
    ThrottleController,
    ThrottleParams,
    advances,
    code_from_celsius,
    wall_cycles,
)
from golden_models.tile import gemm_cycles, run_tile
from orbitbench.spec.params import HARDENING_PROFILES
from orbitbench.spec.regmap import THERM_REGS, Reg, Status

from .tile_tb import GemmTileTestbench, tile_signal

C = code_from_celsius
COLD, HOT = C(20), {1: C(86), 2: C(96), 3: C(106), SHUTDOWN: C(116)}


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([cocotb.RANDOM_SEED, salt])


def expected_wall_cycles(levels: list[int], work: int, phase_offset: int = 0) -> int:
    """Busy cycles needed for ``work`` datapath cycles given the level of each busy cycle."""
    done = 0
    for t, level in enumerate(levels):
        done += bool(advances(level, t + phase_offset))
        if done == work:
            return t + 1
    return -1  # not enough cycles observed


class ThrottleTestbench(GemmTileTestbench):
    """The tile testbench plus the sensor driver, cycle monitor and throttle model."""

    def __init__(self, dut, params: ThrottleParams | None = None):
        super().__init__(dut, name="throttle_tb")
        self.params = ThrottleParams() if params is None else params
        self.model = ThrottleController(self.params)
        self.decisions: list[tuple[int, int, int]] = []  # (code, model level, RTL level)
        self.trace: list[tuple[int, int]] = []  # monitor: (busy, level) per cycle
        self._monitoring = False
        dut.therm_code.value = 0
        dut.therm_sample.value = 0

    async def reset(self, cycles: int = 2) -> None:
        self.dut.therm_sample.value = 0
        await super().reset(cycles)
        self.model = ThrottleController(self.params)
        self.decisions = []

    @property
    def level(self) -> int:
        return self.dut.throttle_level.value.to_unsigned()

    # --- sensor driver --------------------------------------------------------------
    async def strobe(self, code: int) -> int:
        """One strobe of ``code``; returns the RTL level the cycle after, checked later."""
        await FallingEdge(self.dut.clk)
        self.dut.therm_code.value = int(code)
        self.dut.therm_sample.value = 1
        await FallingEdge(self.dut.clk)
        self.dut.therm_sample.value = 0
        self.model.sample(int(code))
        self.decisions.append((int(code), self.model.level, self.level))
        return self.level

    async def drive(self, codes, gaps) -> None:
        """Strobe ``codes[i]`` after ``gaps[i]`` idle cycles each (runs concurrently)."""
        for code, gap in zip(codes, gaps, strict=True):
            if gap:
                await ClockCycles(self.dut.clk, int(gap))
            await self.strobe(int(code))

    def decision_mismatches(self) -> list[tuple[int, int, int, int]]:
        return [(i, c, m, r) for i, (c, m, r) in enumerate(self.decisions) if m != r]

    async def clear(self) -> None:
        """THERM_CTRL.CLEAR (no strobe may be in flight)."""
        await self.write_reg(Reg.THERM_CTRL, 1)
        self.model.clear()

    # --- cycle monitor --------------------------------------------------------------
    async def _monitor(self) -> None:
        while self._monitoring:
            await FallingEdge(self.dut.clk)
            self.trace.append((int(self.dut.busy.value), self.level))

    def busy_levels(self) -> list[int]:
        return [level for busy, level in self.trace if busy]

    # --- a throttled command --------------------------------------------------------
    async def throttled_gemm(self, case: GemmCase, *, during=None) -> dict:
        """Run ``case`` with ``during(tb)`` (a coroutine function) running from START on;
        checks result, CYCLES, THERM_THROTTLED and activity counters; returns figures."""
        cfg = self.cfg
        await self.load(case.image(cfg, self.shadow), path="backdoor")
        expected, _ = self.expect(case.cmd)
        await self.program(case.cmd)
        await self.write_reg(Reg.IRQ_ENABLE, 1)
        throttled0 = await self.read_reg(Reg.THERM_THROTTLED)
        feed0, sram0 = self.dut.act_feed.value.to_unsigned(), self.dut.act_sram.value.to_unsigned()
        self.trace, self._monitoring = [], True
        monitor = cocotb.start_soon(self._monitor())
        await self.start()
        task = cocotb.start_soon(during(self)) if during is not None else None
        cycles = await self.wait_done()
        if task is not None:
            await task
        self._monitoring = False
        await monitor
        feed1, sram1 = self.dut.act_feed.value.to_unsigned(), self.dut.act_sram.value.to_unsigned()
        throttled = await self.read_reg(Reg.THERM_THROTTLED) - throttled0
        await self.write_reg(Reg.STATUS, Status.DONE | Status.ERROR)
        observed = self.backdoor.peek("c")
        self.shadow.c = expected.copy()
        bad = np.nonzero(observed != expected)[0]
        assert not len(bad), f"{case.cmd}: {len(bad)} result words differ under throttling"

        work = gemm_cycles(cfg, case.cmd)
        levels = self.busy_levels()
        assert len(levels) == cycles, f"CYCLES={cycles} but {len(levels)} busy cycles seen"
        assert cycles == expected_wall_cycles(levels, work), (
            f"CYCLES={cycles}, duty-cycle formula gives {expected_wall_cycles(levels, work)}")
        assert throttled == cycles - work, f"THERM_THROTTLED={throttled}, {cycles - work} held"
        R, Cc, cmd = cfg.rows, cfg.cols, case.cmd
        nb = -(-cmd.n // Cc)
        blocks = -(-cmd.m // R) * nb
        feed = blocks * cmd.k
        sram = blocks * (cmd.k * (R + Cc) + R * (3 * Cc + int(cfg.ecc))) + nb * cmd.m
        assert (feed1 - feed0) % 2**32 == feed, f"act_feed moved {feed1 - feed0}, want {feed}"
        assert (sram1 - sram0) % 2**32 == sram, f"act_sram moved {sram1 - sram0}, want {sram}"
        return {"cycles": cycles, "work": work, "levels": levels, "observed": observed,
                "expected": expected}


async def _tb(dut, params=None) -> ThrottleTestbench:
    tb = ThrottleTestbench(dut, params)
    await tb.reset()
    return tb


def _small_case(tb, rng, label="throttle"):
    R, Cc = tb.cfg.rows, tb.cfg.cols
    # Moderate zero points: outputs spread over int8 (not all clamped), so that the
    # negative control below can see a changed operand.
    return random_case(tb.cfg, rng, m=int(rng.integers(1, 2 * R + 2)),
                       k=int(rng.integers(1, 12)), n=int(rng.integers(1, 2 * Cc + 2)),
                       extreme_zp=False, label=label)


@cocotb.test()
async def constant_levels_scale_cycles(dut):
    """(a) At each constant level 0..3 a GEMM is bit-exact and CYCLES = wall_cycles(W, L)."""
    tb = await _tb(dut)
    rng = _rng(1)
    case = _small_case(tb, rng)
    seen = {}
    for level in (0, 1, 2, 3):
        await tb.strobe(HOT.get(level, COLD) + int(rng.integers(0, 3)))
        assert tb.level == level
        out = await tb.throttled_gemm(case)
        assert out["cycles"] == wall_cycles(out["work"], level)
        seen[level] = out["cycles"]
        for _ in range(3):  # cool down to 0 one step per sample
            await tb.strobe(COLD + int(rng.integers(0, 3)))
    assert seen[0] < seen[1] < seen[2] < seen[3], seen
    assert not tb.decision_mismatches(), tb.decision_mismatches()[:4]
    dut._log.info("W=%d: CYCLES per level %s", gemm_cycles(tb.cfg, case.cmd), seen)


@cocotb.test()
async def random_level_sequences_bit_exact(dut):
    """(a) Levels forced through random sequences during GEMMs: bit-exact, CYCLES exact;
    negative controls: a phase-shifted formula and a corrupted golden image must disagree."""
    tb = await _tb(dut)
    rng = _rng(2)
    temps = [20, 84, 86, 93, 96, 103, 106, 100, 90, 80]
    shifted_disagrees = 0
    for i in range(4):
        case = _small_case(tb, rng, label=f"random_levels_{i}")
        n = int(rng.integers(8, 30))
        codes = [C(temps[int(j)]) + int(rng.integers(0, 4)) for j in
                 rng.integers(0, len(temps), n)]
        gaps = rng.integers(0, 25, n)

        async def during(tb, codes=codes, gaps=gaps):
            await tb.drive(codes, gaps)

        out = await tb.throttled_gemm(case, during=during)
        shifted = expected_wall_cycles(out["levels"], out["work"], phase_offset=1)
        shifted_disagrees += shifted != out["cycles"]
        # Negative control of the result check: a different operand changes the golden C.
        bad = case.image(tb.cfg, tb.shadow)
        bad.a = bad.a ^ np.uint32(0x0101_0101)  # every A element +-1
        assert not np.array_equal(run_tile(tb.cfg, case.cmd, bad).c, out["observed"])
        dut._log.info("%s: W=%d CYCLES=%d levels seen %s", case.cmd, out["work"],
                      out["cycles"], sorted(set(out["levels"])))
        for _ in range(3):
            await tb.strobe(COLD)
    assert shifted_disagrees, "a phase-shifted duty-cycle formula was never caught"
    assert not tb.decision_mismatches(), tb.decision_mismatches()[:4]


def _trace(rng, n):
    """Random walk around the trip points, jumps, stuck runs and out-of-range spikes."""
    t, out = 85.0, []
    while len(out) < n:
        u = rng.random()
        if u < 0.04:
            out.append(int(rng.integers(0, 4096)))
        elif u < 0.08 and out:
            out += [out[-1]] * int(rng.integers(2, 12))
        elif u < 0.12:
            t = float(rng.uniform(70, 117))
            out.append(C(t))
        else:
            t = float(np.clip(t + rng.normal(0, 1.0), 70, 117))
            out.append(C(t))
    return out[:n]


@cocotb.test()
async def decisions_match_model(dut):
    """(b) Level, flags and counters equal the model's on a random trace fed by strobes;
    negative control: a model with another hysteresis disagrees with the same RTL."""
    params = ThrottleParams(stuck_samples=5)
    tb = await _tb(dut, params)
    await tb.write_reg(Reg.THERM_STUCK, 5)
    rng = _rng(3)
    # A directed sweep through every level first, so coverage never depends on the seed.
    codes = [C(t) for t in (20, 86, 96, 106, 116, 20)] + _trace(rng, 400)
    for i in range(0, len(codes), 25):
        chunk = codes[i:i + 25]
        await tb.drive(chunk, rng.integers(0, 3, len(chunk)))
        if tb.model.level == SHUTDOWN:
            await tb.clear()  # no effect unless the last sample was cool
            await tb.strobe(C(100))
            await tb.clear()
    assert not tb.decision_mismatches(), tb.decision_mismatches()[:4]
    assert {d[1] for d in tb.decisions} == {0, 1, 2, 3, 4}
    for reg, value in ((Reg.THERM_STATUS, tb.model.status_word()),
                       (Reg.THERM_EVENTS, tb.model.events_word()),
                       (Reg.THERM_TEMP, tb.model.temp)):
        got = await tb.read_reg(reg)
        assert got == value, f"{reg.name}: RTL 0x{got:x}, model 0x{value:x}"
    mutated = ThrottleController(ThrottleParams(stuck_samples=5, hyst=24))
    rtl_levels = [r for _, _, r in tb.decisions]
    assert [mutated.sample(c) for c, _, _ in tb.decisions] != rtl_levels
    dut._log.info("%d decisions equal the model; events 0x%08x", len(tb.decisions),
                  tb.model.events_word())


@cocotb.test()
async def critical_shutdown_holds_until_cleared(dut):
    """(c) Level 4 holds a command (no DONE, CYCLES counting) until cooled and cleared."""
    tb = await _tb(dut)
    rng = _rng(4)
    case = _small_case(tb, rng, label="shutdown")
    c_before = tb.backdoor.peek("c")

    async def during(tb):
        await ClockCycles(tb.dut.clk, 150)
        assert tb.dut.busy.value == 1 and tb.dut.irq.value == 0
        status = await tb.read_reg(Reg.STATUS)
        assert status & Status.BUSY and not status & Status.DONE
        assert await tb.read_reg(Reg.CYCLES) >= 150
        assert np.array_equal(tb.backdoor.peek("c"), c_before), "held command wrote results"
        await tb.strobe(C(112))  # cooler, but not below CRIT - HYST: CLEAR does nothing
        await tb.clear()
        assert tb.level == SHUTDOWN
        await tb.strobe(C(60))  # cool; still latched
        await ClockCycles(tb.dut.clk, 20)
        assert tb.level == SHUTDOWN and tb.dut.busy.value == 1
        await tb.clear()
        assert tb.level == 3
        await tb.drive([C(30)] * 3, [40, 40, 40])

    await tb.strobe(HOT[SHUTDOWN])
    assert tb.level == SHUTDOWN
    out = await tb.throttled_gemm(case, during=during)
    assert out["levels"][:150].count(SHUTDOWN) == 150
    assert not tb.decision_mismatches(), tb.decision_mismatches()[:4]
    dut._log.info("shutdown: CYCLES=%d for W=%d", out["cycles"], out["work"])


@cocotb.test()
async def registers_defaults_and_write_read(dut):
    """(d) THERM_* registers read their reset values, write/read back, W1C and clears."""
    tb = await _tb(dut)
    p = tb.params
    defaults = {Reg.THERM_CTRL: 0, Reg.THERM_STATUS: 0, Reg.THERM_TEMP: 0,
                Reg.THERM_TRIP1: p.trip1, Reg.THERM_TRIP2: p.trip2, Reg.THERM_TRIP3: p.trip3,
                Reg.THERM_CRIT: p.crit, Reg.THERM_HYST: p.hyst,
                Reg.THERM_RANGE: p.range_min | (p.range_max << 16),
                Reg.THERM_STUCK: p.stuck_samples, Reg.THERM_SAFE_LEVEL: p.safe_level,
                Reg.THERM_EVENTS: 0, Reg.THERM_THROTTLED: 0}
    assert set(defaults) | {Reg.ACT_FEED, Reg.ACT_SRAM} == set(THERM_REGS)
    for reg, value in defaults.items():
        got = await tb.read_reg(reg)
        assert got == value, f"{reg.name}: reads 0x{got:x} after reset, expected 0x{value:x}"
    for reg, written, readback in [
            (Reg.THERM_TRIP1, 0xFFFF_F123, 0x123), (Reg.THERM_CRIT, 0x800, 0x800),
            (Reg.THERM_HYST, 7, 7), (Reg.THERM_RANGE, 0xF0AB_F0CD, 0x00AB_00CD),
            (Reg.THERM_STUCK, 0x1FF, 0xFF), (Reg.THERM_SAFE_LEVEL, 6, 4),
            (Reg.THERM_SAFE_LEVEL, 1, 1), (Reg.THERM_TEMP, 5, 0), (Reg.THERM_CTRL, 0, 0)]:
        await tb.write_reg(reg, written)
        got = await tb.read_reg(reg)
        assert got == readback, f"{reg.name}: wrote 0x{written:x}, read 0x{got:x}"
    # ACT_* read the ports; writes are ignored.
    feed = tb.dut.act_feed.value.to_unsigned()
    await tb.write_reg(Reg.ACT_FEED, 0)
    assert await tb.read_reg(Reg.ACT_FEED) == feed
    await tb.reset()
    # A sensor fault is sticky and W1C; EVENTS clears on write.
    await tb.strobe(C(-50))
    assert (await tb.read_reg(Reg.THERM_STATUS)) == tb.model.status_word()
    await tb.write_reg(Reg.THERM_STATUS, 1 << 6)
    tb.model.clear_fault()
    assert (await tb.read_reg(Reg.THERM_STATUS)) == tb.model.status_word()
    assert (await tb.read_reg(Reg.THERM_EVENTS)) == tb.model.events_word() == 1 | (1 << 24)
    await tb.write_reg(Reg.THERM_EVENTS, 0)
    assert await tb.read_reg(Reg.THERM_EVENTS) == 0


@cocotb.test()
async def upset_in_controller_state(dut):
    """(e) TMR profiles: an upset of one copy of the level is out-voted and flagged and the
    decisions still match; without TMR the same upset changes the level (negative control)."""
    tb = await _tb(dut)
    tmr = "tmr" in HARDENING_PROFILES[await tb.read_reg(Reg.HARDENING)]
    await tb.strobe(HOT[2])
    assert tb.level == 2
    # The throttle controller's level register (one copy of it with TMR).
    handle = tile_signal(tb.tile, "throttle", "therm_level_tmr1" if tmr else "therm_level")
    await FallingEdge(tb.dut.clk)
    handle.value = handle.value.to_unsigned() ^ 0b010  # level 2 -> 0 in this copy
    await FallingEdge(tb.dut.clk)
    if tmr:
        assert tb.level == 2, "voted level changed by an upset of one copy"
        assert (await tb.read_reg(Reg.STATUS)) & Status.TMR_MISMATCH
        assert await tb.read_reg(Reg.TMR_ERRORS) >= 1
    else:
        assert tb.level == 0, "an upset of the unhardened level register did not land"
    # The next decisions: in TMR equal to the model; without it the upset shows (92 degC
    # holds level 2 inside the hysteresis band but raises a corrupted level 0 only to 1).
    await tb.drive([C(92), C(97), C(85)], [2, 2, 2])
    if tmr:
        assert not tb.decision_mismatches(), tb.decision_mismatches()
    else:
        assert tb.decision_mismatches(), "the decision checker missed a corrupted level"
    dut._log.info("profile tmr=%s: decisions %s", tmr, tb.decisions)
