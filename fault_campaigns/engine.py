"""Build and drive the native injection engine (``engine.cpp``) for one design.

One Verilator build per design (and per hardening profile, which is a different design),
cached by a hash of everything that goes into it (sources, top, parameters and Verilator
arguments, public variables, the engine source), in a build directory named by that hash:
two designs, or one design with two target sets, never share a directory, so concurrent
campaigns cannot clobber each other's engine. Only the design's state variables (and the
workload's preload and event variables) are made visible, through a Verilator control file;
everything else stays private to Verilator's optimiser. A campaign on combinational nets
(single-event transients, net stuck-at) gets a build of its own, named ``_nets``, whose
control file also makes those nets ``forceable``: Verilator keeps each one as a variable with
force enable and value signals the engine drives. Only that build pays for it; the default
builds and their keys are as without nets.

:class:`Engine` is one engine process: :meth:`Engine.golden` runs the fault-free workload,
:meth:`Engine.run` a batch of injections (many per process; see ``engine.cpp`` for the
protocol, the checkpointing and how traps of the design become ``crash`` results). The
configuration goes to the process on its stdin, so no file is left behind whatever happens
to it; the process runs in its own session (the watchdog kills it with everything it
forked) and dies with the thread that started it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from orbitbench.sim import SIM_BUILD, locked
from orbitbench.sim.toolchain import LINT_WAIVERS, find_verilator
from orbitbench.spec.errors import UsageError

from .targets import StateVar

__all__ = ["ENGINE_SRC", "design_header", "EngineBuild", "EngineError", "EngineDied", "EngineHang",
           "GoldenTrap", "Engine", "EngineResult", "build_engine", "scope_of"]

ENGINE_SRC = Path(__file__).resolve().with_name("engine.cpp")
SNAPSHOTS = ("copy", "fork")
MAX_ERR = (1 << 63) - 1  # largest error magnitude recorded (SQLite integers are 64-bit signed)

# Verilator and C++ optimisation: the raw benchmark's choice (bench/raw.py, measured there),
# without profile-guided optimisation (the campaign builds one model per profile).
OPT_ARGS: tuple[str, ...] = ("-O3", "--x-assign", "fast", "--x-initial", "fast",
                             "-MAKEFLAGS", "OPT_FAST=-O3 OPT_GLOBAL=-O3")


# Verilator's $fatal/$stop/$finish end in vl_fatal/vl_finish; engine.cpp defines its own.
TRAP_ARGS: tuple[str, ...] = ("-CFLAGS", "-DVL_USER_FATAL", "-CFLAGS", "-DVL_USER_FINISH")

# Signals that mean the model's own code crashed (not someone killing the process).
_CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
                            signal.SIGABRT})


class EngineError(RuntimeError):
    """The engine could not be built or started, or it failed while running."""


class EngineDied(EngineError):
    """The engine process ended while a reply was due.

    Members
    -------
    returncode : int
        Its exit status; negative: killed by that signal.
    stderr : str
        What it said before it ended (its own errors start with ``engine:``).
    """

    def __init__(self, returncode: int, stderr: str):
        self.returncode, self.stderr = returncode, stderr
        if returncode < 0:
            how = f"was killed by {signal.Signals(-returncode).name}"
        else:
            how = f"exited with status {returncode}"
        super().__init__(f"engine {how}" + (f": {stderr}" if stderr else ""))

    @property
    def engine_failed(self) -> bool:
        """The engine stopped on an error of its own (a protocol or consistency check)."""
        return self.returncode == 2 and "engine: " in self.stderr

    @property
    def model_crashed(self) -> bool:
        """It died of a fault in its own code (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)."""
        return self.returncode < 0 and -self.returncode in _CRASH_SIGNALS


class EngineHang(EngineError):
    """No reply within the watchdog's time; the engine and what it forked were killed."""


class GoldenTrap(UsageError, RuntimeError):
    """The design ended its own fault-free run ($finish, $stop, $fatal, ...) or never
    raised ``done``: there is no golden run to inject faults into."""


