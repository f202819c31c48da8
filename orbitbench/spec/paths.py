"""Where orbitbench's files live: the checkout, the generated RTL, the simulator builds.

The defaults are functions of the checkout; code that builds or writes takes a directory
argument (``build_root=``, ``rtl_dir=``) defaulting to these, so that tests and users can
point elsewhere without swapping a module global.
"""

from __future__ import annotations

from pathlib import Path

from .knobs import SIM_BUILD as _SIM_BUILD_KNOB

__all__ = ["REPO", "RTL_DIR", "NETWORKS_DIR", "MANIFEST", "BENCH_OUT", "sim_build", "SIM_BUILD"]

#: The checkout (the directory holding ``rtl/``, ``hdl_gen/`` ...).
REPO = Path(__file__).resolve().parents[2]
#: Generated Verilog and its manifest; written only by ``make rtl``.
RTL_DIR = REPO / "rtl"
#: The int8 TFLite models and networks/models.json.
NETWORKS_DIR = REPO / "networks"
#: The list of designs in ``rtl/`` (written by ``make rtl``, read by ``make lint``).
MANIFEST = "manifest.json"
#: Figures of make bench, bench-campaign, bench-noc and area (JSON).
BENCH_OUT = REPO / "bench" / "out"


def sim_build() -> Path:
    """The build directory: ``$ORBITBENCH_SIM_BUILD`` or ``sim_build/`` in the checkout."""
    value = _SIM_BUILD_KNOB.get()
    return Path(value) if value else REPO / "sim_build"


#: The build directory at import time (the default of every ``build_root=`` argument).
SIM_BUILD = sim_build()
