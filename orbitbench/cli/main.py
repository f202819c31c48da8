"""The ``orbitbench`` command line.

``orbitbench gemm``      run one GEMM on the RTL under Verilator and check it bit-exactly
``orbitbench configs``   list the tile configurations ``make rtl`` emits
``orbitbench infer``     run an int8 TFLite network on the RTL, bit-exact against LiteRT
``orbitbench campaign``  run (or resume) a single-event-upset fault campaign
``orbitbench targets``   list a design's fault targets (flip-flop and memory bits per module)
``orbitbench replay``    re-run one injection of a campaign, with an FST waveform
``orbitbench record``    run your cocotb test once; record its inputs as the stimulus
``orbitbench merge``     merge shard databases of one campaign
``orbitbench report``    summarise campaign databases: table, JSON, HTML
``orbitbench thermal``   closed-loop orbital thermal scenarios on the RTL; checks, HTML report
``orbitbench harden``    triplicate the most vulnerable register groups within an area budget
``orbitbench explore``   a design space in, a Pareto front of area, energy, speed, FIT out

Exit status: 0 pass, 1 the RTL and the golden model differ (or a replay disagrees with its
database), 2 bad input, toolchain or simulation failure (one line saying what and what to
do), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); an interrupted campaign resumes
when the same command runs again.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from rich.console import Console
from rich.markup import escape

from fault_campaigns.engine import EngineError
from golden_models.thermal_loop import ThermalError
from orbitbench.sim import ToolchainError
from orbitbench.spec.errors import Terminated, UsageError

from . import campaign, explore, harden, infer, record, scrub, thermal, tile

__all__ = ["main", "COMMANDS"]

#: The subcommand modules, in the order ``orbitbench --help`` lists them; each has
#: ``add_commands(subparsers)``.
COMMANDS = (tile, infer, campaign, record, thermal, scrub, harden, explore)

# What a user can cause, printed as one line with exit status 2: the UsageError family, and
# what the machine did (toolchain, engine, thermal model). Anything else is a bug in
# orbitbench and keeps its traceback.
_USER_ERRORS = (UsageError, ToolchainError, EngineError, ThermalError)

console = Console(stderr=False)


def _terminate(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orbitbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_commands(sub)
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the commands' clean-up (engines, databases) runs.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        detail = str(exc) if str(exc) not in ("", "interrupted") else ""
        console.print(f"[bold yellow]{what}[/]" + (f": {escape(detail)}" if detail else ""),
                      soft_wrap=True)
        return 143 if isinstance(exc, Terminated) else 130
    except _USER_ERRORS as exc:
        console.print(f"[bold red]error:[/] {escape(' '.join(str(exc).split()))}",
                      soft_wrap=True)
        return 2
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
