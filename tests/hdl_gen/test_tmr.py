"""hdl_gen.tmr: the voted value survives an upset of any one copy, the copies re-synchronise
on the next edge, the mismatch flag reports it; without TMR the same upset is visible."""



import dataclasses
import re

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Fragment, Module, Signal, unsigned
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hdl_gen.throttle import ThrottleController
from hdl_gen.tile import Controller, RegisterFile
from hdl_gen.tmr import StateRegisters, majority
from orbitbench.spec.params import CONFIGS, TMR_BANKS, tmr_group_names


class Mode(enum.Enum, shape=2):
    IDLE = 0
    RUN = 1
    DONE = 2


class Counter(wiring.Component):
    """A counter and an enum state register built on StateRegisters."""

    en: In(1)
    count: Out(8)
    mode: Out(2)
    mismatch: Out(1)

    def __init__(self, tmr):
        self.tmr = tmr
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        self.regs = regs = StateRegisters(m, tmr=self.tmr, name="ctr")
        count = regs.add(unsigned(8), init=5, name="count")
        mode = regs.add(Mode, init=Mode.IDLE, name="mode")
        with m.If(self.en):
            m.d.comb += [count.d.eq(count.q + 1), mode.d.eq(Mode.RUN)]
        m.d.comb += [self.count.eq(count.q), self.mode.eq(mode.q),
                     self.mismatch.eq(regs.mismatch)]
        self.count_reg, self.mode_reg = count, mode
        return m


def _run(dut, testbench):
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


def test_majority_truth_table():
    for a in range(2):
        for b in range(2):
            for c in range(2):
                assert int(majority(a, b, c)) == (a + b + c >= 2)


@pytest.mark.parametrize("flip", [0x81, 0x08], ids=["raises", "lowers"])
@pytest.mark.parametrize("copy", [0, 1, 2])
def test_upset_of_one_copy_is_outvoted_and_repaired(copy, flip):
    # 0x81: a two-bit upset that raises the copy's value (8 -> 0x89); 0x08 lowers it (8 -> 0):
    # the mismatch compare must see a copy that differs either way.
    dut = Counter(tmr=True)
    seen = {}

    async def tb(ctx):
        ctx.set(dut.en, 1)
        for _ in range(3):
            await ctx.tick()
        assert ctx.get(dut.count) == 8 and ctx.get(dut.mismatch) == 0
        target = dut.count_reg.copies[copy]
        ctx.set(target, ctx.get(target) ^ flip)
        seen["during"] = (ctx.get(dut.count), ctx.get(dut.mismatch))
        await ctx.tick()
        seen["after"] = (ctx.get(dut.count), ctx.get(dut.mismatch),
                         [ctx.get(c) for c in dut.count_reg.copies])

    _run(dut, tb)
    assert seen["during"] == (8, 1), "voted value must hide the upset; mismatch must flag it"
    assert seen["after"] == (9, 0, [9, 9, 9]), "copies must re-synchronise on the next edge"


def test_enum_register_is_triplicated_too():
    dut = Counter(tmr=True)

    async def tb(ctx):
        ctx.set(dut.en, 1)
        await ctx.tick()
        assert ctx.get(dut.mode) == Mode.RUN.value
        ctx.set(dut.mode_reg.copies[2], Mode.DONE)
        assert ctx.get(dut.mode) == Mode.RUN.value and ctx.get(dut.mismatch) == 1
        await ctx.tick()
        assert ctx.get(dut.mismatch) == 0

    _run(dut, tb)


def test_negative_control_without_tmr_the_upset_is_visible():
    dut = Counter(tmr=False)
    seen = {}

    async def tb(ctx):
        ctx.set(dut.en, 1)
        for _ in range(3):
            await ctx.tick()
        (only,) = dut.count_reg.copies
        ctx.set(only, ctx.get(only) ^ 0x81)
        seen["during"] = (ctx.get(dut.count), ctx.get(dut.mismatch))
        await ctx.tick()
        seen["after"] = ctx.get(dut.count)

    _run(dut, tb)
    assert seen["during"] == (8 ^ 0x81, 0)
    assert seen["after"] == (8 ^ 0x81) + 1


def test_upsets_in_two_registers_at_once_still_flag_a_mismatch():
    """A multi-bit upset can hit two registers in the same cycle: their disagreements must
    OR into ``mismatch``, not cancel (a sum or XOR of two 1s truncated to one bit is 0)."""
    dut = Counter(tmr=True)
    seen = []

    async def tb(ctx):
        ctx.set(dut.en, 1)
        await ctx.tick()
        ctx.set(dut.count_reg.copies[0], ctx.get(dut.count_reg.copies[0]) ^ 1)
        ctx.set(dut.mode_reg.copies[1], Mode.DONE)
        seen.append((ctx.get(dut.count), ctx.get(dut.mode), ctx.get(dut.mismatch)))
        await ctx.tick()
        seen.append(ctx.get(dut.mismatch))

    _run(dut, tb)
    assert seen == [(6, Mode.RUN.value, 1), 0]


