"""The ``orbitbench`` command line.

``orbitbench gemm``      run one GEMM on the RTL under Verilator and check it bit-exactly
``orbitbench configs``   list the tile configurations ``make rtl`` emits
``orbitbench campaign``  run (or resume) a single-event-upset fault campaign
``orbitbench targets``   list a design's fault targets (flip-flop and memory bits per module)
``orbitbench replay``    re-run one injection of a campaign, with an FST waveform
``orbitbench merge``     merge shard databases of one campaign
``orbitbench report``    summarise campaign databases: table, JSON, HTML
``orbitbench thermal``   closed-loop orbital thermal scenarios on the RTL; checks, HTML report

Exit status: 0 pass, 1 the RTL and the golden model differ (or a replay disagrees with its
database), 2 bad input, toolchain or simulation failure.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.markup import escape

from fault_campaigns.db import CampaignDBError
from fault_campaigns.engine import EngineError
from fault_campaigns.prepare import GoldenMismatch
from fault_campaigns.targets import TargetError
from golden_models.thermal_loop import ThermalError
from orbitbench.sim import ToolchainError
from orbitbench.spec.errors import UsageError

from . import campaign, scrub, thermal, tile

__all__ = ["main", "COMMANDS"]

#: The subcommand modules, in the order ``orbitbench --help`` lists them; each has
#: ``add_commands(subparsers)``.
COMMANDS = (tile, campaign, thermal, scrub)

# What a user can cause, printed as one line with exit status 2. The UsageError family is the
# rule; the built-in ones remain until every layer raises UsageError subclasses.
_USER_ERRORS = (UsageError, ToolchainError, CampaignDBError, EngineError, GoldenMismatch,
                TargetError, ThermalError, FileNotFoundError, KeyError, ValueError)

console = Console(stderr=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orbitbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _USER_ERRORS as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
