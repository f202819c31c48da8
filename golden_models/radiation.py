"""Single-event upset rate of one memory bit in orbit, from a device's beam-test data.

Pure NumPy. Models, each with its source (``docs/radiation.md`` has the full discussion):

* **Heavy-ion cross-section per bit** (``REFERENCE.md``, "Radiation rate models"), the
  four-parameter Weibull fit of a heavy-ion test, :class:`WeibullParams`:
  ``sigma(LET) = sigma_sat (1 - exp(-((LET - LET_th) / W)^s))`` for ``LET > LET_th``, else 0.
  LET in MeV cm^2/mg, sigma in cm^2 per bit.
* **Petersen's figure of merit**: ``FOM = sigma_sat / L_0.25^2`` with ``L_0.25`` the LET at
  which the Weibull reaches 25 % of ``sigma_sat``, ``L_0.25 = LET_th + W ln(4/3)^(1/s)``; the
  rate per bit per day is ``R = C * FOM`` with an orbit coefficient ``C``, one for heavy
  ions and one for trapped protons (E. L. Petersen, "The SEU figure of merit and proton upset
  rate calculations", IEEE Trans. Nucl. Sci. 45(6), 2550-2562, 1998). The coefficients in
  :data:`PETERSEN_COEFFICIENTS` are **second-hand**: values read off that paper's figures of
  ``C`` against circular-orbit altitude and inclination by a third party (a public notebook
  in the code index, "Digitized data from ref Petersen ... (1998)"; the index does not name
  its repository) and not checked here against the paper. They carry no solar-cycle label:
  the source gives no solar minimum / maximum split, so none is offered.
* **Integral spectra**: where a tabulated integral spectrum is at hand (a CREME96 or SPENVIS
  LET spectrum behind the actual shielding, a trapped-proton spectrum), the rate is the
  Stieltjes integral of the cross-section against it, :func:`spectrum_rate`. No spectrum is
  tabulated here: none citable was found (see ``docs/radiation.md``); pass your own.
* **Proton cross-section per bit**, Bendel's two-parameter model, :class:`BendelParams`
  (W. J. Stapor, J. P. Meyers, J. B. Langworthy, E. L. Petersen, "Two parameter Bendel model
  calculations for predicting proton induced upset", IEEE Trans. Nucl. Sci. 37(6), 1966,
  1990; form as given by the CREME96 documentation, Vanderbilt CREME-MC help "Bendel
  2-parameter function"): ``sigma(E) = 1e-12 (B/A)^14 (1 - exp(-0.18 Y^0.5))^4`` cm^2 with
  ``Y = (18/A)^0.5 (E - A)`` for ``E > A`` (MeV), else 0.

:func:`upset_rate` gives the per-bit upsets per day of a :class:`Device` in a
:class:`RadiationEnvironment` with its heavy-ion / proton breakdown; :data:`ENVIRONMENTS`
holds the presets, every figure with its source. :func:`device_cross_section` sums bits x
sigma_bit(LET) x AVF over a device's structures, with the AVF interval carried through, for
comparison with a beam test of the whole device.

Arguments out of range raise ``ValueError`` naming the argument; wrong types ``TypeError``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

__all__ = [
    "DEFAULT_DEVICE",
    "ENVIRONMENTS",
    "PETERSEN_COEFFICIENTS",
    "PETERSEN_PROTON_FOM_RATIO",
    "BendelParams",
    "Device",
    "RadiationEnvironment",
    "Structure",
    "UpsetRate",
    "WeibullParams",
    "device_cross_section",
    "environment",
    "fom_from_proton_limit",
    "petersen_coefficients",
    "spectrum_rate",
    "upset_rate",
]

_LN_4_3 = math.log(4.0 / 3.0)


def _real(name: str, value) -> float:
    # bool is a Real, but `width=True` is always a bug
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__} {value!r}")
    return float(value)


def _positive(name: str, value) -> float:
    v = _real(name, value)
    if not (v > 0.0 and math.isfinite(v)):  # also rejects NaN
        raise ValueError(f"{name} must be a positive finite number, not {value!r}")
    return v


def _non_negative(name: str, value) -> float:
    v = _real(name, value)
    if not (v >= 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a non-negative finite number, not {value!r}")
    return v


def _abscissa(name: str, value) -> np.ndarray:
    x = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"{name} must hold finite values >= 0")
    return x


# --------------------------------------------------------------------------------------------
# device response


@dataclass(frozen=True)
class WeibullParams:
    """Heavy-ion upset cross-section of one bit: the four-parameter Weibull fit.

    ``sigma(LET) = sigma_sat_cm2 * (1 - exp(-((LET - let_th) / width)^shape))`` for
    ``LET > let_th``, 0 at and below it (REFERENCE.md, "Radiation rate models").

    Parameters
    ----------
    sigma_sat_cm2 : float
        Saturation cross-section per bit, cm^2; positive.
    let_th : float
        Threshold LET, MeV cm^2/mg; >= 0.
    width : float
        Weibull width ``W``, MeV cm^2/mg; positive.
    shape : float
        Weibull shape ``s``; positive.

    Raises
    ------
    TypeError, ValueError
        A parameter is not a real number or is out of range (the message names it).
    """

    sigma_sat_cm2: float
    let_th: float
    width: float
    shape: float

    def __post_init__(self):
        _positive("sigma_sat_cm2", self.sigma_sat_cm2)
        _non_negative("let_th", self.let_th)
        _positive("width", self.width)
        _positive("shape", self.shape)

    def cross_section(self, let) -> np.ndarray:
        """sigma per bit (cm^2) at ``let`` (MeV cm^2/mg, finite, >= 0), shaped like ``let``."""
        x = _abscissa("let", let)
        u = np.maximum(x - self.let_th, 0.0) / self.width
        return self.sigma_sat_cm2 * -np.expm1(-(u ** self.shape))

    @property
    def l25(self) -> float:
        """``L_0.25``, the LET where sigma is 25 % of saturation: ``let_th + W ln(4/3)^(1/s)``."""
        return self.let_th + self.width * _LN_4_3 ** (1.0 / self.shape)

    @property
    def fom(self) -> float:
        """Petersen's figure of merit ``sigma_sat / L_0.25^2``, cm^2 (MeV cm^2/mg)^-2."""
        return self.sigma_sat_cm2 / self.l25 ** 2