def test_add_defaults_to_a_one_bit_register_reset_to_zero():
    for tmr in (False, True):
        m = Module()
        regs = StateRegisters(m, tmr=tmr, name="x")
        flag = regs.add(name="flag")
        assert [(len(s), s.init) for s in (flag.q, flag.d, *flag.copies)] == [(1, 0)] * (
            5 if tmr else 3)
        Fragment.get(m, None)


def test_every_copy_is_kept_from_synthesis_merging():
    """The three copies of a register have identical D inputs: without ``keep`` Yosys's
    opt_merge folds them into one flip-flop and silently undoes the triplication."""
    m = Module()
    regs = StateRegisters(m, tmr=frozenset({"b"}), name="x")
    regs.add(unsigned(3), name="a")
    regs.add(unsigned(3), name="b")
    assert [c.attrs for c in regs.copies] == [{}] + [{"keep": 1}] * 3
    Fragment.get(m, None)


def test_hold_is_the_default():
    dut = Counter(tmr=True)

    async def tb(ctx):
        ctx.set(dut.en, 0)
        for _ in range(4):
            await ctx.tick()
        assert ctx.get(dut.count) == 5 and ctx.get(dut.mode) == Mode.IDLE.value

    _run(dut, tb)


def test_tmr_must_be_a_bool():
    m = Module()
    with pytest.raises(TypeError,
                       match="tmr must be a bool or a frozenset of register names, not 1"):
        StateRegisters(m, tmr=1)
    # Keyword-only: StateRegisters(m, True) would not say what True means.
    with pytest.raises(TypeError, match="positional argument"):
        StateRegisters(m, True)
    StateRegisters(m=m, tmr=False)
    Fragment.get(m, None)  # elaborate it: Amaranth warns about unused modules


def test_copies_lists_every_flip_flop():
    m = Module()
    regs = StateRegisters(m, tmr=True, name="x")
    regs.add(unsigned(3), name="a")
    regs.add(unsigned(1), name="b")
    assert [c.name for c in regs.copies] == [f"x_{r}_tmr{i}" for r in "ab" for i in range(3)]
    assert isinstance(regs.mismatch, Signal)
    Fragment.get(m, None)


def test_selective_triplicates_only_the_named_registers():
    m = Module()
    regs = StateRegisters(m, tmr=frozenset({"b"}), name="x")
    regs.add(unsigned(3), name="a")
    regs.add(unsigned(1), name="b")
    assert [c.name for c in regs.copies] == ["x_a", "x_b_tmr0", "x_b_tmr1", "x_b_tmr2"]
    assert regs.names == ["a", "b"] and not regs.triplicated("a") and regs.triplicated("b")
    Fragment.get(m, None)


_COMPONENTS = {"regfile": RegisterFile, "controller": Controller,
               "throttle": lambda cfg: ThrottleController(tmr=cfg.tmr_of("throttle"))}


def _copies(component, cfg) -> set[str]:
    """Names of the triplicated registers in the component's RTLIL (their copy 0)."""
    text = rtlil.convert(_COMPONENTS[component](cfg), emit_src=False)
    return set(re.findall(r"wire .*\\(\w+)_tmr0\b", text))


@pytest.mark.parametrize("name", ["small_tmr", "small_ecc_tmr", "default_tmr"])
def test_the_group_table_is_what_the_generators_declare(name):
    cfg = CONFIGS[name]
    for component in TMR_BANKS:
        wanted = {g.split(".", 1)[1] for g in tmr_group_names(cfg)
                  if g.startswith(f"{component}.")}
        assert _copies(component, cfg) == wanted, component
        assert cfg.tmr_of(component) is True


def test_full_tmr_is_every_group_through_the_same_code():
    """A configuration naming every group emits what the tmr profile emits, component by
    component (the register file differs only in its HARDENING register constant)."""
    tmr = CONFIGS["small_tmr"]
    every = dataclasses.replace(tmr, hardening="none", tmr_groups=tmr_group_names(tmr))
    for component in ("controller", "throttle"):
        a = rtlil.convert(_COMPONENTS[component](tmr), emit_src=False)
        b = rtlil.convert(_COMPONENTS[component](every), emit_src=False)
        assert a == b, component
    assert _copies("regfile", every) == _copies("regfile", tmr)


def test_selective_config_triplicates_exactly_its_groups():
    cfg = CONFIGS["small_sel10"]
    for component in TMR_BANKS:
        wanted = {g.split(".", 1)[1] for g in cfg.tmr_groups if g.startswith(f"{component}.")}
        assert _copies(component, cfg) == wanted, component
