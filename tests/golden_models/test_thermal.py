"""Thermal RC network: step response, energy balance, integration against a fine reference."""

import numpy as np
import pytest

from golden_models.orbit import SIGMA, RadiatorSurface
from golden_models.thermal import KELVIN, LinearRC, ThermalModel, ThermalParams, steady_state


def test_single_node_step_response_is_the_analytic_exponential():
    c, r, p, t_sink, t0 = 140.4, 0.1, 50.0, 20.0, 20.0  # HotSpot's convection RC (REFERENCE)
    net = LinearRC([c], [[1 / r]])
    assert net.time_constants[0] == pytest.approx(r * c)
    temps, dt = np.array([t0]), 0.7
    t_ss = t_sink + p * r
    for i in range(1, 200):
        temps = net.step(temps, [p + t_sink / r], dt)
        analytic = t_ss + (t0 - t_ss) * np.exp(-i * dt / (r * c))
        assert temps[0] == pytest.approx(analytic, abs=1e-9)


def test_two_node_network_matches_fine_euler():
    c = np.array([0.5, 40.0])
    g = np.array([[2.0, -2.0], [-2.0, 2.5]])  # 0.5 K/W node 1 to node 2, 2 K/W to a 0 sink
    net = LinearRC(c, g)
    q = np.array([10.0, 0.0])
    exact = net.step(np.zeros(2), q, 30.0)
    x, h = np.zeros(2), 1e-4
    for _ in range(int(30.0 / h)):
        x = x + h * (q - g @ x) / c
    np.testing.assert_allclose(exact, x, atol=2e-3)
    np.testing.assert_allclose(net.steady(q), np.linalg.solve(g, q))


def test_linear_rc_rejects_a_network_without_sink():
    with pytest.raises(ValueError, match="positive definite"):
        LinearRC([1.0, 1.0], [[1.0, -1.0], [-1.0, 1.0]])


def test_steady_state_energy_balance_hand_calculation():
    """Constant inputs, long run: every watt in leaves as radiation, and the conductive drops
    are P * R (a hand calculation with round numbers)."""
    surf = RadiatorSurface(area_m2=0.1, emissivity=0.8)
    params = ThermalParams(c_die=0.3, c_pkg=20.0, c_rad=200.0, r_die_pkg=0.2, r_pkg_rad=0.5,
                           radiator=surf, t_space_k=0.0)
    p, q = 30.0, 10.0
    # 40 W = 0.8 * 5.67e-8 * 0.1 * T^4  ->  T = (40 / 4.536e-9)^(1/4) = 306.44 K.
    t_rad = (40.0 / (0.8 * SIGMA * 0.1)) ** 0.25
    assert t_rad == pytest.approx(306.44, abs=0.01)
    hand = np.array([t_rad + 30 * 0.7, t_rad + 30 * 0.5, t_rad]) - KELVIN
    np.testing.assert_allclose(steady_state(params, p, q), hand)
    model = ThermalModel(params, temps_c=(0.0, 0.0, 0.0))
    for _ in range(3000):
        model.step(p, q, 5.0)
    np.testing.assert_allclose(model.temps, hand, atol=1e-6)
    emitted = params.eps_sigma_a * (model.temps[2] + KELVIN) ** 4
    assert emitted == pytest.approx(p + q, rel=1e-8)


def test_exact_exponential_step_against_rk4_reference():
    """Linearising the radiator about each step's start costs at most millikelvin over an
    orbit-like transient at the co-simulation's 2 s step."""
    params = ThermalParams()
    model = ThermalModel(params, temps_c=(20.0, 20.0, 20.0))
    ref = model.temps.copy()
    h = 0.01  # below the die time constant (~0.05 s): RK4 is accurate here
    for k in range(300):
        p = 40.0 if (k // 50) % 2 == 0 else 10.0  # a square wave of chip power
        q = 8.0
        model.step(p, q, 2.0)
        for _ in range(200):
            k1 = model.derivative(ref, p, q)
            k2 = model.derivative(ref + h / 2 * k1, p, q)
            k3 = model.derivative(ref + h / 2 * k2, p, q)
            k4 = model.derivative(ref + h * k3, p, q)
            ref = ref + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        np.testing.assert_allclose(model.temps, ref, atol=5e-3)


def test_invalid_parameters_name_the_parameter():
    with pytest.raises(ValueError, match=r"r_die_pkg must be positive, not 0"):
        ThermalParams(r_die_pkg=0)
    with pytest.raises(ValueError, match=r"dt must be positive, not -1"):
        ThermalModel(ThermalParams()).step(1.0, 1.0, -1)
