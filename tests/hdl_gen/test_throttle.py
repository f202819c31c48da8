"""hdl_gen.throttle: RTL decisions equal golden_models.throttle on random and directed traces."""

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import UnusedElaboratable
from amaranth.sim import Simulator

from golden_models.throttle import (
    ThrottleController as Model,
)
from golden_models.throttle import (
    ThrottleParams,
    advances,
    code_from_celsius,
)
from hdl_gen.throttle import ThrottleController
from orbitbench.spec.regmap import THERM_REGS, Reg

C = code_from_celsius
SEED = 7_2026_11
IDX = {reg: int(reg) - int(THERM_REGS[0]) for reg in THERM_REGS}


def random_trace(rng, n):
    """Codes: a random walk around the trip points with jumps, stuck segments and
    out-of-range spikes."""
    t, out = 85.0, []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.04:
            out.append(int(rng.integers(0, 4096)))
        elif kind < 0.08 and out:
            out += [out[-1]] * int(rng.integers(2, 14))
        elif kind < 0.13:
            t = float(rng.uniform(70, 118))
            out.append(C(t))
        else:
            t = float(np.clip(t + rng.normal(0, 1.0), 70, 118))
            out.append(C(t))
    return out[:n]


def run_rtl(dut, steps, observe=None):
    """Drive ``steps`` (dicts: code, sample, write=(reg, value) or None), one per cycle.

    Returns per step the tuple (level, dvfs, STATUS, EVENTS, TEMP) read after the edge.
    """
    out = []

    async def tb(ctx):
        for step in steps:
            ctx.set(dut.code, step.get("code", 0))
            ctx.set(dut.sample, step.get("sample", 0))
            write = step.get("write")
            ctx.set(dut.regs.we, write is not None)
            if write is not None:
                ctx.set(dut.regs.addr, IDX[write[0]])
                ctx.set(dut.regs.wdata, write[1])
            await ctx.tick()
            ctx.set(dut.regs.we, 0)
            ctx.set(dut.sample, 0)
            row = [ctx.get(dut.level), ctx.get(dut.dvfs)]
            for reg in (Reg.THERM_STATUS, Reg.THERM_EVENTS, Reg.THERM_TEMP):
                ctx.set(dut.regs.addr, IDX[reg])
                row.append(ctx.get(dut.regs.rdata))
            out.append(tuple(row))
            if observe is not None:
                observe(ctx, out)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return out


def model_rows(model, steps):
    """The model's view of ``steps``: register writes of a strobe cycle act first (CLEAR,
    W1C of SENSOR_FAULT, EVENTS clear), then the decision (an event of that cycle counts)."""
    out = []
    for step in steps:
        reg, value = step.get("write") or (None, 0)
        if reg == Reg.THERM_CTRL and value & 1:
            model.clear()
        elif reg == Reg.THERM_STATUS and value & (1 << 6):
            model.clear_fault()
        elif reg == Reg.THERM_EVENTS:
            model.raises = model.shutdowns = model.faults = 0
        if step.get("sample"):
            model.sample(step["code"])
        out.append((model.level, model.dvfs, model.status_word(), model.events_word(),
                    model.temp))
    return out


def first_mismatch(rtl_rows, ref_rows):
    for i, (a, b) in enumerate(zip(rtl_rows, ref_rows, strict=True)):
        if tuple(a) != tuple(b):
            return i, a, b
    return None


def random_steps(rng, n, clear_rate=0.05, gap_rate=0.2):
    """Strobes with random idle cycles between them and CLEAR writes (some on strobes)."""
    steps = []
    for code in random_trace(rng, n):
        if rng.random() < gap_rate:
            steps.append({"code": int(rng.integers(0, 4096)), "sample": 0})  # ignored code
        step = {"code": code, "sample": 1}
        if rng.random() < clear_rate:
            step["write"] = (Reg.THERM_CTRL, 1)
        steps.append(step)
    return steps