@dataclass(frozen=True)
class Ports:
    """Port names of the workload top module (see :mod:`fault_campaigns.workload`).

    Members
    -------
    clk, rst : str
        Clock and reset inputs (1 bit). The engine holds ``rst`` active for the workload's
        reset cycles, then releases it; ``rst_active_low`` says active is 0 (``rst_n``). An
        asynchronous reset works the same way: it is asserted before the first edge.
    done : str or None
        1-bit output that ends the job; ``None``: the job is the stimulus, it ends after
        its last cycle (:attr:`fault_campaigns.workload.Workload.stimulus`).
    out_valid : str or None
        1-bit strobe: the observation points are compared in the cycles it is high;
        ``None``: in every cycle. ``valid_on_rise``: only in the cycle it rises (a level
        "result valid" that stays high).
    out_data : str or tuple of str
        The observation points: output ports of any width, each one or more 64-bit words
        (least significant first) per observed cycle.
    inputs : tuple of str
        The inputs the stimulus drives, in the order its entries number them.
    """

    clk: str = "clk"
    rst: str = "rst"
    done: str | None = "done"
    out_valid: str | None = "out_valid"
    out_data: str | tuple[str, ...] = "out_data"
    rst_active_low: bool = False
    inputs: tuple[str, ...] = ()
    valid_on_rise: bool = False

    def __post_init__(self):
        if self.valid_on_rise and not self.out_valid:
            raise ValueError("valid_on_rise needs an out_valid port")

    @property
    def observed(self) -> tuple[str, ...]:
        """The observation ports, in the order their words are compared."""
        return (self.out_data,) if isinstance(self.out_data, str) else tuple(self.out_data)

    def key(self) -> dict:
        """The names as stored in a workload's identity (fields at their defaults that
        older databases did not have are left out, so those keep their identity)."""
        d = dict(self.__dict__)
        for name in ("rst_active_low", "inputs", "valid_on_rise"):
            if not d[name]:
                del d[name]
        if not isinstance(d["out_data"], str):
            d["out_data"] = list(d["out_data"])
        return d


def design_header(ports: Ports) -> str:
    """The generated ``engine_design.h``: how the engine reaches the design's ports."""
    observe = " ".join(f"obt_push(s.top->{_cpp_name(n)}, push);" for n in ports.observed)
    cases = "\n".join(
        f"    case {i}: *bytes = sizeof(t->{_cpp_name(n)}); "
        f"if (t) *ptr = static_cast<void*>(&t->{_cpp_name(n)}); return true;"
        for i, n in enumerate(ports.inputs))
    return "\n".join([
        "// generated by fault_campaigns/engine.py",
        f"#define OBT_CLK {_cpp_name(ports.clk)}",
        f"#define OBT_RST {_cpp_name(ports.rst)}",
        f"#define OBT_RST_ON {0 if ports.rst_active_low else 1}",
        f"#define OBT_DONE_NAME \"{ports.done or 'the end of the stimulus'}\"",
        (f"#define OBT_IS_DONE(s) ((s).top->{_cpp_name(ports.done)})" if ports.done
         else "#define OBT_IS_DONE(s) ((s).cycle >= g_stim_end)"),
        (f"#define OBT_IS_VALID(s) ((s).rise((s).top->{_cpp_name(ports.out_valid)}))"
         if ports.valid_on_rise else
         f"#define OBT_IS_VALID(s) ((s).top->{_cpp_name(ports.out_valid)})" if ports.out_valid
         else "#define OBT_IS_VALID(s) (true)"),
        f"#define OBT_OBSERVE(s, push) do {{ {observe} }} while (0)",
        "// input i of the stimulus: its storage in model t (t null: only its size)",
        "inline bool obt_input(Vtop* t, int i, void** ptr, size_t* bytes) {",
        "    (void)t; (void)ptr; (void)bytes;",
        "    switch (i) {", *([cases] if cases else []),
        "    default: return false;", "    }", "}", ""])


@dataclass(frozen=True)
class EngineBuild:
    exe: Path
    build_dir: Path
    key: str
    trace: bool
    raw: bool


def _cpp_name(port: str) -> str:
    # Verilator escapes "__" in identifiers (bus__adr -> bus___05Fadr).
    return port.replace("__", "___05F")


def scope_of(top: str, var: StateVar) -> tuple[str, str]:
    """(Verilator scope name, variable name) of a state variable in the engine's model."""
    return ("top." + top + ("." + var.module if var.module else "")), var.vname or var.name


