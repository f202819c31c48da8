"""hdl_gen.tile_datapath.Datapath alone in the Amaranth simulator: one output block, bit-exact.

The testbench plays the controller (the schedule of the timing contract: CLEAR, K feeds,
``cols`` waits, ``rows`` drains, the requantizer flush) and the scratchpads (read data one
cycle after the address, held while the port is not enabled). The expected result row
writes come from golden_models.quant.requantize on a NumPy GEMM.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_models.quant import requantize
from hdl_gen.requant import Requantizer
from hdl_gen.tile_datapath import Datapath
from orbitbench.spec.params import CONFIGS

SEED = 2026_12_01
PLAIN, ECC = CONFIGS["small"], CONFIGS["small_ecc"]


def schedule(cfg, k):
    """Step values of the advancing cycles of one block (ib = 1, jb = 2)."""
    base = {"feeding": 0, "draining": 0, "clear": 0, "k": 0, "ib": 1, "jb": 2, "drain": 0}
    out = [{**base, "clear": 1}]
    out += [{**base, "feeding": 1, "k": i} for i in range(k)]
    out += [{**base, "k": k}] * cfg.cols
    out += [{**base, "k": k, "draining": 1, "drain": r} for r in range(cfg.rows)]
    out += [{**base, "k": k, "drain": cfg.rows}] * (Requantizer.LATENCY + 1)
    return out


def words(rows_of_bytes, width=4):
    """int8 rows -> little-endian 32-bit words per row (zero-padded to ``width`` bytes)."""
    b = np.asarray(rows_of_bytes, dtype=np.int64).astype(np.int8).view(np.uint8)
    b = np.pad(b, ((0, 0), (0, width - b.shape[1]))).astype(np.uint64)
    b = b.reshape(b.shape[0], -1, 4)
    return (b[..., 0] | b[..., 1] << 8 | b[..., 2] << 16 | b[..., 3] << 24).astype(np.uint64)


def run(cfg, *, m, n, k, per_channel, ce=lambda t: True):
    rng = np.random.default_rng([SEED, cfg.ecc, per_channel])
    R, C = cfg.rows, cfg.cols
    a = rng.integers(-128, 128, (R, k))
    b = rng.integers(-128, 128, (k, C))
    a_zp, b_zp, out_zp = 3, -5, 7
    bias = rng.integers(-5000, 5000, C)
    mult = rng.integers(1 << 29, 1 << 31, C)
    shift = rng.integers(-9, -4, C)
    qmult, qshift = 1_500_000_000, -7
    old = rng.integers(0, 1 << 32, R, dtype=np.uint64)  # result rows before the drain
    a_words, b_words = words(a, cfg.max_k), words(b.T, cfg.max_k)  # row r / column c
    kw = cfg.max_k // 4
    dut = Datapath(cfg)
    writes = []

    async def tb(ctx):
        dp = dut.mem
        for name, value in (("a_zp", a_zp), ("b_zp", b_zp), ("out_zp", out_zp),
                            ("act_min", -100), ("act_max", 100), ("m", m), ("n", n),
                            ("per_channel", per_channel), ("qmult", qmult),
                            ("qshift", qshift)):
            ctx.set(getattr(dut.cmd, name), value)
        t = 0
        for entry in schedule(cfg, k):
            while True:
                advance = ce(t)
                ctx.set(dut.ce, advance)
                for name, value in entry.items():
                    strobe = name in ("feeding", "draining", "clear")
                    ctx.set(getattr(dut.step, name), value if advance or not strobe else 0)
                a_addr, b_addr, ch = (ctx.get(dp.a_addr), ctx.get(dp.b_addr),
                                      ctx.get(dp.ch_addr))
                a_read = ctx.get(dp.op_read) if cfg.ecc else advance
                c_read = ctx.get(dp.c_rd_en) if cfg.ecc else 0
                c_addr = ctx.get(dp.c_rd_addr) if cfg.ecc else 0
                if ctx.get(dp.c_wr_en):
                    writes.append((ctx.get(dp.c_wr_addr), ctx.get(dp.c_wr_en),
                                   ctx.get(dp.c_wr_data)))
                await ctx.tick()
                t += 1
                # The scratchpads' read ports: this block is ib = 1, jb = 2.
                if a_read:
                    assert a_addr // kw == 1 and b_addr // kw == 2
                    for r in range(R):
                        ctx.set(dp.a_data[r], int(a_words[r, a_addr % kw]))
                    for c in range(C):
                        ctx.set(dp.b_data[c], int(b_words[c, b_addr % kw]))
                if advance:
                    assert ch == 2
                    for c in range(C):
                        ctx.set(dp.bias[c], int(bias[c]) & 0xFFFF_FFFF)
                        ctx.set(dp.mult[c], int(mult[c]) & 0xFFFF_FFFF)
                        ctx.set(dp.shift[c], int(shift[c]) & 0x3F)
                if c_read:
                    ctx.set(dp.c_rd_data, int(old[(c_addr - 2) // (cfg.max_n // C) - R]))
                if advance:
                    break

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    acc = (a - a_zp) @ (b - b_zp)
    out = requantize(acc, bias, mult if per_channel else qmult,
                     shift if per_channel else qshift, out_zp, -100, 100)
    expected = []
    for r in range(min(m - R, R)):  # rows R.. of the block ib = 1 that are < M
        en = sum(1 << c for c in range(C) if 2 * C + c < n)
        if not en:
            continue
        row = int(words(out[r:r + 1])[0, 0])
        if cfg.ecc:  # whole row: the kept bytes from the old row
            mask = sum(0xFF << (8 * c) for c in range(C) if en >> c & 1)
            row = (row & mask) | (int(old[r]) & ~mask & 0xFFFF_FFFF)
        expected.append(((R + r) * (cfg.max_n // C) + 2, en, row))
    return writes, expected


@pytest.mark.parametrize("cfg", [PLAIN, ECC], ids=lambda c: c.name)
@pytest.mark.parametrize("per_channel", [False, True], ids=["tensor", "channel"])
def test_block_is_bit_exact(cfg, per_channel):
    writes, expected = run(cfg, m=cfg.rows + 3, n=2 * cfg.cols + 3, k=12,
                           per_channel=per_channel)
    assert len(expected) == 3
    assert writes == expected


def test_held_cycles_change_nothing():
    """ce low in two of every three cycles: the same writes (held cycles write nothing)."""
    fast, expected = run(PLAIN, m=8, n=12, k=9, per_channel=True)
    slow, _ = run(PLAIN, m=8, n=12, k=9, per_channel=True, ce=lambda t: t % 3 == 2)
    assert fast == slow == expected and len(expected) == 4
