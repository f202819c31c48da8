"""Orbital thermal environment of a circular orbit: period, eclipse, heat inputs on a radiator.

Pure NumPy. Figures from ``../shared/REFERENCE.md`` ("Thermal environment"):

- Orbit period ``T = 2 pi sqrt((R + h)^3 / mu)``, ``R = 6371 km``, ``mu = 3.986e14 m^3/s^2``.
- Cylindrical Earth shadow. ``beta`` is the sun's angle to the orbit plane. The eclipse
  fraction is ``f = acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi`` while
  ``|beta| < asin(R / (R + h))``, else 0 (400 km, beta 0: ~36 min of a ~92.4 min orbit).
- Solar irradiance 1361 W/m^2, Earth albedo 0.30, Earth IR 237 W/m^2.

Time origin: ``t = 0`` is orbit noon, the point of the orbit closest to the sun direction.
The orbit angle from there is ``theta = 2 pi t / T``; the eclipse is centred on
``theta = pi`` (orbit midnight), from ``theta = pi - phi`` to ``pi + phi`` with ``phi = pi f``.
The satellite position is ``r = (R + h) (cos theta, sin theta, 0)`` in the orbit frame and
the sun direction is ``(cos beta, 0, sin beta)``, so the cosine of the solar zenith angle at
the sub-satellite point is ``cos(theta) cos(beta)``.

Heat inputs on a radiator plate (:class:`RadiatorSurface`), all in watts:

- solar ``= alpha * S * A * sun_cos`` outside eclipse, 0 inside. ``sun_cos`` is the cosine of
  the sun's incidence on the plate, an attitude assumption held constant over the orbit
  (0: the plate is shaded or edge-on, the usual radiator placement).
- albedo ``= alpha * S * a * A * F * max(cos(theta) cos(beta), 0)``, 0 in eclipse (the
  usual approximation: reflected sunlight scales with the cosine of the sub-satellite solar
  zenith angle).
- Earth IR ``= eps * E_ir * A * F``, constant (the IR is emitted by the whole Earth).

``F`` is the plate's view factor to the Earth: ``1 / H^2`` for a nadir-facing plate, and for a
plate whose normal is horizontal (a side-mounted radiator, the default)
``F = (atan(1 / X) - X / H^2) / pi`` with ``H = (R + h) / R`` and ``X = sqrt(H^2 - 1)``
(flat plate to sphere, plate normal perpendicular to the nadir; it tends to 1/2 as h -> 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["R_EARTH", "MU_EARTH", "SOLAR_CONSTANT", "ALBEDO", "EARTH_IR", "SIGMA",
           "Orbit", "RadiatorSurface", "view_factor", "heat_inputs"]

R_EARTH = 6371e3  # m (REFERENCE.md)
MU_EARTH = 3.986e14  # m^3/s^2 (REFERENCE.md)
SOLAR_CONSTANT = 1361.0  # W/m^2 (REFERENCE.md)
ALBEDO = 0.30  # REFERENCE.md: 0.30-0.35
EARTH_IR = 237.0  # W/m^2 (REFERENCE.md)
SIGMA = 5.670e-8  # W/m^2/K^4, Stefan-Boltzmann


@dataclass(frozen=True)
class Orbit:
    """A circular orbit at ``altitude_m`` with the sun at ``beta_deg`` to the orbit plane.

    Raises
    ------
    ValueError
        ``altitude_m`` outside 100 km .. 100000 km or ``beta_deg`` outside -90 .. 90.
    """

    altitude_m: float
    beta_deg: float = 0.0
    name: str = "orbit"

    def __post_init__(self):
        if not 100e3 <= self.altitude_m <= 100e6:
            raise ValueError(f"altitude_m must be from 100e3 to 100e6, not {self.altitude_m!r}")
        if not -90.0 <= self.beta_deg <= 90.0:
            raise ValueError(f"beta_deg must be from -90 to 90, not {self.beta_deg!r}")

    @property
    def radius_m(self) -> float:
        return R_EARTH + self.altitude_m

    @property
    def period_s(self) -> float:
        """``2 pi sqrt((R + h)^3 / mu)``."""
        return float(2 * np.pi * np.sqrt(self.radius_m ** 3 / MU_EARTH))

    @property
    def beta_star_deg(self) -> float:
        """Largest ``|beta|`` with an eclipse: ``asin(R / (R + h))``."""
        return float(np.degrees(np.arcsin(R_EARTH / self.radius_m)))

    @property
    def eclipse_fraction(self) -> float:
        """Fraction of the period in the cylindrical shadow (the REFERENCE formula)."""
        beta = np.radians(self.beta_deg)
        if abs(self.beta_deg) >= self.beta_star_deg:
            return 0.0
        h, r = self.altitude_m, self.radius_m
        return float(np.arccos(np.sqrt(h * h + 2 * R_EARTH * h) / (r * np.cos(beta))) / np.pi)

    @property
    def eclipse_entry_s(self) -> float:
        """Time of shadow entry after orbit noon (``T (1 - f) / 2``; ``nan`` if no eclipse)."""
        f = self.eclipse_fraction
        return self.period_s * (1 - f) / 2 if f > 0 else float("nan")

    @property
    def eclipse_exit_s(self) -> float:
        """Time of shadow exit after orbit noon (``T (1 + f) / 2``; ``nan`` if no eclipse)."""
        f = self.eclipse_fraction
        return self.period_s * (1 + f) / 2 if f > 0 else float("nan")

    def angle(self, t) -> np.ndarray:
        """Orbit angle from orbit noon (radians) at time(s) ``t`` (seconds)."""
        return 2 * np.pi * np.asarray(t, dtype=np.float64) / self.period_s

    def sun_zenith_cos(self, t) -> np.ndarray:
        """Cosine of the solar zenith angle at the sub-satellite point."""
        return np.cos(self.angle(t)) * np.cos(np.radians(self.beta_deg))

    def in_eclipse(self, t) -> np.ndarray:
        """Geometric shadow test (not the fraction formula): behind the Earth along the sun
        direction, and closer to the shadow axis than ``R``."""
        along = self.radius_m * self.sun_zenith_cos(t)
        across_sq = self.radius_m ** 2 - along ** 2
        return (along < 0) & (across_sq < R_EARTH ** 2)


@dataclass(frozen=True)
class RadiatorSurface:
    """Optical and geometric properties of the radiator plate.

    Parameters
    ----------
    area_m2 : float
        Radiating area (one side).
    absorptivity : float
        Solar absorptivity alpha (white paint ~0.2 new, rising with UV darkening).
    emissivity : float
        IR emissivity eps (white paint or OSR ~0.85).
    sun_cos : float
        Cosine of the sun's incidence on the plate, 0 .. 1, constant (attitude assumption).
    mount : str
        ``"side"`` (normal horizontal) or ``"nadir"`` (normal towards the Earth).
    """

    area_m2: float = 0.12
    absorptivity: float = 0.20
    emissivity: float = 0.85
    sun_cos: float = 0.0
    mount: str = "side"

    def __post_init__(self):
        if not self.area_m2 > 0:
            raise ValueError(f"area_m2 must be positive, not {self.area_m2!r}")
        for name in ("absorptivity", "emissivity", "sun_cos"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be from 0 to 1, not {value!r}")
        if self.mount not in ("side", "nadir"):
            raise ValueError(f"mount must be 'side' or 'nadir', not {self.mount!r}")


def view_factor(altitude_m: float, mount: str = "side") -> float:
    """View factor from a radiator plate to the Earth (see the module docstring)."""
    big_h = (R_EARTH + altitude_m) / R_EARTH
    if mount == "nadir":
        return 1.0 / big_h ** 2
    if mount != "side":
        raise ValueError(f"mount must be 'side' or 'nadir', not {mount!r}")
    x = np.sqrt(big_h ** 2 - 1)
    return float((np.arctan(1 / x) - x / big_h ** 2) / np.pi)


def heat_inputs(orbit: Orbit, surface: RadiatorSurface, t) -> dict[str, np.ndarray]:
    """Absorbed environmental heat (W) on the radiator at time(s) ``t``.

    Returns a dict of arrays shaped like ``t``: ``solar``, ``albedo``, ``ir``, ``total`` and
    the boolean ``eclipse``.
    """
    t = np.asarray(t, dtype=np.float64)
    eclipse = orbit.in_eclipse(t)
    lit = ~eclipse
    f = view_factor(orbit.altitude_m, surface.mount)
    a = surface.area_m2
    solar = np.where(lit, surface.absorptivity * SOLAR_CONSTANT * a * surface.sun_cos, 0.0)
    albedo = np.where(lit, surface.absorptivity * SOLAR_CONSTANT * ALBEDO * a * f
                      * np.maximum(orbit.sun_zenith_cos(t), 0.0), 0.0)
    ir = np.full(t.shape, surface.emissivity * EARTH_IR * a * f)
    return {"solar": solar, "albedo": albedo, "ir": ir, "total": solar + albedo + ir,
            "eclipse": eclipse}