def _control_file(public: Iterable[tuple[str, str]],
                  forceable: Iterable[tuple[str, str]] = ()) -> str:
    lines = ["`verilator_config"]
    for module, var in sorted(set(public)):
        lines.append(f'public_flat_rw -module "{module}" -var "{var}"')
    for module, var in sorted(set(forceable)):
        lines.append(f'forceable -module "{module}" -var "{var}"')
    return "\n".join(lines) + "\n"


def build_engine(top: str, sources: Sequence[Path], public: Iterable[tuple[str, str]],
                 ports: Ports = Ports(), *, trace: bool = False, raw: bool = False,
                 extra_args: Sequence[str] = (), build_root: Path = SIM_BUILD,
                 forceable: Iterable[tuple[str, str]] = ()) -> EngineBuild:
    """Build (or reuse) the engine for ``top``.

    ``public`` lists (module type, variable) pairs to make visible: the state, preload and
    event variables. ``forceable`` lists the nets a transient or net stuck-at campaign
    forces (a separate ``_nets`` build; none: the build is as before nets existed).
    ``trace`` adds FST waveform support (for replays); ``raw`` only names the build apart:
    the speed reference of ``make bench-campaign``, built with nothing public but the
    workload's preload memory.
    """
    verilator = find_verilator()
    public = tuple(sorted(set(public)))
    forceable = tuple(sorted(set(forceable)))
    vlt_text = _control_file(public, forceable)
    header = design_header(ports)
    args = ["--cc", "--exe", "--build", "-j", "0", "--prefix", "Vtop", "-o", "engine",
            "--top-module", top, *LINT_WAIVERS, *OPT_ARGS, *TRAP_ARGS, *extra_args]
    if trace:
        args += ["--trace-fst", "-CFLAGS", "-DOBT_TRACE"]
        if _has_lz4_dev():
            args += ["-CFLAGS", "-DOBT_SYSTEM_LZ4"]  # part of the key only
    h = hashlib.sha256(json.dumps([top, args, vlt_text, header, verilator.version,
                                   str(verilator.executable)]).encode())
    for src in (*sources, ENGINE_SRC):
        h.update(Path(src).read_bytes())
    key = h.hexdigest()[:16]
    flavour = ("_nets" if forceable else "") + ("_trace" if trace else "_raw" if raw else "")
    build_dir = Path(build_root) / f"campaign_{top}{flavour}-{key}"
    exe, stamp = build_dir / "engine", build_dir / "orbitbench.stamp"
    with locked(build_dir.parent / f"{build_dir.name}.lock"):
        if stamp.exists() and stamp.read_text() == key and exe.exists():
            return EngineBuild(exe, build_dir, key, trace, raw)
        if build_dir.exists():
            if any(build_dir.iterdir()) and not (build_dir / "build.log").exists():
                raise EngineError(f"{build_dir} is not an engine build; refusing to overwrite")
            shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        (build_dir / "engine_design.h").write_text(header)
        if trace:
            args += _lz4_shim(build_dir)
        vlt = build_dir / "public.vlt"
        vlt.write_text(vlt_text)
        log = build_dir / "build.log"
        cmd = [str(verilator.executable), *args, "-CFLAGS", f"-I{build_dir}",
               "-Mdir", str(build_dir), str(vlt), *(str(s) for s in sources), str(ENGINE_SRC)]
        print(f"orbitbench: building the injection engine for {top}"
              f"{f' ({len(forceable)} forceable nets)' if forceable else ''}"
              f"{' (waves)' if trace else ' (raw reference)' if raw else ''} in {build_dir}",
              file=sys.stderr)
        env = verilator.env()
        env["MAKEFLAGS"] = " ".join(f for f in env.get("MAKEFLAGS", "").split()
                                    if not f.startswith(("OPT_FAST=", "OPT_GLOBAL=")))
        with open(log, "w") as out:
            out.write("$ " + shlex.join(cmd) + "\n")
            out.flush()
            proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  check=False)
        if proc.returncode != 0 or not exe.exists():
            lines = log.read_text(errors="replace").splitlines()[1:]
            first = next((ln for ln in lines if "rror" in ln), lines[-1] if lines else "")
            raise EngineError(f"the engine build for {top} failed (exit {proc.returncode}): "
                              f"{first.strip()[:300]} (whole log: {log})")
        stamp.write_text(key)
    return EngineBuild(exe, build_dir, key, trace, raw)


