"""Directed single-event upsets in the tile's state registers (run by tests/testbenches).

The hardening profile is read from the DUT (HARDENING register), the selectively
triplicated groups (``TileConfig.tmr_groups``) from the design's parameters. With TMR,
flipping any bit of any one copy of any triplicated register, at a random cycle of a GEMM,
must leave the result bit-exact and raise STATUS.TMR_MISMATCH and TMR_ERRORS; exactly the
configured registers have copies. Without hardening, the same
kind of upset in a command register must visibly corrupt the result: proof that the upsets
really land (the negative control).
"""

from __future__ import annotations

import re

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from golden_models.stimulus import GemmCase
from golden_models.tile import gemm_cycles
from orbitbench.spec.params import HARDENING_PROFILES, GemmCommand
from orbitbench.spec.regmap import Reg, Region, Status, region_base

from .tile_tb import GemmTileTestbench, tile_scopes, tile_signal

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
    """Register name -> its three copy handles, discovered from the DUT's signals (the top
    module's and its components')."""
    regs: dict[str, dict[int, object]] = {}
    for handle in (h for scope in tile_scopes(tile) for h in scope):
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
    # The groups' registers, named as their copies are (selective TMR: only these).
    wanted = {g.split(".", 1)[1] for g in tb.cfg.triplicated_groups}
    assert set(regs) == wanted, f"triplicated {sorted(regs)}, configured {sorted(wanted)}"
    if not regs:
        dut._log.info("profile %s: no triplicated registers, as required", profile)
        return
    if "tmr" in profile:
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
    tmr = "regfile.out_zp" in tb.cfg.triplicated_groups
    target = tile_signal(tb.tile, "regfile", "out_zp_tmr1" if tmr else "out_zp")
    expected, observed, status, errors = await _gemm_with_upset(tb, case, target, 0, 1)
    corrupted = not np.array_equal(expected, observed)
    if tmr:
        assert not corrupted and status & Status.TMR_MISMATCH and errors >= 1
    else:
        assert corrupted, "an upset of OUT_ZP without TMR left the result intact: did it land?"
        assert not status & Status.TMR_MISMATCH and errors == 0
        dut._log.info("profile %s: the upset corrupted the result, as required", profile)


# --- Scratchpad upsets (ECC profiles; negative control without ECC) --------------------


def _flip(tb, region, word, bits):
    """Flip stored data bits ``bits`` of bus word ``word``; returns the touched rows."""
    touched = {}
    for bit in bits:
        name, row, phys = tb.backdoor.physical_bit(region, word, bit)
        handle = tb.backdoor._mem(name)[row]
        value = touched.get((name, row), handle.value.to_unsigned())
        touched[(name, row)] = value ^ (1 << phys)
    for (name, row), value in touched.items():
        tb.backdoor._mem(name)[row].value = value
    return touched


def _raw(tb, name, row):
    return tb.backdoor._mem(name)[row].value.to_unsigned()


async def _run_ones(tb, case, flip_bits, word=0):
    """Load the all-ones case, flip ``flip_bits`` of A word ``word``, run it; returns
    (result correct?, STATUS, ECC_CORRECTED, ECC_UNCORRECTABLE, ECC_LAST_ADDR, irq)."""
    await tb.load(case.image(tb.cfg, tb.shadow), path="backdoor")
    expected, _ = tb.expect(case.cmd)
    await FallingEdge(tb.dut.clk)
    _flip(tb, "a", word, flip_bits)
    await tb.program(case.cmd)
    await tb.write_reg(Reg.IRQ_ENABLE, 0b11)
    await tb.start()
    # Wait for the end of the command on busy, not irq: an uncorrectable read raises irq early.
    if not tb.dut.busy.value:
        await RisingEdge(tb.dut.busy)
    await FallingEdge(tb.dut.busy)
    irq = int(tb.dut.irq.value)
    status = await tb.read_reg(Reg.STATUS)
    counts = [await tb.read_reg(r) for r in (Reg.ECC_CORRECTED, Reg.ECC_UNCORRECTABLE,
                                             Reg.ECC_LAST_ADDR)]
    await tb.write_reg(Reg.STATUS, 0x1F)
    await tb.write_reg(Reg.ECC_CORRECTED, 0)
    await tb.write_reg(Reg.ECC_UNCORRECTABLE, 0)
    observed = tb.backdoor.peek("c")
    tb.shadow.c = observed.copy()
    return (np.array_equal(expected, observed), status, *counts, irq)