@dataclass(frozen=True)
class BendelParams:
    """Proton upset cross-section of one bit: Bendel's two-parameter model.

    ``sigma(E) = 1e-12 (B/A)^14 (1 - exp(-0.18 sqrt(Y)))^4`` cm^2, ``Y = sqrt(18/A) (E - A)``
    for ``E > A`` (MeV), else 0 (Stapor et al., IEEE TNS 37(6), 1990, in the form of the
    CREME96 documentation). The limiting (high-energy) cross-section is
    ``1e-12 (B/A)^14`` cm^2; :meth:`from_limit` builds the parameters from it (Shimano et al.,
    IEEE TNS 36(6), 1989, wrote the model with that limit as its second parameter).

    Parameters
    ----------
    a_mev : float
        ``A``, MeV, positive (the onset energy).
    b_mev : float
        ``B``, MeV, positive.

    Raises
    ------
    TypeError, ValueError
        A parameter is not a real number or is not positive (the message names it).
    """

    a_mev: float
    b_mev: float

    def __post_init__(self):
        _positive("a_mev", self.a_mev)
        _positive("b_mev", self.b_mev)

    @classmethod
    def from_limit(cls, a_mev: float, sigma_limit_cm2: float) -> BendelParams:
        """The parameters with onset ``a_mev`` and limiting cross-section ``sigma_limit_cm2``."""
        a = _positive("a_mev", a_mev)
        s = _positive("sigma_limit_cm2", sigma_limit_cm2)
        return cls(a, a * (s / 1e-12) ** (1.0 / 14.0))

    @property
    def sigma_limit_cm2(self) -> float:
        """Limiting cross-section per bit at high energy, ``1e-12 (B/A)^14`` cm^2."""
        return 1e-12 * (self.b_mev / self.a_mev) ** 14

    def cross_section(self, energy_mev) -> np.ndarray:
        """sigma per bit (cm^2) at proton energy ``energy_mev`` (finite, >= 0)."""
        e = _abscissa("energy_mev", energy_mev)
        y = np.sqrt(18.0 / self.a_mev) * np.maximum(e - self.a_mev, 0.0)
        return self.sigma_limit_cm2 * (-np.expm1(-0.18 * np.sqrt(y))) ** 4