_LZ4_H = """// generated by fault_campaigns/engine.py: the two LZ4 functions Verilator's FST writer
// uses (liblz4 1.9 API), for machines with the liblz4 runtime but not its headers.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
int LZ4_compressBound(int inputSize);
int LZ4_compress_default(const char* src, char* dst, int srcSize, int dstCapacity);
#ifdef __cplusplus
}
#endif
"""
_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
             "/usr/local/lib", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu")


def _injection_line(ident: int, cycle: int, flips: Sequence[tuple[int, ...]]) -> str:
    """The engine command of one injection: ``inj`` (flips) or ``stuck`` (stuck bits, one
    value for all of them)."""
    bits = " ".join(f"{f[0]} {f[1]} {f[2]}" for f in flips)
    values = {f[3] for f in flips if len(f) == 4}
    if not values:
        return f"inj {ident} {cycle} {len(flips)} {bits}\n"
    if len(values) != 1 or any(len(f) != 4 for f in flips):
        raise ValueError(f"injection {ident}: stuck bits need one value for all, not {flips}")
    return f"stuck {ident} {cycle} {values.pop()} {len(flips)} {bits}\n"


def _has_lz4_dev() -> bool:
    return any(Path(d, "liblz4.so").exists() for d in _LIB_DIRS) and Path(
        "/usr/include/lz4.h").exists()


def _lz4_shim(build_dir: Path) -> list[str]:
    """Verilator's FST writer includes <lz4.h> and links -llz4. A fresh Debian machine has
    the LZ4 runtime (liblz4.so.1, needed by apt itself) but not the development package, so
    without it the build gets a two-function header and a link name in its own directory."""
    if _has_lz4_dev():
        return []
    lib = next((Path(d, "liblz4.so.1") for d in _LIB_DIRS if Path(d, "liblz4.so.1").exists()),
               None)
    if lib is None:
        raise EngineError("FST waveforms need the LZ4 library (Debian: liblz4-1 or "
                          "liblz4-dev), which this machine lacks")
    (build_dir / "lz4.h").write_text(_LZ4_H)
    (build_dir / "liblz4.so").symlink_to(lib)
    return ["-LDFLAGS", f"-L{build_dir}"]


@dataclass(frozen=True)
class EngineResult:
    """What one injection did, as the engine reports it."""

    id: int
    outcome: str
    sim_cycles: int  # cycles the faulty continuation simulated
    end_cycle: int  # workload cycle where it stopped (done, early stop, hang bound, trap)
    wrong: int  # output elements that differ from the golden run (SDC/DUE)
    max_err: int  # largest absolute difference of an output element
    early: bool  # stopped early: state equal to the golden run's (masked)
    message: str = ""  # why a crash (or a watchdog hang) stopped, else empty
    #: the wrong data words of an SDC/DUE, ``"IDX:HEX,..."`` (workloads with
    #: ``observe_words``; index into the output stream, the faulty word), else empty
    words: str = ""


