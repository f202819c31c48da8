"""Campaign results in SQLite: one file per campaign, every result committed as it arrives.

Tables: ``meta`` (what the campaign is: its spec, targets and golden run, as JSON),
``injections`` (the whole plan, written once when the file is created), ``results`` (one
row per finished injection, keyed by the injection id, so a result can never be stored
twice) and ``messages`` (why a ``crash`` or a watchdog ``hang`` stopped, by injection id;
added to older files when they first need it) and ``observed`` (the wrong data words of
an SDC or DUE, for workloads with ``observe_words``: application-level campaigns decode
them; created only by such a campaign, so other files are unchanged). SQLite's
transactions make each commit all-or-nothing, so a process killed at any moment (SIGKILL
included) leaves every committed result intact and nothing half-written; a re-run with the
same command reads which ids are done and runs only the rest.

A file that is not a campaign database, belongs to another campaign, or is damaged gives a
:class:`CampaignDBError` and is never written to.

**One process at a time.** :func:`campaign_lock` gives one process the use of a database
path (new or existing) for a whole run: a second campaign on the same ``--db`` refuses at
once with :class:`CampaignBusy`, before any work, so two processes never race to create
the file. The lock is ``X.db.lock`` held with ``flock``: the kernel releases it when the
holder dies, however it dies, and the holder removes the file when it is done (a killed
holder leaves it, empty of meaning: the next run takes it over). Reading a database
(reports, replays) needs no lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from orbitbench.spec.errors import UsageError

from .engine import EngineResult
from .plan import Plan

__all__ = ["CampaignDB", "CampaignDBError", "CampaignBusy", "UnknownInjection",
           "campaign_lock", "MAGIC", "SCHEMA_VERSION", "MESSAGES_TABLE", "OBSERVED_TABLE",
           "parse_words"]

MAGIC = "orbitbench-campaign"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE injections (
    id INTEGER PRIMARY KEY, cycle INTEGER NOT NULL, target TEXT NOT NULL,
    module TEXT NOT NULL, kind TEXT NOT NULL, var INTEGER NOT NULL, elem INTEGER NOT NULL,
    bit INTEGER NOT NULL, size INTEGER NOT NULL, value INTEGER NOT NULL DEFAULT -1);
CREATE TABLE results (
    id INTEGER PRIMARY KEY REFERENCES injections(id), outcome TEXT NOT NULL,
    sim_cycles INTEGER NOT NULL, end_cycle INTEGER NOT NULL, wrong INTEGER NOT NULL,
    max_err INTEGER NOT NULL, early INTEGER NOT NULL, worker TEXT NOT NULL,
    finished REAL NOT NULL);
"""
MESSAGES_TABLE = """CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY REFERENCES injections(id), text TEXT NOT NULL)"""
OBSERVED_TABLE = """CREATE TABLE IF NOT EXISTS observed (
    id INTEGER PRIMARY KEY REFERENCES injections(id), words TEXT NOT NULL)"""


class CampaignDBError(UsageError, RuntimeError):
    """The file is not this campaign's database (foreign, corrupt, or another campaign),
    or it cannot be written where it was asked for."""


class CampaignBusy(CampaignDBError):
    """Another process is running a campaign on this database."""


class UnknownInjection(UsageError, KeyError):
    """No injection with that id in the database."""

    __str__ = Exception.__str__  # the message, not KeyError's repr of it


def _cannot_write(path: Path, exc: OSError) -> CampaignDBError:
    # The database itself, or else the directory it (and its lock) would be created in.
    where = path if exc.filename and Path(exc.filename) == path else (
        Path(exc.filename) if exc.filename and exc.errno in (errno.ENOTDIR, errno.EEXIST)
        else path.parent)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        what = f"{_first_file(where)} is a file, not a directory"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"{where} is not writable ({exc.strerror.lower()})"
    else:
        what = f"{where}: {exc.strerror}"
    return CampaignDBError(f"cannot write the campaign database {path}: {what}; give a --db "
                           "in a directory you can write")


def _first_file(path: Path) -> Path:
    """The first component of ``path`` that exists and is not a directory."""
    for part in (*reversed(path.parents), path):
        if part.exists() and not part.is_dir():
            return part
    return path


