"""Algorithm-based fault tolerance of an integer GEMM block: the NumPy model, bit-exact.

For a block ``acc = A' @ B'`` (``A'`` ``R x K``, ``B'`` ``K x C``, zero-point-adjusted int
operands) wrapping modulo 2**32 like the tile's accumulators, the checksum row
``chk_row = (1^T A') @ B'`` and column ``chk_col = A' @ (B' 1)`` equal the column and row sums
of ``acc`` modulo 2**32 exactly. :func:`check_block` is the decision of
:class:`hdl_gen.abft.AbftChecker`:

* every row and column sum matches: ``"ok"``;
* exactly one row ``r`` and one column ``c`` mismatch, by the same difference ``d``
  (mod 2**32): ``acc[r, c] -= d``, ``"corrected"``;
* anything else: ``"detected"`` (the block is left as it is).

Not covered (a test shows each): two wrong elements in one column (two rows mismatch, one
column: detected, not corrected), in one row (likewise), and four errors on the corners of
a rectangle ``+d, -d / -d, +d`` (every sum matches: silent).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MOD", "checksums", "check_block", "OUTCOMES"]

MOD = 1 << 32
#: What :func:`check_block` returns, in order of severity.
OUTCOMES = ("ok", "corrected", "detected")


def _u32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64) % MOD


def checksums(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``(chk_row[C], chk_col[R])`` of a block from its operands, as uint32 values (int64).

    Parameters
    ----------
    a : array of int, shape (R, K)
    b : array of int, shape (K, C)
        Zero-point-adjusted operands (9-bit in the tile).
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    # Products of 9-bit operands summed over K <= 16384 stay far inside int64.
    return _u32(a.sum(axis=0) @ b), _u32(a @ b.sum(axis=1))


def check_block(acc, chk_row, chk_col) -> tuple[str, np.ndarray]:
    """Check (and correct) a block of accumulators against its checksums.

    Parameters
    ----------
    acc : array of int, shape (R, C)
        The accumulators (any integer representation; taken modulo 2**32).
    chk_row : array of int, shape (C,)
    chk_col : array of int, shape (R,)

    Returns
    -------
    (outcome, acc)
        One of :data:`OUTCOMES` and the accumulators after correction, as int32 values.
    """
    acc = _u32(acc)
    row_d = (acc.sum(axis=1) - _u32(chk_col)) % MOD
    col_d = (acc.sum(axis=0) - _u32(chk_row)) % MOD
    bad_rows, bad_cols = np.flatnonzero(row_d), np.flatnonzero(col_d)
    outcome = "ok"
    if len(bad_rows) or len(bad_cols):
        outcome = "detected"
        if len(bad_rows) == 1 and len(bad_cols) == 1 and row_d[bad_rows[0]] == col_d[bad_cols[0]]:
            r, c = bad_rows[0], bad_cols[0]
            acc[r, c] = (acc[r, c] - row_d[r]) % MOD
            outcome = "corrected"
    signed = np.where(acc >= 1 << 31, acc - MOD, acc)
    return outcome, signed.astype(np.int32)
