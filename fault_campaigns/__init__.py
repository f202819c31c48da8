"""Single-event-upset fault campaigns: the injection engine and its statistics.

* :mod:`fault_campaigns.stats`: sample sizes (Leveugle), Wilson intervals, AVF from outcome
  counts, orbit upset-rate presets and the resulting failure rates in FIT.

Pure Python + NumPy; nothing here imports a simulator.
"""
