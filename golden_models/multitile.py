"""Golden model of one GEMM split across the tiles of a multi-tile top.

Split (:func:`split_rows`): the rows of A and C are cut into ``tiles`` contiguous,
near-equal ranges, tile ``t`` taking range ``t`` (the first ``M % tiles`` ranges one row
longer; tiles whose range is empty get no command). Every tile with rows gets all of B,
bias, MULT and SHIFT and the same command with ``M`` replaced by its row count. Row ``i``
of C depends only on row ``i`` of A, so the assembled C equals the single-tile result
exactly (:func:`multitile_gemm`); tile ``t``'s share must fit the tile (``rows <= max_m``),
so the top takes ``M`` up to ``tiles * max_m`` (K and N as one tile).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from golden_models.tile import TileMemory, pack_operands, run_tile, unpack_result
from orbitbench.spec.params import GemmCommand, TileConfig

__all__ = ["split_rows", "TileShare", "MultiTileResult", "multitile_gemm", "check_plan"]


def split_rows(m: int, tiles: int) -> list[tuple[int, int]]:
    """``tiles`` contiguous ``(start, stop)`` row ranges covering ``0..m``, near-equal."""
    for name, value, lo in (("m", m, 0), ("tiles", tiles, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, not {value!r}")
        if value < lo:
            raise ValueError(f"{name} must be at least {lo}, not {value!r}")
    base, extra = divmod(int(m), int(tiles))
    out, start = [], 0
    for t in range(tiles):
        stop = start + base + (t < extra)
        out.append((start, stop))
        start = stop
    return out


def check_plan(tile: TileConfig, tiles: int, cmd: GemmCommand,
               plan: list[tuple[int, int]]) -> None:
    """Raise ValueError unless ``plan`` covers rows ``0..cmd.m`` in order, one range per tile,
    each range fitting ``tile`` (and K, N fitting it)."""
    if len(plan) != tiles:
        raise ValueError(f"plan must have one range per tile ({tiles}), not {len(plan)}")
    expect = 0
    for t, (start, stop) in enumerate(plan):
        if start != expect or stop < start:
            raise ValueError(f"plan range {t} is ({start}, {stop}); it must start at row "
                             f"{expect} and not end before it (rows 0..{cmd.m} exactly once)")
        if stop - start > tile.max_m:
            raise ValueError(f"plan range {t} has {stop - start} rows, above max_m = "
                             f"{tile.max_m} of tile config {tile.name!r}")
        expect = stop
    if expect != cmd.m:
        raise ValueError(f"plan covers rows 0..{expect}, not 0..{cmd.m}")
    for dim, cap in (("k", tile.max_k), ("n", tile.max_n)):
        if not 1 <= getattr(cmd, dim) <= cap:
            raise ValueError(f"{dim.upper()} = {getattr(cmd, dim)} must be from 1 to {cap} "
                             f"(tile config {tile.name!r})")


@dataclass(frozen=True)
class TileShare:
    """One tile's part of the GEMM.

    Members
    -------
    tile : int
        Tile index.
    rows : tuple of int
        ``(start, stop)`` rows of A and C.
    cmd : GemmCommand or None
        The tile's command (``m = stop - start``); ``None`` for an empty range.
    image : TileMemory
        The tile's scratchpads after loading (operands packed over zeros).
    c : np.ndarray of uint32
        The tile's C scratchpad image after the command (``image.c`` if no command).
    """

    tile: int
    rows: tuple[int, int]
    cmd: GemmCommand | None
    image: TileMemory
    c: np.ndarray


@dataclass(frozen=True)
class MultiTileResult:
    """``c``: the assembled int8 ``C[M, N]``; ``shares``: one :class:`TileShare` per tile."""

    c: np.ndarray
    shares: tuple[TileShare, ...]


def multitile_gemm(tile: TileConfig, tiles: int, cmd: GemmCommand, a, b, bias=0, mult=1 << 30,
                   shift=0, *, plan: list[tuple[int, int]] | None = None,
                   base: list[TileMemory] | None = None) -> MultiTileResult:
    """Run ``cmd`` on ``tiles`` copies of ``tile`` with the row split ``plan``.

    Each tile's scratchpads start at ``base[t]`` (default zero, as after power-up), get
    its rows of A and all of B, bias, MULT and SHIFT (:func:`golden_models.tile.pack_operands`),
    and run its command through :func:`golden_models.tile.run_tile`; C rows are assembled
    in plan order.

    Parameters
    ----------
    tile : TileConfig
    tiles : int
    cmd : GemmCommand
        The whole GEMM (``cmd.m`` rows).
    a, b, bias, mult, shift
        As :func:`golden_models.tile.pack_operands` (``a``: ``[M, K]``, ``b``: ``[K, N]``).
    plan : list of (start, stop), optional
        Default :func:`split_rows` ``(cmd.m, tiles)``; checked by :func:`check_plan`.
    base : list of TileMemory, optional
        One image per tile to start from (copied, never modified); what is outside the
        operands and the written C rows keeps its value, as in the RTL.

    Raises
    ------
    TypeError, ValueError
        Bad operands (see ``pack_operands``) or a plan that does not cover the rows exactly
        once or does not fit the tile.
    """
    if not isinstance(cmd, GemmCommand):
        raise TypeError(f"cmd must be a GemmCommand, not {cmd!r}")
    plan = split_rows(cmd.m, tiles) if plan is None else [tuple(r) for r in plan]
    check_plan(tile, tiles, cmd, plan)
    a = np.asarray(a)
    if a.shape[:1] != (cmd.m,):
        raise ValueError(f"a must have M = {cmd.m} rows, not shape {a.shape}")
    if base is not None and len(base) != tiles:
        raise ValueError(f"base must have one image per tile ({tiles}), not {len(base)}")
    shares, rows_out = [], []
    for t, (start, stop) in enumerate(plan):
        start_image = base[t] if base is not None else None
        if stop == start:
            image = TileMemory.zeros(tile) if start_image is None else start_image.copy()
            shares.append(TileShare(t, (start, stop), None, image, image.c.copy()))
            continue
        share_cmd = dataclasses.replace(cmd, m=stop - start)
        image = pack_operands(tile, a[start:stop], b, bias, mult, shift, mem=start_image)
        result = run_tile(tile, share_cmd, image)
        if result.error:  # pragma: no cover - check_plan guarantees the share fits
            raise RuntimeError(f"tile {t} rejects {share_cmd}")
        shares.append(TileShare(t, (start, stop), share_cmd, image, result.c))
        rows_out.append(unpack_result(tile, result.c, stop - start, cmd.n))
    c = (np.concatenate(rows_out) if rows_out
         else np.zeros((0, cmd.n), dtype=np.int8)).astype(np.int8)
    return MultiTileResult(c=c, shares=tuple(shares))
