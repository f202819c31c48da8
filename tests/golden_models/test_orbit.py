"""Orbit environment: period, eclipse duration and timing, view factors, heat inputs."""

import numpy as np
import pytest

from golden_models.orbit import (
    ALBEDO,
    EARTH_IR,
    MU_EARTH,
    R_EARTH,
    SOLAR_CONSTANT,
    Orbit,
    RadiatorSurface,
    heat_inputs,
    view_factor,
)


def test_period_leo_400km():
    # REFERENCE.md: ~92.4 min at 400 km.
    assert Orbit(400e3).period_s / 60 == pytest.approx(92.4, abs=0.05)
    r = R_EARTH + 700e3
    assert Orbit(700e3).period_s == pytest.approx(2 * np.pi * np.sqrt(r ** 3 / MU_EARTH))


def test_eclipse_400km_beta0_is_36_minutes():
    orbit = Orbit(400e3, 0.0)
    # At beta 0 the formula reduces to asin(R / (R + h)) / pi.
    assert orbit.eclipse_fraction == pytest.approx(np.arcsin(R_EARTH / (R_EARTH + 400e3)) / np.pi)
    assert orbit.eclipse_fraction * orbit.period_s / 60 == pytest.approx(36.0, abs=0.2)


@pytest.mark.parametrize("altitude_km, beta", [(400, 0), (400, 30), (550, 50), (800, 10),
                                               (400, 69), (1200, 0)])
def test_eclipse_duration_geometry_matches_formula(altitude_km, beta):
    """The geometric shadow test, sampled finely, gives the fraction formula's duration,
    entry and exit."""
    orbit = Orbit(altitude_km * 1e3, beta)
    t = np.linspace(0, orbit.period_s, 400_001)
    dark = orbit.in_eclipse(t)
    dt = t[1] - t[0]
    assert dark.sum() * dt == pytest.approx(orbit.eclipse_fraction * orbit.period_s, abs=3 * dt)
    assert orbit.eclipse_fraction > 0
    edges = np.nonzero(np.diff(dark.astype(int)))[0]
    assert len(edges) == 2
    assert t[edges[0]] == pytest.approx(orbit.eclipse_entry_s, abs=2 * dt)
    assert t[edges[1]] == pytest.approx(orbit.eclipse_exit_s, abs=2 * dt)


def test_no_eclipse_beyond_beta_star():
    orbit = Orbit(700e3, 80.0)  # a dawn-dusk sun-synchronous orbit
    assert orbit.beta_star_deg == pytest.approx(np.degrees(np.arcsin(R_EARTH / (R_EARTH + 700e3))))
    assert orbit.eclipse_fraction == 0.0
    assert not orbit.in_eclipse(np.linspace(0, orbit.period_s, 10_001)).any()
    assert np.isnan(orbit.eclipse_entry_s)


def test_view_factors():
    assert view_factor(1.0, "side") == pytest.approx(0.5, abs=1e-3)  # half the sky is Earth
    big_h = (R_EARTH + 400e3) / R_EARTH
    assert view_factor(400e3, "nadir") == pytest.approx(1 / big_h ** 2)
    # Far away, a side plate sees the Earth's disc at its horizon: 2 / (3 pi H^3).
    far = 50 * R_EARTH
    assert view_factor(far, "side") == pytest.approx(2 / (3 * np.pi * (51) ** 3), rel=1e-3)
    with pytest.raises(ValueError, match="mount must be 'side' or 'nadir', not 'zenith'"):
        view_factor(400e3, "zenith")


def test_heat_inputs_hand_calculation():
    orbit = Orbit(400e3, 0.0)
    surf = RadiatorSurface(area_m2=0.1, absorptivity=0.3, emissivity=0.8, sun_cos=0.5)
    f = view_factor(400e3, "side")
    q = heat_inputs(orbit, surf, [0.0, orbit.period_s / 2])
    noon, midnight = (float(q["solar"][0]), float(q["solar"][1]))
    assert noon == pytest.approx(0.3 * SOLAR_CONSTANT * 0.1 * 0.5)
    assert midnight == 0.0  # eclipse
    assert q["albedo"][0] == pytest.approx(0.3 * SOLAR_CONSTANT * ALBEDO * 0.1 * f)
    assert q["albedo"][1] == 0.0
    assert q["ir"][0] == q["ir"][1] == pytest.approx(0.8 * EARTH_IR * 0.1 * f)
    assert q["eclipse"].tolist() == [False, True]


def test_invalid_parameters_name_the_parameter():
    with pytest.raises(ValueError, match=r"altitude_m must be from 100e3 to 100e6, not 50000.0"):
        Orbit(50e3)
    with pytest.raises(ValueError, match=r"beta_deg must be from -90 to 90, not 95"):
        Orbit(400e3, 95)
    with pytest.raises(ValueError, match=r"emissivity must be from 0 to 1, not 1.2"):
        RadiatorSurface(emissivity=1.2)
