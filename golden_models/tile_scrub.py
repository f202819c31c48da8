"""Scrub settings of a whole tile in an orbit: the answer ``orbitbench scrub`` prints.

Glue between :mod:`golden_models.radiation` (per-bit upset rate of a device in an orbit) and
:mod:`golden_models.scrub` (DUE/SDC of scrubbed SECDED memories): :func:`tile_memories` lists
the SECDED scratchpads a :class:`orbitbench.spec.params.TileConfig` with an ECC profile builds, one
scrubber each, and :func:`scrub_answer` finds the longest ``SCRUB_INTERVAL`` that keeps them
all under a FIT target, with every figure it rests on. Pure Python and NumPy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from golden_models.radiation import DEFAULT_DEVICE, Device, environment, upset_rate
from golden_models.scrub import (
    DEFAULT_F_CLK_HZ,
    MBU_SIZES,
    ScrubMemory,
    longest_scrub_interval,
)
from orbitbench.spec.params import TileConfig

__all__ = ["scrub_answer", "tile_memories"]


def tile_memories(config: TileConfig) -> tuple[ScrubMemory, ...]:
    """The SECDED scratchpads of a tile built with an ECC profile, one scrubber each.

    Mirrors the scratchpads of ``hdl_gen.tile.GemmTile`` (the tests compare the two): A banks
    (one per array row), B, bias and multiplier banks (one per column, 32-bit words), shift
    banks (6-bit words) and the result memory (``8 * cols``-bit words).
    """
    if not isinstance(config, TileConfig):
        raise TypeError(f"config must be a TileConfig, not {config!r}")
    r, c, kw = config.rows, config.cols, config.max_k // 4
    out = [ScrubMemory(f"a_bank{i}", config.max_m // r * kw, 32) for i in range(r)]
    out += [ScrubMemory(f"b_bank{i}", config.max_n // c * kw, 32) for i in range(c)]
    for name, width in (("bias", 32), ("mult", 32), ("shift", 6)):
        out += [ScrubMemory(f"{name}_bank{i}", config.max_n // c, width) for i in range(c)]
    out.append(ScrubMemory("c_mem", config.max_m * config.max_n // c, 8 * c))
    return tuple(out)


def scrub_answer(orbit, target_fit: float, memory=None, interleave: int | None = None, *,
                 device: Device = DEFAULT_DEVICE, f_clk_hz: float = DEFAULT_F_CLK_HZ,
                 sizes: Mapping[int, float] = MBU_SIZES, kind: str = "total") -> dict:
    """Everything ``orbitbench scrub --orbit ORBIT --target-fit X`` prints, as a dict.

    Parameters
    ----------
    orbit : str, RadiationEnvironment or float
        A preset of :data:`golden_models.radiation.ENVIRONMENTS`, an environment, or a raw
        rate in upsets per bit per day.
    target_fit : float
        Target FIT of ``kind`` for all the memories together.
    memory : TileConfig, ScrubMemory, sequence of ScrubMemory, or None
        None: the scratchpads of ``TileConfig(hardening="ecc")`` (:func:`tile_memories`).
    interleave : int or None
        None: the TileConfig's ``ecc_interleave`` (default 2).
    device : Device
        Whose cross-section sets the per-bit rate (ignored for a raw rate or flight data).

    Returns
    -------
    dict
        ``orbit``, ``device``, ``seu_per_bit_day`` (and ``heavy_ion``/``proton``),
        ``memories`` (name, words, data and code width), ``total_bits``, ``interleave``,
        ``f_clk_hz``, ``target_fit``, ``kind``, ``scrub_interval_cycles``,
        ``longest_period_s``, ``fit_due``/``fit_sdc``/``fit_total`` as
        ``(value, low, high)``, ``floor_fit_due``/``floor_fit_sdc``, ``capped``.

    Raises
    ------
    ScrubTargetError
        No interval meets the target (see :func:`longest_scrub_interval`).
    """
    if isinstance(orbit, numbers.Real) and not isinstance(orbit, bool):
        rate = float(orbit)
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"orbit as a rate must be a positive finite number, not {orbit!r}")
        orbit_name, hi, p = f"custom ({rate:g} SEU/bit/day)", None, None
    else:
        env = environment(orbit)
        r = upset_rate(device, env)
        rate, orbit_name, hi, p = r.total, env.name, r.heavy_ion, r.proton
    cfg = memory if isinstance(memory, TileConfig) else TileConfig(hardening="ecc")
    if memory is None or isinstance(memory, TileConfig):
        mems = tile_memories(cfg)
    else:
        mems = (memory,) if isinstance(memory, ScrubMemory) else tuple(memory)
    inter = cfg.ecc_interleave if interleave is None else interleave
    sol = longest_scrub_interval(target_fit, memories=mems, interleave=inter,
                                 seu_per_bit_day=rate, f_clk_hz=f_clk_hz, sizes=sizes,
                                 kind=kind)
    return {
        "orbit": orbit_name, "device": device.name, "seu_per_bit_day": rate,
        "heavy_ion": hi, "proton": p,
        "memories": [{"name": m.name, "words": m.words, "data_width": m.data_width,
                      "code_width": m.code_width} for m in mems],
        "total_bits": sum(m.words * m.code_width for m in mems),
        "interleave": inter, "f_clk_hz": sol.f_clk_hz, "target_fit": sol.target_fit,
        "kind": kind, "scrub_interval_cycles": sol.interval_cycles,
        "longest_period_s": max(sol.periods_s.values()),
        "fit_due": sol.fit.of("due"), "fit_sdc": sol.fit.of("sdc"),
        "fit_total": sol.fit.of("total"),
        "floor_fit_due": sol.floor[0], "floor_fit_sdc": sol.floor[1], "capped": sol.capped,
    }
