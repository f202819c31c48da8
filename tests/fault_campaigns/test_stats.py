"""fault_campaigns.stats against independent transcriptions of its formulas.

The ``ref_*`` functions are written here from REFERENCE.md ("Fault injection method") and the
textbook Wilson formula in a different algebraic form from the module's, so a shared typo
cannot pass. Interval quality is checked by simulation: the coverage checker runs seeded
binomial draws and must pass the Wilson interval at p = 0.05, n = 400, and must FAIL a Wald
``+-`` interval at p = 0.005, n = 200 (its negative control).
"""

import math
import re

import numpy as np
import pytest

from fault_campaigns import stats
from fault_campaigns.engine import ENGINE_SRC
from fault_campaigns.stats import (
    CORRECTED,
    CRASH,
    DUE,
    HANG,
    MASKED,
    ORBITS,
    SDC,
    Orbit,
    Proportion,
    Rate,
    avf,
    combine_modules,
    failure_rate,
    leveugle_sample_size,
    normal_quantile,
    orbit,
    wilson,
)
from golden_models.radiation import DEFAULT_DEVICE, ENVIRONMENTS, Device, WeibullParams, upset_rate

Z95 = 1.959963984540054


def ref_wilson(x, n, z):
    """Wilson score bounds as the roots of ``(p_hat - p)^2 = z^2 p (1 - p) / n``."""
    a = n + z * z
    b = 2 * x + z * z
    c = x * x / n
    disc = math.sqrt(b * b - 4 * a * c)
    return (b - disc) / (2 * a), (b + disc) / (2 * a)


def ref_leveugle(big_n, e, t, p):
    return big_n / (1 + e**2 * (big_n - 1) / (t**2 * p * (1 - p)))


def wald(x, n, z=Z95):
    p = x / n
    h = z * math.sqrt(p * (1 - p) / n)
    return p - h, p + h


def wilson_bounds(x, n):
    w = wilson(int(x), n)
    return w.low, w.high


def coverage(interval, p, n, reps, seed):
    """Share of ``reps`` seeded binomial(n, p) draws whose interval contains ``p``."""
    draws = np.random.default_rng(seed).binomial(n, p, size=reps)
    hits = 0
    for x in draws:
        lo, hi = interval(int(x), n)
        hits += lo <= p <= hi
    return hits / reps


# ------------------------------------------------------------------------------------------
# normal_quantile


@pytest.mark.parametrize("confidence, z", [
    (0.90, 1.6448536269514722),
    (0.95, 1.959963984540054),
    (0.99, 2.5758293035489004),
    (0.999, 3.2905267314918945),
])
def test_normal_quantile_known_values(confidence, z):
    assert normal_quantile(confidence) == pytest.approx(z, abs=1e-9)


def test_normal_quantile_inverts_erf():
    for c in [1e-12, 0.01, 0.3, 0.5, 0.68, 0.9, 0.9999, 1 - 1e-12]:
        z = normal_quantile(c)
        assert math.erf(z / math.sqrt(2)) == pytest.approx(c, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, -0.5, 1.5, math.nan])
def test_normal_quantile_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"confidence must be in the open interval \(0, 1\)"):
        normal_quantile(bad)


def test_normal_quantile_rejects_non_number():
    with pytest.raises(TypeError, match="confidence must be a real number"):
        normal_quantile("0.95")


# ------------------------------------------------------------------------------------------
# leveugle_sample_size


def test_leveugle_hand_example():
    # N = 1e6, e = 1 %, 95 %, p = 0.5, t = 1.96: 1e6 / (1 + 1e-4 * 999999 / 0.9604)
    # = 1e6 / 105.1232 = 9512.65 -> 9513; the exact t (9603.65 / 1e-4 ...) rounds the same way
    assert ref_leveugle(10**6, 0.01, 1.96, 0.5) == pytest.approx(9512.65, abs=0.01)
    exact = ref_leveugle(10**6, 0.01, Z95, 0.5)
    assert exact != math.floor(exact)  # a real rounding decision
    assert leveugle_sample_size(10**6) == math.ceil(exact) == 9513


