"""Directed cocotb tests of the GEMM tile (run by tests/testbenches/test_tile.py).

The seed is cocotb's (``COCOTB_RANDOM_SEED``, printed at start); every test derives its NumPy
generator from it, so a failure reproduces with the same seed.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

import golden_models.tile
from golden_models.stimulus import GemmCase, corner_cases, random_case
from golden_models.tile import gemm_cycles
from orbitbench.driver.program import BusOp, gemm_program
from orbitbench.spec.params import GemmCommand
from orbitbench.spec.regmap import Reg, Region, Status, reg_addr, region_base

from .tile_tb import REGIONS, GemmTileTestbench, Mismatch


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([cocotb.RANDOM_SEED, salt])


async def _tb(dut) -> GemmTileTestbench:
    tb = GemmTileTestbench(dut)
    await tb.reset()
    return tb


@cocotb.test()
async def registers(dut):
    """Identification, reset values, read/write with sign extension, unmapped reads 0."""
    tb = await _tb(dut)
    assert await tb.read_reg(Reg.STATUS) == 0
    assert await tb.read_reg(Reg.ACT_MIN) == 0xFFFF_FF80
    assert await tb.read_reg(Reg.ACT_MAX) == 127
    assert await tb.read_reg(Reg.QMULT) == 1 << 30
    for reg, written, readback in [
            (Reg.M, 0x1_2345, 0x2345), (Reg.K, 7, 7), (Reg.N, 0xFFFF, 0xFFFF),
            (Reg.A_ZP, 0x80, 0xFFFF_FF80), (Reg.B_ZP, 0x7F, 0x7F), (Reg.OUT_ZP, 0xFF, 0xFFFF_FFFF),
            (Reg.QMODE, 7, 3 if tb.cfg.selectable else 1), (Reg.QMULT, 0x8000_0000, 0x8000_0000),
            (Reg.QSHIFT, 0x21, 0xFFFF_FFE1), (Reg.IRQ_ENABLE, 1, 1)]:
        await tb.write_reg(reg, written)
        got = await tb.read_reg(reg)
        assert got == readback, f"{reg.name}: wrote 0x{written:x}, read 0x{got:x}"
    assert await tb.read_reg(Reg.CTRL) == 0
    assert await tb.bus.read(reg_addr(Reg.CYCLES) + 4 * 40) == 0  # unmapped


@cocotb.test()
async def scratchpad_bus_matches_backdoor(dut):
    """Every region: bus writes land where the backdoor says, bus reads return them."""
    tb = await _tb(dut)
    rng = _rng(1)
    for region, bus_region in REGIONS.items():
        words = len(getattr(tb.shadow, region))
        idx = np.unique(np.concatenate([[0, words - 1], rng.integers(0, words, 24)]))
        data = rng.integers(0, 1 << 32, size=len(idx), dtype=np.uint64).astype(np.uint32)
        if region == "shift":
            data &= 0x3F
        for w, value in zip(idx, data, strict=True):
            await tb.bus.write(region_base(bus_region) + 4 * int(w), int(value))
        peek = tb.backdoor.peek(region)
        assert np.array_equal(peek[idx], data), f"{region}: backdoor disagrees with bus writes"
        for w, value in zip(idx[:6], data[:6], strict=True):
            got = await tb.bus.read(region_base(bus_region) + 4 * int(w))
            expect = int(value) if region != "shift" else (int(value) - 64 * (value >= 32))
            assert got == expect & 0xFFFF_FFFF, f"{region}[{w}]: read 0x{got:x}"
        # Beyond capacity: reads 0, writes ignored.
        await tb.bus.write(region_base(bus_region) + 4 * words, 0xDEAD_BEEF)
        assert await tb.bus.read(region_base(bus_region) + 4 * words) == 0
        assert np.array_equal(tb.backdoor.peek(region)[idx], data)
    # Byte selects on an operand word.
    base = region_base(Region.A)
    await tb.bus.write(base, 0x1122_3344)
    await tb.bus.write(base, 0xAABB_CCDD, sel=0b0101)
    assert await tb.bus.read(base) == 0x11BB_33DD
    tb.shadow = tb.backdoor.peek_image()


@cocotb.test()
async def bus_player_matches_master(dut):
    """The harness's HDL bus player writes and reads exactly like the Python master, including
    a batch longer than its memory (split into several plays)."""
    tb = await _tb(dut)
    if tb.player is None:
        raise AssertionError("this test needs the testbench harness (sim.tile_design)")
    rng = _rng(8)
    words = min(len(tb.shadow.a), tb.player.depth + 37)
    data = rng.integers(0, 1 << 32, size=words, dtype=np.uint64).astype(np.uint32)
    base = region_base(Region.A)
    await tb.player.play([BusOp.write(base + 4 * w, int(v)) for w, v in enumerate(data)])
    assert np.array_equal(tb.backdoor.peek("a")[:words], data), "player writes misplaced"
    reads = await tb.player.play([BusOp.read(base + 4 * w) for w in range(words)])
    assert reads == data.tolist(), "player reads differ from memory"
    master = await tb.bus.read_burst(base, 16)
    assert master == data[:16].tolist(), "Python master disagrees with the player"
    tb.shadow = tb.backdoor.peek_image()


@cocotb.test()
async def transfers_take_two_cycles_on_player_and_master(dut):
    """Back-to-back transfers take two cycles each, through the player (busy for exactly
    2 x transfers cycles) and through the Python master executing the same ops."""
    tb = await _tb(dut)
    base = region_base(Region.BIAS)
    ops = [BusOp.write(base + 4 * w, 0x0101_0101 * w) for w in range(tb.cfg.max_n)]
    ops += [BusOp.read(base + 4 * w) for w in range(tb.cfg.max_n)]
    expected = [0x0101_0101 * w for w in range(tb.cfg.max_n)]

    async def busy_window():
        await RisingEdge(dut.player_busy)
        t1 = get_sim_time("ns")
        await FallingEdge(dut.player_busy)
        return (get_sim_time("ns") - t1) // 10

    if tb.player is not None:
        window = cocotb.start_soon(busy_window())
        reads = await tb.player.play(ops)
        assert await window == 2 * len(ops), "player: not two cycles per transfer"
        assert reads == expected
    t0 = get_sim_time("ns")
    reads = await tb.bus.execute(ops)
    # execute returns on the clock edge that ends the last transfer's ack cycle.
    assert (get_sim_time("ns") - t0) // 10 == 2 * len(ops), "master: not two per transfer"
    assert reads == expected
    tb.shadow = tb.backdoor.peek_image()


@cocotb.test()
async def program_reads_what_it_expects(dut):
    """The whole tile program (frontdoor load, run, readback, counters) played through the
    player and executed by the Python master: every read equals its expected word."""
    tb = await _tb(dut)
    rng = _rng(9)
    for master in (False, True):
        case = random_case(tb.cfg, rng, m=min(5, tb.cfg.max_m), k=7, n=6)
        image = case.image(tb.cfg, tb.shadow)
        prog = gemm_program(tb.cfg, case.cmd, image, load="changed", shadow=tb.shadow,
                            counters=True)
        reads = await tb.play(prog.ops, master=master)
        tb.shadow = image
        tb.shadow.c = prog.golden.c.copy()
        assert len(reads) == prog.reads
        bad = [(i, e, r) for i, (e, r) in enumerate(zip(prog.expected, reads, strict=True))
               if e is not None and e != r]
        assert not bad, f"master={master}: reads differ from the program's words: {bad[:4]}"
        assert reads[prog.cycles_read] == gemm_cycles(tb.cfg, case.cmd)


@cocotb.test()
async def corner_gemms(dut):
    """Named corner cases: dimensions, operand/zero-point extremes, clamps, shifts."""
    tb = await _tb(dut)
    rng = _rng(2)
    for case in corner_cases(tb.cfg, rng):
        result = await tb.gemm(case.image(tb.cfg, tb.shadow), case.cmd)
        assert result.cycles == gemm_cycles(tb.cfg, case.cmd), case.label
        dut._log.info("%-34s %4dx%-4dx%-4d %6d cycles  ok", case.label, case.cmd.m,
                      case.cmd.k, case.cmd.n, result.cycles)


@cocotb.test()
async def random_gemms(dut):
    """Random dimensions, data and quantization; back-to-back commands share memory."""
    tb = await _tb(dut)
    rng = _rng(3)
    for _ in range(12):
        case = random_case(tb.cfg, rng)
        await tb.gemm(case.image(tb.cfg, tb.shadow), case.cmd, path="backdoor", readback=False)


@cocotb.test()
async def bad_dimensions_set_error(dut):
    """M, K or N of 0 or above capacity: ERROR and DONE, nothing written, 0 cycles."""
    tb = await _tb(dut)
    cfg = tb.cfg
    case = random_case(cfg, _rng(4), m=3, k=3, n=3)
    await tb.load(case.image(cfg, tb.shadow))
    for m, k, n in [(0, 1, 1), (1, 0, 1), (1, 1, 0), (cfg.max_m + 1, 1, 1),
                    (1, cfg.max_k + 1, 1), (1, 1, cfg.max_n + 1)]:
        cmd = GemmCommand(m=m, k=k, n=n)
        result = await tb.gemm(tb.shadow, cmd)
        assert result.error and result.cycles == 0, (m, k, n)
    # A good command afterwards clears ERROR.
    result = await tb.gemm(tb.shadow, case.cmd)
    assert not result.error


@cocotb.test()
async def busy_behaviour(dut):
    """While busy: STATUS reads BUSY, scratchpad accesses stall until done, command
    registers and a second START are ignored; irq follows DONE & IRQ_ENABLE."""
    tb = await _tb(dut)
    cfg = tb.cfg
    case = random_case(cfg, _rng(5), m=cfg.max_m, k=cfg.max_k, n=cfg.max_n)
    await tb.load(case.image(cfg, tb.shadow), path="backdoor")
    expected, _ = tb.expect(case.cmd)
    await tb.program(case.cmd)
    await tb.write_reg(Reg.IRQ_ENABLE, 0)
    await tb.start()
    assert await tb.read_reg(Reg.STATUS) == Status.BUSY
    await tb.write_reg(Reg.K, 1)
    await tb.start()
    assert await tb.read_reg(Reg.K) == case.cmd.k
    # A result-memory read issued now completes only when the command is done.
    word = await tb.bus.read(region_base(Region.C))
    assert dut.busy.value == 0
    assert word == expected[0]
    assert dut.irq.value == 0, "irq must stay low with IRQ_ENABLE=0"
    assert await tb.read_reg(Reg.STATUS) == Status.DONE
    await tb.write_reg(Reg.IRQ_ENABLE, 1)
    await RisingEdge(dut.clk)
    assert dut.irq.value == 1
    await tb.write_reg(Reg.STATUS, Status.DONE)
    await ClockCycles(dut.clk, 1)
    assert dut.irq.value == 0
    assert np.array_equal(tb.backdoor.peek("c"), expected)
    tb.shadow.c = expected


@cocotb.test()
async def negative_control_corrupted_dut(dut):
    """A stored operand flipped behind the testbench's back must be caught."""
    tb = await _tb(dut)
    R, C = tb.cfg.rows, tb.cfg.cols
    # All-ones operands and a unit scale: every output is exactly K, far from the clamps.
    ones = np.ones(C, dtype=np.int64)
    case = GemmCase(GemmCommand(m=R, k=4, n=C, qmult=1 << 30, qshift=1),
                    np.ones((R, 4), np.int8), np.ones((4, C), np.int8),
                    0 * ones, ones << 30, ones, "ones")
    await tb.load(case.image(tb.cfg, tb.shadow), path="backdoor")
    words = tb.shadow.a.copy()
    words[0] ^= 0x80  # the sign bit of A[0][0]
    tb.backdoor.poke("a", words, only=np.array([0]))
    try:
        await tb.gemm(tb.shadow, case.cmd, path="backdoor")
    except Mismatch as exc:
        dut._log.info("caught as required: %s", str(exc)[:160])
    else:
        raise AssertionError("the scoreboard missed a corrupted operand")


@cocotb.test()
async def negative_control_broken_model(dut):
    """A golden model whose outputs have their lowest bit flipped must disagree with the RTL.

    (An off-by-one zero point is not enough: fully clamped outputs hide it.)"""
    tb = await _tb(dut)
    case = random_case(tb.cfg, _rng(7), m=3, k=5, n=5, per_channel=True)
    real = golden_models.tile.gemm_requant

    def broken(*args, **kwargs):
        return real(*args, **kwargs) ^ np.int8(1)

    golden_models.tile.gemm_requant = broken
    try:
        await tb.gemm(case.image(tb.cfg, tb.shadow), case.cmd)
    except Mismatch as exc:
        dut._log.info("caught as required: %s", str(exc)[:160])
    else:
        raise AssertionError("the scoreboard missed a broken golden model")
    finally:
        golden_models.tile.gemm_requant = real
