"""Results of an exploration in SQLite: one row per (metric, inputs), kept across runs.

A metric's key is its kind plus the JSON of everything it depends on (the design's
generator parameters, the workload, the orbit, the runtime knobs that matter to it), so a
re-run, or a run of another space sharing points, finds what is done and computes only
the rest; a killed run loses at most the metric it was computing (each row is committed
alone). Campaigns keep their own databases (resumable by the campaign engine); the cache
holds their summaries per size.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from orbitbench.spec.errors import OutputFileError

__all__ = ["MetricCache", "cpu_seconds"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metrics (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    cpu_s REAL NOT NULL, wall_s REAL NOT NULL, made TEXT NOT NULL,
    PRIMARY KEY (kind, key))
"""


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (compilers, engine workers)."""
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


class MetricCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputFileError(f"cache {self.path}: {exc}") from None
        self.computed = 0
        self.reused = 0

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> MetricCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _key(inputs) -> str:
        return json.dumps(inputs, sort_keys=True)

    def get(self, kind: str, inputs):
        row = self.db.execute("SELECT value FROM metrics WHERE kind = ? AND key = ?",
                              (kind, self._key(inputs))).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, kind: str, inputs, value, cpu_s: float = 0.0, wall_s: float = 0.0) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                            (kind, self._key(inputs), json.dumps(value), cpu_s, wall_s,
                             time.strftime("%Y-%m-%dT%H:%M:%S")))

    def cost(self, kind: str, inputs) -> tuple[float, float] | None:
        row = self.db.execute("SELECT cpu_s, wall_s FROM metrics WHERE kind = ? AND key = ?",
                              (kind, self._key(inputs))).fetchone()
        return None if row is None else (row[0], row[1])

    def compute(self, kind: str, inputs, fn: Callable[[], object]):
        """The cached value, or ``fn()`` stored with its CPU and wall seconds."""
        held = self.get(kind, inputs)
        if held is not None:
            self.reused += 1
            return held
        cpu, wall = cpu_seconds(), time.perf_counter()
        value = fn()
        self.put(kind, inputs, value, cpu_seconds() - cpu, time.perf_counter() - wall)
        self.computed += 1
        return value

    def kinds(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM metrics GROUP BY kind"))
