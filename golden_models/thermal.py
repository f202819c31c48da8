"""Lumped thermal RC network of a space AI accelerator: die -> package -> radiator -> space.

Pure NumPy. Three nodes with heat capacities ``C`` (J/K), two conductive links ``R``
(K/W) and a radiative sink::

    P_chip -> [die] --R_die_pkg-- [package] --R_pkg_rad-- [radiator] ~~eps sigma A T^4~~> space
                                                             ^ Q_env (solar, albedo, Earth IR)

    C_die dT_d/dt = P - (T_d - T_p) / R_die_pkg
    C_pkg dT_p/dt = (T_d - T_p) / R_die_pkg - (T_p - T_r) / R_pkg_rad
    C_rad dT_r/dt = (T_p - T_r) / R_pkg_rad + Q_env - eps sigma A (T_r^4 - T_space^4)

Integration (:meth:`ThermalModel.step`): the radiative term is linearised about the radiator
temperature at the start of each step, ``eps sigma A T^4 ~ g T - 3 eps sigma A T0^4`` with
``g = 4 eps sigma A T0^3``, which makes the network linear, ``C dT/dt = -G T + q``; that
linear system is advanced *exactly* over the step by its matrix exponential
(:class:`LinearRC`). So the step is unconditionally stable even though the die's own time
constant (``C_die R_die_pkg`` ~ 0.05 s) is far below the co-simulation step (~2 s); the only
error is the linearisation, second order in the radiator's change over one step (the
radiator's time constant is ~20 min, so ~1e-3 K per 2 s step; tests bound it against a
fine Runge-Kutta reference).

Default parameters (:class:`ThermalParams`; all are assumptions a user can override):

- die: 400 mm^2 x 0.5 mm of silicon, 2330 kg/m^3, 700 J/(kg K) -> ~0.33 J/K.
- package + lid + cold plate: ~200 g of copper, 385 J/(kg K) -> ~80 J/K; junction-to-case
  0.15 K/W (typical of a 40-70 W flip-chip part).
- package to radiator: a heat-pipe / conduction path, 0.45 K/W.
- radiator: 0.12 m^2 aluminium panel with its share of structure, ~2.2 kg -> 2000 J/K;
  white paint alpha 0.20, eps 0.85 (:class:`golden_models.orbit.RadiatorSurface`).
- space sink 3 K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .orbit import SIGMA, RadiatorSurface

__all__ = ["ThermalParams", "LinearRC", "ThermalModel", "steady_state", "KELVIN"]

KELVIN = 273.15
NODES = ("die", "package", "radiator")


@dataclass(frozen=True)
class ThermalParams:
    """Parameters of the three-node network (see the module docstring for the values).

    Raises
    ------
    ValueError
        A capacity or resistance that is not positive.
    """

    c_die: float = 0.33  # J/K
    c_pkg: float = 80.0  # J/K
    c_rad: float = 2000.0  # J/K
    r_die_pkg: float = 0.15  # K/W
    r_pkg_rad: float = 0.45  # K/W
    radiator: RadiatorSurface = field(default_factory=RadiatorSurface)
    t_space_k: float = 3.0

    def __post_init__(self):
        for name in ("c_die", "c_pkg", "c_rad", "r_die_pkg", "r_pkg_rad"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value!r}")

    @property
    def capacities(self) -> np.ndarray:
        return np.array([self.c_die, self.c_pkg, self.c_rad])

    @property
    def eps_sigma_a(self) -> float:
        return self.radiator.emissivity * SIGMA * self.radiator.area_m2


class LinearRC:
    """A linear RC network ``C dT/dt = -G T + q``, advanced exactly.

    ``G`` must be symmetric positive definite (conductances between nodes plus at least one
    conductance to a sink). Over a step of ``dt`` with constant ``q``,
    ``T(dt) = T_ss + exp(-C^-1 G dt) (T(0) - T_ss)`` with ``T_ss = G^-1 q``; the exponential
    is computed from the eigen-decomposition of the symmetric ``C^-1/2 G C^-1/2``.
    """

    def __init__(self, capacities, conductance):
        self.c = np.asarray(capacities, dtype=np.float64)
        self.g = np.asarray(conductance, dtype=np.float64)
        if self.g.shape != (len(self.c), len(self.c)) or not np.allclose(self.g, self.g.T):
            raise ValueError("conductance must be a symmetric n x n matrix")
        s = 1 / np.sqrt(self.c)
        lam, vec = np.linalg.eigh(s[:, None] * self.g * s[None, :])
        if lam.min() <= 0:
            raise ValueError("conductance must be positive definite (connect a sink)")
        self._lam, self._vec, self._s = lam, vec, s

    @property
    def time_constants(self) -> np.ndarray:
        """The network's time constants (s), largest first."""
        return np.sort(1 / self._lam)[::-1]

    def steady(self, q) -> np.ndarray:
        return np.linalg.solve(self.g, np.asarray(q, dtype=np.float64))

    def step(self, temps, q, dt: float) -> np.ndarray:
        """Temperatures after ``dt`` seconds with constant input ``q`` (W per node)."""
        t_ss = self.steady(q)
        x = (np.asarray(temps, dtype=np.float64) - t_ss) / self._s  # C^1/2 (T - T_ss)
        x = self._vec @ (np.exp(-self._lam * dt) * (self._vec.T @ x))
        return t_ss + self._s * x


