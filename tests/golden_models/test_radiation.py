"""Upset rates from device data: Weibull and Bendel cross-sections, Petersen's figure of merit,
spectrum integration, presets, and the device cross-section from structures."""

import math
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fault_campaigns.stats import wilson
from golden_models.radiation import (
    DEFAULT_DEVICE,
    ENVIRONMENTS,
    PETERSEN_COEFFICIENTS,
    BendelParams,
    Device,
    RadiationEnvironment,
    Structure,
    WeibullParams,
    device_cross_section,
    environment,
    fom_from_proton_limit,
    petersen_coefficients,
    spectrum_rate,
    upset_rate,
)

W = WeibullParams(sigma_sat_cm2=1e-8, let_th=1.0, width=10.0, shape=2.0)


# --- Weibull ---------------------------------------------------------------------------------

def test_weibull_against_hand_values():
    # sigma(6) = 1e-8 (1 - exp(-((6 - 1) / 10)^2)) = 1e-8 (1 - exp(-0.25))
    got = W.cross_section([0.0, 1.0, 6.0, 11.0, 1e4])
    want = [0.0, 0.0, 1e-8 * (1 - math.exp(-0.25)), 1e-8 * (1 - math.exp(-1.0)), 1e-8]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert W.cross_section(6.0).shape == ()


def test_l25_and_fom_by_hand():
    # L_0.25 = 1 + 10 sqrt(ln 4/3) = 6.3636...; the cross-section there is a quarter of sat.
    l25 = 1.0 + 10.0 * math.sqrt(math.log(4 / 3))
    assert W.l25 == pytest.approx(l25, rel=1e-12)
    assert float(W.cross_section(W.l25)) == pytest.approx(0.25e-8, rel=1e-12)
    assert W.fom == pytest.approx(1e-8 / l25 ** 2, rel=1e-12)
    # s = 1: ln(4/3)^(1/1) = 0.28768...
    assert WeibullParams(1e-9, 0.0, 4.0, 1.0).l25 == pytest.approx(4 * 0.2876820724517809)


def test_weibull_monotone_and_fom_ordering():
    let = np.linspace(0, 200, 2001)
    assert np.all(np.diff(W.cross_section(let)) >= 0)
    # A softer part (lower threshold, narrower width) has the larger FOM and rate.
    soft = WeibullParams(1e-8, 0.2, 5.0, 2.0)
    assert soft.fom > W.fom
    dev = [Device("x", w) for w in (W, soft)]
    for env in ("leo400", "sso550", "geo"):
        r = [upset_rate(d, env).total for d in dev]
        assert r[1] > r[0] > 0


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(sigma_sat_cm2=0.0), ValueError, "sigma_sat_cm2 must be a positive finite number, "
                                          "not 0.0"),
    (dict(sigma_sat_cm2=math.inf), ValueError, "sigma_sat_cm2 must be a positive finite "
                                               "number, not inf"),
    (dict(let_th=-1.0), ValueError, "let_th must be a non-negative finite number, not -1.0"),
    (dict(width=math.nan), ValueError, "width must be a positive finite number, not nan"),
    (dict(shape=True), TypeError, "shape must be a real number, not bool True"),
    (dict(shape="2"), TypeError, "shape must be a real number, not str '2'"),
])
def test_weibull_errors(kwargs, exc, msg):
    args = dict(sigma_sat_cm2=1e-8, let_th=1.0, width=10.0, shape=2.0) | kwargs
    with pytest.raises(exc) as info:
        WeibullParams(**args)
    assert str(info.value) == msg


def test_weibull_rejects_negative_let():
    with pytest.raises(ValueError, match=r"^let must hold finite values >= 0$"):
        W.cross_section([1.0, -0.5])


# --- Bendel ----------------------------------------------------------------------------------

def test_bendel_against_hand_values():
    b = BendelParams(a_mev=10.0, b_mev=8.0)
    # limit 1e-12 * 0.8^14; at 50 MeV Y = sqrt(1.8) * 40
    limit = 1e-12 * 0.8 ** 14
    y = math.sqrt(1.8) * 40.0
    want = limit * (1 - math.exp(-0.18 * math.sqrt(y))) ** 4
    assert b.sigma_limit_cm2 == pytest.approx(limit, rel=1e-12)
    np.testing.assert_allclose(b.cross_section([5.0, 10.0, 50.0, 1e6]),
                               [0.0, 0.0, want, limit], rtol=1e-6)


