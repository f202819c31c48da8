"""Statistics of single-event-upset fault campaigns: sample size, AVF with intervals, FIT.

The method follows ``REFERENCE.md`` ("Fault injection method", "Radiation environment"):

* how many faults to inject: the statistical fault-injection sample size of Leveugle et al.
  (DATE 2009), :func:`leveugle_sample_size`;
* what a campaign measured: a binomial :class:`Proportion` with its Wilson score interval
  (:func:`wilson`), never a bare ratio or a Wald ``+-`` interval, which collapses to zero width
  at 0 and 1 exactly where AVFs of protected designs live;
* the architectural vulnerability factor (Mukherjee et al., MICRO 2003) of one outcome kind
  from a campaign's outcome counts, :func:`avf`;
* what that means in orbit: raw upset rate x bits x AVF, as failures per day and in FIT
  (failures per 1e9 device-hours), with the AVF interval carried through
  (:func:`failure_rate`, :func:`combine_modules`);
* for single-event transients on combinational nets, the latching-window derating
  (:func:`set_derating`): a glitch is captured only if it overlaps a flop's latching
  window, with probability ~ pulse width / clock period.

The orbit presets (:data:`ORBITS`) are the environments of :mod:`golden_models.radiation`
(one set of names, one meaning each): a per-bit rate from a device's Weibull fit and the
orbit's Petersen coefficients (:func:`orbit_rate`), or the Alsat-1 flight figure.

Every result carries its interval, its confidence level and (through the :class:`Proportion`
it came from) its sample size. Nothing imports a simulator.
Arguments out of range raise ``ValueError`` naming the argument; arguments of the wrong type
raise ``TypeError``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from golden_models.power import PowerParams
from golden_models.radiation import (
    DEFAULT_DEVICE,
    ENVIRONMENTS,
    Device,
    RadiationEnvironment,
    environment,
    upset_rate,
)

__all__ = [
    "ALSAT1_SEU_PER_BIT_DAY",
    "ALSAT1_EARLY_SEU_PER_BIT_DAY",
    "CORRECTED",
    "CRASH",
    "DEFAULT_CLOCK_PERIOD_S",
    "DEFAULT_SET_PULSE_WIDTH_S",
    "DUE",
    "HANG",
    "MASKED",
    "ORBITS",
    "OUTCOMES",
    "SDC",
    "Orbit",
    "Proportion",
    "Rate",
    "avf",
    "combine_modules",
    "failure_rate",
    "leveugle_sample_size",
    "normal_quantile",
    "orbit",
    "orbit_rate",
    "set_derating",
    "wilson",
]

#: Default width (s) of a single-event transient at a flop input: 300 ps, the order of the
#: heavy-ion SET widths measured in deep-submicron bulk CMOS, a few hundred picoseconds
#: (inverter-chain test chips in 130/90 nm, Narasimham et al., IEEE TNS 54(6), 2007; over
#: temperature in bulk and FD-SOI, Gadlage et al., IEEE TNS 56(6):3115, 2009,
#: doi:10.1109/TNS.2009.2034150; 65 nm bulk, Yue et al., J. Semicond. 36(11):115006, 2015,
#: doi:10.1088/1674-4926/36/11/115006). ASSUMPTION: one width for every net; the measured
#: widths spread from ~100 ps to ~1 ns with the ion's LET, the node's drive and the
#: temperature, so it is a parameter (``--set-pulse-width``).
DEFAULT_SET_PULSE_WIDTH_S = 300e-12
#: Default clock period (s): the design clock of the power model (``golden_models.power``,
#: 1 GHz), the same clock the scrub model uses.
DEFAULT_CLOCK_PERIOD_S = 1.0 / PowerParams().f_clk_hz

# Outcome classes of one injection (REFERENCE.md, "Fault injection method").
MASKED = "masked"        # no visible effect
CORRECTED = "corrected"  # a protection mechanism fixed it and reported it
DUE = "due"              # detected-uncorrectable: flagged, not fixed
SDC = "sdc"              # silent data corruption: wrong result, nothing flagged
HANG = "hang"            # no completion within the bound (timeout), or the watchdog fired
CRASH = "crash"          # the design stopped the simulation: $fatal, $stop, $error, assertion
OUTCOMES = (MASKED, CORRECTED, DUE, SDC, HANG, CRASH)

_HANG_AS = ("due", "sdc", "separate")
_CRASH_AS = ("due", "sdc", "separate")

HOURS_PER_DAY = 24
FIT_HOURS = 1e9  # FIT = failures per 1e9 device-hours


# --------------------------------------------------------------------------------------------
# argument checks


def _check_int(name: str, value, lo: int) -> int:
    # bool is an Integral, but `trials=True` is always a bug
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__} {value!r}")
    if value < lo:
        raise ValueError(f"{name} must be >= {lo}, not {value!r}")
    return int(value)


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__} {value!r}")
    return float(value)


def _check_open_unit(name: str, value) -> float:
    v = _check_real(name, value)
    if not 0.0 < v < 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be in the open interval (0, 1), not {value!r}")
    return v


def _check_positive(name: str, value) -> float:
    v = _check_real(name, value)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive finite number, not {value!r}")
    return v


# --------------------------------------------------------------------------------------------
# normal quantile and sample size


def _bisect_decreasing(f, target: float) -> float:
    """``x`` in ``[0, 40]`` with ``f(x) == target`` for a decreasing ``f``, to the last bit."""
    lo, hi = 0.0, 40.0
    for _ in range(2000):  # ends far sooner: every step halves the float interval
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def normal_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile ``z`` with ``P(|Z| <= z) = confidence``.

    ``z`` solves ``erf(z / sqrt(2)) = confidence``, i.e. ``z = Phi^-1((1 + confidence) / 2)``:
    0.90 -> 1.644854, 0.95 -> 1.959964, 0.99 -> 2.575829, 0.999 -> 3.290527. SciPy is not a
    dependency, so the equation is solved by bisection on ``math.erfc`` (``math.erf`` for
    ``confidence < 0.5``, where it is the accurate one) down to adjacent doubles; the result
    is accurate to a few ulp of the standard library's ``erf``/``erfc``, far below 1e-9.

    Parameters
    ----------
    confidence : float
        Two-sided confidence level, in the open interval (0, 1).

    Returns
    -------
    float
        ``z >= 0``.

    Raises
    ------
    ValueError
        ``confidence`` is not in (0, 1).
    """
    c = _check_open_unit("confidence", confidence)
    root2 = math.sqrt(2.0)
    if c < 0.5:
        # erf is monotone increasing; negate to reuse the decreasing-function bisection
        return _bisect_decreasing(lambda x: -math.erf(x / root2), -c)
    return _bisect_decreasing(lambda x: math.erfc(x / root2), 1.0 - c)


