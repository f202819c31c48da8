"""Pareto fronts of points whose metrics carry confidence intervals.

Every objective is minimised and given as ``(value, low, high)`` (a metric measured exactly
has ``low == value == high``). Point A **dominates** B only when the intervals say so: A is
no worse on every objective even at A's worst and B's best (``A.high <= B.low``) and
strictly better on at least one (``A.high < B.low``). Two points whose intervals overlap on
an objective on which neither is surely better are therefore both kept: an interval that
has not separated them yet is no evidence. The point-estimate relation
(:func:`dominates_point`) is given beside it for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["Interval", "dominates", "dominates_point", "front", "overlaps"]

Interval = tuple[float, float, float]  # value, low, high


def _check(objectives: Sequence[str], a: Mapping[str, Interval]) -> None:
    for k in objectives:
        v, lo, hi = a[k]
        if not lo <= v <= hi:
            raise ValueError(f"objective {k}: value {v} outside its interval [{lo}, {hi}]")


def dominates(a: Mapping[str, Interval], b: Mapping[str, Interval],
              objectives: Sequence[str]) -> bool:
    """A dominates B with the intervals: surely no worse on all, surely better on one."""
    _check(objectives, a)
    _check(objectives, b)
    if any(a[k][2] > b[k][1] for k in objectives):
        return False
    return any(a[k][2] < b[k][1] for k in objectives)


def dominates_point(a: Mapping[str, Interval], b: Mapping[str, Interval],
                    objectives: Sequence[str]) -> bool:
    """A dominates B on the point estimates alone."""
    if any(a[k][0] > b[k][0] for k in objectives):
        return False
    return any(a[k][0] < b[k][0] for k in objectives)


def front(points: Sequence[Mapping[str, Interval]], objectives: Sequence[str]
          ) -> list[list[int]]:
    """For each point, the indices of the points that dominate it (empty: on the front)."""
    return [[j for j, q in enumerate(points) if j != i and dominates(q, p, objectives)]
            for i, p in enumerate(points)]


def overlaps(a: Interval, b: Interval) -> bool:
    return a[1] <= b[2] and b[1] <= a[2]
