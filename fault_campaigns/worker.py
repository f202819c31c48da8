"""One campaign worker: an engine process that is replaced whenever an injection ends it.

What an injection can do to the engine, and what the worker makes of it:

* the design traps ($fatal, $stop, $error, a failed assertion, $finish, non-convergence):
  the engine itself reports ``crash`` with the message and carries on (``engine.cpp``);
* the model's evaluation never returns: no result within the **watchdog** time, so the
  worker kills the engine (and whatever it forked), records the injection as ``hang`` with
  :data:`HANG_MESSAGE`, starts a new engine and goes on with the next injection;
* the engine process dies: the worker starts a new one and re-runs the rest of the chunk,
  from the injection that was running. If the model's own code crashed (SIGSEGV, SIGBUS,
  SIGFPE, SIGILL, SIGABRT) twice on that injection, it is recorded as ``crash``; if the
  engine stopped on an error of its own (a consistency check), or one injection ended it
  :data:`MAX_DEATHS` times for another reason (killed from outside, ...), the campaign
  fails with an :class:`~fault_campaigns.engine.EngineError` saying so.

Results are deterministic whatever happens to the processes: an injection's result depends
only on its plan entry, and a chunk re-run after a death gives the same results.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator, Sequence

from .engine import Engine, EngineBuild, EngineDied, EngineError, EngineHang, EngineResult

__all__ = ["Worker", "watchdog_seconds", "HANG_MESSAGE", "MAX_DEATHS", "WATCHDOG_FACTOR",
           "WATCHDOG_FLOOR"]

#: The message stored with an injection the watchdog ended (the same on every run).
HANG_MESSAGE = "no result within the watchdog time: the model's evaluation never returned"
#: Deaths of the engine on one injection (not traps of the design) before the campaign fails.
MAX_DEATHS = 3
#: watchdog = FLOOR + FACTOR x (golden run's wall time) x (cycles one result may need / T)
WATCHDOG_FLOOR = 10.0
WATCHDOG_FACTOR = 20.0

Injection = tuple[int, int, Sequence[tuple[int, int, int]]]


def watchdog_seconds(golden_seconds: float, cycles: int, hang_factor: float,
                     hang_extra: int) -> float:
    """The default wall-clock limit for one result, from the golden run's speed.

    Between two results the engine advances its parent model by at most the workload
    (``cycles``) and runs one faulty continuation of at most ``hang_factor x cycles +
    hang_extra`` cycles; the limit allows :data:`WATCHDOG_FACTOR` times the golden run's
    time for that, plus :data:`WATCHDOG_FLOOR` seconds for a loaded machine.
    """
    per_result = 1.0 + hang_factor + hang_extra / max(cycles, 1)
    return WATCHDOG_FLOOR + WATCHDOG_FACTOR * golden_seconds * per_result


class Worker:
    """An engine process that survives its injections (a context manager).

    Parameters
    ----------
    build, config
        The engine build and configuration (:class:`~fault_campaigns.prepare.Prepared`).
    snapshot : str
        ``"copy"`` or ``"fork"`` (:meth:`fault_campaigns.engine.Engine.run`).
    watchdog : float or None
        Seconds to wait for each result; ``None``: wait forever.

    Raises
    ------
    EngineError
        From :meth:`run`: the engine cannot start, stopped on an error of its own, or one
        injection ended it :data:`MAX_DEATHS` times without being a trap of the design.
    """

    def __init__(self, build: EngineBuild, config: str, *, snapshot: str = "copy",
                 watchdog: float | None = None):
        self.build, self.config = build, config
        self.snapshot, self.watchdog = snapshot, watchdog
        self.engine: Engine | None = None
        self.replaced = 0  # engines started after the first (deaths, hangs)
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            engine, self.engine = self.engine, None
        if engine is not None:
            engine.close()

    def kill(self) -> None:
        """Stop now, from any thread: the current engine is killed and :meth:`run` returns."""
        self._stopping.set()
        with self._lock:
            engine = self.engine
        if engine is not None:
            engine.kill()

    def _drop(self) -> None:
        with self._lock:
            engine, self.engine = self.engine, None
        if engine is not None:
            engine.kill()
            engine.close()

    def _start(self) -> Engine:
        last: EngineDied | None = None
        for _ in range(MAX_DEATHS):
            engine = Engine(self.build, self.config)
            with self._lock:
                self.engine = engine
            if self._stopping.is_set():  # kill() came while the engine was starting
                engine.kill()
            try:
                engine.golden()
                return engine
            except EngineDied as exc:
                self._drop()
                if self._stopping.is_set():
                    raise
                last = exc
        raise EngineError(f"the injection engine {self.build.exe} died {MAX_DEATHS} times in "
                          f"its fault-free run ({last}); that is not a trap of the design")

    def run(self, chunk: Sequence[Injection]) -> Iterator[EngineResult]:
        """Yield one result per injection of ``chunk`` (in the engine's order), whatever
        the injections do to the engine; returns early after :meth:`kill`."""
        order = sorted(chunk, key=lambda inj: inj[1])  # the engine's (stable) order
        done = 0
        deaths: Counter = Counter()
        while done < len(order) and not self._stopping.is_set():
            try:
                if self.engine is None:
                    if deaths or done:
                        self.replaced += 1
                    self._start()
                for r in self.engine.run(order[done:], snapshot=self.snapshot,
                                         timeout=self.watchdog):
                    if r.id != order[done][0]:
                        raise EngineError(f"the engine answered injection {r.id} where "
                                          f"{order[done][0]} was due")
                    done += 1
                    yield r
                return
            except EngineHang:
                self._drop()
                if self._stopping.is_set():
                    return
                ident, cycle, _ = order[done]
                done += 1
                yield EngineResult(ident, "hang", 0, cycle, 0, 0, False, HANG_MESSAGE)
            except EngineDied as exc:
                self._drop()
                if self._stopping.is_set():
                    return
                ident, cycle, _ = order[done]
                if exc.engine_failed:
                    raise EngineError(f"the injection engine stopped at injection {ident}: "
                                      f"{exc.stderr.removeprefix('engine: ')}") from None
                deaths[ident] += 1
                if exc.model_crashed and deaths[ident] >= 2:
                    done += 1
                    sig = -exc.returncode
                    yield EngineResult(ident, "crash", 0, cycle, 0, 0, False,
                                       f"the model crashed with signal {sig} "
                                       f"({signal.strsignal(sig)})")
                elif deaths[ident] >= MAX_DEATHS:
                    raise EngineError(f"injection {ident} ended the injection engine "
                                      f"{deaths[ident]} times ({exc}); that is not a trap of "
                                      "the design (those are recorded as 'crash'): is "
                                      "something killing the engine, or did its binary "
                                      "change?") from None
