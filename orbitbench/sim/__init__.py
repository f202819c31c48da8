"""The simulation layer: the Verilator toolchain, cached builds, cocotb runs, the designs.

``from orbitbench import sim`` gives the whole public API: :func:`build`, :func:`run`,
:class:`Design`, :func:`tile_design` (:func:`tile_public`), :func:`multitile_verilog`,
:func:`locked`, and the toolchain (:func:`find_verilator`, :data:`LINT_WAIVERS`,
:class:`ToolchainError`). Testbenches and fault campaigns both build on it; neither imports
the other.
"""

from orbitbench.spec.paths import REPO, RTL_DIR, SIM_BUILD

from .designs import mt_rtl_dir, multitile_verilog, rtl_file, tile_design, tile_public
from .toolchain import LINT_WAIVERS, ToolchainError, Verilator, find_verilator
from .verilator import Design, SimModel, SimResult, build, locked, run, write_if_changed

__all__ = ["REPO", "RTL_DIR", "SIM_BUILD", "Design", "SimModel", "SimResult", "build", "run",
           "locked", "write_if_changed", "rtl_file", "tile_design", "tile_public",
           "mt_rtl_dir",
           "multitile_verilog", "LINT_WAIVERS", "ToolchainError", "Verilator",
           "find_verilator"]