@contextmanager
def campaign_lock(path: Path) -> Iterator[None]:
    """This process's exclusive use of the campaign database ``path`` (see the module text).

    Creates the directory if needed. Raises :class:`CampaignBusy` at once when another
    process holds it, :class:`CampaignDBError` when the place cannot be written.
    """
    path = Path(path)
    lock = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                os.close(fd)
                raise CampaignBusy(f"{path} is in use by another campaign ("
                                   f"{holder or 'a process starting now'}); wait for it to "
                                   "finish, or give another --db") from None
            try:  # the previous holder may have removed the file after we opened it
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        yield
    finally:
        try:
            os.unlink(lock)
        finally:
            os.close(fd)


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
        conn.executescript(_SCHEMA + ";" + MESSAGES_TABLE)
        conn.execute("BEGIN")
        rows = {"magic": MAGIC, "schema": str(SCHEMA_VERSION), "created": str(time.time())}
        rows.update({k: json.dumps(v, sort_keys=True) for k, v in meta.items()})
        conn.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
        conn.executemany(
            "INSERT INTO injections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((i, int(plan.cycle[i]), targets[int(plan.var[i])]["path"],
              targets[int(plan.var[i])]["module"], targets[int(plan.var[i])]["kind"],
              int(plan.var[i]), int(plan.elem[i]), int(plan.bit[i]), int(plan.size[i]),
              plan.stuck(i))
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

    def _value(self) -> str:
        """The stuck-value column: databases made before the stuck model have none (-1)."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(injections)")}
        return "i.value" if "value" in cols else "-1"

    def pending(self, shard: tuple[int, int] = (0, 1)) -> list[tuple[int, int, list]]:
        """(id, cycle, flips) of the planned injections of ``shard`` without a result;
        a flip is ``(var, elem, bit)``, or ``(var, elem, bit, value)`` for a stuck bit."""
        index, count = shard
        rows = self.conn.execute(
            f"SELECT i.id, i.cycle, i.var, i.elem, i.bit, i.size, {self._value()} "
            "FROM injections i LEFT JOIN results r ON r.id = i.id WHERE r.id IS NULL AND "
            "i.id % ? = ? ORDER BY i.id", (count, index)).fetchall()
        return [(i, c, [(v, e, b + j, *(() if x < 0 else (x,))) for j in range(s)])
                for i, c, v, e, b, s, x in rows]

    def _has_messages(self) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'messages'").fetchone() is not None

    def add(self, results: Iterable[EngineResult], worker: str) -> int:
        """Commit ``results`` (and their messages) in one transaction; returns how many
        were new."""
        now = time.time()
        results = list(results)
        rows = [(r.id, r.outcome, r.sim_cycles, r.end_cycle, r.wrong, r.max_err, int(r.early),
                 worker, now) for r in results]
        notes = [(r.id, r.message) for r in results if r.message]
        seen = [(r.id, r.words) for r in results if getattr(r, "words", "")]
        if not rows:
            return 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?,?)",
                                  rows)
            new = self.conn.total_changes - before
            if notes:
                self.conn.execute(MESSAGES_TABLE)
                self.conn.executemany("INSERT OR IGNORE INTO messages VALUES (?, ?)", notes)
            if seen:
                self.conn.execute(OBSERVED_TABLE)
                self.conn.executemany("INSERT OR IGNORE INTO observed VALUES (?, ?)", seen)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return new

    def results(self) -> list[dict]:
        """Every result joined with its injection (and ``message``, empty if none),
        ordered by id."""
        note, join = ("COALESCE(m.text, '')", "LEFT JOIN messages m ON m.id = r.id ") if (
            self._has_messages()) else ("''", "")
        cur = self.conn.execute(
            "SELECT i.id, i.cycle, i.target, i.module, i.kind, i.elem, i.bit, i.size, "
            f"{self._value()} AS value, r.outcome, r.sim_cycles, r.end_cycle, r.wrong, "
            "r.max_err, r.early, "
            f"{note} AS message FROM results r JOIN injections i ON i.id = r.id {join}"
            "ORDER BY i.id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def injection(self, ident: int) -> dict:
        cur = self.conn.execute("SELECT * FROM injections WHERE id = ?", (ident,))
        row = cur.fetchone()
        if row is None:
            raise UnknownInjection(f"no injection {ident} in {self.path} "
                           f"(ids 0..{self.planned() - 1})")
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def result(self, ident: int) -> dict | None:
        """The result of injection ``ident`` (with its ``message``), or None."""
        cur = self.conn.execute("SELECT * FROM results WHERE id = ?", (ident,))
        row = cur.fetchone()
        if row is None:
            return None
        out = dict(zip([d[0] for d in cur.description], row, strict=True))
        out["message"] = self.messages().get(ident, "")
        return out

    def observed(self) -> dict[int, dict[int, int]]:
        """Injection id -> {output word index: faulty word} of every SDC/DUE whose wrong
        data words were stored (workloads with ``observe_words``); empty for other files."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'observed'").fetchone() is None:
            return {}
        return {i: parse_words(w) for i, w in
                self.conn.execute("SELECT id, words FROM observed").fetchall()}

    def messages(self) -> dict[int, str]:
        """Injection id -> why it crashed (or hung, by the watchdog)."""
        if not self._has_messages():
            return {}
        return dict(self.conn.execute("SELECT id, text FROM messages").fetchall())


def parse_words(text: str) -> dict[int, int]:
    """``"IDX:HEX,IDX:HEX"`` (the engine's ``@w`` list) -> {index: word}."""
    out = {}
    for item in text.split(","):
        if item:
            idx, word = item.split(":")
            out[int(idx)] = int(word, 16)
    return out
