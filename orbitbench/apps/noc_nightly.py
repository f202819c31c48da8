"""The NoC campaigns (``make campaign-noc``): the multi-tile top and the mesh alone.

Profiles (``--profiles`` picks some; all by default):

============  ==========================================================================
profile       workload and targets
============  ==========================================================================
mt_none       multi-tile top ``mt2x2`` (small tiles, unprotected mesh), GEMM
              :data:`~fault_campaigns.multitile_workload.DEFAULT_GEMM`, every state bit
mt_hard       ``mt2x2_hard`` (small_ecc_tmr tiles, SECDED + TMR mesh), same GEMM
mt_none_link  ``mt2x2``, only the NoC's link words (router input buffers)
mt_hard_link  ``mt2x2_hard``, only the link words: single upsets there must never be SDC
noc_<p>       the mesh alone (:func:`fault_campaigns.noc_workload.noc_workload`), protection
              ``none``, ``secded``, ``crc`` and ``hard`` (SECDED + TMR), every state bit
============  ==========================================================================

Each profile runs or resumes its campaign in ``campaigns/noc/<profile>.db`` (``--count``
injections, ``--model``), then the per-profile outcome table (masked, corrected, DUE, SDC,
hang with Wilson intervals), ``campaigns/noc/summary.json`` and ``report.html`` are written.
A profile that cannot be prepared or run is reported and skipped (exit status 1 at the end).
Default: 200 injections per profile; engine builds dominate the time (about 10 minutes for
all profiles from cold on 2 busy cores), re-runs resume.

The profiles are the ``noc`` suite of :data:`orbitbench.apps.suites.SUITES`, run by
:func:`orbitbench.apps.suites.run_suite`.
"""

from __future__ import annotations

import sys

from orbitbench.apps.suites import SUITES, suite_main

__all__ = ["PROFILES", "main"]

#: The profile names, in the order they run.
PROFILES = tuple(SUITES["noc"].names)


def main(argv: list[str] | None = None) -> int:
    return suite_main(SUITES["noc"], argv, prog="python -m orbitbench.apps.noc_nightly",
                      description=__doc__.split("\n\n")[0])


if __name__ == "__main__":
    sys.exit(main())