def steady_state(params: ThermalParams, p_die_w: float, q_env_w: float) -> np.ndarray:
    """Steady temperatures (degC) of die, package, radiator for constant heat inputs.

    The hand calculation: all heat leaves by radiation,
    ``eps sigma A (T_r^4 - T_space^4) = P + Q_env``; then the conductive drops
    ``T_p = T_r + P R_pkg_rad`` and ``T_d = T_p + P R_die_pkg``.
    """
    t_r = ((p_die_w + q_env_w) / params.eps_sigma_a + params.t_space_k ** 4) ** 0.25
    t_p = t_r + p_die_w * params.r_pkg_rad
    t_d = t_p + p_die_w * params.r_die_pkg
    return np.array([t_d, t_p, t_r]) - KELVIN


class ThermalModel:
    """State (die, package, radiator temperatures, degC) of the network, advanced by
    :meth:`step` (see the module docstring for the integration)."""

    def __init__(self, params: ThermalParams, temps_c=(20.0, 20.0, 20.0)):
        self.params = params
        self.temps = np.asarray(temps_c, dtype=np.float64).copy()
        g1, g2 = 1 / params.r_die_pkg, 1 / params.r_pkg_rad
        self._g_cond = np.array([[g1, -g1, 0.0], [-g1, g1 + g2, -g2], [0.0, -g2, g2]])

    @property
    def die_c(self) -> float:
        return float(self.temps[0])

    def step(self, p_die_w: float, q_env_w: float, dt: float) -> np.ndarray:
        """Advance ``dt`` seconds with chip power ``p_die_w`` and absorbed environmental heat
        ``q_env_w`` on the radiator (both constant over the step); returns the new temps."""
        if dt <= 0:
            raise ValueError(f"dt must be positive, not {dt!r}")
        esa = self.params.eps_sigma_a
        t0 = self.temps[2] + KELVIN
        g_rad = 4 * esa * t0 ** 3
        g = self._g_cond.copy()
        g[2, 2] += g_rad
        # Linearised emission: esa (T^4 - Ts^4) ~ g_rad T - 3 esa T0^4 - esa Ts^4.
        q = np.array([p_die_w, 0.0, q_env_w + 3 * esa * t0 ** 4
                      + esa * self.params.t_space_k ** 4])
        new = LinearRC(self.params.capacities, g).step(self.temps + KELVIN, q, dt)
        self.temps = new - KELVIN
        return self.temps.copy()

    def derivative(self, temps_c, p_die_w: float, q_env_w: float) -> np.ndarray:
        """The exact (nonlinear) right-hand side dT/dt in K/s, for reference integrators."""
        p = self.params
        t = np.asarray(temps_c, dtype=np.float64) + KELVIN
        flow1 = (t[0] - t[1]) / p.r_die_pkg
        flow2 = (t[1] - t[2]) / p.r_pkg_rad
        emit = p.eps_sigma_a * (t[2] ** 4 - p.t_space_k ** 4)
        return np.array([p_die_w - flow1, flow1 - flow2, flow2 + q_env_w - emit]) / p.capacities