def leveugle_sample_size(population: int, margin: float = 0.01, confidence: float = 0.95,
                         p: float = 0.5) -> int:
    """Number of faults to inject for a statistical fault-injection campaign.

    Leveugle, Calvez, Maistri, Vanhauwaert, "Statistical fault injection: quantified error and
    confidence", DATE 2009 (REFERENCE.md, "Fault injection method"):
    ``n = N / (1 + e^2 (N - 1) / (t^2 p (1 - p)))``, rounded up, never more than ``N``. With
    ``n`` faults drawn at random without replacement from the ``N`` possible ones, the
    measured proportion is within ``+-e`` of the population's with the given confidence
    (normal approximation). For a large ``N`` it tends to ``t^2 p (1 - p) / e^2`` (9604 at
    the defaults).

    ``t`` is the exact two-sided quantile :func:`normal_quantile` (1.959964 at 95 %), not the
    rounded 1.96 of published tables, so a result can be one below a table entry. A float
    result that lands a hair above an integer rounds up to the next one: the error is always
    towards more injections.

    Parameters
    ----------
    population : int
        ``N >= 1``, the number of distinct faults (e.g. flip-flop bits x injection cycles).
    margin : float
        ``e``, the error margin on the proportion, in (0, 1). Default 0.01 (1 %).
    confidence : float
        Two-sided confidence level, in (0, 1). Default 0.95.
    p : float
        The expected proportion, in (0, 1). 0.5 (the default) is the worst case: use it when
        nothing is known.

    Returns
    -------
    int
        ``1 <= n <= N``.

    Raises
    ------
    TypeError
        ``population`` is not an integer.
    ValueError
        An argument is out of range.
    """
    big_n = _check_int("population", population, 1)
    e = _check_open_unit("margin", margin)
    pp = _check_open_unit("p", p)
    t = normal_quantile(confidence)
    n = big_n / (1.0 + e * e * (big_n - 1) / (t * t * pp * (1.0 - pp)))
    return min(big_n, math.ceil(n))


