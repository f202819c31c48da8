"""Power model: energy per operation from activity, DVFS V^2 scaling, exponential leakage."""

import numpy as np
import pytest

from golden_models.power import PowerModel, PowerParams


def test_dynamic_power_hand_calculation():
    p = PowerParams(e_mac_j=1e-12, e_sram_j=4e-12, f_clk_hz=1e9, chip_macs=1024,
                    p_uncore_w=0.0)
    model = PowerModel(p, 4, 4)
    assert model.tiles_per_chip == 64
    # 500 feed cycles (16 MACs each) and 300 word accesses in 1000 cycles:
    # 64 tiles * 1e9 * (500*16*1e-12 + 300*4e-12) / 1000 = 64 * 9.2e-3 W.
    assert model.dynamic(500, 300, 1000) == pytest.approx(64 * 9.2e-3)
    assert model.peak_dynamic() == pytest.approx(1024 * 1e9 * 1e-12)


def test_dvfs_scales_with_v_squared_and_leakage_with_v():
    p = PowerParams(dvfs_volts=(1.0, 0.9, 0.8, 0.5))
    model = PowerModel(p, 8, 8)
    base = model.dynamic(100, 50, 400, 0)
    for level, v in enumerate(p.dvfs_volts):
        assert model.dynamic(100, 50, 400, level) == pytest.approx(base * v ** 2)
        assert model.leakage(60.0, level) == pytest.approx(model.leakage(60.0, 0) * v)


def test_duty_cycling_scales_activity_not_energy_per_op():
    """Half the activity in the same window is half the array power (frequency scaling lives
    in the counters)."""
    model = PowerModel(PowerParams(p_uncore_w=0.0), 4, 4)
    assert model.dynamic(200, 0, 1000) == pytest.approx(2 * model.dynamic(100, 0, 1000))


def test_leakage_is_exponential_in_temperature():
    p = PowerParams(leak_p0_w=2.0, leak_t0_c=25.0, leak_tk_c=50.0)
    model = PowerModel(p, 4, 4)
    assert model.leakage(25.0) == pytest.approx(2.0)
    t = np.array([0.0, 50.0, 100.0])
    np.testing.assert_allclose(model.leakage(t), 2.0 * np.exp((t - 25.0) / 50.0))
    # Doubling every Tk ln 2 kelvin.
    assert model.leakage(25 + 50 * np.log(2)) == pytest.approx(4.0)


def test_invalid_parameters_name_the_parameter():
    with pytest.raises(ValueError, match=r"e_mac_j must not be negative, not -1.0"):
        PowerParams(e_mac_j=-1.0)
    with pytest.raises(ValueError, match=r"dvfs_volts must be 4 positive voltages"):
        PowerParams(dvfs_volts=(1.0, 0.9))
    with pytest.raises(ValueError, match=r"dvfs_level must be from 0 to 3, not 4"):
        PowerModel(PowerParams(), 4, 4).dynamic(1, 1, 1, 4)
    with pytest.raises(ValueError, match=r"cycles must be positive, not 0"):
        PowerModel(PowerParams(), 4, 4).dynamic(1, 1, 0)


def test_tile_energy_hand_calculation():
    """8x8 tile: 100 feed cycles = 6400 MACs * 0.3 pJ, 50 words * 1 pJ; V^2 at level 3."""
    model = PowerModel(PowerParams(), 8, 8)
    assert model.tile_energy(100, 50) == pytest.approx(6400 * 0.3e-12 + 50e-12)
    assert model.tile_energy(100, 50, 3) == pytest.approx(
        (6400 * 0.3e-12 + 50e-12) * (0.75 / 0.90) ** 2)
    with pytest.raises(ValueError, match="^feed and sram must not be negative, not -1, 0$"):
        model.tile_energy(-1, 0)
