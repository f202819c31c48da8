"""Directed and random cocotb tests of the multi-tile top (run by
tests/testbenches/test_multitile.py).

The seed is cocotb's (``COCOTB_RANDOM_SEED``); ``ORBITBENCH_ITEMS`` random GEMMs run in
``random_gemms`` (default 1).
"""

from __future__ import annotations

import dataclasses

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from golden_models.multitile import MultiTileResult
from golden_models.stimulus import GemmCase, random_case
from orbitbench.spec.knobs import ITEMS
from orbitbench.spec.multitile import NocReg
from orbitbench.spec.params import INT8_MAX, INT8_MIN, GemmCommand
from orbitbench.spec.regmap import TILE_ID, Reg

from .multitile_tb import MultiTileTestbench
from .tile_tb import Mismatch, tile_signal


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([cocotb.RANDOM_SEED, salt])


async def _tb(dut) -> MultiTileTestbench:
    tb = MultiTileTestbench(dut)
    await tb.reset()
    return tb


def _informative(case: GemmCase) -> GemmCase:
    """The clamp widened to int8 so that every output carries information."""
    return dataclasses.replace(case, cmd=dataclasses.replace(case.cmd, act_min=INT8_MIN,
                                                             act_max=INT8_MAX))


@cocotb.test()
async def remote_registers(dut):
    """Every tile answers ID and GEOMETRY over the NoC; remote writes land in the right tile
    only; the host register block and unmapped tiles."""
    tb = await _tb(dut)
    cfg = tb.cfg
    geometry = cfg.tile.rows | cfg.tile.cols << 8 | cfg.tile.ecc_interleave << 16
    for t in range(cfg.tiles):
        assert await tb.read_reg(t, Reg.ID) == TILE_ID, f"tile {t} ID"
        got = await tb.read_reg(t, Reg.GEOMETRY)
        assert got & 0xFFFF == geometry & 0xFFFF, f"tile {t} GEOMETRY 0x{got:x}"
        assert await tb.read_reg(t, Reg.MAX_M) == cfg.tile.max_m
    for t in range(cfg.tiles):
        await tb.write_reg(t, Reg.QMULT, 0x1000 + t)
        await tb.write_reg(t, Reg.K, 3 + t)
    for t in range(cfg.tiles):
        assert await tb.read_reg(t, Reg.QMULT) == 0x1000 + t, f"tile {t} QMULT"
        assert await tb.read_reg(t, Reg.K) == 3 + t, f"tile {t} K"
        # The register itself, not just what the bus says.
        reg_k = tile_signal(getattr(dut, f"tile{t}"), "regfile", "reg_k")
        assert reg_k.value.to_unsigned() == 3 + t
    assert await tb.read_noc(NocReg.TILES) == cfg.tiles
    assert await tb.read_noc(NocReg.MESH) == cfg.noc.mesh_x | cfg.noc.mesh_y << 8
    assert await tb.read_noc(NocReg.CORRECTED) == 0
    assert await tb.read_noc(NocReg.DETECTED) == 0
    if cfg.noc_index + 1 < 1 << cfg.tile_bits:  # an unmapped tile index exists
        unmapped = (cfg.noc_index + 1) << (cfg.host_addr_width - cfg.tile_bits + 2)
        await tb.bus.write(unmapped, 0xDEAD)
        assert await tb.bus.read(unmapped) == 0


@cocotb.test()
async def directed_gemms(dut):
    """Shapes that leave tiles idle, give tiles unequal shares, and span all tiles."""
    tb = await _tb(dut)
    cfg, rng = tb.cfg, _rng(1)
    R, C = cfg.tile.rows, cfg.tile.cols
    for m, k, n in [(1, 1, 1), (cfg.tiles + 1, 7, C - 1), (cfg.tiles * R + 1, 9, C + 1)]:
        case = random_case(cfg.tile, rng, m=m, k=k, n=n, label=f"dims_{m}x{k}x{n}")
        cycles = await tb.gemm(case)
        dut._log.info("%s: CYCLES per tile %s", case.label, cycles)