@pytest.mark.parametrize("tmr", [False, True], ids=["plain", "tmr"])
def test_random_trace_matches_model(tmr):
    rng = np.random.default_rng(SEED + tmr)
    params = ThrottleParams(stuck_samples=6)  # short: stuck segments of 2..14 trip it
    steps = random_steps(rng, 700)
    rtl = run_rtl(ThrottleController(params, tmr=tmr), steps)
    ref = model_rows(Model(params), steps)
    assert first_mismatch(rtl, ref) is None, f"seed {SEED + tmr}: {first_mismatch(rtl, ref)}"
    levels = {row[0] for row in ref}
    assert levels == {0, 1, 2, 3, 4}, f"trace must visit every level, saw {levels}"


def test_negative_control_wrong_rtl_parameter_is_caught():
    """RTL built with a different hysteresis than the model: the comparison must fail."""
    rng = np.random.default_rng(SEED)
    params = ThrottleParams(stuck_samples=6)
    steps = random_steps(rng, 700)
    rtl = run_rtl(ThrottleController(ThrottleParams(stuck_samples=6, hyst=24)), steps)
    assert first_mismatch(rtl, model_rows(Model(params), steps)) is not None


def test_negative_control_mutated_model_is_caught(monkeypatch):
    rng = np.random.default_rng(SEED)
    steps = random_steps(rng, 300)
    original = Model.sample

    def off_by_one(self, code):  # a trip comparison with > instead of >=
        return original(self, code - 1 if code in (self.trip1, self.trip2) else code)

    steps += [{"code": C(85), "sample": 1}, {"code": C(20), "sample": 1}] * 3
    rtl = run_rtl(ThrottleController(), steps)
    monkeypatch.setattr(Model, "sample", off_by_one)
    assert first_mismatch(rtl, model_rows(Model(), steps)) is not None


def test_directed_sequence_matches_model():
    p = ThrottleParams(stuck_samples=3)
    temps = [20, 85, 84.875, 80.875, 95, 105, 101, 100.875, 90, 115, 20, 20, 20, 112, 110,
             20, 20, 20, -41, 151, 30, 30, 30, 30, 30, 31]
    steps = [{"code": C(t), "sample": 1} for t in temps]
    steps.insert(14, {"write": (Reg.THERM_CTRL, 1)})  # after 112: not cool -> no effect
    steps.insert(16, {"write": (Reg.THERM_CTRL, 1)})  # after 110: cool -> level 3
    steps.append({"write": (Reg.THERM_STATUS, 1 << 6)})  # clear SENSOR_FAULT
    steps.append({"write": (Reg.THERM_EVENTS, 0)})
    rtl = run_rtl(ThrottleController(p), steps)
    ref = model_rows(Model(p), steps)
    assert first_mismatch(rtl, ref) is None, first_mismatch(rtl, ref)
    assert [r[0] for r in ref[:4]] == [0, 1, 1, 0]
    assert ref[-1][2] & (1 << 6) == 0 and ref[-1][3] == 0


