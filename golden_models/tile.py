"""Tile-level golden model: the same command and scratchpad images as the RTL tile.

Scratchpads are images of 32-bit bus words (``np.uint32``), little-endian bytes within a word
(byte 0 = bits 7:0), laid out as :mod:`orbitbench.spec.regmap` documents:

* A: int8 ``A[i][k]`` at byte ``i * max_k + k``;
* B: int8 ``B[k][n]`` at byte ``n * max_k + k`` (B transposed, N x K);
* BIAS, MULT: int32 ``bias[n]``, ``mult[n]`` = word ``n``;
* SHIFT: ``shift[n]`` = low 6 bits of word ``n``, two's complement (upper bits ignored);
* C: int8 ``C[i][n]`` at byte ``i * max_n + n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden_models.gemm import gemm_requant
from golden_models.quant import _as_int64
from orbitbench.spec.params import (
    INT8_MAX,
    INT8_MIN,
    INT32_MAX,
    INT32_MIN,
    SHIFT_MAX,
    SHIFT_MIN,
    GemmCommand,
    TileConfig,
)

__all__ = ["TileMemory", "TileResult", "pack_operands", "run_tile", "unpack_result",
           "gemm_cycles", "DRAIN_TAIL_CYCLES", "ABFT_CHECK_CYCLES"]

_FIELDS = ("a", "b", "bias", "mult", "shift", "c")


def _region_words(cfg: TileConfig) -> dict[str, int]:
    return {"a": cfg.a_words, "b": cfg.b_words, "bias": cfg.max_n, "mult": cfg.max_n,
            "shift": cfg.max_n, "c": cfg.c_words}


@dataclass(eq=False)
class TileMemory:
    """Images of the six scratchpads of one tile, as 1-D ``np.uint32`` arrays of bus words.

    Members
    -------
    a, b, c : np.ndarray of uint32
        ``cfg.a_words``, ``cfg.b_words`` and ``cfg.c_words`` words.
    bias, mult, shift : np.ndarray of uint32
        ``cfg.max_n`` words each.
    """

    a: np.ndarray
    b: np.ndarray
    bias: np.ndarray
    mult: np.ndarray
    shift: np.ndarray
    c: np.ndarray

    @classmethod
    def zeros(cls, cfg: TileConfig) -> TileMemory:
        """All-zero images sized for ``cfg`` (the scratchpads' reset state)."""
        _check_cfg(cfg)
        return cls(**{f: np.zeros(n, dtype=np.uint32) for f, n in _region_words(cfg).items()})

    def copy(self) -> TileMemory:
        """A deep copy (no array shared with ``self``)."""
        return TileMemory(**{f: np.array(getattr(self, f), copy=True) for f in _FIELDS})


@dataclass(frozen=True, eq=False)
class TileResult:
    """What the tile leaves behind after a START.

    Members
    -------
    c : np.ndarray of uint32
        The C scratchpad image (``cfg.c_words`` words).
    error : bool
        STATUS.ERROR: the command did not fit the tile and nothing was computed.
    """

    c: np.ndarray
    error: bool


def _check_cfg(cfg) -> None:
    if not isinstance(cfg, TileConfig):
        raise TypeError(f"cfg must be a TileConfig, not {cfg!r}")


def _checked_memory(cfg: TileConfig, mem) -> TileMemory:
    """A validated uint32 copy of ``mem``."""
    if not isinstance(mem, TileMemory):
        raise TypeError(f"mem must be a TileMemory, not {type(mem).__name__}")
    out = {}
    for field, words in _region_words(cfg).items():
        arr = _as_int64(f"mem.{field}", getattr(mem, field), 0, 0xFFFF_FFFF)
        if arr.shape != (words,):
            raise ValueError(f"mem.{field} must be a 1-D array of {words} words for config "
                             f"{cfg.name!r}, not shape {arr.shape}")
        out[field] = arr.astype(np.uint32)
    return TileMemory(**out)


def _to_bytes(words: np.ndarray) -> np.ndarray:
    """Bus words -> int8 bytes, byte 0 of each word first (a new array)."""
    return np.asarray(words).astype("<u4").view(np.int8)


def _to_words(data: np.ndarray) -> np.ndarray:
    """int8 bytes (length a multiple of 4) -> uint32 bus words, little-endian."""
    return np.ascontiguousarray(data, dtype=np.int8).reshape(-1).view("<u4").astype(np.uint32)


def _to_int32(words: np.ndarray) -> np.ndarray:
    w = np.asarray(words).astype(np.int64)
    return np.where(w > INT32_MAX, w - (1 << 32), w)


def _to_shift(words: np.ndarray) -> np.ndarray:
    s = np.asarray(words).astype(np.int64) & 0x3F
    return np.where(s > SHIFT_MAX, s - 64, s)


def _vector(name: str, value, n: int, lo: int, hi: int) -> np.ndarray:
    arr = _as_int64(name, value, lo, hi)
    if arr.shape not in ((), (n,)):
        raise ValueError(f"{name} must be a scalar or of shape ({n},), not shape {arr.shape}")
    return np.broadcast_to(arr, (n,))


def pack_operands(cfg: TileConfig, a, b, bias=None, mult=None, shift=None,
                  mem: TileMemory | None = None) -> TileMemory:
    """Write GEMM operands into scratchpad images, as software would over the bus.

    Only the bytes and words the operands cover (``A[:M, :K]``, ``B[:K, :N]``, words
    ``[:N]`` of BIAS/MULT/SHIFT) are written; everything else keeps its value from ``mem``.

    Parameters
    ----------
    cfg : TileConfig
    a : array of int, shape ``[M, K]``
        int8, ``M <= cfg.max_m``, ``K <= cfg.max_k``.
    b : array of int, shape ``[K, N]``
        int8 mathematical B, ``N <= cfg.max_n``; stored transposed.
    bias, mult : int or array of int, scalar or shape ``[N]``, optional
        int32; ``None`` leaves the region as it is in ``mem`` (zeros without ``mem``).
    shift : int or array of int, scalar or shape ``[N]``, optional
        -32..31, stored as 6-bit two's complement in the low bits of the word (upper bits 0);
        ``None`` as for ``bias``.
    mem : TileMemory, optional
        Images to start from; copied, never modified. Default: :meth:`TileMemory.zeros`.

    Returns
    -------
    TileMemory
        New images.

    Raises
    ------
    TypeError, ValueError
        An argument has the wrong type, shape or value range; the message names it.
    """
    _check_cfg(cfg)
    out = TileMemory.zeros(cfg) if mem is None else _checked_memory(cfg, mem)
    a = _as_int64("a", a, INT8_MIN, INT8_MAX)
    b = _as_int64("b", b, INT8_MIN, INT8_MAX)
    if a.ndim != 2:
        raise ValueError(f"a must be a 2-D array [M, K], not shape {a.shape}")
    if b.ndim != 2:
        raise ValueError(f"b must be a 2-D array [K, N], not shape {b.shape}")
    (m, k), n = a.shape, b.shape[1]
    if b.shape[0] != k:
        raise ValueError(f"b must have K = {k} rows to match a, not {b.shape[0]}")
    for name, size, cap in (("M", m, "max_m"), ("K", k, "max_k"), ("N", n, "max_n")):
        if size > getattr(cfg, cap):
            raise ValueError(f"{'b' if name == 'N' else 'a'} has {name} = {size}, above "
                             f"{cap} = {getattr(cfg, cap)} of config {cfg.name!r}")

    a_img = _to_bytes(out.a).reshape(cfg.max_m, cfg.max_k)
    a_img[:m, :k] = a
    out.a = _to_words(a_img)
    b_img = _to_bytes(out.b).reshape(cfg.max_n, cfg.max_k)
    b_img[:n, :k] = b.T
    out.b = _to_words(b_img)
    if bias is not None:
        out.bias[:n] = _vector("bias", bias, n, INT32_MIN, INT32_MAX) & 0xFFFF_FFFF
    if mult is not None:
        out.mult[:n] = _vector("mult", mult, n, INT32_MIN, INT32_MAX) & 0xFFFF_FFFF
    if shift is not None:
        out.shift[:n] = _vector("shift", shift, n, SHIFT_MIN, SHIFT_MAX) & 0x3F
    return out


def unpack_result(cfg: TileConfig, c_words, m: int, n: int) -> np.ndarray:
    """Read ``C[:m, :n]`` (int8, shape ``[m, n]``) out of a C scratchpad image.

    Raises
    ------
    TypeError, ValueError
        ``c_words`` is not ``cfg.c_words`` words of 32 bits, or ``m``/``n`` is outside
        ``0..max_m`` / ``0..max_n``.
    """
    _check_cfg(cfg)
    words = _as_int64("c_words", c_words, 0, 0xFFFF_FFFF)
    if words.shape != (cfg.c_words,):
        raise ValueError(f"c_words must be a 1-D array of {cfg.c_words} words for config "
                         f"{cfg.name!r}, not shape {words.shape}")
    for name, size, cap in (("m", m, cfg.max_m), ("n", n, cfg.max_n)):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, not {size!r}")
        if not 0 <= size <= cap:
            raise ValueError(f"{name} must be from 0 to {cap}, not {size}")
    return _to_bytes(words).reshape(cfg.max_m, cfg.max_n)[:m, :n].copy()


def run_tile(cfg: TileConfig, cmd: GemmCommand, mem: TileMemory) -> TileResult:
    """Execute one GEMM command on scratchpad images, as the RTL tile does.

    If ``cmd`` does not fit ``cfg`` (``M``, ``K`` or ``N`` is 0 or above capacity) the tile
    flags ``error`` and leaves C unchanged. Otherwise it reads ``A[:M, :K]``, ``B[:K, :N]``
    and ``bias[:N]`` from the images, takes ``mult[:N]``/``shift[:N]`` from the MULT/SHIFT
    images when ``cmd.per_channel`` else ``cmd.qmult``/``cmd.qshift`` for every channel, and
    writes ``C[:M, :N] = gemm_requant(A, B, bias, mult, shift, a_zp=..., ...)`` (see
    :func:`golden_models.gemm.gemm_requant`). Bytes of C outside ``[:M, :N]`` keep their value.

    The multiplier rounds as the RTL does (:mod:`golden_models.quant`):
    ``cfg.rounding_for(cmd)``, i.e. the command's ``rounding`` (QMODE.SINGLE) on a
    selectable tile and the tile's own fixed rounding otherwise.

    Returns
    -------
    TileResult
        A new C image (``mem`` is not modified) and the error flag.
    """
    _check_cfg(cfg)
    if not isinstance(cmd, GemmCommand):
        raise TypeError(f"cmd must be a GemmCommand, not {cmd!r}")
    mem = _checked_memory(cfg, mem)  # a private copy from here on
    if not cmd.fits(cfg):
        return TileResult(c=mem.c, error=True)
    m, k, n = cmd.m, cmd.k, cmd.n
    a = _to_bytes(mem.a).reshape(cfg.max_m, cfg.max_k)[:m, :k]
    b = _to_bytes(mem.b).reshape(cfg.max_n, cfg.max_k)[:n, :k].T
    bias = _to_int32(mem.bias[:n])
    if cmd.per_channel:
        mult, shift = _to_int32(mem.mult[:n]), _to_shift(mem.shift[:n])
    else:
        mult, shift = cmd.qmult, cmd.qshift
    out = gemm_requant(a, b, bias, mult, shift, a_zp=cmd.a_zp, b_zp=cmd.b_zp,
                       out_zp=cmd.out_zp, act_min=cmd.act_min, act_max=cmd.act_max,
                       rounding=cfg.rounding_for(cmd))
    c_img = _to_bytes(mem.c).reshape(cfg.max_m, cfg.max_n)
    c_img[:m, :n] = out
    return TileResult(c=_to_words(c_img), error=False)



#: Cycles after the last block drains: the requantizer's pipeline (hdl_gen Requantizer.LATENCY
#: = 3) plus the cycle that raises DONE.
DRAIN_TAIL_CYCLES = 4
#: ABFT profiles: the CHECK cycle after each block's drain (checksums compared, a located
#: element corrected in the same cycle).
ABFT_CHECK_CYCLES = 1


def gemm_cycles(cfg: TileConfig, cmd: GemmCommand) -> int:
    """CYCLES register value of a command that fits: the tile's timing contract.

    Each ``rows`` x ``cols`` output block costs one clear cycle, K feed cycles, ``cols``
    cycles for the wavefront to reach the last column and ``rows`` drain cycles; with ABFT
    (:attr:`TileConfig.abft`) :data:`ABFT_CHECK_CYCLES` more, corrections included.
    """
    blocks = -(-cmd.m // cfg.rows) * -(-cmd.n // cfg.cols)
    per_block = cmd.k + cfg.rows + cfg.cols + 1 + (ABFT_CHECK_CYCLES if cfg.abft else 0)
    return blocks * per_block + DRAIN_TAIL_CYCLES
