"""Reference throttle controller: directed decisions, plausibility, latch, and properties."""

import numpy as np
import pytest

from golden_models.throttle import (
    DVFS_TABLE,
    SHUTDOWN,
    ThrottleController,
    ThrottleParams,
    advances,
    celsius,
    code_from_celsius,
    run,
    wall_cycles,
)

C = code_from_celsius
SEED = 20261124


def levels(temps_c, params=None, clears=None):
    return list(run(C(np.asarray(temps_c, float)), params, clears))


def test_code_conversion():
    assert C(-64) == 0 and C(447.875) == 4095 and C(1000) == 4095 and C(-100) == 0
    assert C(85) == 1192 and celsius(1192) == 85.0 and celsius(1) == -63.875
    codes = np.arange(4096)
    assert np.array_equal(C(celsius(codes)), codes)


def test_defaults():
    p = ThrottleParams()
    assert (p.trip1, p.trip2, p.trip3, p.crit) == (C(85), C(95), C(105), C(115))
    assert (p.hyst, p.range_min, p.range_max) == (32, C(-40), C(150))
    assert (p.stuck_samples, p.safe_level) == (64, 2)
    assert p.with_celsius(trip1=80, hyst=2).trip1 == C(80)
    assert p.with_celsius(hyst=2).hyst == 16


@pytest.mark.parametrize("field,value,message", [
    ("trip1", 4096, "trip1 must be an integer code in 0..4095, not 4096"),
    ("hyst", -1, "hyst must be an integer code in 0..4095, not -1"),
    ("stuck_samples", 256, "stuck_samples must be an integer in 0..255, not 256"),
    ("safe_level", 5, "safe_level must be an integer in 0..4, not 5"),
])
def test_params_validated(field, value, message):
    with pytest.raises(ValueError) as info:
        ThrottleParams(**{field: value})
    assert str(info.value) == message


def test_each_trip_point_exactly():
    # Exactly at the trip (>=) raises, one code below does not.
    for lvl, t in ((1, 85), (2, 95), (3, 105)):
        assert levels([t])[-1] == lvl
        assert levels([t - 0.125])[-1] == lvl - 1


def test_jump_up_at_once_and_step_down_one_per_sample():
    assert levels([20, 110]) == [0, 3]
    # Far below every trip: still one step per sample.
    assert levels([110, 20, 20, 20, 20]) == [3, 2, 1, 0, 0]


def test_hysteresis_boundaries():
    # Level 3 leaves only below TRIP3 - HYST = 101 degC; exactly 101 holds.
    assert levels([106, 101, 100.875]) == [3, 3, 2]
    # Level 2 below 91; 91 holds; level 1 below 81.
    assert levels([96, 91, 90.875, 81, 80.875]) == [2, 2, 1, 1, 0]
    # Inside the hysteresis band (below the trip) nothing moves.
    assert levels([86, 84, 82, 84]) == [1, 1, 1, 1]


def test_critical_latch_and_clear():
    c = ThrottleController()
    assert c.sample(C(115)) == SHUTDOWN and c.shutdowns == 1 and c.raises == 1
    # Cooling does not release a latched shutdown.
    for t in (20, 20, 20):
        assert c.sample(C(t)) == SHUTDOWN
    c.sample(C(112))  # above CRIT - HYST = 111: not cool
    c.clear()
    assert c.level == SHUTDOWN and not c.cool
    c.sample(C(110.875))
    assert c.cool
    c.clear()
    assert c.level == 3 and c.shutdowns == 1
    assert c.sample(C(20)) == 2
    # Clear when not shut down does nothing.
    c.clear()
    assert c.level == 2
    # A second shutdown counts again.
    c.sample(C(200 - 60))
    assert c.level == SHUTDOWN and c.shutdowns == 2


def test_clear_before_sample_in_trace():
    codes = C(np.array([120.0, 20, 20, 20]))
    assert list(run(codes, clears=[0, 0, 1, 0])) == [4, 4, 2, 1]


def test_range_faults_force_safe_level_and_resume():
    # The range limits themselves are plausible (150 degC is above CRIT: a shutdown).
    assert levels([-40]) == [0] and levels([150]) == [SHUTDOWN]
    c = ThrottleController()
    assert c.sample(C(-40)) == 0 and not c.sensor_fault
    assert c.sample(C(-40.125)) == 2 and c.sensor_fault and c.faults == 1
    assert c.sample(C(150.125)) == 2 and c.faults == 2
    # Plausible again: the normal rule resumes from the safe level (one step down per sample).
    assert [c.sample(C(t)) for t in (20, 21, 22)] == [1, 0, 0]
    assert c.sensor_fault  # sticky
    c.clear_fault()
    assert not c.sensor_fault
    # A fault while hotter than the safe level lowers the level to it (contract: = safe_level).
    c.sample(C(110))
    assert c.sample(C(400)) == 2


def test_fault_does_not_lift_shutdown():
    c = ThrottleController()
    c.sample(C(120))
    assert c.sample(C(400)) == SHUTDOWN and not c.cool
    c.clear()
    assert c.level == SHUTDOWN


