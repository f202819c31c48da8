"""Raw Verilator speed of the tile: the simulation speed limit of the design on one core.

A native C++ loop (``bench/raw_main.cpp``) drives the verilated tile over its Wishbone port
with nothing in between: no VPI, no ``--public-flat-rw``, no Python. It replays the tile
program of one GEMM (:func:`orbitbench.driver.program.make_workload`: load A, B, bias, MULT,
SHIFT; program the command registers; IRQ_ENABLE, START; wait for ``irq``; read STATUS,
CYCLES, STATUS; clear DONE; read the result rows back) as packed op words (little-endian
uint64 each), repeated until the time budget is spent, and reports simulated clock cycles
per CPU second of that loop (wall time beside it). The words it read back in the first
repeat are compared here with :func:`golden_models.tile.run_tile`, and every later repeat must read
the same words: a benchmark whose DUT computes garbage is not a benchmark.

``python -m orbitbench.apps.bench.raw`` prints :func:`measure_raw`'s figures as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orbitbench.driver.program import GemmProgram, make_workload
from orbitbench.sim import LINT_WAIVERS, SIM_BUILD, find_verilator, locked, tile_design
from orbitbench.spec.params import CONFIGS, TileConfig
from orbitbench.spec.regmap import ADDR_WIDTH, Status

__all__ = ["OPT_ARGS", "HARNESS", "RawBuild", "build_raw", "measure_raw", "main"]

HARNESS = Path(__file__).resolve().with_name("raw_main.cpp")

# Verilator and C++ optimisation of the raw build, chosen by measurement (default tile,
# 64x64x64 workload, one pinned core, best of 3 x 2 s; Verilator 5.049, g++ 12.2):
#   Verilator defaults (OPT_FAST=-Os)                            0.45 M cycles/s
#   -O3 --x-assign fast --x-initial fast, OPT_FAST=-Os            0.45 M
#   same, OPT_FAST=-O2                                           0.87 M
#   same, OPT_FAST=-O3                                           1.04 M  <- OPT_ARGS
#   OPT_FAST=-O3 without Verilator -O3, or without --x-* fast     1.04-1.05 M (no effect)
#   OPT_FAST=-O3 plus -march=native, or plus -flto                1.05 M (within noise; not
#                                                                 portable / slower build)
#   OPT_ARGS plus g++ profile-guided optimisation (pgo=True)     1.28 M  <- default
# -O3 turns on all of Verilator's own optimisations; --x-assign/--x-initial fast let it pick
# the cheapest value for X (the design gives every register and memory an initial value, so
# results cannot depend on it). OPT_FAST/OPT_GLOBAL are the g++ levels of the model's
# per-cycle code and of the Verilator runtime (the Makefile's default is -Os).
OPT_ARGS: tuple[str, ...] = (
    "-O3", "--x-assign", "fast", "--x-initial", "fast",
    "-MAKEFLAGS", "OPT_FAST=-O3 OPT_GLOBAL=-O3",
)
# Profile-guided optimisation: build instrumented, run a training GEMM (same size as the
# benchmark, different operands: seed _PGO_SEED), rebuild with the profile.
_PGO_GEN = ("-CFLAGS", "-fprofile-generate -fprofile-update=single",
            "-LDFLAGS", "-fprofile-generate")
_PGO_USE = ("-CFLAGS", "-fprofile-use -fprofile-correction")
_PGO_SEED = 12345
_PGO_REPEATS = 20

# The base of every raw build: C++ model + our main, built by Verilator's own Makefile; the
# main decodes op words with the tile's word-address width.
_BASE_ARGS = ("--cc", "--exe", "--build", "-j", "0", "--prefix", "Vtop", "-o", "raw_harness",
              "-CFLAGS", f"-DOBT_ADDR_WIDTH={ADDR_WIDTH}")



@dataclass(frozen=True)
class RawBuild:
    """A compiled raw harness for one tile."""

    exe: Path
    build_dir: Path
    key: str
    build_seconds: float  # time spent building in this call (about 0 when cached)
    cached: bool


def _compiler_id() -> str:
    cxx = os.environ.get("CXX", "g++")
    try:
        out = subprocess.run([*shlex.split(cxx), "--version"], capture_output=True, text=True,
                             check=False, timeout=30)
        return cxx + " " + out.stdout.splitlines()[0] if out.stdout else cxx
    except (OSError, subprocess.SubprocessError):
        return cxx


def _build_env() -> dict[str, str]:
    """Verilator's environment, minus optimisation levels other code put into MAKEFLAGS
    (ours come from the command line, :data:`OPT_ARGS`)."""
    env = find_verilator().env()
    flags = [f for f in env.get("MAKEFLAGS", "").split()
             if not f.startswith(("OPT_FAST=", "OPT_SLOW=", "OPT_GLOBAL=", "OPT="))]
    env["MAKEFLAGS"] = " ".join(flags)
    return env


def _build_key(top: str, sources: Sequence[Path], args: Sequence[str]) -> str:
    verilator = find_verilator()
    env = _build_env()
    h = hashlib.sha256()
    h.update(json.dumps([top, list(args), str(verilator.executable), verilator.version,
                         _compiler_id(), *(env.get(v, "") for v in (
                             "CXX", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "MAKEFLAGS"))]).encode())
    for src in (*sources, HARNESS):
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:16]


def _verilate(cmd: list[str], log: Path) -> None:
    with open(log, "a") as out:
        out.write("$ " + shlex.join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, env=_build_env(), stdout=out, stderr=subprocess.STDOUT,
                              check=False)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"raw harness build failed (exit {proc.returncode}), see {log}:"
                           f"\n{tail}")


def _train(cfg: TileConfig, build_dir: Path, log: Path) -> None:
    """Run the instrumented harness on a training workload; g++ writes *.gcda profiles."""
    work = make_workload(cfg, seed=_PGO_SEED)
    ops, out = build_dir / "pgo_train.ops", build_dir / "pgo_train.out"
    ops.write_bytes(work.to_bytes(ADDR_WIDTH))
    proc = subprocess.run([str(build_dir / "raw_harness"), str(ops), str(out), "1e9",
                           "--max-repeats", str(_PGO_REPEATS)], capture_output=True, text=True,
                          check=False, timeout=600)
    with open(log, "a") as f:
        f.write(f"$ pgo training run ({_PGO_REPEATS} repeats, seed {_PGO_SEED}): "
                f"{proc.stdout.strip()} {proc.stderr.strip()}\n")
    if proc.returncode != 0:
        raise RuntimeError(f"raw harness PGO training run failed: {proc.stderr.strip()}")
    for stale in ("*.o", "*.a", "*.gch", "raw_harness"):
        for path in build_dir.glob(stale):
            path.unlink()


def build_raw(cfg: TileConfig, *, opt_args: Sequence[str] = OPT_ARGS, pgo: bool = True,
              build_dir: Path | None = None) -> RawBuild:
    """Build the raw harness for ``cfg`` unless an identical build exists.

    The build lives in ``sim_build/raw_<top>/`` (or ``build_dir``) and is keyed by a hash of
    the Verilog, the harness source, the arguments and the tool versions; a matching build is
    reused. Deliberately without ``--vpi`` and ``--public-flat-rw``. With ``pgo`` the model is
    compiled twice: instrumented, then with the profile of a training run.

    Raises
    ------
    RuntimeError
        Verilator or the C++ build failed; the message ends with the tail of the build log.
    """
    design = tile_design(cfg, harness=False)
    build_dir = Path(build_dir) if build_dir is not None else SIM_BUILD / f"raw_{design.top}"
    args = [*_BASE_ARGS, "--top-module", design.top, *LINT_WAIVERS, *opt_args]
    key = _build_key(design.top, design.sources,
                     [*args, *((*_PGO_GEN, *_PGO_USE, f"seed={_PGO_SEED}",
                                 f"repeats={_PGO_REPEATS}") if pgo else ())])
    exe = build_dir / "raw_harness"
    stamp = build_dir / "orbitbench.stamp"
    t0 = time.perf_counter()
    with locked(build_dir.parent / f"{build_dir.name}.lock"):
        if stamp.exists() and stamp.read_text() == key and exe.exists():
            return RawBuild(exe, build_dir, key, time.perf_counter() - t0, cached=True)
        # Start clean: make would keep objects compiled with other flags. Only ever delete a
        # directory that holds a raw harness build (or nothing).
        if build_dir.exists() and any(build_dir.iterdir()):
            if not ((build_dir / "build.log").exists() or (build_dir / "Vtop.mk").exists()):
                raise RuntimeError(f"{build_dir} is not empty and not a raw harness build; "
                                   "refusing to overwrite it")
            shutil.rmtree(build_dir)
        build_dir.mkdir(parents=True)
        print(f"orbitbench: building raw harness for {design.top} in {build_dir}"
              + (" (profile-guided: two builds)" if pgo else ""), file=sys.stderr)
        log = build_dir / "build.log"
        log.write_text("")

        def cmd(extra: Sequence[str]) -> list[str]:
            return [str(find_verilator().executable), *args, *extra, "-Mdir", str(build_dir),
                    *(str(src) for src in design.sources), str(HARNESS)]

        if pgo:
            _verilate(cmd(_PGO_GEN), log)
            _train(cfg, build_dir, log)
            _verilate(cmd(_PGO_USE), log)
        else:
            _verilate(cmd(()), log)
        if not exe.exists():
            raise RuntimeError(f"raw harness build produced no {exe}; see {log}")
        stamp.write_text(key)
    return RawBuild(exe, build_dir, key, time.perf_counter() - t0, cached=False)


# --- measurement --------------------------------------------------------------------------

def _default_cpu() -> int | None:
    try:
        return max(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None


def measure_raw(cfg: TileConfig = CONFIGS["default"], seconds: float = 2.0, seed: int = 1, *,
                gemm: tuple[int, int, int] | None = None, corrupt: str | None = None,
                cpu: int | None = -1, opt_args: Sequence[str] = OPT_ARGS, pgo: bool = True,
                build_dir: Path | None = None, max_repeats: int | None = None,
                program: GemmProgram | None = None) -> dict:
    """Build (or reuse) the raw harness for ``cfg``, run it for ``seconds``, check the result.

    Parameters
    ----------
    cfg : TileConfig
    seconds : float
        Wall-time budget of the simulation loop; whole GEMM workloads are repeated until it
        is spent (at least one).
    seed : int
        Seed of the operands (:func:`make_workload`).
    gemm : (M, K, N), optional
        GEMM size; default the tile's capacity (64x64x64 on the default tile).
    corrupt : None, "operand" or "result"
        Negative controls for the tests: write one wrong A word to the DUT, or flip a bit of
        one read-back result word in the harness output; ``bit_exact`` must then be False.
    cpu : int or None
        Core to pin the harness to; -1 (default): the highest core this process may use;
        None: no pinning.
    opt_args, pgo, build_dir :
        Build options (see :func:`build_raw`; defaults: :data:`OPT_ARGS` with profile-guided
        optimisation, in ``sim_build/raw_<top>/``).
    max_repeats : int, optional
        Stop after this many repeats even if time is left.
    program : GemmProgram, optional
        Play this program instead of :func:`make_workload`'s (``gemm``, ``seed`` and
        ``corrupt="operand"`` then do not apply), e.g. a whole inference
        (:func:`orbitbench.driver.network.inference_bus_program`, with ``max_repeats=1``:
        its loads are deltas from power-up). ``gemm``, ``gemm_cycles`` and the MAC rate are
        then None (no single command), ``gemm_cycles_expected`` is the program's sum.

    Returns
    -------
    dict
        ``cycles`` (every simulated clock cycle of the loop), ``seconds`` (wall time of the
        loop), ``cycles_per_s`` (per wall second), ``cpu_seconds`` (CPU time of the loop),
        ``cycles_per_cpu_s`` (the speed of the simulator on a shared machine),
        ``gemm_cycles`` (CYCLES register), ``repeats``,
        ``bit_exact`` (every read word of the first repeat equals the golden model's, and
        every later repeat read the same words), ``build_seconds``, plus details.
    """
    if corrupt not in (None, "operand", "result"):
        raise ValueError(f"corrupt must be None, 'operand' or 'result', not {corrupt!r}")
    work = program if program is not None else make_workload(
        cfg, gemm, seed, "operand" if corrupt == "operand" else None)
    results = sorted(work.result_reads)
    build = build_raw(cfg, opt_args=opt_args, pgo=pgo, build_dir=build_dir)
    if cpu == -1:
        cpu = _default_cpu()
    with tempfile.TemporaryDirectory(prefix="obt_raw_") as tmp:
        ops, out = Path(tmp) / "program.ops", Path(tmp) / "reads.bin"
        ops.write_bytes(work.to_bytes(ADDR_WIDTH))
        argv = [str(build.exe), str(ops), str(out), repr(float(seconds)),
                "--irq-timeout", str(4 * work.gemm_cycles + 100_000)]
        if cpu is not None:
            argv += ["--cpu", str(cpu)]
        if max_repeats is not None:
            argv += ["--max-repeats", str(max_repeats)]
        if corrupt == "result":
            argv += ["--flip-word", str(results[0])]
        load_avg = os.getloadavg()[0]  # context for noisy figures: other work on the machine
        proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                              timeout=60 + 20 * seconds)
        if proc.returncode != 0:
            raise RuntimeError(f"raw harness failed (exit {proc.returncode}): "
                               f"{proc.stderr.strip()}")
        figures = json.loads(proc.stdout)
        reads = np.fromfile(out, dtype="<u4").astype(np.uint32)

    complete = len(reads) == work.reads
    got_result = reads[results] if complete else None
    want_result = np.array([work.expected[i] for i in results], dtype=np.uint32)
    result_ok = got_result is not None and np.array_equal(got_result, want_result)
    status_ok = complete and all(int(reads[i]) == Status.DONE for i in work.status_reads)
    mismatches = (int(np.count_nonzero(got_result != want_result)) if got_result is not None
                  else len(want_result))
    return {
        "config": cfg.name,
        "gemm": None if work.cmd is None else [work.cmd.m, work.cmd.k, work.cmd.n],
        "cycles": figures["cycles"],
        "seconds": figures["seconds"],
        "cycles_per_s": figures["cycles_per_s"],
        "cpu_seconds": figures["cpu_seconds"],
        "cycles_per_cpu_s": figures["cycles"] / max(figures["cpu_seconds"], 1e-9),
        # CYCLES register
        "gemm_cycles": (int(reads[work.cycles_read]) if complete and work.cycles_read is not None
                        else None),
        "gemm_cycles_expected": work.gemm_cycles,  # the documented formula
        "repeats": figures["repeats"],
        "cycles_per_repeat": figures["cycles_per_repeat"],
        "gemms_per_s": figures["repeats"] / figures["seconds"],
        "macs_per_s": (work.macs * figures["repeats"] / figures["seconds"]
                       if work.cmd is not None else None),
        "bit_exact": bool(result_ok and status_ok and figures["repeat_mismatches"] == 0),
        "result_words": len(want_result),
        "result_mismatches": mismatches,
        "repeat_mismatches": figures["repeat_mismatches"],
        "status_ok": status_ok,
        "cpu": cpu,
        "load_avg_1min": load_avg,
        "pgo": pgo,
        "build_seconds": build.build_seconds,
        "build_cached": build.cached,
        "build_dir": str(build.build_dir),
        "opt_args": list(opt_args),
        "verilator": find_verilator().version_str,
    }


def _parse_gemm(text: str) -> tuple[int, int, int]:
    try:
        m, k, n = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MxKxN, e.g. 64x64x64, not {text!r}") from None
    return m, k, n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orbitbench.apps.bench.raw",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="default", choices=sorted(CONFIGS))
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gemm", type=_parse_gemm, default=None, help="MxKxN (default: capacity)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    parser.add_argument("--no-pgo", action="store_true",
                        help="build without profile-guided optimisation")
    args = parser.parse_args(argv)
    result = measure_raw(CONFIGS[args.config], args.seconds, args.seed, gemm=args.gemm,
                         cpu=None if args.no_pin else -1, pgo=not args.no_pgo)
    print(json.dumps(result, indent=2))
    return 0 if result["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
