"""Single-event-upset fault campaigns: targets, workloads, the injection engine, statistics.

* :mod:`.targets`: every flip-flop and memory bit of a design (Verilator's netlist).
* :mod:`.workload`: what runs during an injection and what counts as correct or protected;
  :mod:`.tile_workload` / :mod:`.multitile_workload`: the tile's and the multi-tile top's
  GEMM workloads (harness: :mod:`hdl_gen.harness.player`).
* :mod:`.engine` (``engine.cpp``): the native engine, many injections per process.
* :mod:`.plan`: fault models (``seu``, ``mbu``) and the seeded injection plan.
* :mod:`.campaign`: run and resume campaigns (local workers, Dask, shards, merge) into
  :mod:`.db` (SQLite).
* :mod:`.recipes`: workloads from JSON-able recipes (what a database stores to resume).
* :mod:`.stats`, :mod:`.summary`: intervals, AVF, FIT; :mod:`.replay`: one injection again.

The suites (nightly, NoC, gate) and the reports are applications: :mod:`orbitbench.apps.suites`,
:mod:`orbitbench.apps.report`.
"""
