"""Upsets accumulating between scrubs: decoder outcomes, the analytic DUE/SDC model against
hand calculations, Saleh's limit and a Monte Carlo simulation; FIT, floors, the longest
interval, and the tile-level answer."""

import math
from itertools import combinations

import numpy as np
import pytest
from amaranth.hdl import Fragment

import hdl_gen.tile
import hdl_gen.tile_scratchpads
from fault_campaigns.plan import DEFAULT_MBU_SIZES
from fault_campaigns.stats import wilson
from golden_models import scrub
from golden_models.radiation import DEFAULT_DEVICE, upset_rate
from golden_models.scrub import (
    DUE,
    MBU_SIZES,
    OK,
    SCRUB_INTERVAL_MAX,
    SDC,
    SINGLE_BIT,
    MemoryFit,
    ScrubMemory,
    ScrubTargetError,
    codeword_probabilities,
    error_outcomes,
    fit_floor,
    longest_scrub_interval,
    memory_fit,
    miscorrection_fraction,
    saleh_limit,
    scrub_period_s,
)
from golden_models.scrub_sim import simulate_scrub
from golden_models.secded import SecdedCode
from golden_models.tile_scrub import scrub_answer, tile_memories
from hdl_gen.ecc_mem import EccMemory
from orbitbench.spec.params import TileConfig

# A stress mix with many multi-bit upsets, so that the interleave visibly matters.
HEAVY = {1: 0.7, 2: 0.2, 3: 0.1}
FIT = 3600.0 * 1e9


def decode_outcome(code: SecdedCode, pattern: int) -> int:
    """The reference: decode the error pattern on data 0 (a linear code: data does not
    matter) and classify what SecdedCode.decode returns."""
    r = code.decode(pattern)
    if r.uncorrectable:
        return DUE
    return SDC if r.data != 0 else OK


def test_mbu_sizes_are_the_campaign_sizes():
    assert dict(MBU_SIZES) == dict(DEFAULT_MBU_SIZES)


# --- decoder outcomes ------------------------------------------------------------------------

@pytest.mark.parametrize("width, max_weight", [(4, 4), (8, 4), (16, 3)])
def test_error_outcomes_equal_decode_exhaustively(width, max_weight):
    code = SecdedCode(width)
    pats = [sum(1 << i for i in c) for w in range(max_weight + 1)
            for c in combinations(range(code.code_width), w)]
    want = [decode_outcome(code, e) for e in pats]
    np.testing.assert_array_equal(error_outcomes(width, pats), want)


@pytest.mark.parametrize("width", [6, 32, 64, 128])
def test_error_outcomes_equal_decode_random(width):
    code, rng = SecdedCode(width), np.random.default_rng(width)
    pats = []
    for _ in range(1500):
        bits = rng.choice(code.code_width, size=int(rng.integers(1, 9)), replace=False)
        pats.append(sum(1 << int(b) for b in bits))
    want = [decode_outcome(code, e) for e in pats]
    np.testing.assert_array_equal(error_outcomes(width, pats), want)


def test_error_outcome_checker_catches_a_broken_classifier():
    # Negative control: forget that a check-bit syndrome is "corrected" (raw data returned).
    code = SecdedCode(16)
    broken = scrub._Classifier(code)
    broken.check[:] = False
    pats = [1 << (16 + j) for j in range(code.check_width)]  # single check-bit errors
    assert list(broken(*broken.parts(pats))) != [decode_outcome(code, e) for e in pats]


@pytest.mark.parametrize("width, n, sdc, total", [
    (4, 8, 56, 56), (8, 13, 220, 286), (16, 22, 1008, 1540), (32, 39, 5452, 9139),
    (64, 72, 33568, 59640),
])
def test_miscorrection_fraction_per_code_width(width, n, sdc, total):
    assert SecdedCode(width).code_width == n and math.comb(n, 3) == total
    assert miscorrection_fraction(width) == sdc / total
    # the fast classifier agrees on every 3-bit pattern
    pats = [sum(1 << i for i in c) for c in combinations(range(n), 3)] if n < 40 else []
    if pats:
        assert np.mean(error_outcomes(width, pats) == SDC) == sdc / total
        assert not np.any(error_outcomes(width, pats) == OK)


