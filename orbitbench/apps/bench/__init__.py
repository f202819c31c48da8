"""orbitbench performance benchmarks.

* :mod:`bench.raw`: raw Verilator speed of the tile, a native C++ loop driving the verilated
  model (no VPI, no Python in the loop): the simulation speed limit of the design on one core.
"""