@cocotb.test()
async def scratchpad_single_bit_upset(dut):
    """One stored bit of an operand flipped: corrected, counted and repaired with ECC; a
    wrong result without ECC (negative control)."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    case = _ones_case(tb)
    ok, status, corrected, uncorrectable, last, _ = await _run_ones(tb, case, [7])
    if not tb.cfg.ecc:
        assert not ok, "a flipped operand bit without ECC left the result intact"
        dut._log.info("profile %s: the upset corrupted the result, as required",
                      tb.cfg.hardening)
        return
    assert ok, "a single-bit upset changed the result despite ECC"
    assert corrected >= 1 and uncorrectable == 0 and not status & Status.ECC_UE
    assert last == region_base(Region.A), f"ECC_LAST_ADDR 0x{last:x}"
    name, row, _ = tb.backdoor.physical_bit("a", 0, 7)
    # Writeback: the stored word is whole again (the logical read and a fresh encoding agree).
    assert tb.backdoor.peek("a")[0] == tb.shadow.a[0]
    before = _raw(tb, name, row)
    tb.backdoor.poke("a", tb.shadow.a, only=np.array([0]))
    await FallingEdge(dut.clk)
    assert _raw(tb, name, row) == before, "writeback did not restore the stored codeword"
    # A bus read of a word with a flipped stored bit returns the original word.
    address = region_base(Region.BIAS) + 4
    await tb.bus.write(address, 0x1234_5678)
    await FallingEdge(dut.clk)
    _flip(tb, "bias", 1, [12])
    assert await tb.bus.read(address) == 0x1234_5678, "bus read not corrected"
    assert await tb.read_reg(Reg.ECC_CORRECTED) == 1
    assert await tb.read_reg(Reg.ECC_LAST_ADDR) == address
    tb.shadow = tb.backdoor.peek_image()


@cocotb.test()
async def scratchpad_double_bit_upset(dut):
    """Two bits of one codeword: flagged uncorrectable (STATUS.ECC_UE, counter, irq), never
    a silent wrong result."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    if not tb.cfg.ecc:
        dut._log.info("profile %s has no ECC: covered by scratchpad_single_bit_upset",
                      tb.cfg.hardening)
        assert await tb.read_reg(Reg.ECC_UNCORRECTABLE) == 0
        return
    ok, status, corrected, uncorrectable, last, irq = await _run_ones(tb, _ones_case(tb),
                                                                      [0, 1])
    assert uncorrectable >= 1 and status & Status.ECC_UE, "double error not flagged"
    assert irq == 1, "ECC_UE must raise irq with IRQ_ENABLE[1]"
    assert last == region_base(Region.A)
    dut._log.info("double-bit upset flagged (result %s, as allowed when flagged)",
                  "intact" if ok else "wrong")


@cocotb.test()
async def scratchpad_adjacent_upset_interleaved(dut):
    """Two physically adjacent stored bits: with interleaving they belong to different
    codewords and are both corrected."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    if not tb.cfg.ecc or tb.cfg.ecc_interleave < 2:
        assert not tb.cfg.ecc or tb.cfg.ecc_interleave == 1
        return
    case = _ones_case(tb)
    await tb.load(case.image(tb.cfg, tb.shadow), path="backdoor")
    name, row, phys = tb.backdoor.physical_bit("a", 0, 3)
    await FallingEdge(dut.clk)
    handle = tb.backdoor._mem(name)[row]
    handle.value = handle.value.to_unsigned() ^ (0b11 << phys)  # slot s and slot s+1
    result = await tb.gemm(tb.shadow, case.cmd, path="backdoor")
    corrected = await tb.read_reg(Reg.ECC_CORRECTED)
    assert corrected >= 2 and not await tb.read_reg(Reg.STATUS) & Status.ECC_UE, corrected
    dut._log.info("adjacent 2-bit upset corrected in %d reads (CYCLES %d)", corrected,
                  result.cycles)


@cocotb.test()
async def scrubber_repairs_without_reads(dut):
    """A flipped stored bit is repaired by the scrubber within one scrub period of the
    memory, with no functional read; with the scrubber off it stays (negative control)."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    if not tb.cfg.ecc:
        assert await tb.read_reg(Reg.SCRUB_INTERVAL) == 0
        return
    words = len(tb.shadow.bias)
    name, row, phys = tb.backdoor.physical_bit("bias", words - 1, 5)
    depth = len(tb.backdoor._mem(name)) * tb.cfg.ecc_interleave
    for interval, repaired in ((0, False), (3, True)):
        await tb.write_reg(Reg.SCRUB_INTERVAL, interval)
        await FallingEdge(dut.clk)
        good = _raw(tb, name, row)
        tb.backdoor._mem(name)[row].value = good ^ (1 << phys)
        await ClockCycles(dut.clk, depth * max(interval, 3) + 8)
        await FallingEdge(dut.clk)
        now = _raw(tb, name, row)
        assert (now == good) == repaired, (interval, hex(now), hex(good))
        if not repaired:
            tb.backdoor._mem(name)[row].value = good  # undo before the next round
    assert await tb.read_reg(Reg.ECC_CORRECTED) >= 1


