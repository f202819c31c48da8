"""Monte Carlo check of the scrub model: upsets on the real physical layout, scrubbed and
decoded word by word.

Pure NumPy (seeded PCG64) plus :class:`golden_models.secded.SecdedCode`. Independent of the
analytic model in :mod:`golden_models.scrub`: it shares only the assumptions stated there
(Poisson strikes uniform over the rows, clusters of ``s`` adjacent bits along a row placed
uniformly where they fit, sizes from a distribution, flips per bit = strikes per bit x mean
size), not its enumeration.

Time is counted in scrub periods ``T``. Word ``a`` of ``W`` is scrubbed at times
``a / W + k`` (one word every ``T / W``: the tile's scrubber visits one word per
``SCRUB_INTERVAL`` cycles). Strikes arrive over ``[0, periods + 1)`` on rows of
``code_width * I`` bits, word ``a`` in row ``a // I``, codeword bit ``j`` at physical bit
``j * I + a % I`` (as :class:`hdl_gen.ecc_mem.EccMemory`). Every word holds fresh random data
in each of its ``periods`` full windows ``(a/W + k - 1, a/W + k]``; at the window's scrub the
stored codeword, XOR the flips of the window, is decoded with :meth:`SecdedCode.decode` and
compared with the data written: a word flagged uncorrectable is DUE, wrong data not flagged
is SDC. After the scrub the word holds its codeword again (corrected, or restored
after a DUE/SDC as the analytic model assumes).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from golden_models.secded import SecdedCode

__all__ = ["ScrubSimulation", "simulate_scrub"]


@dataclass(frozen=True)
class ScrubSimulation:
    """Outcome counts over ``windows`` scrubbed words (word x period).

    Members
    -------
    windows : int
        Scrubs simulated (trials).
    corrected, due, sdc : int
        Scrubs that corrected an error, flagged one uncorrectable, returned wrong data
        unflagged. The rest returned right data with no flag.
    strikes, flips : int
        Strikes simulated and bit flips they caused inside counted windows.
    """

    windows: int
    corrected: int
    due: int
    sdc: int
    strikes: int
    flips: int


def simulate_scrub(data_width: int, interleave: int, words: int, lam_t: float, periods: int,
                   sizes: Mapping[int, float], seed: int = 0) -> ScrubSimulation:
    """Simulate ``periods`` scrub periods of a ``words``-word SECDED memory.

    Parameters
    ----------
    data_width : int
        Data bits per word (:class:`SecdedCode`).
    interleave : int
        Codewords per physical row, >= 1.
    words : int
        Logical words, >= 1 (a partial last row keeps its unused slots: strikes there count
        for nothing).
    lam_t : float
        Expected bit flips per bit per period, > 0.
    periods : int
        Full windows per word, >= 1.
    sizes : mapping
        Cluster size -> probability.
    seed : int
        PCG64 seed.

    Returns
    -------
    ScrubSimulation
    """
    code = SecdedCode(data_width)
    for name, v in (("interleave", interleave), ("words", words), ("periods", periods)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, not {v!r}")
    if not (isinstance(lam_t, numbers.Real) and lam_t > 0 and math.isfinite(lam_t)):
        raise ValueError(f"lam_t must be a positive finite number, not {lam_t!r}")
    n, m = code.code_width, code.data_width
    row_bits, rows = n * interleave, -(-words // interleave)
    size_list = np.array(sorted(sizes), dtype=np.int64)
    probs = np.array([sizes[s] for s in size_list], dtype=np.float64)
    if size_list.max() > row_bits:
        raise ValueError(f"cluster size {size_list.max()} exceeds the physical row of "
                         f"{row_bits} bits")
    rng = np.random.default_rng(seed)
    strike_rate = lam_t / float(size_list @ probs)  # strikes per bit per period

    count = int(rng.poisson(strike_rate * row_bits * rows * (periods + 1)))
    t = rng.uniform(0.0, periods + 1.0, count)
    row = rng.integers(0, rows, count)
    s = rng.choice(size_list, size=count, p=probs)
    first = rng.integers(0, row_bits - s + 1)

    # one entry per flipped physical bit
    owner = np.repeat(np.arange(count), s)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(s) - s, s)
    pos = first[owner] + offset
    word = row[owner] * interleave + pos % interleave
    bit = pos // interleave
    window = np.floor(t[owner] - word / words).astype(np.int64) + 1  # 1..periods counted
    keep = (word < words) & (window >= 1) & (window <= periods)
    flat = ((word * periods + window - 1) * n + bit)[keep]
    errors = np.zeros(words * periods * n, dtype=np.uint8)
    np.bitwise_xor.at(errors, flat, 1)  # a second flip of a bit undoes the first
    errors = errors.reshape(words * periods, n)

    nbytes = (m + 7) // 8
    raw = rng.integers(0, 256, size=(words * periods, nbytes), dtype=np.uint8)
    data = [int.from_bytes(r.tobytes(), "little") & ((1 << m) - 1) for r in raw]
    packed = np.packbits(errors, axis=1, bitorder="little")
    flips = [int.from_bytes(r.tobytes(), "little") for r in packed]
    stored = code.encode(data)
    got = code.decode([c ^ e for c, e in zip(stored, flips, strict=True)])
    wrong = np.array([d != x for d, x in zip(got.data, data, strict=True)], dtype=bool)
    due = np.asarray(got.uncorrectable, dtype=bool)  # flagged, whatever the data
    sdc = wrong & ~got.uncorrectable
    return ScrubSimulation(windows=words * periods,
                           corrected=int(np.sum(got.corrected & ~wrong)),
                           due=int(np.sum(due)), sdc=int(np.sum(sdc)), strikes=count,
                           flips=int(keep.sum()))
