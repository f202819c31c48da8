"""The premise of the scrub model (golden_models.scrub), checked on the RTL itself.

hdl_gen.ecc_mem.EccMemory with its scrubber runs in the Amaranth simulator while upsets arrive
at random times: every stored bit flips as a Poisson process (seeded; a high rate, so that
double errors are frequent), XORed into ``dut.mem.data[row]`` between clock edges. The
scrubber visits one word every ``N`` cycles, so each word is read once per period
``T = W N``; a word the scrubber flags uncorrectable (``ev_uncorrectable``) is restored by
the testbench, as the model assumes. The DUE events counted per (word, period) must agree
with ``codeword_probabilities(...).due`` for ``lambda T`` flips per bit per period: the
analytic value lies inside the Wilson interval of the count.

Known small bias, stated: a flip landing between a scrub read and its writeback (2 cycles of
``T``) is overwritten by the corrected word, so the RTL's effective window is slightly
shorter than ``T`` (under 1 % of flips here, a ~1-2 % lower DUE rate: well inside the
interval). Negative controls: the scrubber off (no scrub, no DUE event: far outside), and the
model evaluated for a mis-set period (``2 T``) is outside the interval.
"""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator

from fault_campaigns.stats import wilson
from golden_models.scrub import SINGLE_BIT, codeword_probabilities
from hdl_gen.ecc_mem import EccMemory

WIDTH, WORDS, N = 8, 4, 32  # 13-bit codewords, T = 128 cycles
PERIODS, WARMUP = 300, 2
LAM_T = 0.06  # flips per bit per scrub period


def _flips(code_width: int, cycles: int, seed: int) -> dict[int, list[tuple[int, int]]]:
    """cycle -> [(row, bit)]: every bit flips at rate LAM_T / T per cycle (Poisson)."""
    rng = np.random.default_rng(seed)
    bits = WORDS * code_width
    per_cycle = rng.poisson(bits * LAM_T / (WORDS * N), size=cycles)
    out: dict[int, list[tuple[int, int]]] = {}
    for c in np.flatnonzero(per_cycle):
        where = rng.integers(0, bits, size=int(per_cycle[c]))
        out[int(c)] = [(int(w) // code_width, int(w) % code_width) for w in where]
    return out


def _count_due(interval: int, seed: int = 7) -> tuple[int, int]:
    """(DUE events, scrubbed (word, period) windows) over PERIODS counted periods."""
    dut = EccMemory(width=WIDTH, depth=WORDS, interleave=1)
    period = WORDS * N
    start, stop = WARMUP * period, (WARMUP + PERIODS) * period
    flips = _flips(dut.code.code_width, stop, seed)
    counted = [0]

    async def tb(ctx):
        ctx.set(dut.scrub_interval, interval)
        for cycle in range(stop):
            for row, bit in flips.get(cycle, ()):
                ctx.set(dut.mem.data[row], ctx.get(dut.mem.data[row]) ^ (1 << bit))
            await ctx.tick()
            if ctx.get(dut.ev_uncorrectable):
                # restored after a DUE, as the model assumes (the zero word is the codeword
                # of data 0, and interleave 1 puts one word per row)
                ctx.set(dut.mem.data[ctx.get(dut.ev_addr)], 0)
                counted[0] += start <= cycle < stop

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return counted[0], WORDS * PERIODS


def test_rtl_due_per_scrub_period_matches_the_analytic_model():
    due, windows = _count_due(N)
    measured = wilson(due, windows, 0.99)
    model = codeword_probabilities(WIDTH, 1, LAM_T, SINGLE_BIT)
    assert measured.low <= model.due <= measured.high, (measured, model.due)
    # negative control: the model for a period mis-set to 2 T is far outside
    wrong = codeword_probabilities(WIDTH, 1, 2 * LAM_T, SINGLE_BIT)
    assert not measured.low <= wrong.due <= measured.high


def test_negative_control_scrubber_off_sees_no_due():
    due, windows = _count_due(0)
    assert due == 0
    model = codeword_probabilities(WIDTH, 1, LAM_T, SINGLE_BIT)
    assert wilson(due, windows, 0.99).high < model.due