# --------------------------------------------------------------------------------------------
# proportions


@dataclass(frozen=True)
class Proportion:
    """A binomial proportion with its confidence interval: ``successes`` out of ``trials``.

    Build one with :func:`wilson` (or :func:`avf`); the constructor only checks consistency.

    Members
    -------
    successes : int
        ``0 <= successes <= trials``.
    trials : int
        Sample size, ``>= 1``.
    confidence : float
        Two-sided confidence level of ``[low, high]``, in (0, 1).
    estimate : float
        ``successes / trials``.
    low, high : float
        Interval bounds, ``0 <= low <= estimate <= high <= 1``.

    ``str()`` gives e.g. ``0.0123 [0.0101, 0.0150] (n=4000, 95%)``; when the upper bound is
    below 0.01 the three numbers switch to 3-significant-digit scientific notation so that a
    small AVF does not print as 0.0000.
    """

    successes: int
    trials: int
    confidence: float
    estimate: float
    low: float
    high: float

    def __post_init__(self):
        trials = _check_int("trials", self.trials, 1)
        successes = _check_int("successes", self.successes, 0)
        if successes > trials:
            raise ValueError(f"successes must be <= trials ({trials}), not {successes}")
        _check_open_unit("confidence", self.confidence)
        if not 0.0 <= self.low <= self.estimate <= self.high <= 1.0:
            raise ValueError(
                "need 0 <= low <= estimate <= high <= 1, not "
                f"low={self.low!r}, estimate={self.estimate!r}, high={self.high!r}")

    def __str__(self) -> str:
        fmt = ".4f" if self.high >= 0.01 else ".3e"
        return (f"{self.estimate:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}] "
                f"(n={self.trials}, {self.confidence * 100:g}%)")


def wilson(successes: int, trials: int, confidence: float = 0.95,
           population: int | None = None) -> Proportion:
    """Wilson score interval for ``successes`` out of ``trials`` Bernoulli trials.

    With ``z = normal_quantile(confidence)``, ``p = successes / trials``, ``n = trials``:
    ``centre = (p + z^2 / (2n)) / (1 + z^2 / n)``,
    ``half = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))``,
    interval ``[centre - half, centre + half]``. Unlike the Wald interval ``p +- z sqrt(p (1 -
    p) / n)`` it keeps a useful width at ``successes == 0`` (low is exactly 0, high
    ``z^2 / (n + z^2)``) and at ``successes == trials`` (high is exactly 1), and its coverage
    stays close to the nominal level for small ``n p``. Bounds are clipped to [0, 1] against
    rounding.

    **Finite population.** When the trials were drawn without replacement from a population
    of ``N`` distinct faults (``population=N``), the variance of ``p`` shrinks by the
    finite-population correction ``(N - n) / (N - 1)`` (W. G. Cochran, *Sampling
    Techniques*, 3rd ed., Wiley 1977, ch. 3, proportions). It is applied by putting the
    effective sample size ``n_eff = n (N - 1) / (N - n)`` for ``n`` in the formulas above
    (our choice of how to combine the correction with the Wilson interval: for ``N >> n``
    it is the plain interval, and it narrows to ``p`` as ``n -> N``); ``n == N`` (an
    exhaustive campaign) gives the exact proportion, ``low == estimate == high``.

    Parameters
    ----------
    successes : int
        ``0 <= successes <= trials``.
    trials : int
        ``>= 1``.
    confidence : float
        Two-sided confidence level, in (0, 1). Default 0.95.
    population : int or None
        ``N >= trials`` when sampled without replacement; None (default): an infinite
        population or sampling with replacement.

    Returns
    -------
    Proportion

    Raises
    ------
    TypeError
        ``successes``, ``trials`` or ``population`` is not an integer.
    ValueError
        ``trials < 1``, ``successes`` outside ``0..trials``, ``population < trials`` or
        ``confidence`` not in (0, 1).
    """
    n = _check_int("trials", trials, 1)
    x = _check_int("successes", successes, 0)
    if x > n:
        raise ValueError(f"successes must be <= trials ({n}), not {x}")
    z = normal_quantile(confidence)
    p = x / n
    if population is not None:
        big_n = _check_int("population", population, n)
        if big_n == n:
            return Proportion(successes=x, trials=n, confidence=float(confidence),
                              estimate=p, low=p, high=p)
        n_eff = n * (big_n - 1) / (big_n - n) if big_n > 1 else float(n)
    else:
        n_eff = float(n)
    z2n = z * z / n_eff
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n_eff + z2n / (4.0 * n_eff))
    low = 0.0 if x == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if x == n else min(1.0, max(p, centre + half))
    return Proportion(successes=x, trials=n, confidence=float(confidence), estimate=p,
                      low=low, high=high)


