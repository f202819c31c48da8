"""Single-event-upset fault campaigns: the injection engine and its statistics.

* :mod:`fault_campaigns.stats`: sample sizes (Leveugle), Wilson intervals, AVF from outcome
  counts, orbit upset-rate presets and the resulting failure rates in FIT.

Pure Python + NumPy; nothing here imports a simulator.
"""

from fault_campaigns.stats import (
    CORRECTED,
    DUE,
    HANG,
    MASKED,
    ORBITS,
    OUTCOMES,
    SDC,
    Orbit,
    Proportion,
    Rate,
    avf,
    combine_modules,
    failure_rate,
    leveugle_sample_size,
    normal_quantile,
    orbit,
    wilson,
)

__all__ = [
    "CORRECTED",
    "DUE",
    "HANG",
    "MASKED",
    "ORBITS",
    "OUTCOMES",
    "SDC",
    "Orbit",
    "Proportion",
    "Rate",
    "avf",
    "combine_modules",
    "failure_rate",
    "leveugle_sample_size",
    "normal_quantile",
    "orbit",
    "wilson",
]