#: Petersen (1998): the FOM of a part correlates with its limiting proton cross-section,
#: ``FOM ~ 4.5e4 * sigma_pL`` (sigma_pL in cm^2 per bit, FOM in cm^2 (MeV cm^2/mg)^-2). The
#: figure is second-hand, as the coefficient table (module docstring): the same third-party
#: notebook uses it; not checked here against the paper.
PETERSEN_PROTON_FOM_RATIO = 4.5e4


def fom_from_proton_limit(sigma_limit_cm2: float) -> float:
    """Figure of merit estimated from a proton test alone: ``4.5e4 * sigma_pL`` (Petersen 1998,
    second-hand, see :data:`PETERSEN_PROTON_FOM_RATIO`)."""
    return PETERSEN_PROTON_FOM_RATIO * _positive("sigma_limit_cm2", sigma_limit_cm2)


@dataclass(frozen=True)
class Device:
    """The upset response of one memory bit: heavy-ion Weibull, optional proton Bendel fit.

    Parameters
    ----------
    name : str
    weibull : WeibullParams
    bendel : BendelParams or None
        Needed only in an environment with a proton spectrum (:func:`upset_rate`).
    source : str
        Where the parameters come from, or the assumption they rest on.
    """

    name: str
    weibull: WeibullParams
    bendel: BendelParams | None = None
    source: str = "user-supplied"

    def __post_init__(self):
        if not isinstance(self.weibull, WeibullParams):
            raise TypeError(f"weibull must be a WeibullParams, not {self.weibull!r}")
        if self.bendel is not None and not isinstance(self.bendel, BendelParams):
            raise TypeError(f"bendel must be a BendelParams or None, not {self.bendel!r}")


# ASSUMPTION, not a measurement: no citable heavy-ion Weibull fit of a 16/28 nm SRAM cell was
# found (docs/radiation.md). Round figures of the order seen for bulk SRAM at those nodes:
# a low threshold (modern cells upset below 1 MeV cm^2/mg), a saturation about the cell area
# (~1e-9 cm^2 at 28 nm) times a few for charge sharing. FOM = 1.0e-10. The proton fit follows
# from Petersen's FOM correlation (sigma_pL = FOM / 4.5e4 = 2.2e-15 cm^2) with an assumed
# onset A = 8 MeV. Replace all of it with the fit of the part that flies.
_DEFAULT_WEIBULL = WeibullParams(sigma_sat_cm2=5e-9, let_th=0.5, width=15.0, shape=1.5)
DEFAULT_DEVICE = Device(
    name="modern-sram (ASSUMPTION)",
    weibull=_DEFAULT_WEIBULL,
    bendel=BendelParams.from_limit(8.0, _DEFAULT_WEIBULL.fom / PETERSEN_PROTON_FOM_RATIO),
    source="ASSUMPTION: round figures for a 16/28 nm bulk SRAM cell, no citable fit found; "
           "Bendel limit from Petersen's FOM correlation, onset 8 MeV assumed")


# --------------------------------------------------------------------------------------------
# spectra


