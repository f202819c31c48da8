"""Orbital thermal scenarios and the closed loop shared by the RTL co-simulation and the
reference-controller run.

One loop step (:class:`ClosedLoop`) covers ``dt_s`` seconds of orbit time and
``cycles_per_step`` clock cycles of the tile: the **time scale**. With the defaults (2 s per
1024 cycles) a 92.4-minute LEO orbit is 2772 steps, 2.84 M simulated cycles, about half a
minute of wall time under Verilator on the small tile. The tile's activity in those cycles
is read as a *rate*: the chip is taken to run at that activity for the whole ``dt_s``
(:mod:`golden_models.power`). Per step ``k`` (orbit time ``t_k = k dt``):

1. the sensor turns the die temperature into ``therm_code = round((T + 64) * 8)`` plus a
   seeded uniform noise of -1, 0 or +1 LSB (so a healthy sensor never looks stuck); a stuck
   sensor holds its code constant from ``stuck_at`` on;
2. the code is presented with one ``therm_sample`` strobe; the controller (RTL or
   :class:`golden_models.throttle.ThrottleController`) decides level ``L_k``;
3. the tile runs ``cycles_per_step`` cycles at ``L_k`` while GEMMs run back to back; the
   deltas of ``act_feed`` / ``act_sram`` give the chip power (DVFS point of ``L_k``, leakage
   at the die temperature), the orbit gives the environmental heat at ``t_k + dt/2``, and
   the RC network advances ``dt`` (:mod:`golden_models.thermal`).

If the level is 4 (critical shutdown), the software in the loop writes THERM_CTRL.CLEAR after
any sample whose code is below ``CRIT - HYST``, as the contract requires.

Before step 0 a warm-up of ``warmup_orbits`` runs the same loop with the reference controller
and the activity model (:class:`ActivityModel`), so every run starts in the orbit's periodic
regime rather than from a cold chip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from golden_models.orbit import Orbit, RadiatorSurface, heat_inputs
from golden_models.power import PowerModel, PowerParams
from golden_models.thermal import ThermalModel, ThermalParams
from golden_models.throttle import ThrottleController
from golden_models.tile import gemm_cycles
from orbitbench.spec.params import GemmCommand, TileConfig

__all__ = ["Scenario", "SCENARIOS", "ThermalError", "ClosedLoop", "ActivityModel", "Sensor",
           "code_of", "celsius_of", "workload_transfers", "reference_controller", "ref_sample",
           "software_clear"]

CODE_MAX = 4095  # 12-bit sensor


class ThermalError(Exception):
    """Bad thermal input (unknown scenario, bad option): printed as one line, exit 2."""


def code_of(temp_c) -> np.ndarray | int:
    """Sensor code of a temperature: ``round((T + 64) * 8)``, clipped to 12 bits."""
    code = np.clip(np.rint((np.asarray(temp_c, dtype=np.float64) + 64.0) * 8.0), 0, CODE_MAX)
    return int(code) if np.ndim(code) == 0 else code.astype(np.int64)


def celsius_of(code) -> np.ndarray | float:
    """Temperature of a sensor code: ``code / 8 - 64``."""
    out = np.asarray(code, dtype=np.float64) / 8.0 - 64.0
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class Scenario:
    """One orbital thermal scenario with what its checks expect.

    Parameters
    ----------
    name, description : str
    orbit : Orbit
    radiator : RadiatorSurface
    config : str
        Tile configuration (``orbitbench configs``) the RTL run uses.
    sensor : str
        ``healthy``, ``stuck`` (code frozen at ``stuck_c`` from ``stuck_at`` of the run) or
        ``rail_high`` (code 4095 from ``stuck_at``: an open sensor reading full scale).
    upset_at : float or None
        Fraction of the run at which one bit of the controller's state is flipped.
    junction_limit_c : float
        Die temperature that must never be exceeded (125 degC: industrial Tj max).
    expect_throttle : bool or None
        True: the level must leave 0; False: it must stay 0; None: either.
    expect_shutdown : bool or None
        Whether a critical shutdown must (True) / must not (False) happen; None: either.
    expect_fault : bool
        The controller must flag SENSOR_FAULT and hold the safe level.
    expect_match : bool
        The RTL must agree with the reference controller at every sample (False for an
        unhardened controller upset, which is reported instead).
    thermal, power : ThermalParams, PowerParams
        Network and power figures (the radiator comes from ``radiator``).
    dt_s, cycles_per_step : float, int
        The time scale: one loop step is ``dt_s`` seconds of orbit and ``cycles_per_step``
        clock cycles of the tile.
    warmup_orbits : float
        Orbits of reference-controller loop run before step 0 to reach the periodic regime.
    activity_window : int
        Steps of tile activity averaged into the chip's power (see the module docstring).
    gemm_dims : (m, k, n) or None
        The GEMM run back to back; None: the configuration's maximum.

    Raises
    ------
    ValueError
        An unknown ``sensor``, ``cycles_per_step`` below 64 or a non-positive ``dt_s``.
    """

    name: str
    description: str
    orbit: Orbit
    radiator: RadiatorSurface
    config: str = "small"
    sensor: str = "healthy"
    stuck_at: float = 0.25
    stuck_c: float = 25.0
    upset_at: float | None = None
    junction_limit_c: float = 125.0
    expect_throttle: bool | None = None
    expect_shutdown: bool | None = False
    expect_fault: bool = False
    expect_match: bool = True
    thermal: ThermalParams = field(default_factory=ThermalParams)
    power: PowerParams = field(default_factory=PowerParams)
    dt_s: float = 2.0
    cycles_per_step: int = 1024
    warmup_orbits: float = 2.0
    activity_window: int = 8
    gemm_dims: tuple[int, int, int] | None = None  # default: the configuration's maximum

    def __post_init__(self):
        if self.sensor not in ("healthy", "stuck", "rail_high"):
            raise ValueError(f"sensor must be 'healthy', 'stuck' or 'rail_high', "
                             f"not {self.sensor!r}")
        if self.cycles_per_step < 64:
            raise ValueError(f"cycles_per_step must be at least 64, not {self.cycles_per_step}")
        if not self.dt_s > 0:
            raise ValueError(f"dt_s must be positive, not {self.dt_s!r}")

    def thermal_params(self) -> ThermalParams:
        return replace(self.thermal, radiator=self.radiator)

    def steps(self, orbits: float) -> int:
        return max(1, int(round(orbits * self.orbit.period_s / self.dt_s)))


LEO = Orbit(400e3, 0.0, "LEO 400 km, beta 0")
SSO = Orbit(700e3, 80.0, "dawn-dusk SSO 700 km, beta 80")
# Side radiator: partly sunlit (sun_cos 0.3) in LEO; on the anti-sun side in the dawn-dusk
# SSO but larger heat load from a higher, constant sun angle on the body (sun_cos 0.45).
NOMINAL = RadiatorSurface(area_m2=0.09, absorptivity=0.20, emissivity=0.85, sun_cos=0.30)
# End of life plus contamination: UV-darkened paint (alpha 0.2 -> 0.5), eps 0.85 -> 0.70,
# and an attitude that puts more sun on the radiator.
DEGRADED = RadiatorSurface(area_m2=0.09, absorptivity=0.50, emissivity=0.70, sun_cos=0.50)
# A radiator so degraded that even throttle level 3 cannot hold the die: critical shutdown.
FAILED = RadiatorSurface(area_m2=0.09, absorptivity=0.60, emissivity=0.55, sun_cos=0.60)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("leo_eclipse", "LEO 400 km with a 36-minute eclipse every orbit, nominal radiator",
             LEO, NOMINAL, expect_throttle=False),
    Scenario("sso_sun", "dawn-dusk sun-synchronous orbit, constant sun, nominal radiator",
             SSO, replace(NOMINAL, sun_cos=0.45)),
    Scenario("hot_degraded", "LEO, degraded radiator (hot case): throttling must engage and "
             "hold the junction", LEO, DEGRADED, expect_throttle=True),
    Scenario("hot_crit", "LEO, failed radiator: level 3 is not enough, critical shutdown, "
             "software clears it when cool", LEO, FAILED, expect_throttle=True,
             expect_shutdown=True),
    Scenario("sensor_stuck_high", "hot case, the sensor rails at full scale (implausible): "
             "safe level", LEO, DEGRADED, sensor="rail_high", expect_fault=True,
             expect_throttle=True),
    Scenario("sensor_stuck_low", "hot case, the sensor freezes at a plausible 25 degC: the "
             "stuck detector forces the safe level", LEO, DEGRADED, sensor="stuck",
             expect_fault=True, expect_throttle=True),
    Scenario("upset_tmr", "hot case, one copy of the controller state flipped mid-orbit on "
             "the TMR tile: out-voted", LEO, DEGRADED, config="small_tmr", upset_at=0.5,
             expect_throttle=True),
    Scenario("upset_none", "hot case, the controller state flipped mid-orbit on the "
             "unhardened tile: reported", LEO, DEGRADED, upset_at=0.5, expect_match=False,
             expect_throttle=True, expect_shutdown=None),
)}


def workload_transfers(cfg: TileConfig, m: int, k: int, n: int) -> tuple[int, int]:
    """(write transfers to load fresh operands, read transfers to read C back) of one GEMM."""
    kw = (k + 3) // 4
    return m * kw + n * kw + 3 * n, m * ((n + 3) // 4)


class Sensor:
    """The die's temperature sensor: code with seeded +-1 LSB noise, or stuck."""

    def __init__(self, scenario: Scenario, steps: int, rng: np.random.Generator):
        self.scenario, self.rng = scenario, rng
        self.stuck_step = (None if scenario.sensor == "healthy"
                           else int(scenario.stuck_at * steps))
        self.stuck_code = (CODE_MAX if scenario.sensor == "rail_high"
                           else code_of(scenario.stuck_c))

    def read(self, step: int, die_c: float) -> int:
        if self.stuck_step is not None and step >= self.stuck_step:
            return self.stuck_code
        return int(np.clip(code_of(die_c) + int(self.rng.integers(-1, 2)), 0, CODE_MAX))


