"""Honest timing for the benchmarks: CPU seconds, interleaved rounds, spreads, limits.

On a machine shared with other work, a figure timed in its own wall-clock window measures
the machine as much as the simulator, and a ratio of two such figures taken minutes apart
can be anything (one run printed 401 % of a bound and 2.48x from 1 to 2 workers). So:

* a single-process speed is per **CPU second** of the process doing the work (wall time is
  kept beside it, for context);
* every ratio comes from **interleaved** rounds: the arms run A B A B ... (``rounds`` times),
  each round's ratio is taken from that round's pair, and the ratios are reported as
  min / median / max over the rounds;
* a figure with a physical limit (a fraction of raw speed over the cycles actually
  simulated cannot exceed 100 %; N workers cannot exceed N x on N cores) is checked against
  it, and one above it is flagged as a broken method, never printed as a result.
"""

from __future__ import annotations

import os
import resource
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["CLK_TCK", "proc_cpu", "own_and_children_cpu", "Spread", "spread", "interleave",
           "ratios", "over_limit"]

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, with its reaped children) of a running process so far.

    Read from ``/proc/<pid>/stat`` (resolution ``1 / CLK_TCK``, 10 ms on Linux): time an
    interval long enough (seconds) for that to vanish.

    Raises
    ------
    OSError
        No such process (or not Linux).
    """
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces; the fields after its ")" are plain.
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14-17 of stat(5): utime, stime, cutime, cstime; index 0 here is field 3.
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def own_and_children_cpu() -> float:
    """CPU seconds of this process (all threads) plus its reaped children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(frozen=True)
class Spread:
    """Min, median and max of one figure over the rounds (``values`` in round order)."""

    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def text(self, fmt: str = "{:.3g}", scale: float = 1.0) -> str:
        """``median (min-max)``, each value multiplied by ``scale`` and formatted by ``fmt``."""
        def f(x: float) -> str:
            return fmt.format(x * scale)
        return f"{f(self.median)} ({f(self.min)}-{f(self.max)})"

    def json(self) -> dict:
        return {"min": self.min, "median": self.median, "max": self.max,
                "rounds": list(self.values)}


def spread(values: Sequence[float]) -> Spread:
    """The :class:`Spread` of ``values`` (at least one).

    Raises
    ------
    ValueError
        ``values`` is empty.
    """
    if not values:
        raise ValueError("a spread needs at least one value")
    return Spread(tuple(float(v) for v in values))


def interleave(arms: Mapping[str, Callable[[], dict]], rounds: int,
               on_round: Callable[[int, str], None] | None = None) -> dict[str, list[dict]]:
    """Run every arm once per round, in the given order, ``rounds`` times: A B A B ...

    Returns each arm's results in round order. ``on_round(round, arm)`` is called before
    each run (progress).

    Raises
    ------
    ValueError
        ``rounds`` < 1, or no arms.
    """
    if rounds < 1 or not arms:
        raise ValueError(f"interleave needs rounds >= 1 and at least one arm, not {rounds} "
                         f"rounds of {len(arms)} arms")
    out: dict[str, list[dict]] = {name: [] for name in arms}
    for r in range(rounds):
        for name, arm in arms.items():
            if on_round:
                on_round(r, name)
            out[name].append(arm())
    return out


def ratios(runs: Mapping[str, list[dict]], a: str, b: str, key: str,
           b_key: str | None = None) -> Spread:
    """Per-round ratio ``runs[a][r][key] / runs[b][r][b_key or key]``: pairs of one round only."""
    pairs = zip(runs[a], runs[b], strict=True)
    return spread([x[key] / y[b_key or key] for x, y in pairs])


def over_limit(s: Spread, limit: float) -> bool:
    """True when any round of ``s`` exceeds a physical ``limit``: the method is wrong."""
    return s.max > limit
