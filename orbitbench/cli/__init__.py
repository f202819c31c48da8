"""The ``orbitbench`` command line: a registry of subcommand modules (:mod:`.main`)."""

from .main import main

__all__ = ["main"]