# --- analytic model --------------------------------------------------------------------------

@pytest.mark.parametrize("width", [8, 32, 64])
@pytest.mark.parametrize("interleave", [1, 2])
def test_saleh_small_lambda_t_limit(width, interleave):
    n = SecdedCode(width).code_width
    p = codeword_probabilities(width, interleave, 1e-6, SINGLE_BIT)
    assert (p.due + p.sdc) / saleh_limit(n, 1e-6) == pytest.approx(1.0, abs=1e-4)
    # Negative control: the same limit counted over the data bits only is off by far more.
    assert abs((p.due + p.sdc) / saleh_limit(width, 1e-6) - 1.0) > 0.1


@pytest.mark.parametrize("lam_t", [1e-3, 1e-2, 5e-2])
def test_single_bit_model_equals_binomial_formula(lam_t):
    # Single-bit strikes: every bit flips independently with q = (1 - exp(-2 lam T)) / 2.
    n = 39
    q = -math.expm1(-2 * lam_t) / 2
    two_or_more = 1 - (1 - q) ** n - n * q * (1 - q) ** (n - 1)
    p = codeword_probabilities(32, 1, lam_t, SINGLE_BIT)
    assert p.due_low + p.sdc_low <= two_or_more <= p.due_high + p.sdc_high
    assert p.due + p.sdc == pytest.approx(two_or_more, rel=1e-9)
    # exactly two flips: always DUE; three flips: SDC with the 3-bit miscorrection fraction
    p2 = math.comb(n, 2) * q ** 2 * (1 - q) ** (n - 2)
    p3 = math.comb(n, 3) * q ** 3 * (1 - q) ** (n - 3)
    assert p.sdc_low == pytest.approx(miscorrection_fraction(32) * p3, rel=1e-9)
    assert p.due_low == pytest.approx(p2 + (1 - miscorrection_fraction(32)) * p3, rel=1e-9)


def test_interleave_does_not_matter_without_clusters():
    ps = [codeword_probabilities(32, i, 1e-3, SINGLE_BIT) for i in (1, 2, 4, 8)]
    assert all(p.due == pytest.approx(ps[0].due, rel=1e-12) for p in ps)


def test_monotone_in_lambda_t_and_interleave():
    due = [codeword_probabilities(32, 2, x).due for x in (1e-5, 1e-4, 1e-3, 1e-2)]
    assert due == sorted(due) and due[0] > 0
    by_i = [codeword_probabilities(32, i, 1e-4, HEAVY) for i in (1, 2, 4)]
    assert by_i[0].due > by_i[1].due > by_i[2].due
    assert by_i[0].sdc > by_i[1].sdc > by_i[2].sdc


def test_fit_floor_by_hand():
    mem, rate = ScrubMemory("m", 1024, 32), 1e-8  # flips per bit per day
    n = 39
    strikes = rate / 86400 / sum(s * p for s, p in MBU_SIZES.items())  # per bit per second
    # I = 2: every 3-bit cluster puts exactly 2 bits into one codeword; 2-bit ones never do.
    assert fit_floor(mem, 2, rate) == pytest.approx((1024 * n * strikes * 0.0061 * FIT, 0.0))
    # I = 4 covers clusters of up to 3 bits: no floor.
    assert fit_floor(mem, 4, rate) == (0.0, 0.0)
    # I = 1: 2-bit clusters are DUE; 3-bit ones hit 3 adjacent bits, SDC or DUE by pattern.
    code = SecdedCode(32)
    adj = [decode_outcome(code, 0b111 << j) for j in range(n - 2)]
    f_sdc = adj.count(SDC) / len(adj)
    due, sdc = fit_floor(mem, 1, rate)
    assert due == pytest.approx(1024 * n * strikes * (0.0061 + 0.0061 * (1 - f_sdc)) * FIT)
    assert sdc == pytest.approx(1024 * n * strikes * 0.0061 * f_sdc * FIT)
    assert 0 < f_sdc < 1


