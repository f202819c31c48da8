"""Triple modular redundancy for state registers, one mechanism for every block.

A block declares its registers through :class:`StateRegisters` instead of ``m.d.sync``:
each register has a current value ``q`` and a next value ``d`` (assigned combinationally,
holding ``q`` unless assigned). Without TMR that is an ordinary flip-flop. With TMR, three
copies hold the state, ``q`` is their bitwise majority, and every copy is reloaded from
``d`` (computed from the voted value) every cycle: an upset in one copy is out-voted at once
and overwritten at the next clock edge, so it never accumulates with a second upset in
another copy. ``mismatch`` is high in any cycle where some register's copies disagree.

The block's code is identical in both cases; the hardening profile only chooses ``tmr``:
every register of the bank (``True``, the ``tmr`` profiles), none (``False``), or only the
registers named in a set (selective hardening, ``TileConfig.tmr_groups``). A register is
built the same way whichever of the three chose it.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal

__all__ = ["StateRegisters", "majority"]


def majority(a, b, c):
    """Bitwise two-out-of-three vote (combinational)."""
    return (a & b) | (a & c) | (b & c)


class _Register:
    """One register of a :class:`StateRegisters` bank: read ``q``, assign ``d``."""

    def __init__(self, q, d, copies, name):
        self.q, self.d, self.copies, self.name = q, d, copies, name


class StateRegisters:
    """A bank of state registers in ``domain``, optionally triplicated.

    Parameters
    ----------
    m : Module
        The module the registers, voters and default assignments are added to.
    tmr : bool or frozenset of str
        Triplicate every register of the bank (``True``) with majority voting and per-cycle
        re-synchronisation, none (``False``), or only the registers whose ``name`` (as given
        to :meth:`add`) is in the set.
    domain : str
        Clock domain of the registers.
    name : str
        Prefix of the generated signal names (``<name>_<reg>``, copies ``<name>_<reg>_tmr<i>``);
        empty for no prefix.

    Members
    -------
    mismatch : Signal
        Combinational: the copies of at least one triplicated register disagree this cycle
        (always 0 without TMR).

    Usage: ``r = regs.add(unsigned(4), name="count")``, then read ``r.q`` and write
    ``m.d.comb += r.d.eq(r.q + 1)`` (conditionally or not). Registers must be added before
    the block's own assignments to ``r.d``: the hold default is placed first so that later
    assignments override it.
    """

    def __init__(self, m: Module, *, tmr: bool | frozenset[str], domain: str = "sync",
                 name: str = "state"):
        if not isinstance(tmr, bool | frozenset) or (
                isinstance(tmr, frozenset) and not all(isinstance(n, str) for n in tmr)):
            raise TypeError(f"tmr must be a bool or a frozenset of register names, not {tmr!r}")
        self.m, self.tmr, self.domain, self.name = m, tmr, domain, name
        self.prefix = f"{name}_" if name else ""
        self.mismatch = Signal(name=f"{self.prefix}tmr_mismatch")
        self.registers: list[_Register] = []
        self._disagree: list = []

    def add(self, shape=1, *, init=0, name: str) -> _Register:
        """Declare a register; returns an object with ``q`` (current) and ``d`` (next)."""
        m = self.m
        d = Signal(shape, init=init, name=f"{self.prefix}{name}_d")
        if not self.triplicated(name):
            q = Signal(shape, init=init, name=f"{self.prefix}{name}")
            copies = [q]
        else:
            # keep: identical flip-flops with one D input are otherwise merged by synthesis
            # (Yosys opt_merge), which would silently undo the triplication.
            copies = [Signal(shape, init=init, name=f"{self.prefix}{name}_tmr{i}",
                             attrs={"keep": 1}) for i in range(3)]
            q = Signal(shape, init=init, name=f"{self.prefix}{name}")
            bits = [_raw(c) for c in copies]
            m.d.comb += _raw(q).eq(majority(*bits))
            self._disagree.append((bits[0] != bits[1]) | (bits[0] != bits[2]))
            # Re-assigned with every register added; the last assignment (all of them) wins.
            m.d.comb += self.mismatch.eq(_any(self._disagree))
        m.d.comb += d.eq(q)  # hold unless the block assigns d later
        m.d[self.domain] += [copy.eq(d) for copy in copies]
        reg = _Register(q, d, copies, name)
        self.registers.append(reg)
        return reg

    def triplicated(self, name: str) -> bool:
        """The register ``name`` of this bank is (or would be) triplicated."""
        return self.tmr is True or (isinstance(self.tmr, frozenset) and name in self.tmr)

    @property
    def names(self) -> list[str]:
        """The names given to :meth:`add`, in order (``TileConfig.tmr_groups`` uses them)."""
        return [r.name for r in self.registers]

    @property
    def copies(self) -> list:
        """Every storage flip-flop signal of the bank (three per register with TMR)."""
        return [c for r in self.registers for c in r.copies]


def _raw(value):
    """The plain Value behind a Signal, or a view (enum, struct) of one."""
    return value.as_value() if hasattr(value, "as_value") else value


def _any(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out