def test_safe_level_4_latches():
    p = ThrottleParams(safe_level=4)
    assert levels([20, 500, 20, 20], p) == [0, 4, 4, 4]


def test_stuck_detection():
    p = ThrottleParams(stuck_samples=3)
    # The 3rd consecutive repeat (4th identical reading) is implausible.
    assert levels([20, 20, 20, 20, 20, 21], p) == [0, 0, 0, 2, 2, 1]
    c = ThrottleController(p)
    c.run_trace(C(np.array([20, 20, 20, 20.0])))
    assert c.sensor_fault and c.faults == 1 and c.run == 3
    # Default 64: 64 repeats are fine, the 65th identical reading... is the 64th repeat.
    out = levels([30] * 65)
    assert out[:64] == [0] * 64 and out[64] == 2


def test_stuck_disabled_with_zero():
    p = ThrottleParams(stuck_samples=0)
    c = ThrottleController(p)
    out = c.run_trace(np.full(1000, C(30)))
    assert not out.any() and not c.sensor_fault and c.run == 255  # run saturates


def test_counters_saturate():
    c = ThrottleController(ThrottleParams(stuck_samples=0))
    for _ in range(300):
        c.sample(C(500))
    assert c.faults == 255
    c = ThrottleController()
    for i in range(40):
        c.sample(C(86) if i % 2 else C(70))
    assert c.raises == 20
    c.raises = 0xFFFE
    for i in range(4):
        c.sample(C(86) if i % 2 else C(70))
    assert c.raises == 0xFFFF


def test_status_and_events_words():
    c = ThrottleController()
    c.sample(C(120))
    c.sample(C(500))
    assert c.status_word() == 4 | (3 << 3) | (1 << 5) | (1 << 6)
    assert c.events_word() == 1 | (1 << 16) | (1 << 24)
    c2 = ThrottleController()
    c2.sample(C(20))
    assert c2.status_word() == 1 << 7  # cool
    assert [DVFS_TABLE[min(lv, 3)] for lv in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.25]


def _random_trace(rng, n):
    """Random walk with jumps, stuck segments and out-of-range spikes (codes)."""
    t = 60.0
    out = []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.05:
            out += [int(rng.integers(0, 4096))]  # spike, often out of range
        elif kind < 0.1:
            out += [out[-1] if out else C(t)] * int(rng.integers(2, 80))  # stuck
        elif kind < 0.15:
            t = float(rng.uniform(20, 130))  # jump
            out.append(C(t))
        else:
            t = float(np.clip(t + rng.normal(0, 1.5), 0, 140))
            out.append(C(t))
    return np.asarray(out[:n])


def test_never_cools_faster_than_hysteresis_allows():
    """Property: a step down from L needs a plausible reading below trip[L] - hyst, at most
    one step per sample, and only faults or clear can lower a shutdown; seed recorded."""
    rng = np.random.default_rng(SEED)
    for params in (ThrottleParams(), ThrottleParams(stuck_samples=5, safe_level=0),
                   ThrottleParams().with_celsius(trip1=60, trip2=70, trip3=80, hyst=8)):
        c = ThrottleController(params)
        codes = _random_trace(rng, 4000)
        clears = rng.random(len(codes)) < 0.05
        prev = 0
        for code, clr in zip(codes, clears, strict=True):
            if clr:
                c.clear()
            before_sample = c.level
            lvl = c.sample(int(code))
            implausible = not c.plausible(int(code)) or (
                params.stuck_samples and c.run >= params.stuck_samples)
            if lvl < prev:
                if implausible:
                    assert lvl == params.safe_level and prev != SHUTDOWN
                elif prev == SHUTDOWN:
                    assert clr and before_sample == 3 and lvl >= 2
                else:
                    assert lvl == prev - 1
                    assert code < c.trips[prev - 1] - params.hyst
            if not implausible and code >= params.crit:
                assert lvl == SHUTDOWN
            prev = lvl


def test_negative_control_property_catches_fast_cooling(monkeypatch):
    """A mutated model that drops two levels per sample must violate the one-step rule."""
    original = ThrottleController.sample

    def bad_sample(self, code):
        original(self, code)
        if 1 <= self.level <= 3 and code < self.trips[0] - self.hyst:
            self.level = 0
        return self.level

    monkeypatch.setattr(ThrottleController, "sample", bad_sample)
    with pytest.raises(AssertionError):
        test_never_cools_faster_than_hysteresis_allows()


def test_duty_cycle_helpers():
    phases = np.arange(8)
    for lvl in range(4):
        assert int(advances(lvl, phases).sum()) == 2 * (4 - lvl)
        # wall_cycles agrees with counting the advance pattern cycle by cycle.
        for work in range(0, 30):
            t = done = 0
            while done < work:
                done += advances(lvl, t)
                t += 1
            assert wall_cycles(work, lvl) == t
    assert not advances(SHUTDOWN, phases).any()
    with pytest.raises(ValueError, match="level must be in 0..3, not 4"):
        wall_cycles(5, 4)
