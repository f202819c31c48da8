"""Reference model of the tile's thermal throttle controller: the decision rule, bit for bit.

Pure Python/NumPy, no simulator import. The RTL (:mod:`hdl_gen.throttle`: the
``ThrottleController`` component, alone and as the ``throttle`` submodule of
:class:`hdl_gen.tile.GemmTile`) must take the same decision as
:meth:`ThrottleController.sample` on every ``therm_sample`` strobe.

Sensor format
-------------
``therm_code`` is a 12-bit unsigned reading, ``T[degC] = code / 8 - 64``: LSB 0.125 degC,
range -64 .. 447.875 degC (:func:`celsius`, :func:`code_from_celsius`).

Registers (reset values in :class:`ThrottleParams`, all in codes)
-----------------------------------------------------------------
``trip1 < trip2 < trip3`` (85, 95, 105 degC), ``crit`` (115 degC), ``hyst`` (4 degC = 32
codes), ``range_min`` / ``range_max`` (-40 / 150 degC), ``stuck_samples`` (64; 0 disables
stuck detection; 8 bits), ``safe_level`` (2; 0..4). The rule below is defined for any register
values; the ordering of the trip points is the intended use, not checked.

Decision per sample (``code`` = the reading of the strobe cycle)
-----------------------------------------------------------------
1. ``temp = code``. Stuck run: ``run = min(run + 1, 255)`` if a previous reading exists and
   ``code == previous``, else ``run = 0``; then ``previous = code``.
2. Implausible if ``code < range_min`` or ``code > range_max`` or
   (``stuck_samples != 0`` and ``run >= stuck_samples``), i.e. the reading repeats the one
   before it for the ``stuck_samples``-th consecutive time.
3. Implausible: ``sensor_fault = 1`` (sticky, cleared by software), ``faults += 1``,
   ``cool = 0``, and ``level = safe_level`` - unless the shutdown is latched (level 4), which
   only software clears (a refinement of the contract: a bad sensor never lifts a shutdown).
4. Plausible: ``cool = (code < crit - hyst)``; then the first rule that applies:

   * ``code >= crit``: ``level = 4`` (critical shutdown, latched);
   * ``level == 4``: stays 4 (latched);
   * ``up = (code >= trip1) + (code >= trip2) + (code >= trip3)``; if ``up > level``:
     ``level = up`` (any number of steps at once);
   * else if ``level`` in 1..3 and ``code < trip[level] - hyst``: ``level -= 1`` (one step
     per sample, so cooling down from level L takes at least L samples).

5. Counters (saturating): ``raises`` (16 bits, samples whose level is above the level
   before), ``shutdowns`` (8 bits, entries into level 4), ``faults`` (8 bits, implausible
   samples).

Software clear (``THERM_CTRL.CLEAR``, :meth:`ThrottleController.clear`): if ``level == 4``
and ``cool`` (the last sample was plausible and below ``crit - hyst``), ``level = 3``;
otherwise no effect. A clear written in the cycle of a strobe is applied before the sample.
Level 4 is also what a ``safe_level`` of 4 gives: it latches the same way.

Outputs and duty cycle
----------------------
``dvfs_level = min(level, 3)`` (:data:`DVFS_TABLE`: the operating point, 0 = nominal). At
level L < 4 the compute datapath advances in the cycles whose 2-bit phase is ``>= L``
(``phase`` = busy cycles since START, modulo 4; :func:`advances`), i.e. on (4 - L) of every 4
cycles; at level 4 never. :func:`wall_cycles` turns datapath cycles into wall cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["ThrottleParams", "ThrottleController", "code_from_celsius", "celsius", "advances",
           "run", "wall_cycles", "DVFS_TABLE", "CODE_BITS", "CODE_MAX", "SHUTDOWN", "STUCK_RUN_MAX",
           "RAISES_MAX", "SHUTDOWNS_MAX", "FAULTS_MAX"]

CODE_BITS = 12
CODE_MAX = (1 << CODE_BITS) - 1
CODE_PER_DEGC = 8
CODE_OFFSET_DEGC = 64
SHUTDOWN = 4  # the critical-shutdown level
STUCK_RUN_MAX = 255
RAISES_MAX = 0xFFFF
SHUTDOWNS_MAX = 0xFF
FAULTS_MAX = 0xFF

# dvfs_level -> relative datapath rate of the throttle level it reports (level 4 reports 3).
DVFS_TABLE = {0: 1.0, 1: 0.75, 2: 0.5, 3: 0.25}


def code_from_celsius(t):
    """Sensor code of temperature ``t`` degC: ``round(8 * (t + 64))`` clipped to 0..4095.

    Scalars give an ``int``; arrays give ``np.int64`` arrays. Rounding is half to even
    (``np.rint``).
    """
    codes = np.clip(np.rint((np.asarray(t, dtype=np.float64) + CODE_OFFSET_DEGC)
                            * CODE_PER_DEGC), 0, CODE_MAX).astype(np.int64)
    return int(codes) if codes.ndim == 0 else codes


def celsius(code):
    """Temperature in degC of sensor ``code``: ``code / 8 - 64`` (float or float array)."""
    values = np.asarray(code, dtype=np.float64) / CODE_PER_DEGC - CODE_OFFSET_DEGC
    return float(values) if values.ndim == 0 else values


@dataclass(frozen=True)
class ThrottleParams:
    """Reset values of the controller's registers (codes); drives both model and RTL.

    Raises
    ------
    ValueError
        A field outside its register's range (named in the message).
    """

    trip1: int = code_from_celsius(85)
    trip2: int = code_from_celsius(95)
    trip3: int = code_from_celsius(105)
    crit: int = code_from_celsius(115)
    hyst: int = 4 * CODE_PER_DEGC  # 4 degC = 32 codes
    range_min: int = code_from_celsius(-40)
    range_max: int = code_from_celsius(150)
    stuck_samples: int = 64
    safe_level: int = 2

    def __post_init__(self):
        for name in ("trip1", "trip2", "trip3", "crit", "hyst", "range_min", "range_max"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= CODE_MAX:
                raise ValueError(f"{name} must be an integer code in 0..{CODE_MAX}, "
                                 f"not {value!r}")
        if not isinstance(self.stuck_samples, int) or not 0 <= self.stuck_samples <= 255:
            raise ValueError(f"stuck_samples must be an integer in 0..255, "
                             f"not {self.stuck_samples!r}")
        if not isinstance(self.safe_level, int) or not 0 <= self.safe_level <= SHUTDOWN:
            raise ValueError(f"safe_level must be an integer in 0..{SHUTDOWN}, "
                             f"not {self.safe_level!r}")

    def with_celsius(self, **kw) -> ThrottleParams:
        """A copy with fields given in degC (codes for ``stuck_samples`` / ``safe_level``)."""
        conv = {k: (v if k in ("stuck_samples", "safe_level")
                    else code_from_celsius(v) if k != "hyst" else int(round(v * CODE_PER_DEGC)))
                for k, v in kw.items()}
        return replace(self, **conv)


class ThrottleController:
    """One controller: register state plus decision state, updated by :meth:`sample`.

    Members
    -------
    trip1, trip2, trip3, crit, hyst, range_min, range_max, stuck_samples, safe_level : int
        Registers (writable attributes; see the module docstring).
    level : int
        0..4, the ``throttle_level`` output.
    temp : int
        Last sampled code (THERM_TEMP), 0 before the first sample.
    sensor_fault, cool : bool
        Sticky implausible-reading flag; last sample plausible and below ``crit - hyst``.
    raises, shutdowns, faults : int
        Saturating event counters.
    prev, run : int or None, int
        Previous reading (None before the first) and the stuck run length.
    """

    def __init__(self, params: ThrottleParams | None = None):
        params = ThrottleParams() if params is None else params
        self.params = params
        for name in ("trip1", "trip2", "trip3", "crit", "hyst", "range_min", "range_max",
                     "stuck_samples", "safe_level"):
            setattr(self, name, getattr(params, name))
        self.level = 0
        self.temp = 0
        self.sensor_fault = False
        self.cool = False
        self.raises = self.shutdowns = self.faults = 0
        self.prev: int | None = None
        self.run = 0

    @property
    def trips(self) -> tuple[int, int, int]:
        return (self.trip1, self.trip2, self.trip3)

    @property
    def dvfs(self) -> int:
        """``dvfs_level`` output: ``min(level, 3)``."""
        return min(self.level, 3)

    def plausible(self, code: int) -> bool:
        """Range part of the plausibility check only (no state change)."""
        return self.range_min <= code <= self.range_max

    def clear(self) -> None:
        """THERM_CTRL.CLEAR: lift a latched shutdown to level 3 if the last sample was cool."""
        if self.level == SHUTDOWN and self.cool:
            self.level = 3

    def clear_fault(self) -> None:
        """THERM_STATUS write-1-to-clear of SENSOR_FAULT."""
        self.sensor_fault = False

    def sample(self, code: int) -> int:
        """Take one decision on reading ``code`` (0..4095); returns the new level."""
        code = int(code)
        if not 0 <= code <= CODE_MAX:
            raise ValueError(f"code must be in 0..{CODE_MAX}, not {code!r}")
        before = self.level
        self.temp = code
        self.run = min(self.run + 1, STUCK_RUN_MAX) if self.prev == code else 0
        self.prev = code
        stuck = self.stuck_samples != 0 and self.run >= self.stuck_samples
        if not self.plausible(code) or stuck:
            self.sensor_fault = True
            self.faults = min(self.faults + 1, FAULTS_MAX)
            self.cool = False
            if self.level != SHUTDOWN:
                self.level = self.safe_level
        else:
            self.cool = code < self.crit - self.hyst
            up = sum(code >= trip for trip in self.trips)
            if code >= self.crit:
                self.level = SHUTDOWN
            elif self.level == SHUTDOWN:
                pass
            elif up > self.level:
                self.level = up
            elif 1 <= self.level <= 3 and code < self.trips[self.level - 1] - self.hyst:
                self.level -= 1
        if self.level > before:
            self.raises = min(self.raises + 1, RAISES_MAX)
        if self.level == SHUTDOWN and before != SHUTDOWN:
            self.shutdowns = min(self.shutdowns + 1, SHUTDOWNS_MAX)
        return self.level

    def run_trace(self, codes, clears=None) -> np.ndarray:
        """Sample every code in order (``clears[i]`` true: :meth:`clear` before sample i).

        Returns the level after each sample as an ``np.int64`` array.
        """
        codes = np.asarray(codes, dtype=np.int64).ravel()
        clears = np.zeros(len(codes), bool) if clears is None else np.asarray(clears, bool)
        out = np.empty(len(codes), dtype=np.int64)
        for i, code in enumerate(codes):
            if clears[i]:
                self.clear()
            out[i] = self.sample(int(code))
        return out

    # Register images (see orbitbench.spec.regmap).
    def status_word(self) -> int:
        """THERM_STATUS: level [2:0], dvfs [4:3], SHUTDOWN [5], SENSOR_FAULT [6], COOL [7]."""
        return (self.level | (self.dvfs << 3) | (int(self.level == SHUTDOWN) << 5)
                | (int(self.sensor_fault) << 6) | (int(self.cool) << 7))

    def events_word(self) -> int:
        """THERM_EVENTS: raises [15:0], shutdowns [23:16], faults [31:24]."""
        return self.raises | (self.shutdowns << 16) | (self.faults << 24)


def run(codes, params: ThrottleParams | None = None, clears=None) -> np.ndarray:
    """Levels after each sample of ``codes`` for a controller fresh from reset."""
    return ThrottleController(params).run_trace(codes, clears)


def advances(level, phase):
    """Whether the datapath advances in a busy cycle at ``level`` with 2-bit ``phase``.

    ``level < 4 and phase % 4 >= level`` (vectorised over NumPy arrays).
    """
    level = np.asarray(level)
    out = (level < SHUTDOWN) & ((np.asarray(phase) % 4) >= level)
    return bool(out) if out.ndim == 0 else out


def wall_cycles(work: int, level: int) -> int:
    """Busy wall cycles for ``work`` datapath cycles at constant ``level`` (0..3), phase 0 first.

    ``4 * ((work - 1) // (4 - level)) + level + (work - 1) % (4 - level) + 1`` (0 for work 0).
    """
    if not 0 <= level < SHUTDOWN:
        raise ValueError(f"level must be in 0..3, not {level!r}")
    if work <= 0:
        return 0
    per = 4 - level
    return 4 * ((work - 1) // per) + level + (work - 1) % per + 1

