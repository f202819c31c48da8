"""Directed single-event upsets in the tile's state registers (run by tests/testbenches).

The hardening profile is read from the DUT (HARDENING register). With TMR, flipping any bit
of any one copy of any triplicated register, at a random cycle of a GEMM, must leave the
result bit-exact and raise STATUS.TMR_MISMATCH and TMR_ERRORS. Without hardening, the same
kind of upset in a command register must visibly corrupt the result: proof that the upsets
really land (the negative control).
"""

from __future__ import annotations

import re

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge

from golden_models.tile import gemm_cycles
from orbitbench.params import HARDENING_PROFILES, GemmCommand
from orbitbench.regmap import Reg, Status

from .stimulus import GemmCase
from .tile_tb import GemmTileTestbench

COPY = re.compile(r"^(?P<reg>.+)_tmr(?P<copy>[012])$")


def _ones_case(tb: GemmTileTestbench, k: int = 8) -> GemmCase:
    """All-ones operands, unit scale, mid-range clamp: every output is exactly K, so any
    change to a command field or to the accumulation shows in the result."""
    R, C = tb.cfg.rows, tb.cfg.cols
    m, n = R + 1, C + 1  # two row blocks and two column blocks: the loop counters matter
    ones = np.ones(n, dtype=np.int64)
    cmd = GemmCommand(m=m, k=k, n=n, qmult=1 << 30, qshift=1, per_channel=False)
    return GemmCase(cmd, np.ones((m, k), np.int8), np.ones((k, n), np.int8), 0 * ones,
                    ones << 30, ones, "ones")


async def _profile(tb: GemmTileTestbench) -> str:
    return HARDENING_PROFILES[await tb.read_reg(Reg.HARDENING)]


def _triplicated(tile) -> dict[str, list]:
    """Register name -> its three copy handles, discovered from the DUT's signals."""
    regs: dict[str, dict[int, object]] = {}
    for handle in tile:
        match = COPY.match(handle._name)
        if match:
            regs.setdefault(match["reg"], {})[int(match["copy"])] = handle
    return {name: [copies[i] for i in range(3)] for name, copies in sorted(regs.items())
            if len(copies) == 3}


async def _gemm_with_upset(tb, case, handle, bit, at_cycle):
    """Run ``case`` and flip ``bit`` of ``handle`` ``at_cycle`` cycles after START."""
    await tb.load(case.image(tb.cfg, tb.shadow), path="backdoor")
    expected, _ = tb.expect(case.cmd)
    await tb.program(case.cmd)
    await tb.write_reg(Reg.IRQ_ENABLE, 1)
    await tb.start()
    await ClockCycles(tb.dut.clk, at_cycle)
    # Flip mid-cycle: right after a rising edge the simulator may still be updating the flops
    # (a flip then races the edge and can vanish); at the falling edge the state is stable.
    await FallingEdge(tb.dut.clk)
    value = handle.value
    old = value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)  # 1-bit: Logic
    handle.value = old ^ (1 << bit)
    await tb.wait_done()
    status = await tb.read_reg(Reg.STATUS)
    errors = await tb.read_reg(Reg.TMR_ERRORS)
    await tb.write_reg(Reg.STATUS, Status.DONE | Status.ERROR | Status.TMR_MISMATCH)
    await tb.write_reg(Reg.TMR_ERRORS, 0)
    observed = tb.backdoor.peek("c")
    tb.shadow.c = observed.copy()
    return expected, observed, status, errors


@cocotb.test()
async def upset_every_triplicated_register(dut):
    """TMR profile: one flipped copy of any register never changes a GEMM result."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    profile = await _profile(tb)
    regs = _triplicated(tb.tile)
    if profile != "tmr":
        assert not regs, f"profile {profile} must not triplicate anything: {sorted(regs)}"
        dut._log.info("profile %s: no triplicated registers, as required", profile)
        return
    assert {"ctrl_state", "k", "reg_m", "qmult", "busy"} <= set(regs), sorted(regs)
    rng = np.random.default_rng([cocotb.RANDOM_SEED, 11])
    case = _ones_case(tb)
    cycles = gemm_cycles(tb.cfg, case.cmd)
    for name, copies in regs.items():
        copy = int(rng.integers(3))
        handle = copies[copy]
        bit = int(rng.integers(len(handle)))
        at = int(rng.integers(1, cycles - 1))
        expected, observed, status, errors = await _gemm_with_upset(tb, case, handle, bit, at)
        where = f"{name}_tmr{copy} bit {bit} at cycle {at}"
        assert np.array_equal(expected, observed), f"result changed by an upset of {where}"
        assert status & Status.TMR_MISMATCH, f"TMR_MISMATCH not raised for {where}"
        assert errors >= 1, f"TMR_ERRORS not counted for {where}"
        dut._log.info("upset %-28s masked, flagged (TMR_ERRORS=%d)", where, errors)
    dut._log.info("%d triplicated registers upset one at a time: every result bit-exact",
                  len(regs))


@cocotb.test()
async def upset_in_command_register(dut):
    """The same upset (OUT_ZP bit 0, one cycle after START) in every profile: masked and
    flagged with TMR; a wrong result without hardening (negative control)."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    profile = await _profile(tb)
    case = _ones_case(tb)
    target = tb.tile.out_zp_tmr1 if profile == "tmr" else tb.tile.out_zp
    expected, observed, status, errors = await _gemm_with_upset(tb, case, target, 0, 1)
    corrupted = not np.array_equal(expected, observed)
    if profile == "tmr":
        assert not corrupted and status & Status.TMR_MISMATCH and errors >= 1
    else:
        assert corrupted, "an upset of OUT_ZP without TMR left the result intact: did it land?"
        assert not status & Status.TMR_MISMATCH and errors == 0
        dut._log.info("profile %s: the upset corrupted the result, as required", profile)