def avf(outcome_counts: Mapping[str, int], kind: str, confidence: float = 0.95,
        hang_as: str = "due", crash_as: str = "due",
        population: int | None = None) -> Proportion:
    """Architectural vulnerability factor of one failure kind, with its Wilson interval.

    AVF (Mukherjee et al., MICRO 2003) is the probability that an upset in the structure
    becomes a visible error of the given kind; here it is estimated as the count of that
    kind over ALL injections of the campaign (masked and corrected ones included):

    ============  =====================  =====================  =====================
    ``kind``      ``hang_as="due"``      ``hang_as="sdc"``      ``hang_as="separate"``
    ============  =====================  =====================  =====================
    ``"sdc"``     sdc                    sdc + hang             sdc
    ``"due"``     due + hang             due                    due
    ``"hang"``    (ValueError)           (ValueError)           hang
    ============  =====================  =====================  =====================

    The default counts a hang as detected-uncorrectable, because a watchdog sees it; pass
    ``hang_as="sdc"`` when nothing in the system would notice a hang, or ``"separate"`` to
    report hangs as their own AVF. A crash (the design's own assertion or trap stopped the
    run) is a detection too: ``crash_as`` places crashes the same way, ``"due"`` by default
    (so the ``"due"`` row above also counts crashes), ``"sdc"``, or ``"separate"`` for
    ``kind="crash"``.

    Parameters
    ----------
    outcome_counts : Mapping[str, int]
        Injections per outcome class, keyed by :data:`MASKED`, :data:`CORRECTED`, :data:`DUE`,
        :data:`SDC`, :data:`HANG`, :data:`CRASH` (``"masked"``, ``"corrected"``, ``"due"``,
        ``"sdc"``, ``"hang"``, ``"crash"``). Missing classes count 0. At least one injection
        in total.
    kind : str
        ``"sdc"``, ``"due"``, ``"hang"`` (only with ``hang_as="separate"``) or ``"crash"``
        (only with ``crash_as="separate"``).
    confidence : float
        Two-sided confidence level, in (0, 1). Default 0.95.
    hang_as : str
        ``"due"`` (default), ``"sdc"`` or ``"separate"``: where hangs are counted.
    crash_as : str
        ``"due"`` (default), ``"sdc"`` or ``"separate"``: where crashes are counted.
    population : int or None
        The number of distinct faults the injections were drawn from without replacement
        (finite-population correction, :func:`wilson`); None: with replacement.

    Returns
    -------
    Proportion
        ``trials`` is the total number of injections.

    Raises
    ------
    TypeError
        A count is not an integer.
    ValueError
        An unknown outcome class, a negative count, no injections at all, or an unknown
        ``kind``, ``hang_as`` or ``crash_as``.
    """
    if hang_as not in _HANG_AS:
        raise ValueError(f"hang_as must be one of {_HANG_AS}, not {hang_as!r}")
    if crash_as not in _CRASH_AS:
        raise ValueError(f"crash_as must be one of {_CRASH_AS}, not {crash_as!r}")
    kinds = ((SDC, DUE) + ((HANG,) if hang_as == "separate" else ())
             + ((CRASH,) if crash_as == "separate" else ()))
    if kind not in kinds:
        raise ValueError(f"kind must be one of {kinds} with hang_as={hang_as!r}, "
                         f"crash_as={crash_as!r}, not {kind!r}")
    unknown = sorted(repr(k) for k in outcome_counts if k not in OUTCOMES)
    if unknown:
        raise ValueError(
            f"outcome_counts has unknown outcome classes {', '.join(unknown)}; "
            f"known classes are {OUTCOMES}")
    counts = {k: _check_int(f"outcome_counts[{k!r}]", outcome_counts.get(k, 0), 0)
              for k in OUTCOMES}
    total = sum(counts.values())
    if total == 0:
        raise ValueError("outcome_counts must hold at least one injection, not 0")
    hits = counts[kind]
    if kind == hang_as:  # hangs folded into this kind
        hits += counts[HANG]
    if kind == crash_as:  # crashes folded into this kind
        hits += counts[CRASH]
    return wilson(hits, total, confidence, population)