@pytest.mark.parametrize("big_n, e, c, p", [
    (10**6, 0.01, 0.95, 0.5),
    (10**6, 0.05, 0.99, 0.1),
    (123_457, 0.02, 0.90, 0.3),
    (5000, 0.01, 0.999, 0.5),
])
def test_leveugle_rounds_up(big_n, e, c, p):
    exact = ref_leveugle(big_n, e, normal_quantile(c), p)
    n = leveugle_sample_size(big_n, margin=e, confidence=c, p=p)
    assert n == min(big_n, math.ceil(exact))
    assert exact <= n < exact + 1


@pytest.mark.parametrize("big_n", [1, 2, 10, 100, 1000])
def test_leveugle_small_population_never_exceeds_it(big_n):
    n = leveugle_sample_size(big_n)
    assert 1 <= n <= big_n
    assert leveugle_sample_size(big_n, margin=0.001, confidence=0.999) <= big_n


def test_leveugle_large_population_limit():
    limit = Z95**2 * 0.25 / 0.01**2  # 9603.65
    assert math.ceil(limit) == 9604
    assert leveugle_sample_size(10**15) == 9604
    assert leveugle_sample_size(64 * 10**12) == 9604  # bits x cycles can be huge ints


def test_leveugle_monotone_in_population():
    sizes = [leveugle_sample_size(n) for n in [10, 10**3, 10**5, 10**7, 10**9]]
    assert sizes == sorted(sizes)


@pytest.mark.parametrize("kwargs, match", [
    (dict(population=0), "population must be >= 1, not 0"),
    (dict(population=10, margin=0), r"margin must be in the open interval \(0, 1\), not 0"),
    (dict(population=10, margin=1.0), r"margin must be in the open interval \(0, 1\)"),
    (dict(population=10, p=0.0), r"p must be in the open interval \(0, 1\), not 0.0"),
    (dict(population=10, p=1), r"p must be in the open interval \(0, 1\), not 1"),
    (dict(population=10, confidence=1), r"confidence must be in the open interval \(0, 1\)"),
])
def test_leveugle_rejects_out_of_range(kwargs, match):
    with pytest.raises(ValueError, match=match):
        leveugle_sample_size(**kwargs)


@pytest.mark.parametrize("bad", [1e6, True, "1000"])
def test_leveugle_population_must_be_int(bad):
    with pytest.raises(TypeError, match="population must be an integer"):
        leveugle_sample_size(bad)


# ------------------------------------------------------------------------------------------
# wilson / Proportion


@pytest.mark.parametrize("x, n", [(0, 10), (10, 10), (5, 10), (1, 1000), (49, 4000), (3, 7)])
def test_wilson_matches_reference(x, n):
    w = wilson(x, n)
    lo, hi = ref_wilson(x, n, Z95)
    assert (w.successes, w.trials, w.confidence) == (x, n, 0.95)
    assert w.estimate == x / n
    assert w.low == pytest.approx(lo, abs=1e-12)
    assert w.high == pytest.approx(hi, abs=1e-12)
    assert 0 <= w.low <= w.estimate <= w.high <= 1


