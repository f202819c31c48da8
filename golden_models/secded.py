"""Hsiao SECDED (single-error-correct, double-error-detect) code: parameters and golden model.

One frozen :class:`SecdedCode` fixes the parity-check matrix ``H``; ``hdl_gen.secded`` builds
the encoder and decoder from the same object, and the methods here compute what they must
output. The check-bit count follows ``REFERENCE.md`` (section SECDED): the smallest ``c`` with
``2**c >= data_width + c + 1``, plus one for double-error detection, giving (code, data) widths
(8, 4), (13, 8), (22, 16), (39, 32), (72, 64) and (137, 128).

Codewords are systematic: bits ``[0, data_width)`` carry the data unchanged and bits
``[data_width, code_width)`` the check bits, check bit ``j`` at bit ``data_width + j``. The
layout is logical; any physical interleaving of the bits in a memory is outside this model.

Words are non-negative integers. A 72- or 137-bit codeword does not fit a NumPy integer dtype,
so the methods work on Python ints: a scalar argument (Python or NumPy integer) gives Python
results, an array-like argument gives arrays of its shape (``dtype=object`` holding Python ints
for data and codewords, ``bool`` for flags, ``int64`` for syndromes). Values outside the word's
range raise ``ValueError``; non-integer values (including bools) raise ``TypeError``. Inputs
are never modified.

This module is pure Python and NumPy (no simulator import).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from itertools import combinations
from typing import NamedTuple

import numpy as np

__all__ = ["DATA_WIDTH_MIN", "DATA_WIDTH_MAX", "DecodeResult", "SecdedCode"]

DATA_WIDTH_MIN, DATA_WIDTH_MAX = 4, 128


class DecodeResult(NamedTuple):
    """What :meth:`SecdedCode.decode` returns (scalars, or arrays of the argument's shape).

    Members
    -------
    data : int
        The data bits, with a single data-bit error corrected; the raw data bits of the
        codeword when ``uncorrectable``.
    corrected : bool
        The syndrome named exactly one bit (data or check) and that bit was corrected.
    uncorrectable : bool
        Non-zero syndrome that names no bit: a double error (even-weight syndrome) or an
        odd-weight syndrome that is not a column of ``H`` (three or more errors).
    syndrome : int
        ``H`` times the received codeword, check bit ``j`` of the syndrome at bit ``j``.
    """

    data: int
    corrected: bool
    uncorrectable: bool
    syndrome: int


def _check_width(data_width: int) -> int:
    c = 1
    while (1 << c) < data_width + c + 1:
        c += 1
    return c + 1


def _add(rows: list[int], column: int, step: int) -> None:
    for j in range(len(rows)):
        if column >> j & 1:
            rows[j] += step


@cache
def _hsiao_columns(data_width: int, check_width: int) -> tuple[int, ...]:
    """The Hsiao column of every data bit; the algorithm is documented on SecdedCode."""
    rows = [0] * check_width
    columns: list[int] = []
    weight = 3
    while len(columns) < data_width:
        # Candidates in combination order: itertools.combinations of the row indices.
        candidates = [sum(1 << j for j in rows_) for rows_ in
                      combinations(range(check_width), weight)]
        need = data_width - len(columns)
        if len(candidates) <= need:
            chosen = candidates
            for column in chosen:
                _add(rows, column, 1)
        else:
            # Greedy: the candidate whose rows are lightest now, the first one on ties.
            chosen, unused = [], list(candidates)
            for _ in range(need):
                best = min(range(len(unused)),
                           key=lambda k: sum(rows[j] for j in range(check_width)
                                             if unused[k] >> j & 1))
                chosen.append(unused.pop(best))
                _add(rows, chosen[-1], 1)
            # Repair: swap a chosen column for an unused one while that lowers the sum of
            # squared row weights (the best swap, the first one on ties). The sum drops at
            # every swap, so the loop ends. For a fixed total the sum is least exactly when
            # max - min <= 1; a swap search could stop short of that, but the tests show it
            # does not for any data_width from 4 to 128 (the greedy alone misses 28, 80, ...).
            while True:
                best_delta, best_swap = 0, None
                for a, out in enumerate(chosen):
                    for b, new in enumerate(unused):
                        delta = sum(
                            (2 * rows[j] + 1 if new >> j & 1 else 0)
                            + (1 - 2 * rows[j] if out >> j & 1 else 0)
                            for j in range(check_width) if (new ^ out) >> j & 1)
                        if delta < best_delta:
                            best_delta, best_swap = delta, (a, b)
                if best_swap is None:
                    break
                a, b = best_swap
                _add(rows, chosen[a], -1)
                _add(rows, unused[b], 1)
                chosen[a], unused[b] = unused[b], chosen[a]
            order = {column: k for k, column in enumerate(candidates)}
            chosen = sorted(chosen, key=order.__getitem__)
        columns += chosen
        weight += 2
    return tuple(columns)


def _as_words(name: str, value, width: int) -> tuple[list[int], tuple[int, ...] | None]:
    """``value`` as a flat list of Python ints in ``[0, 2**width)`` and its shape (``None`` for
    a scalar)."""
    # Sequences go through an object array: np.asarray would turn [1, 2**64 - 1] into floats.
    arr = value if isinstance(value, np.ndarray) else np.array(value, dtype=object)
    if arr.dtype.kind == "O":
        flat = arr.ravel().tolist()
        for x in flat:
            if isinstance(x, bool | np.bool_) or not isinstance(x, int | np.integer):
                raise TypeError(f"{name} must hold integers, not {x!r}")
    elif arr.dtype.kind in "iu":
        flat = arr.ravel().tolist()
    else:
        raise TypeError(f"{name} must hold integers, not {arr.dtype} values")
    flat = [int(x) for x in flat]
    hi = (1 << width) - 1
    for x in flat:
        if not 0 <= x <= hi:
            raise ValueError(f"{name} must be from 0 to 2**{width} - 1, not {x!r}")
    return flat, (None if arr.ndim == 0 else arr.shape)


def _words(flat: list[int], shape: tuple[int, ...] | None):
    if shape is None:
        return flat[0]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(shape)


def _flags(flat: list, shape: tuple[int, ...] | None, dtype):
    if shape is None:
        return flat[0]
    return np.array(flat, dtype=dtype).reshape(shape)


@dataclass(frozen=True)
class SecdedCode:
    """A systematic Hsiao SECDED code over ``data_width`` data bits.

    ``H`` has one ``check_width``-bit column per codeword bit, ``columns[i]`` for data bit
    ``i`` and the unit column ``1 << j`` for check bit ``j``. Check bit ``j`` is the XOR of the
    data bits whose column has bit ``j`` set (row ``j`` of ``H``), so every codeword has
    syndrome 0. Because all columns are distinct and of odd weight, a single error gives the
    column of the flipped bit as syndrome and a double error gives a non-zero even-weight
    syndrome, which is never a column.

    Hsiao column selection (deterministic, pure integer arithmetic):

    1. Candidates come in weight classes 3, 5, 7, ...; inside a class, in combination order
       (``itertools.combinations(range(check_width), weight)``, the column of a combination
       having its rows' bits set). Whole classes are taken, lowest weight first, while the
       data bits left need at least the whole class.
    2. The last, partial class: greedily take the candidate whose rows currently have the
       smallest summed weight (the first in combination order on ties) until there are
       ``data_width`` columns; then, while some swap of a taken column for an untaken one of
       the same class lowers the sum of squared row weights, make the swap that lowers it most
       (on ties the first found, scanning the taken list, then the untaken list; both start
       in the order taken and in combination order, and a swap exchanges the two in place).
    3. ``columns`` lists the chosen columns by weight, then in combination order.

    Whole classes load every row equally and step 2 balances the partial one: the row weights
    (data bits per check bit) differ by at most one for every ``data_width`` from 4 to 128
    (checked by the tests), and the total weight of ``H`` is the least possible for distinct
    odd-weight columns of weight >= 3.

    Parameters
    ----------
    data_width : int
        4 to 128.

    Members
    -------
    check_width : int
    code_width : int
        ``data_width + check_width``.
    columns : tuple of int
        ``H`` column of each data bit, a ``check_width``-bit mask.
    row_masks : tuple of int
        Row ``j`` of ``H`` restricted to the data bits, a ``data_width``-bit mask.
    row_weights : tuple of int
        Number of data bits in each check bit's parity.

    Raises
    ------
    TypeError
        ``data_width`` is not an integer (bools are rejected).
    ValueError
        ``data_width`` is out of range.
    """

    data_width: int

    def __post_init__(self):
        w = self.data_width
        if isinstance(w, bool) or not isinstance(w, int):
            raise TypeError(f"data_width must be an integer, not {w!r}")
        if not DATA_WIDTH_MIN <= w <= DATA_WIDTH_MAX:
            raise ValueError(
                f"data_width must be an integer from {DATA_WIDTH_MIN} to {DATA_WIDTH_MAX}, "
                f"not {w!r}")

    @cached_property
    def check_width(self) -> int:
        return _check_width(self.data_width)

    @property
    def code_width(self) -> int:
        return self.data_width + self.check_width

    @cached_property
    def columns(self) -> tuple[int, ...]:
        return _hsiao_columns(self.data_width, self.check_width)

    @cached_property
    def row_masks(self) -> tuple[int, ...]:
        return tuple(sum(1 << i for i, column in enumerate(self.columns) if column >> j & 1)
                     for j in range(self.check_width))

    @property
    def row_weights(self) -> tuple[int, ...]:
        return tuple(mask.bit_count() for mask in self.row_masks)

    @cached_property
    def _bit_of_syndrome(self) -> dict[int, int]:
        # Later entries win, so a (broken) code with repeated columns corrects the last bit.
        table = {column: i for i, column in enumerate(self.columns)}
        table.update({1 << j: self.data_width + j for j in range(self.check_width)})
        return table

    def _check(self, data: int) -> int:
        return sum(((data & mask).bit_count() & 1) << j for j, mask in enumerate(self.row_masks))

    def _syndrome(self, codeword: int) -> int:
        return self._check(codeword & ((1 << self.data_width) - 1)) ^ (
            codeword >> self.data_width)

    def check_bits(self, data):
        """Check bits of ``data``: bit ``j`` is the parity of ``data & row_masks[j]``.

        Parameters
        ----------
        data : int or array-like of int
            Values from 0 to ``2**data_width - 1``.

        Returns
        -------
        int, or int64 array of the argument's shape
        """
        flat, shape = _as_words("data", data, self.data_width)
        return _flags([self._check(d) for d in flat], shape, np.int64)

    def encode(self, data):
        """Codeword of ``data``: ``data | check_bits(data) << data_width``.

        Parameters
        ----------
        data : int or array-like of int
            Values from 0 to ``2**data_width - 1``.

        Returns
        -------
        int, or object array of Python ints of the argument's shape
        """
        flat, shape = _as_words("data", data, self.data_width)
        return _words([d | self._check(d) << self.data_width for d in flat], shape)

    def syndrome(self, codeword):
        """Syndrome of a received word: the XOR of the ``H`` columns of its set bits.

        Parameters
        ----------
        codeword : int or array-like of int
            Values from 0 to ``2**code_width - 1``.

        Returns
        -------
        int, or int64 array of the argument's shape
            0 for a codeword; the column of the flipped bit after a single error.
        """
        flat, shape = _as_words("codeword", codeword, self.code_width)
        return _flags([self._syndrome(w) for w in flat], shape, np.int64)

    def decode(self, codeword):
        """Correct single errors and flag uncorrectable ones.

        * syndrome 0: data unchanged, no flag;
        * syndrome equal to ``columns[i]``: data bit ``i`` flipped, ``corrected``;
        * syndrome equal to ``1 << j`` (check bit ``j`` in error): data unchanged,
          ``corrected``;
        * any other syndrome (every double error, some triple and wider errors):
          ``uncorrectable``, data returned as received (raw data bits).

        ``corrected`` and ``uncorrectable`` are never both set. Errors of three or more bits
        may be miscorrected; SECDED does not promise to detect them.

        Parameters
        ----------
        codeword : int or array-like of int
            Values from 0 to ``2**code_width - 1``.

        Returns
        -------
        DecodeResult
            Of scalars for a scalar argument, else of arrays of its shape (``data`` object
            array of Python ints, flags ``bool``, ``syndrome`` int64).
        """
        flat, shape = _as_words("codeword", codeword, self.code_width)
        data_mask = (1 << self.data_width) - 1
        table = self._bit_of_syndrome
        data, corrected, uncorrectable, syndromes = [], [], [], []
        for word in flat:
            s = self._syndrome(word)
            d = word & data_mask
            bit = table.get(s) if s else None
            if bit is not None and bit < self.data_width:
                d ^= 1 << bit
            data.append(d)
            corrected.append(bit is not None)
            uncorrectable.append(s != 0 and bit is None)
            syndromes.append(s)
        return DecodeResult(_words(data, shape), _flags(corrected, shape, bool),
                            _flags(uncorrectable, shape, bool), _flags(syndromes, shape, np.int64))