def test_registers_reset_values_and_write_read():
    p = ThrottleParams()
    dut = ThrottleController(p)
    got = {}
    writes = [(Reg.THERM_TRIP1, 0xF123, 0x123), (Reg.THERM_TRIP2, 0x456, 0x456),
              (Reg.THERM_TRIP3, 0x789, 0x789), (Reg.THERM_CRIT, 0xABC, 0xABC),
              (Reg.THERM_HYST, 0x10, 0x10), (Reg.THERM_RANGE, 0xF111_F222, 0x0111_0222),
              (Reg.THERM_STUCK, 0x1FF, 0xFF), (Reg.THERM_SAFE_LEVEL, 7, 4),
              (Reg.THERM_SAFE_LEVEL, 3, 3), (Reg.ACT_FEED, 5, 0), (Reg.THERM_TEMP, 9, 0)]

    async def tb(ctx):
        for reg in THERM_REGS:
            ctx.set(dut.regs.addr, IDX[reg])
            got[reg] = ctx.get(dut.regs.rdata)
        for reg, value, expect in writes:
            ctx.set(dut.regs.addr, IDX[reg])
            ctx.set(dut.regs.wdata, value)
            ctx.set(dut.regs.we, 1)
            await ctx.tick()
            ctx.set(dut.regs.we, 0)
            assert ctx.get(dut.regs.rdata) == expect, reg.name

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert got[Reg.THERM_TRIP1] == p.trip1 and got[Reg.THERM_TRIP3] == p.trip3
    assert got[Reg.THERM_CRIT] == p.crit and got[Reg.THERM_HYST] == 32
    assert got[Reg.THERM_RANGE] == p.range_min | (p.range_max << 16)
    assert got[Reg.THERM_STUCK] == 64 and got[Reg.THERM_SAFE_LEVEL] == 2
    assert got[Reg.THERM_STATUS] == 0 and got[Reg.THERM_EVENTS] == 0


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_clock_enable_duty_cycle(level):
    """ce follows advances(level, phase) with phase 0 in the first busy cycle; held cycles
    are counted in THERM_THROTTLED; ce is 1 whenever not busy."""
    dut = ThrottleController(ThrottleParams(stuck_samples=0))
    code = {0: 20, 1: 86, 2: 96, 3: 106, 4: 116}[level]
    seen = {}

    async def tb(ctx):
        ctx.set(dut.code, C(code))
        ctx.set(dut.sample, 1)
        await ctx.tick()
        ctx.set(dut.sample, 0)
        for _ in range(3):  # phase is free-running before START
            await ctx.tick()
        seen["idle_ce"] = ctx.get(dut.ce)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.busy, 1)
        ces = []
        for _ in range(12):
            ces.append(ctx.get(dut.ce))
            await ctx.tick()
        ctx.set(dut.busy, 0)
        ctx.set(dut.regs.addr, IDX[Reg.THERM_THROTTLED])
        seen["ces"], seen["throttled"] = ces, ctx.get(dut.regs.rdata)
        seen["level"] = ctx.get(dut.level)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert seen["level"] == level and seen["idle_ce"] == 1
    expect = [bool(advances(level, t)) for t in range(12)]
    assert [bool(c) for c in seen["ces"]] == expect
    assert seen["throttled"] == 12 - sum(expect)


def test_activity_counters():
    dut = ThrottleController()
    pattern = [(1, 5), (0, 7), (1, 0), (1, 255)]

    async def tb(ctx):
        for feed, sram in pattern:
            ctx.set(dut.feed_step, feed)
            ctx.set(dut.sram_access, sram)
            await ctx.tick()
        assert ctx.get(dut.act_feed) == 3 and ctx.get(dut.act_sram) == 267

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


def test_tmr_upset_outvoted_and_negative_control():
    """An upset of one copy of the level is out-voted (mismatch flagged, decisions continue
    to match); without TMR the same upset changes the level."""
    for tmr in (True, False):
        dut = ThrottleController(tmr=tmr)
        seen = {}

        async def tb(ctx, dut=dut, seen=seen):
            ctx.set(dut.code, C(96))
            ctx.set(dut.sample, 1)
            await ctx.tick()
            ctx.set(dut.sample, 0)
            frag_sig = dut.state["level"].copies[0]
            ctx.set(frag_sig, ctx.get(frag_sig) ^ 0b110)  # level 2 -> 4 in one copy
            seen["during"] = (ctx.get(dut.level), ctx.get(dut.mismatch))
            ctx.set(dut.code, C(97))
            ctx.set(dut.sample, 1)
            await ctx.tick()
            seen["after"] = ctx.get(dut.level)

        sim = Simulator(dut)
        sim.add_clock(1e-6)
        sim.add_testbench(tb)
        sim.run()
        if tmr:
            assert seen["during"] == (2, 1) and seen["after"] == 2
        else:
            assert seen["during"][0] == 4 and seen["after"] == 4


@pytest.mark.parametrize("kwargs,exc,message", [
    ({"params": 5}, TypeError, "params must be a ThrottleParams, not 5"),
    ({"tmr": 1}, TypeError, "tmr must be a bool or a frozenset of register names, not 1"),
])
def test_parameters_validated(kwargs, exc, message):
    seen = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        try:
            ThrottleController(**kwargs)
        except exc as error:
            seen = str(error)
        gc.collect()  # the half-built component, inside the warning filter
    assert seen == message


def test_tile_throttle_parameter_validated():
    from hdl_gen.tile import GemmTile
    from orbitbench.spec.params import CONFIGS

    seen = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        try:
            GemmTile(CONFIGS["small"], throttle={"trip1": 1})
        except TypeError as error:
            seen = str(error)
        gc.collect()
    assert seen == "throttle must be a ThrottleParams, not {'trip1': 1}"