# --------------------------------------------------------------------------------------------
# orbits and rates


@dataclass(frozen=True)
class Orbit:
    """Raw single-event-upset rate of one memory bit in one orbit, for one device.

    Members
    -------
    name : str
        Preset key or a description.
    seu_per_bit_day : float
        Upsets per bit per day, positive and finite.
    source : str
        Where the figure comes from, or the assumption it rests on: the environment's
        source and, for a model rate, the device's.
    device : str or None
        The device (Weibull fit) the rate was computed for; None for a measured or
        user-supplied rate.
    heavy_ion, proton : float or None
        The two terms of a model rate (upsets/bit/day), None for a measured one.
    """

    name: str
    seu_per_bit_day: float
    source: str
    device: str | None = None
    heavy_ion: float | None = None
    proton: float | None = None

    def __post_init__(self):
        _check_positive("seu_per_bit_day", self.seu_per_bit_day)


# REFERENCE.md, "Radiation environment": flight data from commercial SRAM on Alsat-1 (LEO),
# ~8 years of operation: 4.04e-7 SEU/bit/day (98.6 % single-bit, 1.22 % multi-bit upsets).
# The preset `alsat1` of golden_models.radiation.ENVIRONMENTS holds the same figure.
ALSAT1_SEU_PER_BIT_DAY = 4.04e-7
# The same source: an earlier paper on the same mission reported ~1e-6 SEU/bit/day.
ALSAT1_EARLY_SEU_PER_BIT_DAY = 1e-6


def orbit_rate(env: str | RadiationEnvironment, device: Device | None = None) -> Orbit:
    """The :class:`Orbit` of a radiation environment for one device.

    A model environment (``leo400``, ``sso550``, ``geo``: Petersen FOM coefficients, see
    :mod:`golden_models.radiation`) gives ``upset_rate(device, env)`` with its heavy-ion and
    proton terms; a measured one (``alsat1``) gives its flight figure whatever the device.
    The ``source`` names the environment's sources and, for a model rate, the device's.

    Parameters
    ----------
    env : str or RadiationEnvironment
        A key of :data:`golden_models.radiation.ENVIRONMENTS` or an environment.
    device : Device or None
        The bit's cross-section; None means :data:`golden_models.radiation.DEFAULT_DEVICE`.

    Raises
    ------
    TypeError, ValueError
        As :func:`golden_models.radiation.upset_rate`.
    """
    e = environment(env)
    dev = DEFAULT_DEVICE if device is None else device
    r = upset_rate(dev, e)
    if r.heavy_ion_method == "measured":
        return Orbit(e.name, r.total, f"{e.description}. {e.source}")
    w = dev.weibull
    return Orbit(
        e.name, r.total,
        f"{e.description}. Environment: {e.source}. Device {dev.name} (Weibull sigma_sat "
        f"{w.sigma_sat_cm2:g} cm^2, LET_th {w.let_th:g}, W {w.width:g}, s {w.shape:g}; FOM "
        f"{w.fom:.3g}): {dev.source}. Heavy ions {r.heavy_ion:.3g} ({r.heavy_ion_method}), "
        f"protons {r.proton:.3g} ({r.proton_method}) upsets/bit/day.",
        device=dev.name, heavy_ion=r.heavy_ion, proton=r.proton)