class ActivityModel:
    """Activity of the back-to-back GEMM loop without RTL (``--model-only`` and warm-up).

    A GEMM is: bus writes of fresh operands (2 cycles each, full speed whatever the level),
    the command (``gemm_cycles`` datapath cycles, advancing on (4 - L) of 4 cycles), then
    bus reads of the result, plus ``overhead`` cycles of register traffic. Counted as the
    tile counts them (``hdl_gen.tile``): one array step per K step of each output block;
    scratchpad words: ``rows + cols`` per array step, ``3 cols + 1`` per drained row (bias,
    mult, shift per column, one result write), one per bus transfer to a scratchpad. An
    approximation of the RTL's counters, used only where the RTL is not simulated.
    """

    def __init__(self, cfg: TileConfig, dims: tuple[int, int, int], overhead: int = 60):
        m, k, n = dims
        self.load, self.read = workload_transfers(cfg, m, k, n)
        blocks = -(-m // cfg.rows) * -(-n // cfg.cols)
        self.compute = gemm_cycles(cfg, GemmCommand(m=m, k=k, n=n))
        self.feed = blocks * k
        self.sram_compute = blocks * (k * (cfg.rows + cfg.cols) + cfg.rows * (3 * cfg.cols + 1))
        self.phases = [("bus", 2 * self.load + overhead), ("compute", self.compute),
                       ("bus", 2 * self.read)]
        self.baseline_cycles = sum(c for _, c in self.phases)
        self._phase, self._done = 0, 0.0  # progress inside the current phase

    def run(self, cycles: int, level: int) -> tuple[int, int, int]:
        """Advance ``cycles`` at ``level``; returns (feed, sram, GEMMs completed)."""
        feed = sram = gemms = 0.0
        left = float(cycles)
        duty = (4 - level) / 4 if level < 4 else 0.0
        while left > 0:
            kind, length = self.phases[self._phase]
            if kind == "compute":
                if duty == 0:
                    break
                take = min(left * duty, length - self._done)
                left -= take / duty
                feed += take * self.feed / length
                sram += take * self.sram_compute / length
            else:
                take = min(left, length - self._done)
                left -= take
                sram += take / 2
            self._done += take
            if self._done >= length - 1e-9:
                self._phase, self._done = (self._phase + 1) % len(self.phases), 0.0
                gemms += self._phase == 0
        return int(round(feed)), int(round(sram)), int(gemms)


class ClosedLoop:
    """Physics side of the loop: sensor, power, orbit, RC network, and the trace.

    The caller (the cocotb co-simulation or :func:`orbitbench.apps.thermal.run_model`)
    presents :meth:`code` to a controller, runs the tile, and reports the activity with
    :meth:`advance`. Everything random comes from ``seed``.
    """

    def __init__(self, scenario: Scenario, cfg: TileConfig, steps: int, seed: int,
                 temps_c=None):
        self.scenario, self.cfg, self.steps = scenario, cfg, steps
        self.rng = np.random.default_rng([seed, 0x7E])
        self.sensor = Sensor(scenario, steps, self.rng)
        self.thermal = ThermalModel(scenario.thermal_params(),
                                    temps_c if temps_c is not None else (20.0, 20.0, 20.0))
        self.power = PowerModel(scenario.power, cfg.rows, cfg.cols)
        self.k = 0
        self._window: list[tuple[int, int]] = []
        self.trace: dict[str, list] = {key: [] for key in (
            "t_s", "die_c", "pkg_c", "rad_c", "code", "level", "ref_level", "fault", "clear",
            "power_w", "q_env_w", "eclipse", "feed", "sram", "gemms")}

    @property
    def done(self) -> bool:
        return self.k >= self.steps

    def code(self) -> int:
        """This step's sensor code (draws the noise: call once per step)."""
        return self.sensor.read(self.k, self.thermal.die_c)

    def advance(self, code: int, level: int, ref_level: int, fault: bool, clear: bool,
                feed: int, sram: int, gemms: int) -> None:
        """Record step ``k`` (decided ``level`` for ``code``) and advance the physics."""
        sc = self.scenario
        dvfs = min(level, 3)
        t = self.k * sc.dt_s
        die = self.thermal.die_c
        self._window = [*self._window[1 - sc.activity_window:], (feed, sram)]
        p = self.power.total(sum(f for f, _ in self._window), sum(s for _, s in self._window),
                             sc.cycles_per_step * len(self._window), die, dvfs)
        env = heat_inputs(sc.orbit, sc.radiator, t + sc.dt_s / 2)
        q_env = float(env["total"])
        tr = self.trace
        for key, value in (("t_s", t), ("die_c", die), ("pkg_c", float(self.thermal.temps[1])),
                           ("rad_c", float(self.thermal.temps[2])), ("code", int(code)),
                           ("level", int(level)), ("ref_level", int(ref_level)),
                           ("fault", bool(fault)), ("clear", bool(clear)), ("power_w", p),
                           ("q_env_w", q_env), ("eclipse", bool(env["eclipse"])),
                           ("feed", int(feed)), ("sram", int(sram)), ("gemms", int(gemms))):
            tr[key].append(value)
        self.thermal.step(p, q_env, sc.dt_s)
        self.k += 1


def reference_controller():
    """A :class:`golden_models.throttle.ThrottleController` with its register defaults."""
    return ThrottleController()


def ref_sample(ctrl, code: int) -> tuple[int, bool]:
    """One decision of the reference controller: (level, this reading was implausible)."""
    level = ctrl.sample(int(code))
    stuck = ctrl.stuck_samples != 0 and ctrl.run >= ctrl.stuck_samples
    return int(level), bool(not ctrl.plausible(int(code)) or stuck)


def software_clear(ctrl, level: int) -> bool:
    """The software in the loop: in shutdown (``level`` 4, the tile's output), after a
    plausible sample below CRIT - HYST (the reference's ``cool``, THERM_STATUS.COOL), write
    THERM_CTRL.CLEAR. Returns whether it did; the reference controller is cleared too."""
    if level == 4 and ctrl.cool:
        ctrl.clear()
        return True
    return False
