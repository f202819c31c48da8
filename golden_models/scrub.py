"""Upsets accumulating between scrubs: DUE and SDC rates of a scrubbed SECDED memory.

Pure NumPy. The memory and its physical layout are those of :class:`hdl_gen.ecc_mem.EccMemory`:
``W`` logical words of ``m`` data bits, each a Hsiao codeword of ``n = SecdedCode(m).code_width``
bits; interleave ``I`` puts codeword bit ``j`` of slot ``a % I`` at physical bit ``j*I + a % I``
of row ``a // I`` (rows of ``n*I`` bits). The scrubber reads one word every ``N``
(``SCRUB_INTERVAL``) cycles, so every word is read, and corrected, once per period
``T = W * N / f_clk`` (:func:`scrub_period_s`).

**Upsets** (stated assumptions, ``docs/radiation.md``): particle strikes form a Poisson process
in time, uniform over the memory's physical rows. A strike flips a cluster of ``s`` adjacent
bits of one row, ``s`` drawn from a size distribution (:data:`MBU_SIZES`, the REFERENCE.md
split of ``fault_campaigns.plan.DEFAULT_MBU_SIZES``), its first bit uniform over the ``n*I - s
+ 1`` places where it fits. ``lam_t`` (or ``seu_per_bit_day``) counts bit flips per bit, so the
strike rate per bit is that divided by the mean cluster size. Clusters lie along a row (the
worst case for interleaving); strikes across rows hit different codewords and are not
modelled. A second flip of a bit undoes the first.

**Analytic model** (:func:`codeword_probabilities`): the strikes that flip a given set of a
codeword's bits form their own Poisson process (thinning), independent of the others; a set
of ``k >= 2`` bits comes from a cluster wider than ``I`` and puts ``k`` errors into the
codeword at once. At its scrub the codeword's error pattern is the XOR of the sets whose
process fired an odd number of times in the period, each with probability
``(1 - exp(-2 rho T)) / 2``. Every combination of up to three such sets is enumerated
exactly and its pattern classified as the decoder of :class:`golden_models.secded.SecdedCode`
would: corrected or clean, detected-uncorrectable (DUE), or silently wrong data (SDC, a
miscorrection or a missed error). Four or more fired sets (probability ``O((n lam T)^4)``) are
not resolved: that mass bounds the truncation, ``[low, high]`` on every result, and the point
value splits it by :func:`miscorrection_fraction`. For single-bit upsets and
``lam T << 1``, ``P(>= 2 errors) ~ C(n, 2) (lam T)^2`` (Saleh, Serrano, Patel, "Reliability of
scrubbing recovery techniques for memory systems", IEEE Trans. Reliability 39(1), 1990).

After a DUE or an SDC the word is assumed restored (counted once); functional reads between
scrubs are ignored (they only shorten windows). Checked against the Monte Carlo
:func:`golden_models.scrub_sim.simulate_scrub` in ``tests/golden_models/test_scrub.py``.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from types import MappingProxyType

import numpy as np

from golden_models.power import PowerParams
from golden_models.secded import SecdedCode
from orbitbench.spec.errors import UsageError

__all__ = [
    "DEFAULT_F_CLK_HZ",
    "DUE",
    "MBU_SIZES",
    "OK",
    "SCRUB_INTERVAL_MAX",
    "SDC",
    "SINGLE_BIT",
    "CodewordProbabilities",
    "MemoryFit",
    "ScrubMemory",
    "ScrubSolution",
    "ScrubTargetError",
    "codeword_probabilities",
    "error_outcomes",
    "fit_floor",
    "longest_scrub_interval",
    "memory_fit",
    "miscorrection_fraction",
    "saleh_limit",
    "scrub_period_s",
]

# REFERENCE.md, "Radiation environment": Alsat-1 SRAM saw 98.6 % single-bit and 1.22 %
# multi-bit upsets; 16/12 nm FinFET SRAM showed clusters of at most 3 bits. ASSUMPTION (as in
# fault_campaigns.plan.DEFAULT_MBU_SIZES, pinned equal by the tests): the multi-bit share split
# evenly between 2- and 3-bit clusters, normalised to sum to 1.
MBU_SIZES: Mapping[int, float] = MappingProxyType({1: 0.9878, 2: 0.0061, 3: 0.0061})
SINGLE_BIT: Mapping[int, float] = MappingProxyType({1: 1.0})
#: Largest SCRUB_INTERVAL: a 32-bit register (orbitbench.spec.regmap.Reg.SCRUB_INTERVAL).
SCRUB_INTERVAL_MAX = (1 << 32) - 1
#: Clock of the tile when nothing else is said: the same 1 GHz as golden_models.power.
DEFAULT_F_CLK_HZ = PowerParams().f_clk_hz
OK, DUE, SDC = 0, 1, 2
_SECONDS_PER_DAY = 86400.0
_FIT_PER_PER_SECOND = 3600.0 * 1e9  # failures/s -> failures per 1e9 device-hours
_KINDS = ("due", "sdc", "total")


class ScrubTargetError(UsageError, ValueError):
    """No scrub interval meets the target: even the fastest scrub leaves more failures."""


def _int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, not {value!r}")
    return int(value)


def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, not {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, not {value!r}")
    return float(value)


def _sizes(sizes: Mapping[int, float]) -> tuple[tuple[int, float], ...]:
    items = tuple(sorted((int(s), float(p)) for s, p in dict(sizes).items()))
    if not items or any(s < 1 for s, _ in items) or any(not p >= 0 for _, p in items) \
            or abs(sum(p for _, p in items) - 1.0) > 1e-9:
        raise ValueError(f"sizes must map cluster sizes >= 1 to probabilities >= 0 summing to "
                         f"1, not {dict(sizes)!r}")
    return tuple((s, p) for s, p in items if p > 0)


def _mean_size(sizes: tuple[tuple[int, float], ...]) -> float:
    return sum(s * p for s, p in sizes)


# --------------------------------------------------------------------------------------------
# decoder outcome of an error pattern


class _Classifier:
    """Vectorised :meth:`SecdedCode.decode` outcome of error patterns given as (syndrome, data
    bytes); the outcome of a linear code does not depend on the stored data."""

    def __init__(self, code: SecdedCode):
        m, c = code.data_width, code.check_width
        self.code, self.nbytes = code, (m + 7) // 8
        self.col_bit = np.full(1 << c, -1, dtype=np.int64)
        self.col_bit[list(code.columns)] = np.arange(m)
        self.check = np.zeros(1 << c, dtype=bool)
        self.check[[1 << j for j in range(c)]] = True
        self.onehot = np.zeros((m, self.nbytes), dtype=np.uint8)
        self.onehot[np.arange(m), np.arange(m) // 8] = 1 << (np.arange(m) % 8)

    def parts(self, patterns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        m = self.code.data_width
        syn = np.array([self.code.syndrome(e) for e in patterns], dtype=np.int64)
        data = np.array([np.frombuffer((e & ((1 << m) - 1)).to_bytes(self.nbytes, "little"),
                                       dtype=np.uint8) for e in patterns], dtype=np.uint8)
        return syn, data.reshape(len(patterns), self.nbytes)

    def __call__(self, syn: np.ndarray, data: np.ndarray) -> np.ndarray:
        bit = self.col_bit[syn]
        is_col = bit >= 0  # "corrects" data bit `bit`: right only if that was the whole error
        right = np.zeros(len(syn), dtype=bool)
        right[is_col] = np.all(data[is_col] == self.onehot[bit[is_col]], axis=1)
        named = is_col | self.check[syn] | (syn == 0)  # any syndrome the decoder accepts
        clean = ~data.any(axis=1)  # syndrome 0 or a check-bit syndrome: raw data returned
        ok = np.where(is_col, right, named & clean)
        return np.where(ok, OK, np.where(named, SDC, DUE)).astype(np.int8)


@cache
def _classifier(data_width: int) -> _Classifier:
    return _Classifier(SecdedCode(data_width))


def error_outcomes(data_width: int, patterns: Sequence[int]) -> np.ndarray:
    """Decoder outcome (:data:`OK`, :data:`DUE`, :data:`SDC`) of each codeword error pattern.

    ``OK``: the decoder returns the right data (no error, or one it corrected); ``DUE``: it
    flags the word uncorrectable; ``SDC``: it returns wrong data without that flag. Vectorised;
    equal to classifying ``SecdedCode(data_width).decode`` (the tests check it exhaustively).
    """
    c = _classifier(data_width)
    return c(*c.parts([int(e) for e in patterns]))


@cache
def miscorrection_fraction(data_width: int) -> float:
    """Fraction of all ``C(n, 3)`` 3-bit error patterns that the Hsiao decoder turns into SDC.

    Computed by decoding every pattern with :meth:`SecdedCode.decode` (data 0: the outcome of
    a linear code does not depend on the data) and counting wrong data without the
    uncorrectable flag: (13, 8) 0.769, (22, 16) 0.655, (39, 32) 0.597, (72, 64) 0.563. The
    other 3-bit patterns are all flagged (DUE). Slow for 128 data bits (~2 s, cached).
    """
    code = SecdedCode(data_width)
    patterns = [sum(1 << i for i in t) for t in combinations(range(code.code_width), 3)]
    r = code.decode(patterns)
    wrong = np.array([d != 0 for d in r.data], dtype=bool)
    return float(np.mean(wrong & ~r.uncorrectable))


# --------------------------------------------------------------------------------------------
# analytic per-codeword model


@dataclass(frozen=True)
class _Slot:
    rates: np.ndarray       # strike rate of each bit-set process, per strike/bit rate
    order1: tuple[np.ndarray, np.ndarray]   # process indices whose set alone is DUE / SDC
    order2: tuple[np.ndarray, np.ndarray]   # (k, 2) index pairs that are DUE / SDC
    order3: tuple[np.ndarray, np.ndarray]   # (k, 3) index triples


def _processes(n: int, interleave: int, sizes, slot: int) -> tuple[list[int], np.ndarray]:
    """Codeword bit sets hit by one cluster, and their strike rates per unit strike rate per
    bit (a row of L bits takes strikes at L times that rate)."""
    row = n * interleave
    acc: dict[int, float] = {}
    for s, p in sizes:
        if s > row:
            raise ValueError(f"cluster size {s} exceeds the physical row of {row} bits")
        per_start = row * p / (row - s + 1)
        for q in range(row - s + 1):
            lo = max(0, -((slot - q) // interleave))  # ceil((q - slot) / I)
            hi = min(n - 1, (q + s - 1 - slot) // interleave)
            if lo <= hi:
                mask = (1 << (hi + 1)) - (1 << lo)
                acc[mask] = acc.get(mask, 0.0) + per_start
    masks = sorted(acc)
    return masks, np.array([acc[k] for k in masks])


def _split(outcomes: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return index[outcomes == DUE], index[outcomes == SDC]


@cache
def _slot_models(data_width: int, interleave: int, sizes) -> tuple[_Slot, ...]:
    code, clf = SecdedCode(data_width), _classifier(data_width)
    out = []
    for slot in range(interleave):
        masks, rates = _processes(code.code_width, interleave, sizes, slot)
        syn, data = clf.parts(masks)
        k = len(masks)
        dtype = np.int16 if k < (1 << 15) else np.int32  # index arrays: keep the cache small
        idx1 = np.arange(k, dtype=dtype)
        pairs = np.array(list(combinations(range(k), 2)), dtype=dtype).reshape(-1, 2)
        o2 = clf(syn[pairs[:, 0]] ^ syn[pairs[:, 1]], data[pairs[:, 0]] ^ data[pairs[:, 1]])
        due3, sdc3 = [], []
        for a in range(k - 2):  # triples chunked by their first member
            rest = pairs[pairs[:, 0] > a]
            o3 = clf(syn[a] ^ syn[rest[:, 0]] ^ syn[rest[:, 1]],
                     data[a] ^ data[rest[:, 0]] ^ data[rest[:, 1]])
            tri = np.column_stack([np.full(len(rest), a, dtype=dtype), rest])
            d, s = _split(o3, tri)
            due3.append(d)
            sdc3.append(s)
        empty = np.zeros((0, 3), dtype=dtype)
        out.append(_Slot(rates, _split(clf(syn, data), idx1), _split(o2, pairs),
                         (np.concatenate(due3 or [empty]), np.concatenate(sdc3 or [empty]))))
    return tuple(out)


@dataclass(frozen=True)
class CodewordProbabilities:
    """Per-scrub-period probabilities for one codeword, mean over interleave slots.

    Members
    -------
    due, due_low, due_high, sdc, sdc_low, sdc_high : float
        Point value and truncation bounds (``low`` = resolved combinations only, ``high`` =
        plus every unresolved one).
    unresolved : float
        Probability that four or more bit-set processes fired (not enumerated).
    per_slot : tuple of (due, sdc, unresolved)
        The same per slot ``a % I``.
    """

    due: float
    due_low: float
    due_high: float
    sdc: float
    sdc_low: float
    sdc_high: float
    unresolved: float
    per_slot: tuple[tuple[float, float, float], ...]


def _slot_probabilities(slot: _Slot, x: float, f3: float) -> tuple[float, float, float]:
    p = -np.expm1(-2.0 * slot.rates * x) / 2.0  # odd number of strikes in the period
    o = p / (1.0 - p)
    p0 = math.exp(float(np.sum(np.log1p(-p))))

    def mass(k: int) -> tuple[float, float]:
        due, sdc = (slot.order1, slot.order2, slot.order3)[k - 1]
        return tuple(float(np.sum(np.prod(o[i.reshape(len(i), k)], axis=1))) for i in
                     (due, sdc))

    due = sdc = 0.0
    for k in (1, 2, 3):
        d, s = mass(k)
        due, sdc = due + p0 * d, sdc + p0 * s
    e = np.zeros(len(o) + 1)  # elementary symmetric polynomials of the odds: P(k fired) / p0
    e[0] = 1.0
    for ob in o:
        e[1:] = e[1:] + ob * e[:-1]
    tail = p0 * float(np.sum(e[4:]))
    return due + (1.0 - f3) * tail, sdc + f3 * tail, tail


def codeword_probabilities(data_width: int, interleave: int, lam_t: float,
                           sizes: Mapping[int, float] = MBU_SIZES) -> CodewordProbabilities:
    """DUE and SDC probability of one codeword in one scrub period (see module docstring).

    Parameters
    ----------
    data_width : int
        Data bits per word, 4 to 128 (:class:`SecdedCode`).
    interleave : int
        Codewords per physical row, >= 1.
    lam_t : float
        Expected bit flips per bit per scrub period, ``lambda * T`` (> 0).
    sizes : mapping
        Cluster size -> probability (default :data:`MBU_SIZES`; :data:`SINGLE_BIT` for none).

    Returns
    -------
    CodewordProbabilities

    Raises
    ------
    TypeError, ValueError
        An argument out of range, or a cluster wider than a physical row.
    """
    sz = _sizes(sizes)
    _int("interleave", interleave, 1)
    x = _positive("lam_t", lam_t) / _mean_size(sz)  # strikes per bit per period
    f3 = miscorrection_fraction(data_width)
    per = tuple(_slot_probabilities(s, x, f3) for s in _slot_models(data_width, interleave, sz))
    due, sdc, tail = (float(np.mean([p[i] for p in per])) for i in range(3))
    return CodewordProbabilities(due, due - (1 - f3) * tail, due + f3 * tail, sdc, sdc - f3 * tail,
                                 sdc + (1 - f3) * tail, tail, per)


def saleh_limit(code_width: int, lam_t: float) -> float:
    """``C(n, 2) (lambda T)^2``: probability of two or more errors in a codeword of ``n`` bits
    within one period, single-bit upsets, ``lambda T << 1`` (Saleh et al. 1990)."""
    return math.comb(_int("code_width", code_width, 2), 2) * _positive("lam_t", lam_t) ** 2


# --------------------------------------------------------------------------------------------
# memories, periods, FIT


@dataclass(frozen=True)
class ScrubMemory:
    """One SECDED memory with its own scrubber: ``words`` words of ``data_width`` data bits."""

    name: str
    words: int
    data_width: int

    def __post_init__(self):
        _int("words", self.words, 1)
        SecdedCode(self.data_width)  # validates data_width

    @property
    def code_width(self) -> int:
        return SecdedCode(self.data_width).code_width


def scrub_period_s(words: int, interval_cycles: int, f_clk_hz: float) -> float:
    """Scrub period of a memory: ``words * interval_cycles / f_clk_hz`` seconds.

    The tile's scrubber reads one word every ``SCRUB_INTERVAL = interval_cycles`` cycles, so
    every word is read once per ``words * interval_cycles`` cycles (with the read port idle;
    functional reads stall the scrubber and lengthen the period).
    """
    n = _int("interval_cycles", interval_cycles, 1)
    if n > SCRUB_INTERVAL_MAX:
        raise ValueError(f"interval_cycles must be at most {SCRUB_INTERVAL_MAX}, not {n}")
    return _int("words", words, 1) * n / _positive("f_clk_hz", f_clk_hz)


@dataclass(frozen=True)
class MemoryFit:
    """DUE and SDC failure rates in FIT, with the analytic model's truncation bounds.

    ``*_low`` counts the resolved combinations only; ``unresolved`` is the FIT of periods
    with four or more fired bit-set processes, which could be any outcome: each ``*_high``
    adds all of it (``total_high`` adds it once).
    """

    due: float
    sdc: float
    due_low: float
    sdc_low: float
    unresolved: float

    @property
    def due_high(self) -> float:
        return self.due_low + self.unresolved

    @property
    def sdc_high(self) -> float:
        return self.sdc_low + self.unresolved

    @property
    def total(self) -> float:
        return self.due + self.sdc

    @property
    def total_high(self) -> float:
        return self.due_low + self.sdc_low + self.unresolved

    def of(self, kind: str) -> tuple[float, float, float]:
        """``(value, low, high)`` of ``"due"``, ``"sdc"`` or ``"total"``."""
        if kind == "total":
            return self.total, self.due_low + self.sdc_low, self.total_high
        return getattr(self, kind), getattr(self, kind + "_low"), getattr(self, kind + "_high")

    def __add__(self, other: MemoryFit) -> MemoryFit:
        return MemoryFit(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))

    def scaled(self, k: float) -> MemoryFit:
        return MemoryFit(*(k * a for a in _fields(self)))


def _fields(f: MemoryFit) -> tuple[float, ...]:
    return f.due, f.sdc, f.due_low, f.sdc_low, f.unresolved


def _slot_counts(words: int, interleave: int) -> np.ndarray:
    return np.array([words // interleave + (s < words % interleave) for s in range(interleave)])


def memory_fit(memory: ScrubMemory, interleave: int, seu_per_bit_day: float, period_s: float,
               sizes: Mapping[int, float] = MBU_SIZES) -> MemoryFit:
    """DUE and SDC FIT of one memory scrubbed every ``period_s`` seconds.

    ``FIT = sum over words of P(word fails in a period) / period * 3600e9``, with ``P`` from
    :func:`codeword_probabilities` at ``lam_t = seu_per_bit_day / 86400 * period_s``.
    """
    lam_t = _positive("seu_per_bit_day", seu_per_bit_day) / _SECONDS_PER_DAY \
        * _positive("period_s", period_s)
    p = codeword_probabilities(memory.data_width, interleave, lam_t, sizes)
    w = _slot_counts(memory.words, interleave)
    f3 = miscorrection_fraction(memory.data_width)
    per = np.array(p.per_slot)  # (slots, 3)
    due, sdc, tail = (float(w @ per[:, i]) for i in range(3))
    k = _FIT_PER_PER_SECOND / period_s
    return MemoryFit(due, sdc, due - (1 - f3) * tail, sdc - f3 * tail, tail).scaled(k)


def fit_floor(memory: ScrubMemory, interleave: int, seu_per_bit_day: float,
              sizes: Mapping[int, float] = MBU_SIZES) -> tuple[float, float]:
    """``(DUE, SDC)`` FIT as the scrub period tends to 0: single strikes that put two or more
    errors into one codeword (clusters wider than ``interleave``); 0 without such clusters."""
    sz = _sizes(sizes)
    strikes = _positive("seu_per_bit_day", seu_per_bit_day) / _SECONDS_PER_DAY / _mean_size(sz)
    w = _slot_counts(memory.words, _int("interleave", interleave, 1))
    slots = _slot_models(memory.data_width, interleave, sz)
    due = sum(c * float(np.sum(s.rates[s.order1[0]])) for c, s in zip(w, slots, strict=True))
    sdc = sum(c * float(np.sum(s.rates[s.order1[1]])) for c, s in zip(w, slots, strict=True))
    return float(due * strikes * _FIT_PER_PER_SECOND), float(sdc * strikes * _FIT_PER_PER_SECOND)


# --------------------------------------------------------------------------------------------
# the longest scrub interval that meets a target


@dataclass(frozen=True)
class ScrubSolution:
    """The longest ``SCRUB_INTERVAL`` meeting a FIT target, and what it gives.

    Members
    -------
    interval_cycles : int
        The register value ``N``: one word scrubbed every ``N`` cycles in every memory.
    periods_s : dict
        Memory name -> its scrub period ``words * N / f_clk_hz``.
    fit : MemoryFit
        DUE and SDC FIT of all the memories together at ``interval_cycles``.
    floor : tuple of float
        ``(DUE, SDC)`` FIT in the limit of continuous scrubbing.
    capped : str or None
        Why the search stopped below the model's limits (the target is met there too), or
        None when ``interval_cycles`` is the boundary itself (``N + 1`` misses the target).
    """

    interval_cycles: int
    f_clk_hz: float
    periods_s: dict[str, float]
    fit: MemoryFit
    floor: tuple[float, float]
    target_fit: float
    kind: str
    capped: str | None


def _memories(memories) -> tuple[ScrubMemory, ...]:
    mems = (memories,) if isinstance(memories, ScrubMemory) else tuple(memories)
    if not mems or not all(isinstance(m, ScrubMemory) for m in mems):
        raise TypeError(f"memories must be a ScrubMemory or a non-empty sequence of them, not "
                        f"{memories!r}")
    return mems


def longest_scrub_interval(target_fit: float, *, memories, interleave: int,
                           seu_per_bit_day: float, f_clk_hz: float = DEFAULT_F_CLK_HZ,
                           sizes: Mapping[int, float] = MBU_SIZES,
                           kind: str = "total") -> ScrubSolution:
    """Largest ``SCRUB_INTERVAL`` whose summed FIT over ``memories`` stays at or below target.

    Each memory has its own scrubber at the same interval ``N``, period ``words * N / f``. The
    FIT compared is the upper truncation bound of ``kind`` (``"due"``, ``"sdc"`` or
    ``"total"``), so the answer holds whatever the unresolved combinations do. FIT grows with
    the period while ``n lambda T < 1``; the search (bisection on integers) stays in that
    range and below :data:`SCRUB_INTERVAL_MAX`, and says so in ``capped`` when it stops there.

    Raises
    ------
    ScrubTargetError
        The target is at or below the continuous-scrubbing floor (multi-bit clusters wider
        than the interleave), or above it but missed even at ``N = 1``.
    TypeError, ValueError
        Invalid arguments.
    """
    target = _positive("target_fit", target_fit)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, not {kind!r}")
    mems = _memories(memories)
    f = _positive("f_clk_hz", f_clk_hz)
    groups = Counter((m.words, m.data_width) for m in mems)  # identical memories, same FIT

    def fit_at(n: int) -> MemoryFit:
        total = MemoryFit(0.0, 0.0, 0.0, 0.0, 0.0)
        for (words, width), count in groups.items():
            mf = memory_fit(ScrubMemory("", words, width), interleave, seu_per_bit_day,
                            scrub_period_s(words, n, f), sizes)
            total = total + mf.scaled(count)
        return total

    def bound(n: int) -> float:
        return fit_at(n).of(kind)[2]

    floors = [fit_floor(m, interleave, seu_per_bit_day, sizes) for m in mems]
    floor = (sum(d for d, _ in floors), sum(s for _, s in floors))
    floor_kind = {"due": floor[0], "sdc": floor[1], "total": sum(floor)}[kind]
    if target <= floor_kind:
        raise ScrubTargetError(
            f"target_fit {target:g} FIT ({kind}) cannot be met: even continuous scrubbing "
            f"leaves {floor_kind:.4g} FIT from single strikes wider than the interleave "
            f"({interleave}); raise the interleave or the target")
    if bound(1) > target:
        raise ScrubTargetError(
            f"target_fit {target:g} FIT ({kind}) is missed even at SCRUB_INTERVAL = 1 "
            f"({bound(1):.4g} FIT at {f:g} Hz); the floor is {floor_kind:.4g} FIT: "
            "a faster clock or a higher interleave would be needed")
    # Model range: at most one expected flip per codeword per period, in the longest memory.
    lam_s = seu_per_bit_day / _SECONDS_PER_DAY
    worst = max(m.words * m.code_width for m in mems)
    n_model = max(1, math.floor(f / (lam_s * worst)))
    hi = min(SCRUB_INTERVAL_MAX, n_model)
    capped = None
    if bound(hi) <= target:
        capped = ("SCRUB_INTERVAL_MAX (32-bit register)" if hi == SCRUB_INTERVAL_MAX else
                  "model range: one expected flip per codeword per period")
        lo = hi
    else:
        lo = 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if bound(mid) <= target:
                lo = mid
            else:
                hi = mid
    periods = {m.name: scrub_period_s(m.words, lo, f) for m in mems}
    return ScrubSolution(lo, f, periods, fit_at(lo), floor, target, kind, capped)
