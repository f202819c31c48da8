"""The interfaces between the GEMM tile's components, and the scratchpad geometry they share.

Every signature is written from the side that drives most of it (``Out`` = driven by that
side); the other side takes it ``In(...)``. :class:`~hdl_gen.tile.GemmTile` joins them with
``wiring.connect``:

=====================  ===================  ==============================================
signature              driven by            taken by
=====================  ===================  ==============================================
CommandSignature       RegisterFile.cmd     Controller.cmd, Datapath.cmd
ControlSignature       RegisterFile.ctl     Controller.ctl
StepSignature          Controller.step      Datapath.step
ScratchpadBus          RegisterFile.mem     Scratchpads.bus
DatapathPorts          Datapath.mem         Scratchpads.dp
EccReport              Scratchpads.ecc      RegisterFile.ecc (ECC profiles)
RegisterWindow         RegisterFile.therm   ThrottleController.regs (:mod:`hdl_gen.throttle`)
=====================  ===================  ==============================================
"""

from __future__ import annotations

from amaranth.hdl import signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from orbitbench.spec.params import TileConfig
from orbitbench.spec.regmap import REGION_SHIFT

__all__ = ["log2", "Depths", "CommandSignature", "ControlSignature", "StepSignature",
           "ScratchpadBus", "DatapathPorts", "EccReport", "REGION_BITS"]

#: Width of the region index (the word address bits above :data:`REGION_SHIFT`).
REGION_BITS = 3


def log2(x: int) -> int:
    """log2 of a power of two (the geometry of a validated TileConfig)."""
    return x.bit_length() - 1


class Depths:
    """Words per bank of each scratchpad for ``config`` (banking in :class:`Scratchpads`).

    Members
    -------
    a : int
        Words of each of the ``rows`` A banks (``max_m / rows`` rows of ``max_k / 4``).
    b : int
        Words of each of the ``cols`` B banks (``max_n / cols`` columns of ``max_k / 4``).
    vec : int
        Words of each of the ``cols`` BIAS, MULT and SHIFT banks (``max_n / cols``).
    c : int
        Rows of the result memory (``8 * cols`` bits each).
    """

    def __init__(self, config: TileConfig):
        kw = config.max_k // 4
        self.a = config.max_m // config.rows * kw
        self.b = config.max_n // config.cols * kw
        self.vec = config.max_n // config.cols
        self.c = config.max_m * config.max_n // config.cols


class CommandSignature(wiring.Signature):
    """The command registers (CTRL..QSHIFT of :mod:`orbitbench.spec.regmap`), combinational
    from the register file's registers; they change only while the tile is idle.

    Members
    -------
    m, k, n : Out(16)
    a_zp, b_zp, out_zp : Out(signed(8))
    act_min, act_max : Out(signed(8))
        Reset -128 and 127.
    per_channel : Out(1)
        QMODE.PER_CHANNEL.
    single : Out(1)
        QMODE.SINGLE; only with ``single=True`` (a selectable tile).
    qmult : Out(signed(32))
        Reset ``2**30``.
    qshift : Out(signed(6))
    """

    def __init__(self, single: bool = False):
        members = {
            "m": Out(16), "k": Out(16), "n": Out(16),
            "a_zp": Out(signed(8)), "b_zp": Out(signed(8)), "out_zp": Out(signed(8)),
            "act_min": Out(signed(8), init=-128), "act_max": Out(signed(8), init=127),
            "per_channel": Out(1),
            "qmult": Out(signed(32), init=1 << 30), "qshift": Out(signed(6)),
        }
        if single:
            members["single"] = Out(1)
        super().__init__(members)


class ControlSignature(wiring.Signature):
    """Register file to controller: START and the STATUS write-1-to-clear strobes; back the
    controller's DONE, ERROR and CYCLES registers (combinational both ways).

    Members
    -------
    start : Out(1)
        CTRL.START written while idle (a one-cycle strobe).
    clear_done, clear_error : Out(1)
        A STATUS write with bit 1 / bit 2 set (one-cycle strobes).
    done, error : In(1)
        STATUS.DONE and STATUS.ERROR.
    cycles : In(32)
        The CYCLES register.
    """

    def __init__(self):
        super().__init__({
            "start": Out(1), "clear_done": Out(1), "clear_error": Out(1),
            "done": In(1), "error": In(1), "cycles": In(32),
        })


