"""Campaign results in SQLite: one file per campaign, every result committed as it arrives.

Tables: ``meta`` (what the campaign is: its spec, targets and golden run, as JSON),
``injections`` (the whole plan, written once when the file is created) and ``results`` (one
row per finished injection, keyed by the injection id, so a result can never be stored
twice). SQLite's transactions make each commit all-or-nothing, so a process killed at any
moment (SIGKILL included) leaves every committed result intact and nothing half-written; a
re-run with the same command reads which ids are done and runs only the rest.

A file that is not a campaign database, belongs to another campaign, or is damaged gives a
:class:`CampaignDBError` and is never written to.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from .engine import EngineResult
from .plan import Plan

__all__ = ["CampaignDB", "CampaignDBError", "MAGIC", "SCHEMA_VERSION"]

MAGIC = "orbitbench-campaign"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE injections (
    id INTEGER PRIMARY KEY, cycle INTEGER NOT NULL, target TEXT NOT NULL,
    module TEXT NOT NULL, kind TEXT NOT NULL, var INTEGER NOT NULL, elem INTEGER NOT NULL,
    bit INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE results (
    id INTEGER PRIMARY KEY REFERENCES injections(id), outcome TEXT NOT NULL,
    sim_cycles INTEGER NOT NULL, end_cycle INTEGER NOT NULL, wrong INTEGER NOT NULL,
    max_err INTEGER NOT NULL, early INTEGER NOT NULL, worker TEXT NOT NULL,
    finished REAL NOT NULL);
"""


class CampaignDBError(RuntimeError):
    """The file is not this campaign's database (foreign, corrupt, or another campaign)."""


class CampaignDB:
    """One campaign's database file (a context manager)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path, self.conn = Path(path), conn

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def _connect(cls, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    @classmethod
    def open_existing(cls, path: Path) -> CampaignDB:
        """Open a campaign database for reading (and resuming); check it is one."""
        path = Path(path)
        if not path.exists():
            raise CampaignDBError(f"{path}: no such campaign database")
        try:
            conn = cls._connect(path)
            conn.execute("PRAGMA query_only = 1")
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("PRAGMA query_only = 0")
        except sqlite3.DatabaseError as e:
            raise CampaignDBError(f"{path} is not an orbitbench campaign database ({e}); "
                                  "it was left untouched") from None
        if rows.get("magic") != MAGIC:
            conn.close()
            raise CampaignDBError(f"{path} is an SQLite file but not an orbitbench campaign "
                                  "database; it was left untouched")
        if check != "ok":
            conn.close()
            raise CampaignDBError(f"{path} is damaged (integrity check: {check}); it was left "
                                  "untouched")
        if int(rows.get("schema", 0)) != SCHEMA_VERSION:
            conn.close()
            raise CampaignDBError(f"{path} has schema {rows.get('schema')}, this orbitbench "
                                  f"reads {SCHEMA_VERSION}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return cls(path, conn)

    @classmethod
    def create(cls, path: Path, meta: Mapping[str, object], plan: Plan,
               targets: list[dict]) -> CampaignDB:
        """A new database holding ``meta`` and the whole ``plan``; ``path`` must not exist."""
        path = Path(path)
        if path.exists():
            raise CampaignDBError(f"{path} exists; refusing to overwrite it")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".creating")
        tmp.unlink(missing_ok=True)
        conn = cls._connect(tmp)
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        rows = {"magic": MAGIC, "schema": str(SCHEMA_VERSION), "created": str(time.time())}
        rows.update({k: json.dumps(v, sort_keys=True) for k, v in meta.items()})
        conn.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
        conn.executemany(
            "INSERT INTO injections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((i, int(plan.cycle[i]), targets[int(plan.var[i])]["path"],
              targets[int(plan.var[i])]["module"], targets[int(plan.var[i])]["kind"],
              int(plan.var[i]), int(plan.elem[i]), int(plan.bit[i]), int(plan.size[i]))
             for i in range(len(plan))))
        conn.execute("COMMIT")
        conn.close()
        tmp.rename(path)  # the file appears complete or not at all
        return cls.open_existing(path)

    def __enter__(self) -> CampaignDB:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # --- contents -----------------------------------------------------------------------

    def meta(self, key: str):
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return json.loads(row[0]) if key not in ("magic", "schema", "created") else row[0]

    def planned(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM injections").fetchone()[0]

    def done_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT id FROM results")}

    def pending(self, shard: tuple[int, int] = (0, 1)) -> list[tuple[int, int, list]]:
        """(id, cycle, flips) of the planned injections of ``shard`` without a result."""
        index, count = shard
        rows = self.conn.execute(
            "SELECT i.id, i.cycle, i.var, i.elem, i.bit, i.size FROM injections i "
            "LEFT JOIN results r ON r.id = i.id WHERE r.id IS NULL AND i.id % ? = ? "
            "ORDER BY i.id", (count, index)).fetchall()
        return [(i, c, [(v, e, b + j) for j in range(s)]) for i, c, v, e, b, s in rows]

    def add(self, results: Iterable[EngineResult], worker: str) -> int:
        """Commit ``results`` in one transaction; returns how many were new."""
        now = time.time()
        rows = [(r.id, r.outcome, r.sim_cycles, r.end_cycle, r.wrong, r.max_err, int(r.early),
                 worker, now) for r in results]
        if not rows:
            return 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?,?)",
                                  rows)
            new = self.conn.total_changes - before
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return new

    def results(self) -> list[dict]:
        """Every result joined with its injection, ordered by id."""
        cur = self.conn.execute(
            "SELECT i.id, i.cycle, i.target, i.module, i.kind, i.elem, i.bit, i.size, "
            "r.outcome, r.sim_cycles, r.end_cycle, r.wrong, r.max_err, r.early "
            "FROM results r JOIN injections i ON i.id = r.id ORDER BY i.id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def injection(self, ident: int) -> dict:
        cur = self.conn.execute("SELECT * FROM injections WHERE id = ?", (ident,))
        row = cur.fetchone()
        if row is None:
            raise KeyError(f"no injection {ident} in {self.path} "
                           f"(ids 0..{self.planned() - 1})")
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def result(self, ident: int) -> dict | None:
        cur = self.conn.execute("SELECT * FROM results WHERE id = ?", (ident,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
