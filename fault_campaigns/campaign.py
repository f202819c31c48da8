"""Run a fault campaign: plan, execute on local workers or Dask, persist, resume, shard, merge.

A campaign is a :class:`CampaignSpec` (workload, sample size, seed, fault model, targets)
and a database file. :func:`run_campaign` prepares the workload (:mod:`.prepare`), draws the
plan (:mod:`.plan`), creates the database or checks that the existing one holds this very
campaign, and runs whatever injections of its shard have no result yet, committing results
as they arrive. Killed and re-run with the same command, it resumes; the final results do not
depend on interruptions, on the number of workers, or on the executor, because an
injection's outcome depends only on its own plan entry (see ``engine.cpp``).

Executors: ``local`` (default) runs one engine process per worker on this machine (all
cores by default); ``dask`` sends chunks of injections to a Dask ``distributed`` cluster
(a ``LocalCluster`` unless an address is given). Sharding (``shard=(i, n)``) takes the
injections whose id is ``i`` modulo ``n``, for job arrays; :func:`merge` joins shard
databases of the same campaign into one.

Robustness: each worker is a :class:`~fault_campaigns.worker.Worker`, so a trap of the
design is a ``crash`` result, an evaluation that never returns a ``hang`` (the watchdog,
``watchdog=`` seconds per result, by default derived from the golden run's speed), and a
killed engine process is replaced and its chunk finished. One process at a time runs a
campaign on a database (:func:`fault_campaigns.db.campaign_lock`): a second one refuses at
once. Interrupted (Ctrl-C, SIGTERM), :func:`run_campaign` kills its engines and re-raises;
everything committed stays, and the same call resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import ParameterError, UsageError

from .db import MESSAGES_TABLE, OBSERVED_TABLE, CampaignDB, CampaignDBError, campaign_lock
from .engine import EngineError, EngineResult
from .plan import DEFAULT_MBU_SIZES, FINITE_MODELS, NET_MODELS, SAMPLINGS, make_plan, population
from .prepare import Prepared, prepare
from .recipes import from_recipe
from .stats import leveugle_sample_size
from .worker import Worker, watchdog_seconds
from .workload import Workload

__all__ = ["CampaignSpec", "Progress", "run_campaign", "merge", "default_workers",
           "EXECUTORS", "MAX_INJECTIONS", "SchedulerError"]

EXECUTORS = ("local", "dask")
#: The most injections one campaign holds: the plan is drawn in memory (~60 bytes each
#: while drawing) and stored in one file (~100 bytes each). A margin of 0.001 at 95 %
#: needs 960 000; beyond this, split the question (per module, per kind).
MAX_INJECTIONS = 10_000_000
_CONNECT_TIMEOUT = 10  # seconds to reach a Dask scheduler


class SchedulerError(UsageError, ConnectionError):
    """The Dask scheduler address given cannot be reached."""


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class CampaignSpec:
    """What to inject. ``count`` fixes the sample size; otherwise it comes from the
    Leveugle formula for ``margin`` at ``confidence`` over bits x cycles. ``sampling`` is
    one of :data:`.plan.SAMPLINGS`: ``"distinct"`` (without replacement, the default),
    ``"exhaustive"`` (every (bit, cycle) once; ``count`` must be None) or ``"replacement"``
    (campaigns made before sampling without replacement). ``at_cycles`` restricts the
    injection cycles (e.g. every bit at chosen cycles). ``nets``: the targets are the
    design's combinational nets (the ``set`` model always takes nets; ``stuck`` takes them
    when asked; the flip models of stored bits never)."""

    workload: Workload
    count: int | None = None
    margin: float = 0.01
    confidence: float = 0.95
    seed: int = 1
    model: str = "seu"
    sizes: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MBU_SIZES))
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    roms: bool = False
    sampling: str = "distinct"
    at_cycles: tuple[int, ...] | None = None
    nets: bool = False
    #: how to rebuild the workload (:mod:`.recipes`), stored for ``orbitbench replay``
    recipe: Mapping | None = None

    def __post_init__(self):
        if self.count is not None and self.count < 1:
            raise ParameterError(f"count must be at least 1, not {self.count}")
        if self.count is not None and self.count > MAX_INJECTIONS:
            raise ParameterError(f"count {self.count} is more than the {MAX_INJECTIONS} "
                                 "injections one campaign can hold; use a smaller count")
        if not 0 < self.margin < 1:
            raise ParameterError(f"margin must be in (0, 1), not {self.margin}")
        if not 0 < self.confidence < 1:
            raise ParameterError(f"confidence must be in (0, 1), not {self.confidence}")
        if self.sampling not in SAMPLINGS:
            raise ParameterError(f"sampling must be one of {SAMPLINGS}, not {self.sampling!r}")
        if self.sampling == "exhaustive" and self.count is not None:
            raise ParameterError("an exhaustive campaign runs every fault once: give no count")
        if self.sampling == "exhaustive" and self.model not in FINITE_MODELS:
            raise ParameterError(f"an exhaustive campaign needs a model of {FINITE_MODELS}, "
                                 f"not {self.model!r}")
        if self.nets and self.model not in (*NET_MODELS, "stuck"):
            raise ParameterError(f"nets take the set or stuck model; {self.model!r} flips "
                                 "stored bits (flip-flops and memories)")

    @property
    def on_nets(self) -> bool:
        """The targets are combinational nets."""
        return self.nets or self.model in NET_MODELS


@dataclass
class Progress:
    """Passed to the progress callback after every commit."""

    total: int  # injections of this shard
    done: int  # with a result (including those found in the database at start)
    resumed: int  # found in the database at start
    tallies: Counter
    started: float
    sim_cycles: int = 0

    @property
    def rate(self) -> float:
        """Injections per second in this run."""
        return (self.done - self.resumed) / max(time.time() - self.started, 1e-9)


def _identity(spec: CampaignSpec, prep: Prepared, count: int) -> dict:
    targets = [[v.path, v.width, v.depth, v.kind] for v in prep.targets.vars]
    return {
        "workload": {"name": spec.workload.name, "digest": spec.workload.digest(),
                     "params": dict(spec.workload.params)},
        "targets_digest": hashlib.sha256(json.dumps(targets).encode()).hexdigest()[:16],
        "golden_cycles": prep.cycles,
        "golden_digest": hashlib.sha256(json.dumps(prep.golden).encode()).hexdigest()[:16],
        "count": count, "seed": spec.seed, "model": spec.model,
        "sizes": {str(k): v for k, v in sorted(spec.sizes.items())} if spec.model == "mbu"
        else None,
    } | ({"nets": True} if spec.on_nets else {}) | _sampling_identity(spec, prep)


def _sampling_identity(spec: CampaignSpec, prep: Prepared) -> dict:
    # Campaigns sampled with replacement (made before the other samplings existed) carry no
    # sampling keys, so that their databases keep their identity and resume.
    if spec.sampling == "replacement":
        return {}
    at = list(spec.at_cycles) if spec.at_cycles is not None else None  # as JSON stores it
    return {"sampling": spec.sampling, "at_cycles": at,
            "population": population(prep.targets, prep.cycles, spec.at_cycles, spec.model)}


def _sample_size(spec: CampaignSpec, prep: Prepared) -> int:
    big_n = population(prep.targets, prep.cycles, spec.at_cycles, spec.model)
    if spec.sampling == "exhaustive":
        if big_n > MAX_INJECTIONS:
            raise ParameterError(f"an exhaustive campaign of this design has {big_n} "
                                 f"injections, more than the {MAX_INJECTIONS} one campaign "
                                 "can hold; choose cycles (--at-cycles) or fewer targets")
        return big_n
    if spec.count is not None:
        if spec.sampling == "distinct" and spec.count > big_n:
            raise ParameterError(f"count {spec.count} is more than the {big_n} distinct "
                                 "faults; use --exhaustive to run every one")
        return spec.count
    n = leveugle_sample_size(big_n, spec.margin, spec.confidence)
    if n > MAX_INJECTIONS:
        raise ParameterError(f"margin {spec.margin} needs {n} injections, more than the "
                             f"{MAX_INJECTIONS} one campaign can hold; use a larger margin "
                             "or a count")
    return n


def open_campaign(spec: CampaignSpec, db_path: Path, *, build_root: Path = SIM_BUILD,
                  shard: tuple[int, int] = (0, 1)) -> tuple[CampaignDB, Prepared]:
    """Prepare ``spec`` and open (or create) its database, checking it is this campaign."""
    index, count = shard
    if not (isinstance(count, int) and count >= 1 and isinstance(index, int)
            and 0 <= index < count):
        raise ParameterError(f"shard must be i/N with 0 <= i < N, not {index}/{count}")
    db_path = Path(db_path)
    if db_path.exists():  # refuse a foreign or damaged file before any expensive work
        CampaignDB.open_existing(db_path).close()
    prep = prepare(spec.workload, spec.include, spec.exclude, roms=spec.roms,
                   build_root=build_root, nets=spec.on_nets)
    n = _sample_size(spec, prep)
    ident = _identity(spec, prep, n)
    if db_path.exists():
        db = CampaignDB.open_existing(db_path)
        held = db.meta("campaign")
        if held != ident:
            db.close()
            diff = sorted(k for k in ident if held.get(k) != ident[k])
            raise CampaignDBError(f"{db_path} holds a different campaign (differs in "
                                  f"{', '.join(diff)}); give another --db, or delete the "
                                  "file to start over")
        return db, prep
    plan = make_plan(prep.targets, prep.cycles, n, spec.seed, spec.model, spec.sizes,
                     spec.sampling, spec.at_cycles)
    targets = [{"path": v.path, "module": v.module or "(top)", "kind": v.kind,
                "width": v.width, "depth": v.depth} for v in prep.targets.vars]
    meta = {"campaign": ident, "targets": targets,
            "design": {"top": spec.workload.top, "state_bits": prep.state_bits,
                       "target_bits": prep.targets.bits, "ff_bits": prep.targets.ff_bits,
                       "mem_bits": prep.targets.mem_bits,
                       **({"net_bits": prep.targets.net_bits} if spec.on_nets else {})},
            "spec": {"margin": spec.margin, "confidence": spec.confidence,
                     "count_given": spec.count is not None, "include": spec.include,
                     "exclude": spec.exclude, "roms": spec.roms},
            "recipe": dict(spec.recipe) if spec.recipe is not None else None}
    return CampaignDB.create(db_path, meta, plan, targets), prep


def resume_spec(db_path: Path) -> CampaignSpec:
    """The :class:`CampaignSpec` a database was created with, rebuilt from what it stores
    (the workload from its recipe, :mod:`.recipes`): run it again to resume the campaign.

    Raises
    ------
    CampaignDBError
        The file is not a campaign database, or it stores no recipe (it was made from a
        Python workload object, which only its maker can rebuild).
    """
    with CampaignDB.open_existing(db_path) as db:
        ident, spec = db.meta("campaign"), db.meta("spec")
        try:
            recipe = db.meta("recipe")
        except KeyError:
            recipe = None
    if recipe is None:
        raise CampaignDBError(f"{db_path} stores no workload recipe; resume it with the "
                              "command (or the Python workload) that made it")
    sizes = ({int(k): v for k, v in ident["sizes"].items()} if ident.get("sizes")
             else dict(DEFAULT_MBU_SIZES))
    return CampaignSpec(
        from_recipe(recipe), count=ident["count"] if spec["count_given"] else None,
        margin=spec["margin"], confidence=spec["confidence"], seed=ident["seed"],
        model=ident["model"], sizes=sizes,
        include=tuple(spec["include"]) if spec["include"] is not None else None,
        exclude=tuple(spec["exclude"]) if spec["exclude"] is not None else None,
        roms=spec["roms"], recipe=recipe, sampling=ident.get("sampling", "replacement"),
        at_cycles=tuple(ident["at_cycles"]) if ident.get("at_cycles") else None,
        nets=ident.get("nets", False))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _chunk_size(pending: int, workers: int) -> int:
    # Each chunk costs one pass of the parent model through the workload; 4 chunks per
    # worker keep the workers balanced near the end.
    return max(16, min(256, -(-pending // (4 * workers))))


def _run_local(prep: Prepared, pending: list, workers: int, sink: Callable,
               snapshot: str, watchdog: float | None) -> None:
    chunks: queue.Queue = queue.Queue()
    for chunk in _chunks(pending, _chunk_size(len(pending), workers)):
        chunks.put(chunk)
    results: queue.Queue = queue.Queue()
    stop = threading.Event()
    crew = [Worker(prep.build, prep.config, snapshot=snapshot, watchdog=watchdog)
            for _ in range(min(workers, max(1, chunks.qsize())))]

    def work(k: int) -> None:
        try:
            with crew[k] as w:
                while not stop.is_set():
                    try:
                        chunk = chunks.get_nowait()
                    except queue.Empty:
                        break
                    for r in w.run(chunk):
                        results.put((f"local-{k}", r))
        except BaseException as e:  # surfaced in the main thread
            results.put((None, e))
        finally:
            results.put((None, None))

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(crew))]
    for t in threads:
        t.start()
    running, error, finished = len(threads), None, False
    try:
        while running:
            batch = [results.get()]
            while True:  # commit whatever has arrived together
                try:
                    batch.append(results.get_nowait())
                except queue.Empty:
                    break
            by_worker: dict[str, list[EngineResult]] = {}
            for who, item in batch:
                if who is None:
                    if item is None:
                        running -= 1
                    elif error is None:
                        error = item
                        stop.set()
                        for w in crew:  # the others' chunks are lost anyway: stop them now
                            w.kill()
                else:
                    by_worker.setdefault(who, []).append(item)
            for who, items in by_worker.items():
                sink(items, who)
        finished = True
    finally:
        stop.set()
        if not finished:  # interrupted (Ctrl-C, SIGTERM) or the sink failed: engines go now
            for w in crew:
                w.kill()
            for t in threads:
                t.join(timeout=10)
    if error is not None:
        raise error


def _dask_chunk(build, config: str, chunk: list, snapshot: str,
                watchdog: float | None) -> list[tuple]:
    with Worker(build, config, snapshot=snapshot, watchdog=watchdog) as w:
        return [tuple(r.__dict__.values()) for r in w.run(chunk)]


@contextmanager
def _dask_client(address: str | None, workers: int) -> Iterator:
    """A client of the scheduler at ``address``, or of a new ``LocalCluster``."""
    from distributed import Client, LocalCluster

    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout=_CONNECT_TIMEOUT)
    except (OSError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SchedulerError(f"cannot reach the Dask scheduler at {address} ({reason}); "
                             "start it (dask scheduler), or leave out the address for a "
                             "local cluster") from None
    with client:
        yield client


def _run_dask(prep: Prepared, pending: list, workers: int, sink: Callable, client,
              snapshot: str, watchdog: float | None) -> None:
    from distributed import as_completed

    futures = [client.submit(_dask_chunk, prep.build, prep.config, chunk, snapshot, watchdog,
                             pure=False)
               for chunk in _chunks(pending, _chunk_size(len(pending), workers))]
    try:
        for future in as_completed(futures):
            who = f"dask-{future.key[-8:]}"
            sink([EngineResult(*row) for row in future.result()], who)
    finally:
        client.cancel(futures)


def run_campaign(spec: CampaignSpec, db_path: Path, *, workers: int | None = None,
                 executor: str = "local", address: str | None = None,
                 shard: tuple[int, int] = (0, 1), build_root: Path = SIM_BUILD,
                 progress: Callable[[Progress], None] | None = None,
                 limit: int | None = None, snapshot: str = "copy",
                 watchdog: float | None = None) -> Path:
    """Run (or resume) the campaign into ``db_path``; returns the path.

    ``limit`` stops after that many new results (for tests and quick looks). ``snapshot``
    is the engine's snapshot method (``"copy"`` or ``"fork"``, same results; see
    :meth:`fault_campaigns.engine.Engine.run`). ``watchdog``: seconds to wait for one
    injection's result before it is a hang (``None``: derived from the golden run,
    :func:`fault_campaigns.worker.watchdog_seconds`; ``0``: no watchdog).

    Raises
    ------
    UsageError
        Bad arguments, the database cannot be written or is busy (:class:`CampaignDBError`),
        the scheduler cannot be reached (:class:`SchedulerError`), the workload or design
        is unusable (from :func:`fault_campaigns.prepare.prepare`).
    EngineError
        The engine failed for a reason that is not the design.
    """
    if executor not in EXECUTORS:
        raise ParameterError(f"executor must be one of {EXECUTORS}, not {executor!r}")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ParameterError(f"workers must be at least 1, not {workers}")
    if address is not None and executor != "dask":
        raise ParameterError("a scheduler address needs the dask executor")
    if watchdog is not None and not watchdog >= 0:
        raise ParameterError(f"watchdog must be >= 0 seconds (0: none), not {watchdog}")
    with ExitStack() as stack:
        stack.enter_context(campaign_lock(db_path))  # before any work: a second run refuses
        client = stack.enter_context(_dask_client(address, workers)) if (
            executor == "dask") else None
        db, prep = open_campaign(spec, db_path, build_root=build_root, shard=shard)
        stack.callback(db.close)
        if watchdog is None:
            watchdog = watchdog_seconds(prep.golden_seconds, prep.cycles,
                                        spec.workload.hang_factor, spec.workload.hang_extra)
        _execute(db, prep, shard, workers, client, progress, limit, snapshot,
                 watchdog or None)
    return Path(db_path)


def _execute(db: CampaignDB, prep: Prepared, shard: tuple[int, int], workers: int, client,
             progress, limit: int | None, snapshot: str, watchdog: float | None) -> None:
    """Run the pending injections of ``shard`` into ``db``."""
    index, count = shard
    pending = db.pending(shard)
    total = len([i for i in range(db.planned()) if i % count == index])
    state = Progress(total=total, done=total - len(pending), resumed=total - len(pending),
                     tallies=Counter(r["outcome"] for r in db.results()
                                     if r["id"] % count == index),
                     started=time.time())
    if limit is not None:
        pending = pending[:limit]
    if progress:
        progress(state)

    def sink(items: list[EngineResult], who: str) -> None:
        db.add(items, who)
        state.done += len(items)
        state.tallies.update(r.outcome for r in items)
        state.sim_cycles += sum(r.sim_cycles for r in items)
        if progress:
            progress(state)

    if pending:
        if client is None:
            _run_local(prep, pending, workers, sink, snapshot, watchdog)
        else:
            _run_dask(prep, pending, workers, sink, client, snapshot, watchdog)


def merge(inputs: Sequence[Path], output: Path) -> Path:
    """Join shard databases of one campaign into ``output`` (which must not exist).

    Raises :class:`CampaignDBError` when the inputs belong to different campaigns or two
    of them disagree about an injection's result.
    """
    if not inputs:
        raise ParameterError("merge needs at least one input database")
    output = Path(output)
    with campaign_lock(output):
        if output.exists():
            raise CampaignDBError(f"{output} exists; refusing to overwrite it")
        dbs = [CampaignDB.open_existing(p) for p in inputs]
        try:
            _merge_into(dbs, output)
        finally:
            for db in dbs:
                db.close()
    return output


def _merge_into(dbs: list[CampaignDB], output: Path) -> None:
    ident = dbs[0].meta("campaign")
    for db in dbs[1:]:
        if db.meta("campaign") != ident:
            raise CampaignDBError(f"{db.path} belongs to a different campaign than "
                                  f"{dbs[0].path}")
    seen: dict[int, tuple] = {}
    notes: dict[int, str] = {}
    observed: dict[int, str] = {}
    for db in dbs:
        for row in db.conn.execute("SELECT * FROM results"):
            key = row[:7]  # id .. early; worker and time may differ
            if row[0] in seen and seen[row[0]][:7] != key:
                raise CampaignDBError(f"injection {row[0]} has different results in "
                                      f"{db.path} and another input")
            seen[row[0]] = row
        notes.update(db.messages())
        observed.update({i: ",".join(f"{k}:{w:x}" for k, w in words.items())
                         for i, words in db.observed().items()})
    tmp = output.with_name(output.name + ".merging")
    tmp.unlink(missing_ok=True)
    dst = sqlite3.connect(tmp, isolation_level=None)
    try:
        dbs[0].conn.backup(dst)
        dst.execute("BEGIN")
        dst.execute("DELETE FROM results")
        dst.executemany("INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?)", seen.values())
        dst.execute(MESSAGES_TABLE)
        dst.execute("DELETE FROM messages")
        dst.executemany("INSERT INTO messages VALUES (?, ?)",
                        ((i, t) for i, t in sorted(notes.items()) if i in seen))
        if observed:
            dst.execute(OBSERVED_TABLE)
            dst.execute("DELETE FROM observed")
            dst.executemany("INSERT INTO observed VALUES (?, ?)",
                            ((i, t) for i, t in sorted(observed.items()) if i in seen))
        dst.execute("COMMIT")
    finally:
        dst.close()
    tmp.rename(output)


__all__ += ["open_campaign", "resume_spec", "EngineError"]