# --- Datapath upsets (ABFT profiles; negative control without ABFT) ---------------------


def _datapath_signal(tb, path: str):
    """A register inside the datapath, e.g. ``array.pe_1_2.acc``."""
    handle = tb.tile.datapath
    for part in path.split("."):
        handle = getattr(handle, part)
    return handle


async def _datapath_upsets(tb, path, bit, cycles):
    """The all-ones GEMM once per cycle of ``cycles`` with ``bit`` of datapath register
    ``path`` flipped then; returns one (result correct?, STATUS, CORRECTED, DETECTED) each."""
    case = _ones_case(tb)
    out = []
    for at in cycles:
        expected, observed, status, _ = await _gemm_with_upset(
            tb, case, _datapath_signal(tb, path), bit, at)
        counts = (0, 0)
        if tb.cfg.abft:
            counts = tuple([await tb.read_reg(r) for r in (Reg.ABFT_CORRECTED,
                                                          Reg.ABFT_DETECTED)])
            await tb.write_reg(Reg.STATUS, Status.ABFT_CORRECTED | Status.ABFT_ERROR)
            await tb.write_reg(Reg.ABFT_CORRECTED, 0)
            await tb.write_reg(Reg.ABFT_DETECTED, 0)
        out.append((np.array_equal(expected, observed), status, *counts))
    return out


def _silent(runs):
    """Runs with a wrong result and no ABFT_ERROR: silent data corruption."""
    return [i for i, (ok, status, _, _) in enumerate(runs)
            if not ok and not status & Status.ABFT_ERROR]


@cocotb.test()
async def upset_in_accumulator(dut):
    """A flipped accumulator bit of the first block, at every cycle of its feed: corrected
    in place with ABFT (STATUS.ABFT_CORRECTED, ABFT_CORRECTED = 1, result bit-exact); a
    wrong result without ABFT (negative control)."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    runs = await _datapath_upsets(tb, "array.pe_1_2.acc", 4, range(3, 10))
    if not tb.cfg.abft:
        assert not all(ok for ok, *_ in runs), "accumulator upsets left every result intact"
        return
    assert not _silent(runs), f"silent corruption at upset cycles {_silent(runs)}"
    for ok, status, corrected, detected in runs:
        assert ok and status & Status.ABFT_CORRECTED and (corrected, detected) == (1, 0), \
            (ok, hex(status), corrected, detected)
        assert not status & Status.ABFT_ERROR


@cocotb.test()
async def upset_in_checksum_or_requantizer(dut):
    """ABFT: a checksum accumulator upset is reported (ABFT_ERROR), never "corrected" into
    the data; a requantizer pipeline upset is detected by the duplicate lane or masked,
    never silent; without ABFT the same requantizer upsets corrupt a result."""
    tb = GemmTileTestbench(dut)
    await tb.reset()
    cycles = range(8, 30)
    runs = await _datapath_upsets(tb, "requant_1.s2_ab", 33, cycles)
    if not tb.cfg.abft:
        assert not all(ok for ok, *_ in runs), "requantizer upsets left every result intact"
        return
    assert not _silent(runs), f"silent corruption at upset cycles {_silent(runs)}"
    assert any(status & Status.ABFT_ERROR for _, status, _, _ in runs), "none detected"
    for ok, status, corrected, detected in await _datapath_upsets(
            tb, "array.sum_col_1.acc", 6, range(3, 10)):
        assert ok and corrected == 0 and detected == 1 and status & Status.ABFT_ERROR, \
            (ok, hex(status), corrected, detected)