class StepSignature(wiring.Signature):
    """Controller to datapath: the loop counters and this cycle's strobes (combinational from
    the controller's registers; the strobes are high only in cycles where the datapath
    advances).

    Members
    -------
    feeding : Out(1)
        Operand step ``k`` is read from the A and B banks this cycle (state FEED).
    draining : Out(1)
        Array row ``drain`` of the block enters the requantizers this cycle (state DRAIN).
    clear : Out(1)
        The array's accumulators clear this cycle (state CLEAR).
    checking : Out(1)
        ABFT profiles only: the block's CHECK cycle (the one after its last drain row).
    k : Out(range(max_k + 1))
    ib : Out(range(max_m // rows + 1))
        Row block.
    jb : Out(range(max_n // cols + 1))
        Column block.
    drain : Out(range(rows + 1))
        Array row being drained.
    """

    def __init__(self, config: TileConfig):
        c = config
        members = {
            "feeding": Out(1), "draining": Out(1), "clear": Out(1),
            "k": Out(range(c.max_k + 1)),
            "ib": Out(range(c.max_m // c.rows + 1)),
            "jb": Out(range(c.max_n // c.cols + 1)),
            "drain": Out(range(c.rows + 1)),
        }
        if c.abft:
            members["checking"] = Out(1)
        super().__init__(members)


class ScratchpadBus(wiring.Signature):
    """The bus target (register file) to the scratchpads: one transfer at a time.

    A transfer is requested while ``req`` is high with ``region`` (never REGS), ``addr``
    (word offset in the region), ``we``, ``sel`` and ``wdata`` stable; ``served``
    (combinational) says it completes this cycle, and the initiator acknowledges it in the
    next cycle. In that acknowledge cycle the initiator drives ``ack_region`` with the
    region it served and ``rdata`` (combinational) holds the read data: 0 outside the
    scratchpad's capacity, SHIFT words sign-extended.

    Members
    -------
    req, we : Out(1)
    region : Out(3)
    addr : Out(REGION_SHIFT)
    sel : Out(4)
    wdata : Out(32)
    ack_region : Out(3)
    served : In(1)
    rdata : In(32)
    """

    def __init__(self):
        super().__init__({
            "req": Out(1), "region": Out(REGION_BITS), "addr": Out(REGION_SHIFT),
            "we": Out(1), "sel": Out(4), "wdata": Out(32), "ack_region": Out(REGION_BITS),
            "served": In(1), "rdata": In(32),
        })


class DatapathPorts(wiring.Signature):
    """The datapath's side of the scratchpads, used while the tile is busy.

    Reads have a latency of one cycle (data of the address of the previous advancing cycle)
    and their data holds while the datapath holds (``ce`` low). Writes land at the clock
    edge.

    Members
    -------
    a_addr : Out(range(Depths.a))
        Word of every A bank.
    b_addr : Out(range(Depths.b))
        Word of every B bank.
    a_data : In(32).array(rows)
    b_data : In(32).array(cols)
    ch_addr : Out(range(Depths.vec))
        Word of every BIAS, MULT and SHIFT bank.
    bias, mult : In(32).array(cols)
    shift : In(6).array(cols)
    c_wr_addr : Out(range(Depths.c))
    c_wr_data : Out(8 * cols)
    c_wr_en : Out(cols)
        Byte enables (an ECC result memory writes the whole row when any is set: the
        datapath merges the kept bytes into ``c_wr_data``).
    op_read : Out(1)
        ECC profiles only: read enable of the A and B banks (the other banks read in every
        advancing cycle).
    c_rd_addr : Out(range(Depths.c))
    c_rd_en : Out(1)
    c_rd_data : In(8 * cols)
        ECC profiles only: the result row the drain merges into.
    """

    def __init__(self, config: TileConfig):
        d, R, C = Depths(config), config.rows, config.cols
        members = {
            "a_addr": Out(range(d.a)), "b_addr": Out(range(d.b)),
            "a_data": In(32).array(R), "b_data": In(32).array(C),
            "ch_addr": Out(range(d.vec)),
            "bias": In(32).array(C), "mult": In(32).array(C), "shift": In(6).array(C),
            "c_wr_addr": Out(range(d.c)), "c_wr_data": Out(8 * C), "c_wr_en": Out(C),
        }
        if config.ecc:
            members |= {"op_read": Out(1), "c_rd_addr": Out(range(d.c)), "c_rd_en": Out(1),
                        "c_rd_data": In(8 * C)}
        super().__init__(members)


class EccReport(wiring.Signature):
    """ECC events of the scratchpads in one cycle, and the scrubbers' interval.

    Members
    -------
    corrected, uncorrectable : Out(range(memories + 1))
        Reads (functional or scrub) that corrected / could not correct an error this cycle,
        summed over the memories.
    event : Out(1)
        At least one of them.
    event_addr : Out(32)
        Bus byte address of the word of that event (of the last memory in the order A
        banks, B, BIAS, MULT, SHIFT banks, C when several have one).
    scrub_interval : In(32)
        SCRUB_INTERVAL, for every scrubber.
    """

    def __init__(self, memories: int):
        super().__init__({
            "corrected": Out(range(memories + 1)), "uncorrectable": Out(range(memories + 1)),
            "event": Out(1), "event_addr": Out(32), "scrub_interval": In(32),
        })