class Engine:
    """One running engine process (a context manager).

    The process dies with the thread that started it (Linux ``PR_SET_PDEATHSIG``): use an
    engine from the thread that made it.

    Raises
    ------
    EngineError
        The engine executable cannot be started (for example it was deleted).
    """

    def __init__(self, build: EngineBuild, config: str, *, waves: Path | None = None):
        self.build = build
        self.golden_seconds: float | None = None  # wall time of the last golden run
        argv = [str(build.exe), "-"]
        if waves is not None:
            argv.append(str(waves))
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0,
                                         start_new_session=True)
        except OSError as exc:
            raise EngineError(f"cannot start the injection engine {build.exe} "
                              f"({exc.strerror}); it was built in {build.build_dir}: run the "
                              "command again to rebuild it") from None
        self._buf = bytearray()
        self._send(config + ("" if config.endswith("\n") else "\n") + "end\n")

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def kill(self) -> None:
        """End the process (and anything it forked) now; safe from any thread."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send("quit\n")
                self.proc.wait(timeout=10)
            except (EngineError, subprocess.TimeoutExpired):
                self.kill()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def _send(self, text: str) -> None:
        view = memoryview(text.encode())
        try:
            while view:
                view = view[os.write(self.proc.stdin.fileno(), view):]
        except (OSError, ValueError):  # broken pipe, or closed by kill() from another thread
            self._died()

    def _line(self, timeout: float | None = None) -> str:
        """The next protocol line; :class:`EngineHang` after ``timeout`` seconds without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = self._buf[:end].decode(errors="replace")
                del self._buf[:end + 1]
                return line
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    self.kill()
                    raise EngineHang(f"no reply from the engine within {timeout:.3g} s")
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._died()
            self._buf += chunk

    def _died(self):
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        try:
            err = self.proc.stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            err = ""
        raise EngineDied(self.proc.returncode, " ".join(err.splitlines()[-3:]))

    def golden(self) -> tuple[int, list[int]]:
        """(workload cycles, output words) of the fault-free run.

        Raises
        ------
        GoldenTrap
            The design ended the run itself, or never raised ``done``.
        """
        t0 = time.perf_counter()
        self._send("golden\n")
        line = self._line()
        self.golden_seconds = time.perf_counter() - t0
        parts = line.split()
        if parts and parts[0] == "trap":
            _, cycle, kind, what = line.split(maxsplit=3)
            if kind == "finish":
                where = what.split(": ")[0]
                raise GoldenTrap(f"the design ended the fault-free run with $finish in cycle "
                                 f"{cycle} ({where}) before raising done: a campaign design "
                                 "must end its job by raising done, without $finish")
            if kind == "timeout":
                raise GoldenTrap(f"the fault-free run never raised done: port {what}; check "
                                 "the done port and the stimulus (a campaign file's "
                                 "observe.max_cycles sets the limit)")
            raise GoldenTrap(f"the design stopped its fault-free run in cycle {cycle}: {what}; "
                             "fix the design (or its workload) before injecting faults")
        if not parts or parts[0] != "golden":
            raise EngineError(f"unexpected engine reply {line[:200]!r}")
        cycles, count = int(parts[1]), int(parts[2])
        return cycles, [int(w, 16) for w in parts[3:3 + count]]

    def run(self, injections: Iterable[tuple[int, int, Sequence[tuple[int, int, int]]]],
            *, early_stop: bool = True, replay: bool = False, snapshot: str = "copy",
            timeout: float | None = None):
        """Yield an :class:`EngineResult` per ``(id, cycle, flips)`` as each finishes, in
        the engine's order: by cycle, ties in the given order.

        ``flips`` are ``(var id, element, bit)`` triples, all applied at ``cycle``, or
        ``(var id, element, bit, value)`` for bits stuck at ``value`` from ``cycle`` on. A
        flip of a net (``net`` in the configuration) is a single-event transient: the net's
        settled value inverted for the evaluation before the edge that ends ``cycle``.
        ``snapshot``: how a faulty continuation starts from the parent's state, ``"copy"``
        (byte copy of the model, checked against the golden run; the default) or ``"fork"``
        (a forked child; slower, needs no check). ``replay`` runs the one injection from
        reset without either (for waveforms). ``timeout``: seconds to wait for each result
        (``None``: forever).

        Raises
        ------
        EngineHang
            No result within ``timeout``: the process was killed.
        EngineDied
            The process ended before it answered.
        """
        if snapshot not in SNAPSHOTS:
            raise ValueError(f"snapshot must be one of {SNAPSHOTS}, not {snapshot!r}")
        lines = [f"early_stop {int(early_stop)}\n", f"snapshot {snapshot}\n"]
        for ident, cycle, flips in injections:
            lines.append(_injection_line(ident, cycle, flips))
        lines.append("replay\n" if replay else "run\n")
        self._send("".join(lines))
        while True:
            line = self._line(timeout)
            parts = line.split(maxsplit=8)
            if parts and parts[0] == "ok":
                return
            if not parts or parts[0] != "res" or len(parts) < 8:
                raise EngineError(f"unexpected engine reply {line[:200]!r}")
            # a 64-bit unsigned element's difference can exceed SQLite's int64: saturate
            tail = parts[8] if len(parts) > 8 else ""
            words = tail[3:] if tail.startswith("@w ") else ""
            yield EngineResult(int(parts[1]), parts[2], int(parts[3]), int(parts[4]),
                               int(parts[5]), min(int(parts[6]), MAX_ERR), parts[7] == "1",
                               "" if words else tail, words)