def spectrum_rate(cross_section: Callable[[np.ndarray], np.ndarray], x, integral_flux,
                  points_per_interval: int = 64) -> float:
    """Upsets per bit from a tabulated integral spectrum: ``int sigma(x) (-dPhi/dx) dx``.

    ``Phi(>x)`` is interpolated as a power law (log-log) between table points where both are
    positive, linearly otherwise, sampled on ``points_per_interval`` geometric sub-steps per
    interval; each sub-step counts its flux drop at sigma of its geometric midpoint. Particles
    above the last table point (``Phi(>x[-1])``) count at ``sigma(x[-1])``. Normal incidence:
    no chord-length (RPP/IRPP) correction, so ``integral_flux`` must already be the flux the
    cross-section applies to (e.g. CREME96's omnidirectional integral flux over 4 pi, per
    cm^2 per day, gives upsets per bit per day).

    Parameters
    ----------
    cross_section : callable
        ``sigma(x)`` per bit, e.g. ``WeibullParams.cross_section`` (x = LET) or
        ``BendelParams.cross_section`` (x = proton energy). Must be 0 at ``x[0]``: the table
        has to start at or below the threshold, or the part of the spectrum below it is lost.
    x : array-like
        Strictly increasing, positive abscissae (LET or energy), at least 2.
    integral_flux : array-like
        ``Phi(>x)`` at each ``x``, non-increasing, >= 0.
    points_per_interval : int
        Sub-steps per table interval, >= 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Tables of different or too short length, not increasing or not positive ``x``, an
        increasing or negative flux, or a cross-section that is not 0 at ``x[0]``.
    """
    xs = np.asarray(x, dtype=np.float64)
    phi = np.asarray(integral_flux, dtype=np.float64)
    if xs.ndim != 1 or xs.shape != phi.shape or xs.size < 2:
        raise ValueError("x and integral_flux must be 1-D tables of the same length >= 2")
    if not (np.all(np.isfinite(xs)) and xs[0] > 0 and np.all(np.diff(xs) > 0)):
        raise ValueError("x must be finite, positive and strictly increasing")
    if not (np.all(np.isfinite(phi)) and np.all(phi >= 0) and np.all(np.diff(phi) <= 0)):
        raise ValueError("integral_flux must be finite, >= 0 and non-increasing")
    if isinstance(points_per_interval, bool) or not isinstance(points_per_interval, int) \
            or points_per_interval < 1:
        raise ValueError(f"points_per_interval must be an integer >= 1, not "
                         f"{points_per_interval!r}")
    if float(np.asarray(cross_section(xs[:1]))[0]) != 0.0:
        raise ValueError(f"cross_section must be 0 at x[0] = {xs[0]:g}: start the spectrum at "
                         "or below the threshold")
    k = points_per_interval
    t = np.linspace(0.0, 1.0, k + 1)
    lo, hi, plo, phi_hi = xs[:-1, None], xs[1:, None], phi[:-1, None], phi[1:, None]
    sub = lo * (hi / lo) ** t  # geometric sub-steps, shape (intervals, k + 1)
    frac = np.log(sub / lo) / np.log(hi / lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglog = plo * (phi_hi / plo) ** frac
    linear = plo + (phi_hi - plo) * (sub - lo) / (hi - lo)
    f = np.where((plo > 0) & (phi_hi > 0), loglog, linear)
    mid = np.sqrt(sub[:, :-1] * sub[:, 1:])
    drops = f[:, :-1] - f[:, 1:]
    sigma = np.asarray(cross_section(mid), dtype=np.float64)
    tail = float(np.asarray(cross_section(xs[-1:]))[0]) * phi[-1]
    return float(np.sum(sigma * drops) + tail)


# --------------------------------------------------------------------------------------------
# environments


#: Petersen (1998) figure-of-merit rate coefficients, second-hand (module docstring): per
#: circular-orbit altitude (km), ``(heavy-ion C at 0, 30, 60, 90 deg inclination,
#: trapped-proton C at 0, 30, 60, 90 deg)``. ``R = C * FOM`` in upsets/bit/day with FOM in
#: cm^2 (MeV cm^2/mg)^-2. The third party's notebook scales them to other shielding with a
#: factor that is 1 at 100 mil Al, so they are taken as for 100 mil (2.54 mm) of aluminium.
PETERSEN_COEFFICIENTS: Mapping[int, tuple[tuple[float, ...], tuple[float, ...]]] = \
    MappingProxyType({
        200: ((4.7, 7.3, 48.9, 85.1), (0.0, 0.1, 0.1, 0.1)),
        300: ((5.1, 7.9, 52.1, 88.5), (0.0, 1.6, 0.8, 0.6)),
        400: ((5.5, 8.5, 53.8, 93.6), (0.0, 9.9, 4.7, 4.4)),
        500: ((5.9, 9.0, 56.0, 97.4), (0.0, 41.6, 18.2, 17.9)),
        600: ((6.2, 9.5, 58.2, 99.7), (0.1, 101.8, 44.4, 44.4)),
        700: ((6.6, 10.0, 59.6, 103.8), (3.6, 196.5, 93.3, 80.1)),
        800: ((6.9, 10.5, 61.6, 104.5), (88.5, 309.6, 160.0, 128.4)),
        900: ((7.4, 10.9, 63.6, 108.8), (293.6, 496.2, 252.1, 198.9)),
        1000: ((7.6, 11.4, 63.5, 108.8), (567.1, 706.7, 371.4, 298.0)),
        2000: ((11.8, 17.2, 84.9, 129.7), (14208.4, 7467.1, 3729.4, 3202.8)),
        3000: ((16.8, 26.7, 106.4, 147.4), (23427.5, 9882.7, 5020.2, 4691.5)),
        4000: ((23.0, 35.4, 124.1, 163.7), (12461.4, 4828.0, 2624.4, 2411.7)),
        5000: ((29.3, 45.9, 136.7, 174.5), (5600.0, 1771.0, 1065.7, 1065.6)),
        6000: ((36.2, 56.7, 149.4, 187.6), (2561.3, 719.4, 440.3, 391.1)),
        7000: ((46.2, 68.8, 161.9, 196.9), (1254.4, 346.4, 191.5, 194.8)),
        8000: ((57.5, 79.7, 175.6, 210.0), (460.8, 181.6, 84.8, 84.8)),
        9000: ((67.1, 90.0, 187.3, 218.6), (145.5, 54.7, 54.7, 54.7)),
        10000: ((74.0, 100.0, 196.6, 224.0), (40.8, 28.6, 28.6, 28.6)),
        20000: ((292.0, 304.2, 306.6, 311.7), (0.0, 0.0, 0.0, 0.0)),
        30000: ((340.3, 343.0, 343.0, 340.3), (0.0, 0.0, 0.0, 0.0)),
        35800: ((485.0, 485.0, 485.0, 485.0), (0.0, 0.0, 0.0, 0.0)),
    })
_INCLINATIONS = (0.0, 30.0, 60.0, 90.0)


def petersen_coefficients(altitude_km: float, inclination_deg: float) -> tuple[float, float]:
    """``(C_heavy_ion, C_proton)`` of :data:`PETERSEN_COEFFICIENTS` at a circular orbit.

    Linear interpolation in inclination, then in altitude, between table points (our choice
    for a coarse table: ASSUMPTION between points, exact at them). A retrograde inclination
    ``i > 90`` deg is folded to ``180 - i``: the ground track covers the same latitudes (a
    97.6 deg sun-synchronous orbit reads as 82.4 deg).

    Raises
    ------
    ValueError
        ``altitude_km`` outside 200..35800 or ``inclination_deg`` outside 0..180.
    """
    alt = _real("altitude_km", altitude_km)
    inc = _real("inclination_deg", inclination_deg)
    alts = sorted(PETERSEN_COEFFICIENTS)
    if not alts[0] <= alt <= alts[-1]:
        raise ValueError(f"altitude_km must be from {alts[0]} to {alts[-1]}, not {altitude_km!r}")
    if not 0.0 <= inc <= 180.0:
        raise ValueError(f"inclination_deg must be from 0 to 180, not {inclination_deg!r}")
    inc = min(inc, 180.0 - inc)

    def at(kind: int) -> float:
        rows = [np.interp(inc, _INCLINATIONS, PETERSEN_COEFFICIENTS[a][kind]) for a in alts]
        return float(np.interp(alt, alts, rows))

    return at(0), at(1)


Spectrum = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass(frozen=True)
class RadiationEnvironment:
    """The particle environment of a memory bit in one orbit, behind its shielding.

    Either a measured flight figure (``seu_per_bit_day``: that part, that orbit) or a model:
    the heavy-ion term from exactly one of ``c_heavy_ion`` (Petersen FOM coefficient) or
    ``let_spectrum``, the proton term from at most one of ``c_proton`` or
    ``proton_spectrum`` (none: protons not modelled, term 0).

    Parameters
    ----------
    name, description, source : str
        Preset key, what the orbit is, where every figure comes from.
    seu_per_bit_day : float or None
        Measured upsets per bit per day (positive).
    c_heavy_ion, c_proton : float or None
        FOM rate coefficients, upsets/bit/day per cm^2 (MeV cm^2/mg)^-2, >= 0.
    let_spectrum, proton_spectrum : (x, integral flux) tables or None
        LET (MeV cm^2/mg) or energy (MeV), and flux above it per cm^2 per day; see
        :func:`spectrum_rate`.

    Raises
    ------
    ValueError
        A measured figure together with model terms, no heavy-ion term, two heavy-ion or
        two proton terms, or a value out of range.
    """

    name: str
    description: str
    source: str
    seu_per_bit_day: float | None = None
    c_heavy_ion: float | None = None
    c_proton: float | None = None
    let_spectrum: Spectrum | None = None
    proton_spectrum: Spectrum | None = None

    def __post_init__(self):
        model = (self.c_heavy_ion, self.c_proton, self.let_spectrum, self.proton_spectrum)
        if self.seu_per_bit_day is not None:
            _positive("seu_per_bit_day", self.seu_per_bit_day)
            if any(v is not None for v in model):
                raise ValueError("a measured seu_per_bit_day excludes model terms "
                                 "(c_heavy_ion, c_proton, let_spectrum, proton_spectrum)")
            return
        if (self.c_heavy_ion is None) == (self.let_spectrum is None):
            raise ValueError("give exactly one heavy-ion term: c_heavy_ion or let_spectrum")
        if self.c_proton is not None and self.proton_spectrum is not None:
            raise ValueError("give at most one proton term: c_proton or proton_spectrum")
        for name in ("c_heavy_ion", "c_proton"):
            if getattr(self, name) is not None:
                _non_negative(name, getattr(self, name))
        for name in ("let_spectrum", "proton_spectrum"):
            table = getattr(self, name)
            if table is not None:
                xs, phi = (tuple(float(v) for v in col) for col in table)
                object.__setattr__(self, name, (xs, phi))


def _leo_source(what: str) -> str:
    return (f"{what}: Petersen (1998) FOM coefficients (second-hand digitization, see "
            "golden_models.radiation), interpolated; 100 mil Al; no solar-cycle split given")


_LEO400 = petersen_coefficients(400, 51.6)
_SSO550 = petersen_coefficients(550, 97.6)
_GEO = petersen_coefficients(35800, 0)

ENVIRONMENTS: Mapping[str, RadiationEnvironment] = MappingProxyType({
    "leo400": RadiationEnvironment(
        "leo400", "circular LEO, 400 km, 51.6 deg (ISS-like)",
        _leo_source("400 km row, 30 and 60 deg columns"),
        c_heavy_ion=_LEO400[0], c_proton=_LEO400[1]),
    "sso550": RadiationEnvironment(
        "sso550", "sun-synchronous, 550 km, 97.6 deg",
        _leo_source("500/600 km rows, 60 and 90 deg columns (97.6 deg folded to 82.4)"),
        c_heavy_ion=_SSO550[0], c_proton=_SSO550[1]),
    "geo": RadiationEnvironment(
        "geo", "geostationary, 35786 km",
        _leo_source("35800 km row (no trapped-proton term)"),
        c_heavy_ion=_GEO[0], c_proton=_GEO[1]),
    "alsat1": RadiationEnvironment(
        "alsat1", "Alsat-1 flight data: commercial SRAM in LEO, ~8 years",
        "REFERENCE.md 'Radiation environment': 4.04e-7 SEU/bit/day (98.6 % single-bit, "
        "1.22 % multi-bit); measured for Alsat-1's SRAM in Alsat-1's orbit, so the device is "
        "ignored",
        seu_per_bit_day=4.04e-7),
})
"""Preset environments (read-only); every figure is a default to override."""


def environment(name_or_env: str | RadiationEnvironment) -> RadiationEnvironment:
    """A preset of :data:`ENVIRONMENTS` by name, or a :class:`RadiationEnvironment` as is.

    Raises
    ------
    TypeError
        Neither a str nor a RadiationEnvironment.
    ValueError
        An unknown preset name.
    """
    if isinstance(name_or_env, RadiationEnvironment):
        return name_or_env
    if not isinstance(name_or_env, str):
        raise TypeError(f"orbit must be a preset name or a RadiationEnvironment, not "
                        f"{name_or_env!r}")
    try:
        return ENVIRONMENTS[name_or_env]
    except KeyError:
        raise ValueError(f"orbit must be one of {tuple(ENVIRONMENTS)}, not {name_or_env!r}") \
            from None


@dataclass(frozen=True)
class UpsetRate:
    """Upsets per bit per day of one device in one environment, with its breakdown.

    Members
    -------
    total : float
    heavy_ion, proton : float or None
        The two terms (None for a measured environment, which has no breakdown).
    heavy_ion_method, proton_method : str
        ``"fom"``, ``"spectrum"``, ``"none"`` or ``"measured"``.
    environment, device : str
        Names.
    """

    total: float
    heavy_ion: float | None
    proton: float | None
    heavy_ion_method: str
    proton_method: str
    environment: str
    device: str


def upset_rate(device: Device, orbit_env: str | RadiationEnvironment) -> UpsetRate:
    """Per-bit upsets per day of ``device`` in ``orbit_env``, heavy ions plus protons.

    Heavy ions: ``c_heavy_ion * device.weibull.fom`` or the Weibull integrated against the
    LET spectrum. Protons: ``c_proton * device.weibull.fom`` (Petersen derives the proton
    coefficient for the heavy-ion FOM) or ``device.bendel`` integrated against the proton
    spectrum. A measured environment returns its figure whatever the device.

    Raises
    ------
    TypeError
        ``device`` is not a Device.
    ValueError
        An unknown preset, or a proton spectrum for a device without a Bendel fit.
    """
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, not {device!r}")
    env = environment(orbit_env)
    if env.seu_per_bit_day is not None:
        return UpsetRate(env.seu_per_bit_day, None, None, "measured", "measured", env.name,
                         device.name)
    w = device.weibull
    if env.c_heavy_ion is not None:
        hi, hi_method = env.c_heavy_ion * w.fom, "fom"
    else:
        hi, hi_method = spectrum_rate(w.cross_section, *env.let_spectrum), "spectrum"
    if env.c_proton is not None:
        p, p_method = env.c_proton * w.fom, "fom"
    elif env.proton_spectrum is not None:
        if device.bendel is None:
            raise ValueError(f"environment {env.name!r} has a proton spectrum but device "
                             f"{device.name!r} has no bendel fit")
        p, p_method = spectrum_rate(device.bendel.cross_section, *env.proton_spectrum), \
            "spectrum"
    else:
        p, p_method = 0.0, "none"
    return UpsetRate(hi + p, hi, p, hi_method, p_method, env.name, device.name)


# --------------------------------------------------------------------------------------------
# device cross-section from structures


@dataclass(frozen=True)
class Structure:
    """One structure of a device: ``bits`` bits of one cell type with a measured AVF.

    Parameters
    ----------
    name : str
    bits : int
        >= 1.
    avf : (estimate, low, high) or an object with ``estimate``, ``low``, ``high``
        E.g. a ``fault_campaigns.stats.Proportion``; ``0 <= low <= estimate <= high <= 1``.
    weibull : WeibullParams
        The cell's cross-section (default: :data:`DEFAULT_DEVICE`'s).
    """

    name: str
    bits: int
    avf: object
    weibull: WeibullParams = DEFAULT_DEVICE.weibull

    def __post_init__(self):
        if isinstance(self.bits, bool) or not isinstance(self.bits, numbers.Integral):
            raise TypeError(f"bits must be an integer, not {self.bits!r}")
        if self.bits < 1:
            raise ValueError(f"bits must be >= 1, not {self.bits!r}")
        if not isinstance(self.weibull, WeibullParams):
            raise TypeError(f"weibull must be a WeibullParams, not {self.weibull!r}")
        triplet = _avf_triplet(self.name, self.avf)
        object.__setattr__(self, "avf", triplet)


def _avf_triplet(name: str, avf) -> tuple[float, float, float]:
    if all(hasattr(avf, a) for a in ("estimate", "low", "high")):
        values = (avf.estimate, avf.low, avf.high)
    elif isinstance(avf, Sequence) and not isinstance(avf, str) and len(avf) == 3:
        values = tuple(avf)
    else:
        raise TypeError(f"avf of {name!r} must be (estimate, low, high) or have those "
                        f"attributes, not {avf!r}")
    est, low, high = (_real(f"avf of {name!r}", v) for v in values)
    if not 0.0 <= low <= est <= high <= 1.0:
        raise ValueError(f"avf of {name!r} needs 0 <= low <= estimate <= high <= 1, not "
                         f"{(est, low, high)}")
    return est, low, high


def device_cross_section(structures: Sequence[Structure], let) -> dict[str, np.ndarray]:
    """Visible-error cross-section of a device against LET, to compare with a beam test.

    ``sigma_dev(LET) = sum over structures of bits * sigma_bit(LET) * AVF``, evaluated at the
    AVF's estimate and at both ends of its interval. Summing the ends is conservative, as in
    ``fault_campaigns.stats.combine_modules`` (every AVF at the same end at once).

    Parameters
    ----------
    structures : sequence of Structure
        At least one.
    let : array-like
        LET values, MeV cm^2/mg, finite and >= 0.

    Returns
    -------
    dict
        ``{"let", "estimate", "low", "high"}``: arrays shaped like ``let``, cm^2 per device.

    Raises
    ------
    TypeError, ValueError
        No structures, a non-Structure entry, or an invalid ``let``.
    """
    if not structures:
        raise ValueError("structures must hold at least one Structure, not none")
    x = _abscissa("let", let)
    out = {"let": x, "estimate": np.zeros_like(x), "low": np.zeros_like(x),
           "high": np.zeros_like(x)}
    for st in structures:
        if not isinstance(st, Structure):
            raise TypeError(f"structures must hold Structure objects, not {st!r}")
        per_bit = st.bits * st.weibull.cross_section(x)
        for key, a in zip(("estimate", "low", "high"), st.avf, strict=True):
            out[key] = out[key] + per_bit * a
    return out
