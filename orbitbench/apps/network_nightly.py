"""The application-level network campaigns (``make campaign-network``).

Profiles (``--profiles`` picks some; all by default): ``cnn_<profile>``, one inference of
the first 2 digits test images by ``digits_cnn`` on the small tile in hardening profile
none, tmr, ecc, ecc_tmr, abft and ecc_tmr_abft; ``mlp_none`` and ``mlp_tmr``, the same by
``digits_mlp`` on ``default`` and ``default_tmr`` (its K = 64 needs the default geometry).
300 single upsets per profile (``--count``, ``--model``). Each runs or resumes
``campaigns/network/<profile>.db``; then the outcome table, the application-level tables
(benign and critical SDC with Wilson intervals, score error, critical FIT per orbit, per
layer and per kind of target), ``summary.json`` and ``report.html``
(:mod:`fault_campaigns.network_workload`).

The profiles are the ``network`` suite of :data:`orbitbench.apps.suites.SUITES`, run by
:func:`orbitbench.apps.suites.run_suite`.
"""

from __future__ import annotations

import sys

from orbitbench.apps.suites import SUITES, suite_main

__all__ = ["PROFILES", "main"]

#: The profile names, in the order they run.
PROFILES = tuple(SUITES["network"].names)


def main(argv: list[str] | None = None) -> int:
    return suite_main(SUITES["network"], argv, prog="python -m orbitbench.apps.network_nightly",
                      description=__doc__.split("\n\n")[0])


if __name__ == "__main__":
    sys.exit(main())