ORBITS: Mapping[str, Orbit] = MappingProxyType(
    {name: orbit_rate(env) for name, env in ENVIRONMENTS.items()})
"""Preset orbits (read-only), one per :data:`golden_models.radiation.ENVIRONMENTS` entry, for
:data:`golden_models.radiation.DEFAULT_DEVICE`: ``leo400``, ``sso550``, ``geo`` are model
rates (Petersen FOM, second-hand coefficients), ``alsat1`` the Alsat-1 flight figure. Every
figure is a default to override; see each ``source``."""


def orbit(name_or_rate: str | float | Orbit, device: Device | None = None) -> Orbit:
    """An :class:`Orbit` from a preset name, a raw rate, or an :class:`Orbit` (returned as is).

    Parameters
    ----------
    name_or_rate : str, float or Orbit
        A key of :data:`ORBITS` (``"leo400"``, ``"sso550"``, ``"geo"``, ``"alsat1"``), or
        upsets per bit per day (positive, finite), which gives an orbit with source
        ``"user-supplied"``.
    device : Device or None
        For a preset name: the device whose rate it gives (:func:`orbit_rate`); None means
        the default device (the :data:`ORBITS` entry itself). Ignored for a rate or an Orbit.

    Returns
    -------
    Orbit

    Raises
    ------
    TypeError
        Not a str, a real number or an Orbit.
    ValueError
        An unknown preset name or a rate that is not positive and finite.
    """
    if isinstance(name_or_rate, Orbit):
        return name_or_rate
    if isinstance(name_or_rate, str):
        if name_or_rate not in ORBITS:
            raise ValueError(
                f"orbit must be one of {tuple(ORBITS)} or a rate, not {name_or_rate!r}")
        return ORBITS[name_or_rate] if device is None else orbit_rate(name_or_rate, device)
    rate = _check_positive("seu_per_bit_day", name_or_rate)
    return Orbit(f"custom ({rate:g} SEU/bit/day)", rate, "user-supplied")


_orbit = orbit  # the `orbit` parameters below shadow the helper


@dataclass(frozen=True)
class Rate:
    """Visible-failure rate of a device in orbit, with the interval inherited from the AVF.

    ``per_day`` is failures per day; ``fit = per_day / 24 * 1e9`` is the same rate in FIT
    (failures per 1e9 device-hours). The ``_low``/``_high`` members come from the AVF
    interval's bounds at that interval's confidence level; the raw orbit upset rate is taken
    as exact (override the orbit to explore its uncertainty).

    Members
    -------
    per_day, per_day_low, per_day_high : float
        Failures per day, ``0 <= low <= value <= high``.
    fit, fit_low, fit_high : float
        The same in FIT.
    """

    per_day: float
    per_day_low: float
    per_day_high: float
    fit: float
    fit_low: float
    fit_high: float

    def __post_init__(self):
        for lo, v, hi in ((self.per_day_low, self.per_day, self.per_day_high),
                          (self.fit_low, self.fit, self.fit_high)):
            if not 0.0 <= lo <= v <= hi < math.inf:
                raise ValueError(f"need finite 0 <= low <= value <= high, not {lo}, {v}, {hi}")

    @classmethod
    def _from_per_day(cls, per_day: float, low: float, high: float) -> Rate:
        def fit(d: float) -> float:
            return d / HOURS_PER_DAY * FIT_HOURS

        return cls(per_day, low, high, fit(per_day), fit(low), fit(high))

    def __str__(self) -> str:
        return (f"{self.per_day:.3g}/day [{self.per_day_low:.3g}, {self.per_day_high:.3g}], "
                f"{self.fit:.3g} FIT [{self.fit_low:.3g}, {self.fit_high:.3g}]")


def _check_avf(name: str, value) -> Proportion:
    if not isinstance(value, Proportion):
        raise TypeError(f"{name} must be a Proportion (see wilson, avf), not "
                        f"{type(value).__name__}")
    return value


