"""Terminal output shared by the applications: one rich console and the live progress bar."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fault_campaigns.stats import OUTCOMES

__all__ = ["console", "live_progress"]

console = Console()
if not console.is_terminal:  # CI logs: wide enough for the summary tables
    console = Console(width=170)



def live_progress(label: str):
    """A rich progress bar with ETA and running outcome tallies; returns (bar, callback)."""
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]:>7} inj/s"), TimeRemainingColumn(),
                   TextColumn("{task.fields[tallies]}"), console=console, transient=False)
    task = bar.add_task(label, total=None, rate="-", tallies="")

    def update(state) -> None:
        tallies = "  ".join(f"{o} {state.tallies.get(o, 0)}" for o in OUTCOMES)
        bar.update(task, total=state.total, completed=state.done,
                   rate=f"{state.rate:.0f}" if state.done > state.resumed else "-",
                   tallies=tallies)

    return bar, update
