"""What runs during an injection, what the correct outcome is, and what reports protection.

A :class:`Workload` is a design plus a job it does by itself from reset. The engine needs
nothing but the top module's ports:

=============  =========  ====================================================================
port           direction  meaning
=============  =========  ====================================================================
``clk``        in         clock; the engine toggles it
``rst``        in         synchronous reset, high for :attr:`Workload.reset_cycles` cycles
``done``       out        the job is complete (sampled after every rising edge)
``out_valid``  out        ``out_data`` carries one result word this cycle
``out_data``   out        result word, up to 64 bits
=============  =========  ====================================================================

(The names are configurable, :class:`~fault_campaigns.engine.Ports`.) A design whose ports
are different gets a small wrapper module that plays its stimulus, often from a memory the
engine fills by backdoor before reset (:attr:`Workload.preload`); the tile's wrapper is
:mod:`hdl_gen.harness.player` (mode ``autorun``).

**Correct outcome.** The output word stream of the fault-free (golden) run. When the
workload knows what that stream must be (:attr:`Workload.expected`, e.g. from the NumPy
golden model), the golden run is checked against it first and the campaign refuses to
start on a mismatch: fault injection into a design that is already wrong measures nothing.

**Protection events.** Either output words whose bits report them (:attr:`Workload.words`:
per-word masks of data bits, "corrected" bits and "detected" bits, e.g. a STATUS read), or
state variables read at the end of the run (:attr:`Workload.events`: a counter or flag that
differs from its golden value under a mask). A run whose data differ from the golden run
is SDC unless a "detected" indicator fired (DUE); a run with correct data is "corrected" if
a "corrected" indicator fired, else masked. Runs that do not reach ``done`` within
``hang_factor x golden cycles + hang_extra`` are hangs.

**Error magnitude.** Data words are compared as elements of :attr:`Workload.elem_bits`
bits (signed or not); an SDC records how many elements were wrong and the largest absolute
difference.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orbitbench.spec.errors import InputFileError, ParameterError

from .engine import Ports

__all__ = ["WordSpec", "Event", "Preload", "Workload", "ALL_DATA", "parse_event", "read_words",
           "import_function"]

ALL_DATA = (1 << 64) - 1


@dataclass(frozen=True)
class WordSpec:
    """Which bits of an output word are data, and which report protection events."""

    data: int = ALL_DATA
    corrected: int = 0
    detected: int = 0


@dataclass(frozen=True)
class Event:
    """A state variable that reports a protection event when it ends unlike the golden run."""

    path: str  # hierarchical name, as in the target list (e.g. "tile.tmr_errors")
    kind: str  # "corrected" or "detected"
    mask: int = -1  # bits of the (first) element that count; -1: all

    def __post_init__(self):
        if self.kind not in ("corrected", "detected"):
            raise ParameterError(f"Event.kind must be 'corrected' or 'detected', not {self.kind!r}")


@dataclass(frozen=True)
class Preload:
    """Words written into a memory (or register) of the design before reset."""

    path: str
    words: tuple[int, ...]


@dataclass(frozen=True)
class Workload:
    """A self-running job on a design (see the module docstring)."""

    name: str
    top: str
    sources: tuple[Path, ...]
    ports: Ports = Ports()
    #: default fault targets (globs on hierarchical names); the campaign may override them
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    preload: tuple[Preload, ...] = ()
    expected: tuple[int | None, ...] | None = None  # None entries: not compared
    word_default: WordSpec = WordSpec()
    words: Mapping[int, WordSpec] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    elem_bits: int = 64
    elem_signed: bool = False
    reset_cycles: int = 2
    hang_factor: float = 2.0
    hang_extra: int = 1000
    extra_args: tuple[str, ...] = ()  # more Verilator arguments (defines, include paths)
    params: Mapping = field(default_factory=dict)  # describes the job (stored with results)
    #: trace-driven inputs: (cycle, input port, value) from that cycle on (-1: before reset;
    #: cycle 0 is the first after reset); the ports must list them in ``ports.inputs``
    stimulus: tuple[tuple[int, str, int], ...] = ()
    stimulus_cycles: int = 0  # the stimulus's length (the job's end when ports.done is None)
    #: globs of memories that are register arrays (reset or written word by word): their
    #: bits are flip-flops for the fault model (no SRAM-style adjacent-bit MBU clusters)
    register_arrays: tuple[str, ...] = ()
    max_cycles: int | None = None  # golden-run bound for done to rise (None: the engine's)
    #: internal observation points: state variables (hierarchical names, as in the target
    #: list) compared like the observed ports, their words after the ports' in each cycle
    observe_signals: tuple[str, ...] = ()
    #: store every SDC/DUE's wrong data words (application-level campaigns decode them)
    observe_words: bool = False

    def __post_init__(self):
        if not 1 <= self.elem_bits <= 64:
            raise ParameterError(f"elem_bits must be in 1..64, not {self.elem_bits}")
        if self.reset_cycles < 1:
            raise ParameterError(f"reset_cycles must be at least 1, not {self.reset_cycles}")
        if not self.hang_factor >= 1:
            raise ParameterError(f"hang_factor must be >= 1, not {self.hang_factor}")
        unknown = sorted({name for _, name, _ in self.stimulus} - set(self.ports.inputs))
        if unknown:
            raise ParameterError(f"workload {self.name!r}: the stimulus drives {unknown[0]!r}, "
                                 "which is not in ports.inputs")
        if self.ports.done is None and self.stimulus_cycles < 1:
            raise ParameterError(f"workload {self.name!r}: without a done port the job ends "
                                 "with its stimulus: give stimulus_cycles >= 1")
        missing = [str(s) for s in self.sources if not Path(s).exists()]
        if missing:
            raise InputFileError(f"workload {self.name!r}: no such source {missing[0]}")

    def digest(self) -> str:
        """Identity of the job: sources, stimulus, expectations and classification rules."""
        h = hashlib.sha256()
        h.update(json.dumps({
            "name": self.name, "top": self.top, "ports": self.ports.key(),
            "preload": [(p.path, list(p.words)) for p in self.preload],
            "expected": list(self.expected) if self.expected is not None else None,
            "word_default": self.word_default.__dict__,
            "words": sorted((int(i), w.__dict__) for i, w in self.words.items()),
            "events": [e.__dict__ for e in self.events],
            "elem": [self.elem_bits, self.elem_signed],
            "timing": [self.reset_cycles, self.hang_factor, self.hang_extra],
            "extra_args": list(self.extra_args),
            # new keys only when used, so the digests of older workloads stay the same
            **({"stimulus": [list(x) for x in self.stimulus], "cycles": self.stimulus_cycles}
               if self.stimulus or self.stimulus_cycles else {}),
            **({"register_arrays": list(self.register_arrays)} if self.register_arrays
               else {}),
            **({"observe_signals": list(self.observe_signals)} if self.observe_signals
               else {}),
            **({"observe_words": True} if self.observe_words else {}),
        }, sort_keys=True, default=str).encode())
        for src in self.sources:
            h.update(Path(src).read_bytes())
        return h.hexdigest()[:16]


def read_words(path: Path) -> tuple[int, ...]:
    """Hexadecimal words, one per line (``#`` comments and blank lines ignored)."""
    words = []
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputFileError(f"cannot read the preload file {path}: {exc.strerror}") from None
    for n, line in enumerate(text.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            try:
                words.append(int(text, 16))
            except ValueError:
                raise ParameterError(f"{path}:{n}: not a hexadecimal word: {text!r}") from None
    return tuple(words)


def parse_event(text: str) -> Event:
    """``"tile.ecc_ue:detected"`` or ``"tile.errors:corrected:0xff"``."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ParameterError(f"an event is PATH:corrected|detected[:MASK], not {text!r}")
    try:
        mask = int(parts[2], 0) if len(parts) == 3 else -1
    except ValueError:
        raise ParameterError(f"an event's MASK is a number (0xff), not {parts[2]!r}") from None
    return Event(parts[0], parts[1], mask)


def import_function(source: str | Path, func: str):
    """The function ``func`` of a module named ``source`` (importable) or of the Python file
    ``source`` (a :class:`~pathlib.Path`, executed as a fresh module): how a workload factory
    and a campaign file's expected-output function are found.

    Raises
    ------
    ModuleNotFoundError
        ``source`` is a module name that cannot be imported (``exc.name`` is the missing one).
    LookupError
        The module has no callable ``func``.
    """
    if isinstance(source, Path):
        spec = importlib.util.spec_from_file_location(f"_obt_user_{source.stem}", source)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(source)
    found = getattr(mod, func, None)
    if not callable(found):
        raise LookupError(func)
    return found
