"""Chip power from the tile's activity counters: dynamic energy per operation plus leakage.

Pure NumPy. The RTL reports two free-running counters (see ``golden_models/throttle.py`` and
the tile's ``act_feed`` / ``act_sram`` ports): cycles in which the array consumed one operand
step (``rows * cols`` int8 MACs each) and scratchpad word accesses. Over a window of
``cycles`` simulated clock cycles, with deltas ``feed`` and ``sram``::

    P_dyn  = tiles_per_chip * f_clk * (feed * rows * cols * E_mac + sram * E_sram) / cycles
             * (V[dvfs] / V[0])^2
    P_leak = P0 * exp((T_die - T0) / Tk) * V[dvfs] / V[0]
    P      = P_dyn + P_uncore * (V[dvfs] / V[0])^2 + P_leak

Frequency scaling is already in the counters: at throttle level L the datapath advances on
(4 - L) of every 4 cycles, so it counts (4 - L)/4 as much activity; the reported DVFS
operating point adds the ``V^2`` factor on the energy per operation (``C V^2 f``) and a
``V`` factor on leakage (sub-threshold current times supply).

The simulated tile is small (4x4 or 8x8 PEs), far too small to heat a spacecraft radiator;
its activity *rate* stands for a whole chip of identical tiles:
``tiles_per_chip = chip_macs / (rows * cols)``, with ``chip_macs`` = 65536 by default (a
256 x 256 int8 array, the size of the first TPU, Jouppi et al., ISCA 2017). Every tile of the
chip is assumed to run the same workload in lock-step with the simulated one.

Default figures (stated assumptions, override them in :class:`PowerParams`):

- ``E_mac`` = 0.3 pJ per int8 MAC including operand registers: Horowitz (ISSCC 2014) gives
  0.2 pJ for an 8-bit multiply plus 0.03 pJ for the add at 45 nm; the TPU v1 averaged ~0.9 pJ
  per MAC for the whole chip at 28 nm (40 W at 46 T MAC/s).
- ``E_sram`` = 1 pJ per 32-bit scratchpad word: Horowitz gives ~10 pJ per 64-bit read of an
  8 KB SRAM at 45 nm; the tile's banks are 0.25-1 KB and a current node is several times
  cheaper per bit.
- ``f_clk`` = 1 GHz. DVFS table (volts per ``dvfs_level`` 0..3): 0.90, 0.85, 0.80, 0.75.
- Uncore (clock tree, I/O, host interface): 4 W at V[0], scaling with ``V^2``.
- Leakage: 2.5 W at 25 degC, e-folding every 40 K (doubling every ~28 K), as REFERENCE.md
  says leakage "rises roughly exponentially with temperature".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PowerParams", "PowerModel"]


@dataclass(frozen=True)
class PowerParams:
    """Energy and leakage figures (see the module docstring for their sources).

    Raises
    ------
    ValueError
        A negative energy or power, a non-positive frequency, ``chip_macs`` or ``leak_tk_c``,
        or a DVFS table that is not 4 positive voltages.
    """

    e_mac_j: float = 0.3e-12
    e_sram_j: float = 1.0e-12
    f_clk_hz: float = 1.0e9
    chip_macs: int = 65536
    dvfs_volts: tuple[float, ...] = (0.90, 0.85, 0.80, 0.75)
    p_uncore_w: float = 4.0
    leak_p0_w: float = 2.0
    leak_t0_c: float = 25.0
    leak_tk_c: float = 50.0

    def __post_init__(self):
        for name in ("e_mac_j", "e_sram_j", "p_uncore_w", "leak_p0_w"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)!r}")
        for name in ("f_clk_hz", "chip_macs", "leak_tk_c"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        if len(self.dvfs_volts) != 4 or min(self.dvfs_volts) <= 0:
            raise ValueError(f"dvfs_volts must be 4 positive voltages, not {self.dvfs_volts!r}")


class PowerModel:
    """Chip power for one tile geometry (``rows`` x ``cols`` PEs), from activity deltas."""

    def __init__(self, params: PowerParams, rows: int, cols: int):
        if rows < 1 or cols < 1:
            raise ValueError(f"rows and cols must be at least 1, not {rows!r}, {cols!r}")
        self.params, self.rows, self.cols = params, rows, cols

    @property
    def tiles_per_chip(self) -> float:
        return self.params.chip_macs / (self.rows * self.cols)

    def _v(self, dvfs_level: int) -> float:
        if not 0 <= dvfs_level <= 3:
            raise ValueError(f"dvfs_level must be from 0 to 3, not {dvfs_level!r}")
        return self.params.dvfs_volts[dvfs_level] / self.params.dvfs_volts[0]

    def dynamic(self, feed: int, sram: int, cycles: int, dvfs_level: int = 0) -> float:
        """Dynamic power (W) of the chip: array and scratchpads plus the uncore."""
        if cycles <= 0:
            raise ValueError(f"cycles must be positive, not {cycles!r}")
        p = self.params
        energy = feed * self.rows * self.cols * p.e_mac_j + sram * p.e_sram_j
        v2 = self._v(dvfs_level) ** 2
        return (self.tiles_per_chip * p.f_clk_hz * energy / cycles + p.p_uncore_w) * v2

    def tile_energy(self, feed: int, sram: int, dvfs_level: int = 0) -> float:
        """Dynamic energy (J) of the one simulated tile for activity deltas ``feed`` and
        ``sram``: ``(feed * rows * cols * E_mac + sram * E_sram) * (V / V0)^2`` (no uncore,
        no leakage: those are per unit time, not per operation)."""
        if feed < 0 or sram < 0:
            raise ValueError(f"feed and sram must not be negative, not {feed!r}, {sram!r}")
        p = self.params
        return ((feed * self.rows * self.cols * p.e_mac_j + sram * p.e_sram_j)
                * self._v(dvfs_level) ** 2)

    def leakage(self, t_die_c, dvfs_level: int = 0):
        """Leakage power (W) at die temperature ``t_die_c`` (scalar or array)."""
        p = self.params
        return p.leak_p0_w * np.exp((np.asarray(t_die_c) - p.leak_t0_c) / p.leak_tk_c) \
            * self._v(dvfs_level)

    def total(self, feed: int, sram: int, cycles: int, t_die_c: float,
              dvfs_level: int = 0) -> float:
        return self.dynamic(feed, sram, cycles, dvfs_level) + float(
            self.leakage(t_die_c, dvfs_level))

    def peak_dynamic(self) -> float:
        """Dynamic power with the array fed every cycle and no scratchpad traffic (W)."""
        return self.dynamic(1, 0, 1, 0)