@cocotb.test()
async def random_gemms(dut):
    """Random shapes up to a quarter of the top's capacity (seeded), then compared."""
    tb = await _tb(dut)
    cfg, rng = tb.cfg, _rng(2)
    for _ in range(ITEMS.get_int() or 1):
        m = int(rng.integers(1, cfg.tiles * cfg.tile.max_m // 4 + 1))
        k = int(rng.integers(1, cfg.tile.max_k // 2 + 1))
        n = int(rng.integers(1, cfg.tile.max_n // 2 + 1))
        await tb.gemm(random_case(cfg.tile, rng, m=m, k=k, n=n))


def _ones(tb) -> GemmCase:
    """Every output exactly K (all-ones operands, unit scale): far from the clamps."""
    m, k, n = 2 * tb.cfg.tiles, 4, tb.cfg.tile.cols
    ones = np.ones(n, dtype=np.int64)
    return GemmCase(GemmCommand(m=m, k=k, n=n, qmult=1 << 30, qshift=1),
                    np.ones((m, k), np.int8), np.ones((k, n), np.int8), 0 * ones,
                    ones << 30, ones, "ones")


@cocotb.test()
async def negative_control_corrupted_result(dut):
    """One result word of tile 1 flipped in its scratchpad after the command must be caught."""
    tb = await _tb(dut)
    case = _ones(tb)

    def corrupt():
        bd = tb.backdoors[1]
        words = bd.peek("c")
        words[0] ^= 0x01
        bd.poke("c", words, only=np.array([0]))

    try:
        await tb.gemm(case, after_done=corrupt)
    except Mismatch as exc:
        dut._log.info("caught as required: %s", str(exc)[:200])
    else:
        raise AssertionError("the scoreboard missed a corrupted result word")


@cocotb.test()
async def negative_control_broken_model(dut):
    """A golden C with one element off by one must disagree with the RTL."""
    tb = await _tb(dut)
    case = _ones(tb)
    good = tb.expect(case)
    c = good.c.copy()
    c[-1, -1] += 1
    try:
        await tb.gemm(case, expected=MultiTileResult(c=c, shares=good.shares))
    except Mismatch as exc:
        dut._log.info("caught as required: %s", str(exc)[:200])
    else:
        raise AssertionError("the scoreboard missed a broken golden model")


async def _flip_response_flit(tb: MultiTileTestbench, bit: int, log) -> None:
    """Once read-back has begun, flip data bit ``bit`` of a READ_RESP data flit buffered
    in router (0, 0)'s east input (it carries only tile 1's answers to the host)."""
    router = tb.dut.mesh.router_0_0
    k, depth = 1, tb.cfg.noc.buffer_depth
    wp, rp = getattr(router, f"in{k}_wp"), getattr(router, f"in{k}_rp")
    head_bit = tb.cfg.noc.flit_width
    while True:
        # Mid-cycle: the FIFO pointers hold their post-edge values and a deposit lands
        # before the next rising edge, which forwards the head flit.
        await FallingEdge(tb.dut.clk)
        if tb.phase != "readback" or wp.value.to_unsigned() == rp.value.to_unsigned():
            continue
        slot = getattr(router, f"in{k}_slot{rp.value.to_unsigned() % depth}")
        word = slot.value.to_unsigned()
        if word >> head_bit & 1:
            continue
        slot.value = word ^ (1 << bit)
        tb.upsets += 1
        log.info("flipped bit %d of a flit in router_0_0 in%d (0x%x)", bit, k, word)
        return


@cocotb.test()
async def link_upset_in_flight(dut):
    """A single upset of a flit buffered in the mesh: with SECDED links it is corrected and
    counted and C stays exact; without protection the scoreboard catches the wrong word."""
    tb = await _tb(dut)
    tb.upsets = 0
    case = _ones(tb)
    protected = tb.cfg.noc.protection == "secded"

    async def upset():
        await _flip_response_flit(tb, 3, dut._log)

    try:
        await tb.gemm(case, during=upset)
    except Mismatch as exc:
        assert not protected, f"a corrected link upset still corrupted the result: {exc}"
        dut._log.info("unprotected link: caught as required: %s", str(exc)[:200])
    else:
        assert protected, "unprotected link: the scoreboard missed a corrupted flit"
    assert tb.upsets == 1, "the upset was never injected"
    corrected = await tb.read_noc(NocReg.CORRECTED)
    assert corrected == (1 if protected else 0), f"NoC CORRECTED = {corrected}"
    assert await tb.read_noc(NocReg.DETECTED) == 0