def test_bendel_from_limit_round_trip_and_monotone():
    b = BendelParams.from_limit(5.0, 3e-14)
    assert b.sigma_limit_cm2 == pytest.approx(3e-14, rel=1e-12)
    assert b.a_mev == 5.0
    assert np.all(np.diff(b.cross_section(np.linspace(0, 500, 501))) >= 0)


@pytest.mark.parametrize("kwargs, msg", [
    (dict(a_mev=0.0), "a_mev must be a positive finite number, not 0.0"),
    (dict(b_mev=-2.0), "b_mev must be a positive finite number, not -2.0"),
])
def test_bendel_errors(kwargs, msg):
    with pytest.raises(ValueError) as info:
        BendelParams(**(dict(a_mev=10.0, b_mev=8.0) | kwargs))
    assert str(info.value) == msg


def test_fom_from_proton_limit():
    assert fom_from_proton_limit(2e-14) == pytest.approx(9e-10)
    with pytest.raises(ValueError, match="^sigma_limit_cm2 must be a positive finite number"):
        fom_from_proton_limit(0.0)


# --- Petersen coefficients and presets ---------------------------------------------------------

@pytest.mark.parametrize("alt, inc, want", [
    # table points read back exactly (Petersen 1998 figures, second-hand digitization)
    (400, 30, (8.5, 9.9)), (400, 60, (53.8, 4.7)), (400, 90, (93.6, 4.4)),
    (500, 90, (97.4, 17.9)), (600, 90, (99.7, 44.4)), (1000, 0, (7.6, 567.1)),
    (35800, 0, (485.0, 0.0)), (35800, 90, (485.0, 0.0)),
])
def test_petersen_table_points(alt, inc, want):
    assert petersen_coefficients(alt, inc) == pytest.approx(want, rel=1e-12)
    hi, p = PETERSEN_COEFFICIENTS[alt]
    assert (hi[int(inc) // 30], p[int(inc) // 30]) == want


def test_presets_reproduce_hand_interpolation():
    # leo400: 400 km, 51.6 deg, linear between the 30 and 60 deg columns.
    f = 21.6 / 30
    leo = ENVIRONMENTS["leo400"]
    assert leo.c_heavy_ion == pytest.approx(8.5 + f * (53.8 - 8.5), rel=1e-12)
    assert leo.c_proton == pytest.approx(9.9 + f * (4.7 - 9.9), rel=1e-12)
    # sso550: 97.6 deg folds to 82.4 deg, between 60 and 90, then halfway from 500 to 600 km.
    g = 22.4 / 30
    hi = 0.5 * ((56.0 + g * (97.4 - 56.0)) + (58.2 + g * (99.7 - 58.2)))
    p = 0.5 * ((18.2 + g * (17.9 - 18.2)) + (44.4 + g * (44.4 - 44.4)))
    sso = ENVIRONMENTS["sso550"]
    assert (sso.c_heavy_ion, sso.c_proton) == pytest.approx((hi, p), rel=1e-12)
    assert (ENVIRONMENTS["geo"].c_heavy_ion, ENVIRONMENTS["geo"].c_proton) == (485.0, 0.0)


def test_retrograde_fold_matters():
    # Folding is a real step, not a no-op: 97.6 deg reads as 82.4, not as the 90 deg column.
    assert petersen_coefficients(550, 97.6) == petersen_coefficients(550, 82.4)
    assert petersen_coefficients(550, 97.6)[0] < petersen_coefficients(550, 90)[0] - 5


def test_upset_rate_is_coefficient_times_fom():
    for name in ("leo400", "sso550", "geo"):
        env = ENVIRONMENTS[name]
        r = upset_rate(DEFAULT_DEVICE, name)
        assert r.heavy_ion == pytest.approx(env.c_heavy_ion * DEFAULT_DEVICE.weibull.fom)
        assert r.proton == pytest.approx(env.c_proton * DEFAULT_DEVICE.weibull.fom)
        assert r.total == pytest.approx(r.heavy_ion + r.proton)
        assert (r.heavy_ion_method, r.proton_method) == ("fom", "fom")
    rates = [upset_rate(DEFAULT_DEVICE, n).total for n in ("leo400", "sso550", "geo")]
    assert rates[0] < rates[1] < rates[2]


def test_alsat1_preset_is_the_flight_figure_for_any_device():
    for dev in (DEFAULT_DEVICE, Device("hard", WeibullParams(1e-12, 30.0, 10.0, 1.0))):
        r = upset_rate(dev, "alsat1")
        assert (r.total, r.heavy_ion, r.proton, r.heavy_ion_method) == \
            (4.04e-7, None, None, "measured")


def test_default_device_is_marked_assumption():
    assert "ASSUMPTION" in DEFAULT_DEVICE.source
    assert DEFAULT_DEVICE.weibull.fom == pytest.approx(1.0098e-10, rel=1e-3)
    assert DEFAULT_DEVICE.bendel.sigma_limit_cm2 == pytest.approx(
        DEFAULT_DEVICE.weibull.fom / 4.5e4)


@pytest.mark.parametrize("args, msg", [
    ((100, 51.6), "altitude_km must be from 200 to 35800, not 100"),
    ((400, 181), "inclination_deg must be from 0 to 180, not 181"),
])
def test_petersen_errors(args, msg):
    with pytest.raises(ValueError) as info:
        petersen_coefficients(*args)
    assert str(info.value) == msg


def test_environment_errors():
    with pytest.raises(ValueError) as info:
        environment("leo")
    assert str(info.value) == "orbit must be one of ('leo400', 'sso550', 'geo', 'alsat1'), " \
                              "not 'leo'"
    with pytest.raises(TypeError):
        environment(4e-7)
    with pytest.raises(ValueError, match="^a measured seu_per_bit_day excludes model terms"):
        RadiationEnvironment("x", "", "", seu_per_bit_day=1e-7, c_heavy_ion=1.0)
    with pytest.raises(ValueError, match="^give exactly one heavy-ion term"):
        RadiationEnvironment("x", "", "", c_proton=1.0)
    with pytest.raises(ValueError, match="^give at most one proton term"):
        RadiationEnvironment("x", "", "", c_heavy_ion=1.0, c_proton=1.0,
                             proton_spectrum=((1, 2), (1, 0)))
    with pytest.raises(ValueError, match="^c_heavy_ion must be a non-negative finite number"):
        RadiationEnvironment("x", "", "", c_heavy_ion=-1.0)


# --- spectra ---------------------------------------------------------------------------------

def test_spectrum_step_cross_section_is_exact():
    # sigma = s0 above 2: the rate is s0 * Phi(>2) whatever the interpolation.
    def step(x):
        return np.where(np.asarray(x) >= 2.0, 3e-9, 0.0)
    x, phi = [1.0, 2.0, 10.0, 100.0], [50.0, 20.0, 1.0, 0.01]
    assert spectrum_rate(step, x, phi) == pytest.approx(3e-9 * 20.0, rel=1e-12)


def test_spectrum_power_law_by_hand_and_negative_control():
    # Phi(>x) = K x^-2 on [1, 100] (log-log exact), sigma = c (x - 1):
    # int_1^100 c (x - 1) 2 K x^-3 dx = 2cK [1/(2x^2) - 1/x]_1^100 = 0.9801 cK, plus the tail
    # above 100 at sigma(100) = 99 c: 99 c K / 1e4. Total 0.99 cK.
    c, k = 2e-10, 7.0

    def ramp(x):
        return c * np.maximum(np.asarray(x) - 1.0, 0.0)
    got = spectrum_rate(ramp, [1.0, 100.0], [k, k * 1e-4], points_per_interval=512)
    assert got == pytest.approx(0.99 * c * k, rel=1e-4)
    # Negative control: had the flux been interpolated linearly between the two points, the
    # answer would be int_1^100 c (x-1) (K(1-1e-4)/99) dx + tail = c K (0.9999 * 49.5 + 0.0099):
    # ~50x off, so the hand value above does pin the power-law interpolation.
    linear = c * k * (0.9999 * 99 / 2 + 0.0099)
    assert abs(got - linear) > 10 * got


def test_spectrum_environment_uses_the_tables():
    # An environment with a LET spectrum and a proton spectrum; sharp Weibull ~ step at 5.
    sharp = WeibullParams(1e-8, 4.999, 1e-3, 1.0)
    dev = Device("sharp", sharp, BendelParams(a_mev=10.0, b_mev=8.0))
    env = RadiationEnvironment("t", "test", "hand", let_spectrum=((1.0, 5.0, 50.0), (10, 2, 0)),
                               proton_spectrum=((1.0, 1e6), (1e3, 0.0)))
    r = upset_rate(dev, env)
    assert r.heavy_ion == pytest.approx(1e-8 * 2.0, rel=1e-3)
    assert (r.heavy_ion_method, r.proton_method) == ("spectrum", "spectrum")
    assert 0 < r.proton < 1e3 * dev.bendel.sigma_limit_cm2
    with pytest.raises(ValueError, match="has a proton spectrum but device 'x' has no bendel"):
        upset_rate(Device("x", sharp), env)


@pytest.mark.parametrize("x, phi, msg", [
    ([1.0], [1.0], "x and integral_flux must be 1-D tables of the same length >= 2"),
    ([2.0, 1.0], [1.0, 0.5], "x must be finite, positive and strictly increasing"),
    ([1.0, 2.0], [1.0, 2.0], "integral_flux must be finite, >= 0 and non-increasing"),
    ([2.0, 5.0], [1.0, 0.5], "cross_section must be 0 at x[0] = 2: start the spectrum at or "
                             "below the threshold"),
])
def test_spectrum_errors(x, phi, msg):
    with pytest.raises(ValueError) as info:
        spectrum_rate(W.cross_section, x, phi)
    assert str(info.value) == msg


# --- device cross-section --------------------------------------------------------------------

def test_device_cross_section_by_hand():
    w2 = WeibullParams(2e-9, 0.0, 1.0, 1.0)
    a = wilson(30, 1000)  # a campaign AVF with its Wilson interval
    structures = [Structure("sram", 1000, a, W), Structure("flops", 200, (0.5, 0.4, 0.6), w2)]
    let = np.array([0.5, 6.0, 60.0])
    got = device_cross_section(structures, let)
    s1, s2 = W.cross_section(let), w2.cross_section(let)
    np.testing.assert_allclose(got["estimate"], 1000 * s1 * a.estimate + 200 * s2 * 0.5)
    np.testing.assert_allclose(got["low"], 1000 * s1 * a.low + 200 * s2 * 0.4)
    np.testing.assert_allclose(got["high"], 1000 * s1 * a.high + 200 * s2 * 0.6)
    assert np.all(got["low"] <= got["estimate"]) and np.all(got["estimate"] <= got["high"])
    # Negative control: an AVF of 1 everywhere gives a larger curve than the measured one.
    full = device_cross_section([Structure("sram", 1000, (1, 1, 1), W)], let)["estimate"]
    assert np.all(full[1:] > got["high"][1:])


def test_device_cross_section_errors():
    with pytest.raises(ValueError, match="^structures must hold at least one Structure"):
        device_cross_section([], [1.0])
    with pytest.raises(ValueError) as info:
        Structure("sram", 10, (0.5, 0.6, 0.7))
    assert str(info.value) == ("avf of 'sram' needs 0 <= low <= estimate <= high <= 1, not "
                               "(0.5, 0.6, 0.7)")
    with pytest.raises(TypeError, match="^avf of 'sram' must be"):
        Structure("sram", 10, 0.5)
    with pytest.raises(ValueError, match="^bits must be >= 1, not 0$"):
        Structure("sram", 0, (0.5, 0.4, 0.6))


# --- docs/radiation.md -----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DOC_COMMANDS = [line for line in (ROOT / "docs" / "radiation.md").read_text().splitlines()
                if line.startswith(".venv/bin/python -c ")]


def test_docs_show_commands():
    assert len(DOC_COMMANDS) >= 5


@pytest.mark.parametrize("line", DOC_COMMANDS, ids=lambda s: s[27:60])
def test_docs_command_runs(line):
    """Every `python -c` command shown in docs/radiation.md runs (pytest and ruff, also shown
    there, are what runs this)."""
    argv = shlex.split(line)
    argv[0] = sys.executable
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