def test_memory_fit_by_hand_and_partial_rows():
    mem = ScrubMemory("m", 1000, 16)
    period = 600.0
    lam_t = 1e-4 / 86400 * period
    p = codeword_probabilities(16, 2, lam_t)
    f = memory_fit(mem, 2, 1e-4, period)
    assert f.due == pytest.approx(1000 * p.due / period * FIT, rel=1e-12)
    assert f.of("total") == pytest.approx((f.due + f.sdc, f.due_low + f.sdc_low,
                                           f.due_low + f.sdc_low + f.unresolved))
    assert f.unresolved == pytest.approx(1000 * p.unresolved / period * FIT, rel=1e-12)
    odd = memory_fit(ScrubMemory("m", 1001, 16), 2, 1e-4, period)  # 501 in slot 0, 500 in 1
    s0, s1 = p.per_slot
    assert odd.sdc == pytest.approx((501 * s0[1] + 500 * s1[1]) / period * FIT, rel=1e-12)


def test_period_mapping_is_explicit():
    # One word per SCRUB_INTERVAL cycles: 1024 words x 1000 cycles at 1 GHz = 1.024 ms.
    assert scrub_period_s(1024, 1000, 1e9) == pytest.approx(1.024e-3)
    assert scrub_period_s(1024, 1000, 250e6) == pytest.approx(4.096e-3)
    with pytest.raises(ValueError, match="^interval_cycles must be an integer >= 1, not 0$"):
        scrub_period_s(1024, 0, 1e9)
    with pytest.raises(ValueError, match="^interval_cycles must be at most 4294967295"):
        scrub_period_s(1024, 1 << 32, 1e9)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: codeword_probabilities(32, 0, 1e-3), ValueError,
     "interleave must be an integer >= 1, not 0"),
    (lambda: codeword_probabilities(32, 2, -1.0), ValueError,
     "lam_t must be a positive finite number, not -1.0"),
    (lambda: codeword_probabilities(32, 2, 1e-3, {1: 0.5}), ValueError,
     "sizes must map cluster sizes >= 1 to probabilities >= 0 summing to 1, not {1: 0.5}"),
    (lambda: codeword_probabilities(4, 1, 1e-3, {9: 1.0}), ValueError,
     "cluster size 9 exceeds the physical row of 8 bits"),
    (lambda: ScrubMemory("m", 0, 32), ValueError, "words must be an integer >= 1, not 0"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == msg


# --- Monte Carlo -----------------------------------------------------------------------------

# (data width, interleave, lam T, sizes, seed: also the key). 64 words x 1500 periods: 96000
# scrubs a point.
POINTS = [
    (16, 1, 5e-3, MBU_SIZES, 1),
    (16, 2, 5e-3, MBU_SIZES, 2),
    (32, 4, 1e-2, MBU_SIZES, 3),
    (32, 2, 3e-3, HEAVY, 4),
    (32, 1, 3e-3, HEAVY, 5),
    (8, 2, 2e-2, SINGLE_BIT, 6),
]
# 99.9 % intervals: twelve comparisons, so a 95 % interval would miss one by chance ~46 % of
# the time even for an exact model.
CONF = 0.999


@pytest.fixture(scope="module")
def simulations():
    return {pt[4]: simulate_scrub(pt[0], pt[1], 64, pt[2], 1500, pt[3], seed=pt[4])
            for pt in POINTS}


@pytest.mark.parametrize("point", POINTS, ids=lambda p: f"m{p[0]}-I{p[1]}-lt{p[2]:g}")
def test_analytic_inside_simulation_interval(simulations, point):
    width, interleave, lam_t, sizes, seed = point
    sim = simulations[seed]
    p = codeword_probabilities(width, interleave, lam_t, sizes)
    due, sdc = wilson(sim.due, sim.windows, CONF), wilson(sim.sdc, sim.windows, CONF)
    assert due.low <= p.due <= due.high, (p.due, str(due))
    assert sdc.low <= p.sdc <= sdc.high, (p.sdc, str(sdc))
    # the simulation flipped the expected number of bits (Poisson count, 5 sigma)
    n = SecdedCode(width).code_width
    expect = lam_t * n * sim.windows
    assert abs(sim.flips - expect) < 5 * math.sqrt(expect)


def test_negative_control_wrong_interleave_or_no_clusters(simulations):
    # The layout interleaves 2 codewords per row under heavy MBUs; the model told I = 1, or
    # told that upsets are single-bit, must disagree with the simulation.
    assert POINTS[3] == (32, 2, 3e-3, HEAVY, 4)
    sim = simulations[4]
    due = wilson(sim.due, sim.windows, CONF)
    wrong_i = codeword_probabilities(32, 1, 3e-3, HEAVY).due
    no_mbu = codeword_probabilities(32, 2, 3e-3, SINGLE_BIT).due
    assert not due.low <= wrong_i <= due.high, (wrong_i, str(due))
    assert not due.low <= no_mbu <= due.high, (no_mbu, str(due))


def test_simulation_is_seeded():
    a = simulate_scrub(16, 2, 16, 1e-2, 50, MBU_SIZES, seed=7)
    assert a == simulate_scrub(16, 2, 16, 1e-2, 50, MBU_SIZES, seed=7)
    assert a != simulate_scrub(16, 2, 16, 1e-2, 50, MBU_SIZES, seed=8)


# --- longest interval ------------------------------------------------------------------------

HARSH = 1e-3  # flips per bit per day: a harsh case, so that the answer is inside the range


def test_longest_interval_is_the_boundary():
    mems = [ScrubMemory("a", 4096, 32), ScrubMemory("b", 512, 64)]
    sol = longest_scrub_interval(50.0, memories=mems, interleave=4, seu_per_bit_day=HARSH,
                                 f_clk_hz=1e8)
    assert sol.capped is None and sol.floor == (0.0, 0.0)

    def total_high(n):
        return sum((memory_fit(m, 4, HARSH, scrub_period_s(m.words, n, 1e8)) for m in mems[1:]),
                   memory_fit(mems[0], 4, HARSH, scrub_period_s(4096, n, 1e8))).total_high
    assert total_high(sol.interval_cycles) <= 50.0 < total_high(sol.interval_cycles + 1)
    assert sol.fit.total_high == pytest.approx(total_high(sol.interval_cycles))
    assert sol.periods_s == {"a": 4096 * sol.interval_cycles / 1e8,
                             "b": 512 * sol.interval_cycles / 1e8}
    # monotone: a looser target allows a longer interval; an SDC-only target longer still
    looser = longest_scrub_interval(500.0, memories=mems, interleave=4, seu_per_bit_day=HARSH,
                                    f_clk_hz=1e8)
    sdc_only = longest_scrub_interval(50.0, memories=mems, interleave=4, seu_per_bit_day=HARSH,
                                      f_clk_hz=1e8, kind="sdc")
    assert looser.interval_cycles > sol.interval_cycles
    assert sdc_only.interval_cycles > sol.interval_cycles


def test_longest_interval_errors_and_cap():
    mem = ScrubMemory("a", 4096, 32)
    floor = fit_floor(mem, 2, HARSH)[0]
    with pytest.raises(ScrubTargetError) as info:
        longest_scrub_interval(floor / 2, memories=mem, interleave=2, seu_per_bit_day=HARSH)
    assert str(info.value) == (
        f"target_fit {floor / 2:g} FIT (total) cannot be met: even continuous scrubbing "
        f"leaves {floor:.4g} FIT from single strikes wider than the interleave (2); raise the "
        "interleave or the target")
    # just above the floor, but a slow clock cannot scrub fast enough even at N = 1
    with pytest.raises(ScrubTargetError, match=r"is missed even at SCRUB_INTERVAL = 1"):
        longest_scrub_interval(floor * 1.0001, memories=mem, interleave=2,
                               seu_per_bit_day=HARSH, f_clk_hz=1e3)
    # a loose target is met at the register's limit: say so
    easy = longest_scrub_interval(1e6, memories=mem, interleave=4, seu_per_bit_day=1e-8)
    assert easy.interval_cycles == SCRUB_INTERVAL_MAX
    assert easy.capped == "SCRUB_INTERVAL_MAX (32-bit register)"
    with pytest.raises(ValueError, match="^kind must be one of"):
        longest_scrub_interval(1.0, memories=mem, interleave=4, seu_per_bit_day=1e-8, kind="x")
    with pytest.raises(TypeError, match="^memories must be a ScrubMemory"):
        longest_scrub_interval(1.0, memories=[], interleave=4, seu_per_bit_day=1e-8)


def test_memory_fit_bounds_and_sum():
    a = MemoryFit(due=1.0, sdc=3.0, due_low=0.5, sdc_low=2.0, unresolved=1.5)
    assert a.of("due") == (1.0, 0.5, 2.0) and a.of("sdc") == (3.0, 2.0, 3.5)
    # the unresolved mass counts once in the total, not once per kind
    assert a.of("total") == (4.0, 2.5, 4.0)
    assert (a + a).of("due") == (2.0, 1.0, 4.0) and a.scaled(3).of("total") == (12, 7.5, 12)


# --- tile ------------------------------------------------------------------------------------

def test_tile_memories_match_the_generated_tile(monkeypatch):
    """tile_memories mirrors hdl_gen.tile: every EccMemory the ECC tile builds, by name."""
    built = []

    class Recording(EccMemory):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            built.append((kwargs["name"], kwargs["depth"], kwargs["width"]))

    monkeypatch.setattr(hdl_gen.tile_scratchpads, "EccMemory", Recording)
    cfg = TileConfig(rows=4, cols=4, max_m=16, max_k=32, max_n=16, hardening="ecc")
    Fragment.get(hdl_gen.tile.GemmTile(cfg), None)
    assert sorted(built) == sorted((m.name, m.words, m.data_width) for m in tile_memories(cfg))


def test_scrub_answer_leo400():
    rate = upset_rate(DEFAULT_DEVICE, "leo400")
    a = scrub_answer("leo400", 1000.0)
    assert a["seu_per_bit_day"] == rate.total and a["heavy_ion"] == rate.heavy_ion
    assert a["interleave"] == 2 and a["f_clk_hz"] == 1e9
    mems = tile_memories(TileConfig(hardening="ecc"))
    assert a["total_bits"] == sum(m.words * m.code_width for m in mems)
    assert a["fit_total"][0] <= a["fit_total"][2] <= 1000.0
    assert a["floor_fit_due"] > 0 and a["floor_fit_sdc"] == 0.0
    with pytest.raises(ScrubTargetError, match="cannot be met: even continuous scrubbing"):
        scrub_answer("leo400", a["floor_fit_due"] * 0.99)
    # I = 4 removes the floor of 3-bit clusters
    four = scrub_answer("leo400", 1.0, interleave=4)
    assert four["floor_fit_due"] == 0.0 and four["fit_total"][2] <= 1.0
    # a raw rate and a single memory
    raw = scrub_answer(HARSH, 100.0, ScrubMemory("x", 4096, 32), interleave=4)
    assert raw["orbit"] == "custom (0.001 SEU/bit/day)" and raw["capped"] is None
    assert raw["scrub_interval_cycles"] == longest_scrub_interval(
        100.0, memories=ScrubMemory("x", 4096, 32), interleave=4,
        seu_per_bit_day=HARSH).interval_cycles
