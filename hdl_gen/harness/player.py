# amaranth: UnusedElaboratable=no
"""The HDL bus player: bus ops from its own memory, played into a target top's Wishbone port.

Driving a bus from Python costs a Python/simulator crossing per clock edge (~15 us here),
and a fault campaign needs a workload that runs from reset with no testbench in the loop;
both get the same gateware. :class:`BusPlayer` wraps the target (the tile, or the multi-tile
top; instance ``tile`` / ``mt``, unchanged) and plays the ops of a memory ``player_ops`` into
its Wishbone target port, in the one encoding of :mod:`orbitbench.driver.program`: op word
``dat_w[32] | word_adr[AW] | kind[2]`` (LSB first) with kinds WRITE, READ, WAIT_IRQ (the bus
idle until every irq whose bit is set in the op's data is high), END.

Transfers are Wishbone classic cycles, back to back: the next op is presented in the cycle
after ``ack``, so a transfer takes two cycles when the target does not stall (exactly as
:class:`testbenches.wishbone.WishboneMaster` issues them); a WAIT_IRQ takes at least one.

Two modes (:class:`Mode`):

- ``autorun`` (fault campaigns): plays from reset until an END op. Read words leave on
  ``out_valid``/``out_data``, one per completed READ, in op order; ``done`` rises the cycle
  after END. The target's other inputs are tied to 0. The engine fills ``player_ops`` by
  backdoor before reset, so one Verilator build serves every workload of a target.
- ``started`` (testbenches): the testbench writes ops into ``player_ops`` (backdoor, no
  clock edges), sets ``player_count`` and pulses ``player_start``; ``player_busy`` is high
  from the next cycle until the cycle after the last op (or an END) completes. READ data
  lands in ``player_rdata`` at the op's index. While idle, the harness's own bus port (named
  as the target's) drives the target, so a cycle-by-cycle Python master works as on the
  bare target; every other port of the target is a port of the harness of the same name.

Testbench code: generated next to the simulation builds, never into ``rtl/``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from amaranth.back import verilog
from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Mux, ResetSignal, Shape, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl_gen.multitile import MultiTileTop
from hdl_gen.tile import GemmTile
from orbitbench.driver.program import OpKind, op_width
from orbitbench.spec.multitile import MultiTileConfig
from orbitbench.spec.params import TileConfig

__all__ = ["Mode", "Target", "BusPlayer", "tile_target", "multitile_target", "emit_player",
           "PLAYER_DEPTH"]

#: Ops a testbench player holds (longer batches are played in pieces).
PLAYER_DEPTH = 2048

_BUS_TO_TARGET = ("cyc", "stb", "we", "adr", "dat_w", "sel")


class Mode(enum.Enum):
    AUTORUN = "autorun"
    STARTED = "started"


@dataclass(frozen=True, eq=False)
class Target:
    """The design a :class:`BusPlayer` drives.

    Members
    -------
    module : str or None
        Verilog module name, instantiated through :class:`~amaranth.hdl.Instance` with the
        port list of ``component``'s signature; ``None``: ``component`` itself is elaborated
        as a submodule (for a simulation of the player in Amaranth).
    component : wiring.Component
        The generator's component (only its signature is used when ``module`` is given).
    bus : str
        Its Wishbone target port (a :class:`~hdl_gen.wishbone.WishboneSignature` flipped).
    irqs : tuple of member paths
        Its irq outputs; bit ``i`` of a WAIT_IRQ mask stands for ``irqs[i]``.
    instance : str
        Instance name inside the harness (the prefix of fault-target names).
    """

    module: str | None
    component: wiring.Component
    bus: str
    irqs: tuple[tuple[str, ...], ...]
    instance: str


def tile_target(cfg: TileConfig) -> Target:
    """The generated tile ``cfg.top_name`` (instance ``tile``, one irq)."""
    return Target(cfg.top_name, GemmTile(cfg), "bus", (("irq",),), "tile")


def multitile_target(cfg: MultiTileConfig) -> Target:
    """The multi-tile top ``cfg.top_name`` (instance ``mt``, host port, one irq per tile)."""
    return Target(cfg.top_name, MultiTileTop(cfg), "host",
                  tuple((f"tile{t}", "irq") for t in range(cfg.tiles)), "mt")


class BusPlayer(wiring.Component):
    """Plays ``player_ops`` into ``target``'s bus (see the module docstring).

    Parameters
    ----------
    target : Target
    mode : Mode or "autorun" / "started"
    depth : int
        Ops the memory holds (at least 2).

    Members
    -------
    player_ops : Memory(op_width(AW) bits x depth)
        The ops (filled by backdoor; empty after elaboration).
    player_rdata : Memory(32 bits x depth) or None
        ``started`` only: the word each READ op read, at the op's index.
    done, out_valid : Out(1); out_data : Out(32)
        ``autorun`` only.
    <target bus> : In(WishboneSignature)
        ``started`` only: external initiator port, forwarded to the target while idle.
    <every other target port> : as the target's
        ``started`` only.
    player_start : In(1); player_count : In(range(depth + 1)); player_busy : Out(1)
        ``started`` only: start playing ops ``0 .. player_count - 1`` (ignored while busy
        or with a count of 0).

    Raises
    ------
    ValueError
        Bad depth or mode, a bus port or irq the target does not have, more than 32 irqs.
    """

    def __init__(self, target: Target, *, mode: Mode | str, depth: int = PLAYER_DEPTH):
        if not isinstance(target, Target):
            raise TypeError(f"target must be a Target, not {target!r}")
        try:
            mode = Mode(mode)
        except ValueError:
            raise ValueError(f"mode must be 'autorun' or 'started', not {mode!r}") from None
        if not isinstance(depth, int) or depth < 2:
            raise ValueError(f"depth must be an integer of at least 2, not {depth!r}")
        members = target.component.signature.members
        if target.bus not in members or not members[target.bus].is_signature:
            raise ValueError(f"target {target.module!r} has no bus port {target.bus!r}")
        self._ports = {path: member for path, member, _ in
                       target.component.signature.flatten(target.component)}
        for path in target.irqs:
            if path not in self._ports or self._ports[path].flow != wiring.Flow.Out:
                raise ValueError(f"target {target.module!r} has no irq output "
                                 f"{'.'.join(path)!r}")
        if not 1 <= len(target.irqs) <= 32:
            raise ValueError(f"a target has 1 to 32 irqs (the WAIT_IRQ mask), not "
                             f"{len(target.irqs)}")
        self.target, self.mode, self.depth = target, mode, depth
        self.addr_width = Shape.cast(members[target.bus].signature.members["adr"].shape).width
        if mode == Mode.AUTORUN:
            ports = {"done": Out(1), "out_valid": Out(1), "out_data": Out(32)}
        else:
            ports = dict(members)  # the target's own ports, bus included, same flows
            ports.update({"player_start": In(1), "player_count": In(range(depth + 1)),
                          "player_busy": Out(1)})
        super().__init__(ports)
        self.player_ops = Memory(shape=op_width(self.addr_width), depth=depth, init=[])
        self.player_rdata = (Memory(shape=32, depth=depth, init=[])
                             if mode == Mode.STARTED else None)

    def elaborate(self, platform):
        m = Module()
        target, aw, started = self.target, self.addr_width, self.mode == Mode.STARTED
        # At the harness's top level, so cocotb and the engine reach it as player_ops[i].
        m.submodules.player_ops = self.player_ops
        rd = self.player_ops.read_port(domain="comb")
        op = rd.data
        kind, adr, data = op[32 + aw:34 + aw], op[32:32 + aw], op[:32]
        index = Signal(range(self.depth + 1) if started else range(self.depth))
        m.d.comb += rd.addr.eq(index)

        # The target's bus and the wires to its other ports.
        bus = {name: Signal(Shape.cast(member.shape), name=f"{target.instance}_bus_{name}")
               for name, member in self._ports_of(target.bus).items()}
        wires = {}
        mine = ({path: value for path, _, value in self.signature.flatten(self)}
                if started else {})
        for path, member in self._ports.items():
            if path[0] == target.bus:
                wires[path] = bus[path[1]]
            elif started:
                wires[path] = mine[path]
            elif member.flow == wiring.Flow.In:  # no stimulus in campaigns: tied low
                wires[path] = Const(0, member.shape)
            else:  # observed, if at all, through the bus reads
                wires[path] = Signal(member.shape, name=f"{target.instance}_"
                                                        + "__".join(map(str, path)))
        irqs = [wires[path] for path in target.irqs]
        self._attach(m, wires)

        active = self.player_busy if started else ~self.done
        advance = Signal()
        mask = data[:len(irqs)]
        with m.If(active), m.Switch(kind):
            with m.Case(OpKind.WRITE, OpKind.READ):
                m.d.comb += [bus["cyc"].eq(1), bus["stb"].eq(1)]
                with m.If(bus["ack"]):
                    m.d.comb += advance.eq(1)
            with m.Case(OpKind.WAIT_IRQ), m.If((Cat(irqs) & mask) == mask):
                m.d.comb += advance.eq(1)
            with m.Case(OpKind.END):
                if started:
                    m.d.sync += self.player_busy.eq(0)
                else:
                    m.d.sync += self.done.eq(1)
        read_done = advance & (kind == OpKind.READ)
        # The op's fields reach the bus in every cycle the player owns it; write data only
        # from a WRITE (a WAIT_IRQ's mask never shows on dat_w).
        op_fields = {"we": kind == OpKind.WRITE, "adr": adr,
                     "dat_w": Mux(kind == OpKind.WRITE, data, 0), "sel": 0xF}
        if started:
            ext = getattr(self, target.bus)
            m.d.comb += [ext.dat_r.eq(bus["dat_r"]), ext.ack.eq(bus["ack"] & ~self.player_busy)]
            with m.If(self.player_busy):
                m.d.comb += [bus[n].eq(v) for n, v in op_fields.items()]
            with m.Else():
                m.d.comb += [bus[n].eq(getattr(ext, n)) for n in _BUS_TO_TARGET]
                with m.If(self.player_start & (self.player_count != 0)):
                    m.d.sync += [index.eq(0), self.player_busy.eq(1)]
            m.submodules.player_rdata = self.player_rdata
            wr = self.player_rdata.write_port()
            m.d.comb += [wr.addr.eq(index), wr.data.eq(bus["dat_r"]), wr.en.eq(read_done)]
            with m.If(advance):
                m.d.sync += index.eq(index + 1)
                with m.If(index + 1 == self.player_count):
                    m.d.sync += self.player_busy.eq(0)
        else:
            m.d.comb += [bus[n].eq(v) for n, v in op_fields.items()]
            m.d.comb += [self.out_valid.eq(read_done), self.out_data.eq(bus["dat_r"])]
            with m.If(advance):
                m.d.sync += index.eq(index + 1)
        return m

    def _ports_of(self, name: str) -> dict:
        return {path[1]: member for path, member in self._ports.items() if path[0] == name}

    def _attach(self, m: Module, wires: dict) -> None:
        """Connect the target's ports to ``wires`` (path -> value)."""
        target = self.target
        if target.module is None:
            m.submodules[target.instance] = comp = target.component
            for path, member, value in comp.signature.flatten(comp):
                if member.flow == wiring.Flow.In:
                    m.d.comb += value.eq(wires[path])
                else:
                    m.d.comb += wires[path].eq(value)
            return
        ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
        for path, member in self._ports.items():
            prefix = "i" if member.flow == wiring.Flow.In else "o"
            ports[f"{prefix}_{'__'.join(map(str, path))}"] = wires[path]
        m.submodules[target.instance] = Instance(target.module, **ports)


def emit_player(target: Target, *, mode: Mode | str, depth: int = PLAYER_DEPTH
                ) -> tuple[str, str]:
    """(module name, Verilog text) of the player around ``target``: ``<module>_campaign``
    in ``autorun`` mode, ``<module>_harness`` in ``started`` mode."""
    player = BusPlayer(target, mode=mode, depth=depth)
    name = f"{target.module}_{'campaign' if player.mode == Mode.AUTORUN else 'harness'}"
    return name, verilog.convert(player, name=name, emit_src=False)