def set_derating(pulse_width_s: float, clock_period_s: float) -> float:
    """Latching-window derating of a single-event transient: the probability that a glitch of
    width ``pulse_width_s`` at a flop's input overlaps the flop's latching window, ``min(1,
    w / T_clk)`` for strikes uniform in time (REFERENCE.md, "Radiation rate models"). A
    glitch as long as the clock period or longer is always captured.

    Raises
    ------
    TypeError, ValueError
        An argument is not a real number ``> 0`` (the message names it).
    """
    w = _check_positive("pulse_width_s", pulse_width_s)
    t = _check_positive("clock_period_s", clock_period_s)
    return min(1.0, w / t)


def failure_rate(bits: int, orbit: str | float | Orbit, avf: Proportion,
                 derating: float = 1.0) -> Rate:
    """Visible-failure rate of a structure of ``bits`` bits in ``orbit``, for a measured AVF.

    ``per_day = bits * orbit.seu_per_bit_day * derating * avf.estimate`` (raw upset rate x
    AVF, REFERENCE.md after Mukherjee et al.), with ``per_day_low``/``per_day_high`` from
    ``avf.low``/``avf.high``; ``fit = per_day / 24 * 1e9``. Single-bit upsets only: the
    multi-bit share (1.22 % in the Alsat-1 data) is not modelled separately. ``derating``
    (in ``(0, 1]``) scales the raw rate: :func:`set_derating` for transients on nets, whose
    campaign injects only the glitches that reach a flop at the edge.

    Parameters
    ----------
    bits : int
        Bits of state the AVF was measured over, ``>= 1``.
    orbit : str, float or Orbit
        Anything :func:`orbit` accepts.
    avf : Proportion
        The AVF of the failure kind of interest, e.g. from :func:`avf`.

    Returns
    -------
    Rate

    Raises
    ------
    TypeError, ValueError
        ``bits`` is not an integer ``>= 1``, ``orbit`` is not valid, ``avf`` is not a
        Proportion.
    """
    b = _check_int("bits", bits, 1)
    d = _check_positive("derating", derating)
    if d > 1:
        raise ValueError(f"derating must be in (0, 1], not {derating!r}")
    raw = b * _orbit(orbit).seu_per_bit_day * d
    a = _check_avf("avf", avf)
    return Rate._from_per_day(raw * a.estimate, raw * a.low, raw * a.high)


def combine_modules(per_module: Mapping[str, tuple[int, Proportion]],
                    orbit: str | float | Orbit) -> Rate:
    """Failure rate of a device made of several modules, each with its own bits and AVF.

    The rates of :func:`failure_rate` are summed, and so are their lows and their highs. That
    interval is conservative: it is as wide as if every module's AVF sat at the same end of
    its interval at once, which independent campaigns rarely do. It is not a simultaneous
    guarantee either; if that is needed, measure each of ``k`` modules at confidence
    ``1 - (1 - c) / k`` (Bonferroni), then the sum covers with probability ``>= c``.

    Parameters
    ----------
    per_module : Mapping[str, tuple[int, Proportion]]
        Module name -> ``(bits, avf)``; at least one module, all AVFs at the same confidence.
    orbit : str, float or Orbit
        Anything :func:`orbit` accepts.

    Returns
    -------
    Rate

    Raises
    ------
    TypeError, ValueError
        No modules, AVFs at different confidence levels, or an invalid module entry (the
        message names the module).
    """
    if not per_module:
        raise ValueError("per_module must hold at least one module, not none")
    orb = _orbit(orbit)
    entries = {}
    for name, entry in per_module.items():
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise TypeError(f"per_module[{name!r}] must be a (bits, avf) tuple, not {entry!r}")
        entries[name] = (entry[0], _check_avf(f"per_module[{name!r}] avf", entry[1]))
    confidences = sorted({a.confidence for _, a in entries.values()})
    if len(confidences) > 1:
        raise ValueError(f"per_module AVFs must share one confidence level, not {confidences}")
    day = low = high = 0.0
    for name, (bits, a) in entries.items():
        try:
            r = failure_rate(bits, orb, a)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"per_module[{name!r}]: {exc}") from exc
        day += r.per_day
        low += r.per_day_low
        high += r.per_day_high
    return Rate._from_per_day(day, low, high)