def test_wilson_edges_are_exact():
    zero, full = wilson(0, 10), wilson(10, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(Z95**2 / (10 + Z95**2))
    assert full.high == 1.0 and full.low == pytest.approx(10 / (10 + Z95**2))
    assert zero.high > 0.2 and full.low < 0.8  # a useful width, unlike Wald's [0, 0]


def test_wilson_hand_values():
    # by hand, z = 1.959964, z^2 = 3.841459:
    # 5/10: centre 0.5, half = z / 13.841459 * sqrt(2.5 + 0.960365) = 0.263407
    assert wilson(5, 10).low == pytest.approx(0.236593, abs=1e-6)
    assert wilson(5, 10).high == pytest.approx(0.763407, abs=1e-6)
    # 1/1000: centre 2.920730 / 1003.841459 = 0.0029096,
    # half = z / 1003.841459 * sqrt(0.999 + 0.960365) = 0.0027330
    assert wilson(1, 1000).low == pytest.approx(0.000176546, rel=1e-5)
    assert wilson(1, 1000).high == pytest.approx(0.00564256, rel=1e-5)


def test_wilson_narrows_with_confidence():
    w90, w99 = wilson(30, 300, 0.90), wilson(30, 300, 0.99)
    assert w99.low < w90.low < 0.1 < w90.high < w99.high
    assert w90.confidence == 0.90


@pytest.mark.parametrize("args, exc, match", [
    ((0, 0), ValueError, "trials must be >= 1, not 0"),
    ((11, 10), ValueError, r"successes must be <= trials \(10\), not 11"),
    ((-1, 10), ValueError, "successes must be >= 0, not -1"),
    ((1, 10, 1.0), ValueError, r"confidence must be in the open interval \(0, 1\)"),
    ((1.0, 10), TypeError, "successes must be an integer"),
    ((1, 10.0), TypeError, "trials must be an integer"),
])
def test_wilson_rejects(args, exc, match):
    with pytest.raises(exc, match=match):
        wilson(*args)


def test_wilson_accepts_numpy_ints():
    w = wilson(np.int64(3), np.int32(100))
    assert type(w.successes) is int and type(w.trials) is int


def test_proportion_str():
    assert str(wilson(49, 4000)) == "0.0123 [0.0093, 0.0162] (n=4000, 95%)"
    assert str(wilson(5, 10, 0.999)) == "0.5000 [0.1395, 0.8605] (n=10, 99.9%)"
    # small AVFs switch to scientific notation rather than print 0.0000
    assert str(wilson(1, 100_000)) == "1.000e-05 [1.765e-06, 5.665e-05] (n=100000, 95%)"


def test_proportion_is_frozen_and_checked():
    w = wilson(1, 10)
    with pytest.raises(AttributeError):
        w.low = 0.0
    with pytest.raises(ValueError, match="need 0 <= low <= estimate <= high <= 1"):
        Proportion(1, 10, 0.95, 0.1, 0.2, 0.3)


def test_wilson_coverage():
    """The interval covers p in 93-97 % of 2000 seeded experiments (nominal 95 %)."""
    cov = coverage(wilson_bounds, p=0.05, n=400, reps=2000, seed=20261124)
    assert 0.93 <= cov <= 0.97


def test_coverage_check_fails_wald_near_zero():
    """Negative control: the Wald +- interval under-covers at p = 0.005, n = 200.

    P(X = 0) = 0.995^200 = 0.37 alone, and Wald's interval at X = 0 is [0, 0]; a checker
    that passed this would be checking nothing. Wilson, same draws, is far better.
    """
    wald_cov = coverage(wald, p=0.005, n=200, reps=2000, seed=20261124)
    assert wald_cov < 0.80
    assert not 0.93 <= wald_cov <= 0.97
    assert coverage(wilson_bounds, p=0.005, n=200, reps=2000, seed=20261124) > wald_cov + 0.15


# ------------------------------------------------------------------------------------------
# avf

COUNTS = {MASKED: 3000, CORRECTED: 800, DUE: 100, SDC: 60, HANG: 40}  # 4000 injections


def _engine_outcomes(source: str) -> set[str]:
    """The outcome strings the native engine can report (``r.outcome = "..."`` and the
    initial value), read from its source."""
    return set(re.findall(r'outcome = "(\w+)"', source))


def test_the_engine_reports_exactly_the_outcomes_the_statistics_know():
    """Every class the engine writes into a database is one the summaries count, and every
    class they count can occur: a class renamed on one side only would drop results."""
    assert _engine_outcomes(ENGINE_SRC.read_text()) == set(stats.OUTCOMES)
    assert len(stats.OUTCOMES) == len(set(stats.OUTCOMES))


def test_outcome_check_catches_a_renamed_class():
    """Negative control: an engine source with a class the statistics do not know."""
    src = ENGINE_SRC.read_text().replace('r.outcome = "hang"', 'r.outcome = "timeout"')
    assert _engine_outcomes(src) != set(stats.OUTCOMES)


@pytest.mark.parametrize("kind, hang_as, hits", [
    ("sdc", "due", 60),
    ("due", "due", 140),
    ("sdc", "sdc", 100),
    ("due", "sdc", 100),
    ("sdc", "separate", 60),
    ("due", "separate", 100),
    ("hang", "separate", 40),
])
def test_avf_counts(kind, hang_as, hits):
    a = avf(COUNTS, kind, hang_as=hang_as)
    assert a == wilson(hits, 4000)
    assert a.trials == 4000  # over ALL injections, masked and corrected included


def test_avf_default_hang_is_due():
    assert avf(COUNTS, "due") == avf(COUNTS, "due", hang_as="due")
    assert avf(COUNTS, DUE).successes == 140


CRASHES = {**COUNTS, CRASH: 20}  # 4020 injections


@pytest.mark.parametrize("kind, crash_as, hits", [
    ("due", "due", 160),  # due + hang + crash: a trap of the design is a detection
    ("sdc", "due", 60),
    ("sdc", "sdc", 80),
    ("due", "sdc", 140),
    ("due", "separate", 140),
    ("crash", "separate", 20),
])
def test_avf_counts_crashes(kind, crash_as, hits):
    assert avf(CRASHES, kind, crash_as=crash_as) == wilson(hits, 4020)


def test_avf_default_crash_is_due_and_crash_alone_needs_separate():
    assert avf(CRASHES, DUE) == avf(CRASHES, DUE, crash_as="due")
    with pytest.raises(ValueError, match=r"kind must be one of \('sdc', 'due'\) with "
                                         r"hang_as='due', crash_as='due', not 'crash'"):
        avf(CRASHES, CRASH)
    with pytest.raises(ValueError, match=r"crash_as must be one of \('due', 'sdc', "
                                         r"'separate'\)"):
        avf(CRASHES, DUE, crash_as="masked")


def test_avf_missing_classes_count_zero_and_confidence_passes_through():
    a = avf({SDC: 2, MASKED: 98}, SDC, confidence=0.99)
    assert a == wilson(2, 100, 0.99)
    assert avf({MASKED: 10}, SDC).successes == 0


@pytest.mark.parametrize("counts, kind, hang_as, match", [
    ({"masked": 5, "timeout": 1, "abort": 2}, "sdc", "due",
     r"unknown outcome classes 'abort', 'timeout'; known classes are \('masked'"),
    ({"SDC": 1, "masked": 5}, "sdc", "due", "unknown outcome classes 'SDC'"),
    (COUNTS, "masked", "due", r"kind must be one of \('sdc', 'due'\) with hang_as='due'"),
    (COUNTS, "hang", "sdc", r"kind must be one of \('sdc', 'due'\) with hang_as='sdc'"),
    (COUNTS, "sdc", "ignore", r"hang_as must be one of \('due', 'sdc', 'separate'\)"),
    ({MASKED: 0, SDC: 0}, "sdc", "due", "outcome_counts must hold at least one injection"),
    ({MASKED: 5, SDC: -1}, "sdc", "due", r"outcome_counts\['sdc'\] must be >= 0, not -1"),
])
def test_avf_rejects(counts, kind, hang_as, match):
    with pytest.raises(ValueError, match=match):
        avf(counts, kind, hang_as=hang_as)


def test_avf_rejects_non_integer_count():
    with pytest.raises(TypeError, match=r"outcome_counts\['sdc'\] must be an integer"):
        avf({MASKED: 5, SDC: 1.5}, SDC)


# ------------------------------------------------------------------------------------------
# orbits and rates


def test_orbit_presets_are_the_radiation_environments():
    """One set of names: every preset is the golden_models.radiation environment of that name,
    at the default device's rate, with environment and device sources named."""
    assert tuple(ORBITS) == tuple(ENVIRONMENTS) == ("leo400", "sso550", "geo", "alsat1")
    for name in ("leo400", "sso550", "geo"):
        r = upset_rate(DEFAULT_DEVICE, name)
        o = ORBITS[name]
        assert o.seu_per_bit_day == r.total and o.heavy_ion == r.heavy_ion
        assert o.proton == r.proton and o.device == DEFAULT_DEVICE.name
        assert "Petersen (1998)" in o.source and "ASSUMPTION" in o.source
    assert ORBITS["alsat1"].seu_per_bit_day == 4.04e-7 == stats.ALSAT1_SEU_PER_BIT_DAY
    assert ORBITS["alsat1"].device is None and "Alsat-1" in ORBITS["alsat1"].source
    assert ORBITS["leo400"].seu_per_bit_day < ORBITS["sso550"].seu_per_bit_day \
        < ORBITS["geo"].seu_per_bit_day
    with pytest.raises(TypeError):
        ORBITS["meo"] = ORBITS["geo"]  # read-only


def test_orbit_for_another_device_scales_with_its_fom():
    big = Device("big", WeibullParams(sigma_sat_cm2=1e-8, let_th=0.5, width=15.0, shape=1.5))
    o = orbit("sso550", big)
    assert o.seu_per_bit_day == pytest.approx(2 * ORBITS["sso550"].seu_per_bit_day, rel=1e-12)
    assert o.device == "big" and "Device big" in o.source
    assert orbit("alsat1", big) == ORBITS["alsat1"]  # measured: the device is ignored
    assert orbit(1e-6, big).device is None


def test_orbit_helper():
    assert orbit("leo400") is ORBITS["leo400"]
    o = Orbit("mine", 2e-7, "test")
    assert orbit(o) is o
    custom = orbit(1e-6)
    assert custom.seu_per_bit_day == 1e-6 and custom.source == "user-supplied"
    assert orbit(3).seu_per_bit_day == 3.0
    with pytest.raises(ValueError, match=r"orbit must be one of \('leo400', 'sso550', 'geo', "
                                         r"'alsat1'\) or a rate, not 'mars'"):
        orbit("mars")
    for bad in (0, -1e-7, math.inf, math.nan):
        with pytest.raises(ValueError, match="seu_per_bit_day must be a positive finite"):
            orbit(bad)
    with pytest.raises(TypeError, match="seu_per_bit_day must be a real number"):
        orbit(None)


def test_failure_rate_worked_example():
    """1e6 bits x 4.04e-7 /bit/day x AVF 0.1 = 0.0404 failures/day = 1.683e6 FIT."""
    a = wilson(400, 4000)  # AVF 0.1
    r = failure_rate(10**6, "alsat1", a)
    assert r.per_day == pytest.approx(0.0404, rel=1e-12)
    assert r.fit == pytest.approx(0.0404 / 24 * 1e9, rel=1e-12)
    assert r.fit == pytest.approx(1_683_333.33, rel=1e-8)
    assert r.per_day_low == pytest.approx(10**6 * 4.04e-7 * a.low, rel=1e-12)
    assert r.per_day_high == pytest.approx(10**6 * 4.04e-7 * a.high, rel=1e-12)
    assert r.per_day_low <= r.per_day <= r.per_day_high
    assert r.fit_low <= r.fit <= r.fit_high
    assert r.fit_low == pytest.approx(r.per_day_low / 24 * 1e9, rel=1e-12)


def test_failure_rate_zero_observed_failures_still_has_an_upper_bound():
    r = failure_rate(4096, 1e-6, wilson(0, 10_000))
    assert r.per_day == r.per_day_low == r.fit == r.fit_low == 0.0
    assert r.fit_high > 0


def test_failure_rate_orbit_forms_agree():
    a = wilson(7, 500)
    assert failure_rate(1000, "geo", a) == failure_rate(1000, ORBITS["geo"], a)
    assert failure_rate(1000, 4.04e-7, a) == failure_rate(1000, "alsat1", a)


@pytest.mark.parametrize("bits, orb, a, exc, match", [
    (0, "leo400", "A", ValueError, "bits must be >= 1, not 0"),
    (1.5, "leo400", "A", TypeError, "bits must be an integer"),
    (10, "moon", "A", ValueError, "orbit must be one of"),
    (10, "leo400", 0.1, TypeError, "avf must be a Proportion"),
])
def test_failure_rate_rejects(bits, orb, a, exc, match):
    a = wilson(1, 10) if a == "A" else a
    with pytest.raises(exc, match=match):
        failure_rate(bits, orb, a)


def test_rate_checks_ordering():
    with pytest.raises(ValueError, match="need finite 0 <= low <= value <= high"):
        Rate(1.0, 2.0, 3.0, 1.0, 1.0, 1.0)


def test_combine_modules_sums():
    mods = {
        "array": (8 * 8 * 32, wilson(12, 2000)),
        "scratchpad": (65536, wilson(300, 3000)),
        "control": (200, wilson(0, 1000)),
    }
    total = combine_modules(mods, "sso550")
    parts = [failure_rate(b, "sso550", a) for b, a in mods.values()]
    for field in ("per_day", "per_day_low", "per_day_high", "fit", "fit_low", "fit_high"):
        assert getattr(total, field) == pytest.approx(sum(getattr(p, field) for p in parts))
    assert total.per_day_low <= total.per_day <= total.per_day_high
    one = combine_modules({"array": mods["array"]}, "sso550")
    assert one == parts[0]  # 0.0 + x == x: a single module is exactly its own rate


@pytest.mark.parametrize("mods, exc, match", [
    ({}, ValueError, "per_module must hold at least one module"),
    ({"a": (10, wilson(1, 10)), "b": (10, wilson(1, 10, 0.99))}, ValueError,
     r"per_module AVFs must share one confidence level, not \[0.95, 0.99\]"),
    ({"a": (10, wilson(1, 10)), "b": (0, wilson(1, 10))}, ValueError,
     r"per_module\['b'\]: bits must be >= 1, not 0"),
    ({"a": (10, 0.1)}, TypeError, r"per_module\['a'\] avf must be a Proportion"),
    ({"a": 10}, TypeError, r"per_module\['a'\] must be a \(bits, avf\) tuple"),
])
def test_combine_modules_rejects(mods, exc, match):
    with pytest.raises(exc, match=match):
        combine_modules(mods, "leo400")


# ------------------------------------------------------------------------------------------
# finite-population correction (sampling without replacement)


def test_wilson_finite_population_is_the_plain_interval_with_n_eff():
    n, big_n, x = 400, 1000, 40
    fpc = wilson(x, n, population=big_n)
    n_eff = n * (big_n - 1) / (big_n - n)
    z2n = Z95 ** 2 / n_eff
    p = x / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = Z95 / (1 + z2n) * math.sqrt(p * (1 - p) / n_eff + z2n / (4 * n_eff))
    assert fpc.low == pytest.approx(centre - half, rel=1e-12)
    assert fpc.high == pytest.approx(centre + half, rel=1e-12)
    plain = wilson(x, n)
    assert plain.low < fpc.low < fpc.estimate < fpc.high < plain.high  # narrower


def test_wilson_exhaustive_is_exact_and_huge_population_is_plain():
    exact = wilson(7, 50, population=50)
    assert exact.low == exact.estimate == exact.high == 7 / 50
    zero = wilson(0, 50, population=50)
    assert zero.low == zero.high == 0.0  # negative control: no [0, z^2/(n+z^2)] upper bound
    big = wilson(7, 50, population=10**12)
    plain = wilson(7, 50)
    assert big.low == pytest.approx(plain.low, rel=1e-9)
    assert big.high == pytest.approx(plain.high, rel=1e-9)


def test_wilson_population_rejects_fewer_than_trials():
    with pytest.raises(ValueError, match="population must be >= 50, not 49"):
        wilson(1, 50, population=49)
    with pytest.raises(TypeError, match="population must be an integer"):
        wilson(1, 50, population=50.0)


def test_fpc_interval_covers_at_the_nominal_rate():
    """Draw 300 of a population of 1000 (100 failures) without replacement, 2000 times: the
    corrected interval covers the truth ~95 % of the time; the plain one over-covers (it
    ignores that 30 % of the population was seen)."""
    rng = np.random.default_rng(3)
    pop = np.zeros(1000, dtype=bool)
    pop[:100] = True
    cover_fpc = cover_plain = 0
    for _ in range(2000):
        x = int(pop[rng.choice(1000, 300, replace=False)].sum())
        f, p = wilson(x, 300, population=1000), wilson(x, 300)
        cover_fpc += f.low <= 0.1 <= f.high
        cover_plain += p.low <= 0.1 <= p.high
    assert 0.93 <= cover_fpc / 2000 <= 0.975
    assert cover_plain / 2000 > 0.975
