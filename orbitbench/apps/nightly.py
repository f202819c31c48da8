"""The nightly campaign (``make campaign``): the tile in every hardening profile.

For each profile (none, tmr, ecc, ecc_tmr on the small tile, the size where all four are
generated) it runs or resumes a campaign of the default GEMM workload with the ``mbu`` fault
model (single-bit upsets, memory strikes as clusters with the REFERENCE.md size
distribution), sized by the Leveugle formula for a 1 % margin at 95 % confidence. Results
go to ``campaigns/nightly/<config>.db`` (re-running resumes), then a summary table per
profile, ``campaigns/nightly/summary.json`` and the self-contained
``campaigns/nightly/report.html``. A profile that cannot be prepared or run is reported and
skipped (exit status 1 at the end).

The profiles are the ``nightly`` suite of :data:`orbitbench.apps.suites.SUITES`, run by
:func:`orbitbench.apps.suites.run_suite`. ``python -m orbitbench.apps.nightly --help``
lists the knobs (count, margin, workers, Dask).
"""

from __future__ import annotations

import sys

from orbitbench.apps.suites import SUITES, suite_main

__all__ = ["PROFILES", "main"]

#: The profile names, in the order they run.
PROFILES = tuple(SUITES["nightly"].names)


def main(argv: list[str] | None = None) -> int:
    return suite_main(SUITES["nightly"], argv, prog="python -m orbitbench.apps.nightly",
                      description=__doc__.split("\n\n")[0])


if __name__ == "__main__":
    sys.exit(main())
