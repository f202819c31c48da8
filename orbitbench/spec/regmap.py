"""Address map and register map of the GEMM tile.

The bus is Wishbone classic, 32-bit data, byte addresses shown here (the Wishbone ``adr``
port carries word addresses: byte address >> 2). The map is the same for every
configuration: each scratchpad has its own 1 MiB region.

Scratchpad layouts (little-endian bytes within a 32-bit word):

=======  ==========  ==============================================================
region   base        contents
=======  ==========  ==============================================================
REGS     0x000000    registers below
A        0x100000    int8 ``A[i][k]`` at byte ``i * MAX_K + k``
B        0x200000    int8 ``B[k][n]`` at byte ``n * MAX_K + k`` (B transposed, N x K)
BIAS     0x300000    int32 ``bias[n]`` at byte ``4 * n``
MULT     0x400000    int32 per-channel multiplier ``mult[n]`` at byte ``4 * n``
SHIFT    0x500000    per-channel shift ``shift[n]`` at byte ``4 * n`` (6-bit signed, low bits)
C        0x600000    int8 result ``C[i][n]`` at byte ``i * MAX_N + n``
=======  ==========  ==============================================================

Accesses beyond a scratchpad's capacity or to an unmapped register read as 0 and ignore
writes. Scratchpad accesses while the tile is busy are stalled (``ack`` held low) until the
command finishes; register accesses are always served.
"""

from __future__ import annotations

import enum

__all__ = ["Region", "Reg", "QMode", "Status", "ThermStatus", "THERM_REGS", "REGION_SHIFT",
           "ADDR_WIDTH", "TILE_ID", "region_base", "reg_addr"]

# Word-address width of the Wishbone port, and where the region index starts in it.
REGION_SHIFT = 18  # 2**18 words = 1 MiB per region
ADDR_WIDTH = 21  # 8 regions

TILE_ID = 0x4F42_5431  # "OBT1"


class Region(enum.IntEnum):
    REGS = 0
    A = 1
    B = 2
    BIAS = 3
    MULT = 4
    SHIFT = 5
    C = 6


class Reg(enum.IntEnum):
    """Register word offsets inside the REGS region (byte offset = 4 * value)."""

    ID = 0x00  # RO  TILE_ID
    GEOMETRY = 0x01  # RO  rows [7:0], cols [15:8], ecc_interleave [19:16], rounding [21:20]
    #                       (index into TILE_ROUNDINGS: 0 double, 1 single, 2 selectable)
    MAX_M = 0x02  # RO
    MAX_K = 0x03  # RO
    MAX_N = 0x04  # RO
    CTRL = 0x05  # WO  bit 0 START (ignored while busy); reads 0
    STATUS = 0x06  # RO/W1C  see Status
    IRQ_ENABLE = 0x07  # RW  irq = DONE & [0] | ECC_UE & [1] (ECC) | ABFT_ERROR & [2] (ABFT)
    M = 0x08  # RW  16 bits
    K = 0x09  # RW  16 bits
    N = 0x0A  # RW  16 bits
    A_ZP = 0x0B  # RW  int8, reads sign-extended
    B_ZP = 0x0C  # RW  int8
    OUT_ZP = 0x0D  # RW  int8
    ACT_MIN = 0x0E  # RW  int8
    ACT_MAX = 0x0F  # RW  int8
    QMODE = 0x10  # RW  bit 0 PER_CHANNEL, bit 1 SINGLE (selectable tiles only, else reads 0)
    QMULT = 0x11  # RW  int32 per-tensor multiplier
    QSHIFT = 0x12  # RW  6-bit signed per-tensor shift, reads sign-extended
    CYCLES = 0x13  # RO  clock cycles of the last command (counts live while busy)
    TMR_ERRORS = 0x14  # RW  cycles in which triplicated copies disagreed (write: clear)
    HARDENING = 0x15  # RO  hardening profile: index into HARDENING_PROFILES (0 = none)
    # ECC profiles only (read 0 otherwise):
    ECC_CORRECTED = 0x16  # RW  scratchpad reads that corrected a single-bit error (write: clear)
    ECC_UNCORRECTABLE = 0x17  # RW  scratchpad reads with an uncorrectable error (write: clear)
    ECC_LAST_ADDR = 0x18  # RO  byte address (bus map) of the last word read with an error
    SCRUB_INTERVAL = 0x19  # RW  cycles between scrubber reads of each scratchpad (0: off)
    # Thermal throttle controller and activity counters (every configuration; decision rule
    # in golden_models/throttle.py; temperatures are sensor codes, degC = code / 8 - 64):
    THERM_CTRL = 0x1A  # WO  bit 0 CLEAR: lift a critical shutdown if the last sample was cool
    THERM_STATUS = 0x1B  # RO/W1C  see ThermStatus (write 1 to bit 6 clears SENSOR_FAULT)
    THERM_TEMP = 0x1C  # RO  code of the last sample [11:0]
    THERM_TRIP1 = 0x1D  # RW  [11:0] level-1 trip point (reset 85 degC)
    THERM_TRIP2 = 0x1E  # RW  [11:0] level-2 trip point (reset 95 degC)
    THERM_TRIP3 = 0x1F  # RW  [11:0] level-3 trip point (reset 105 degC)
    THERM_CRIT = 0x20  # RW  [11:0] critical shutdown (reset 115 degC)
    THERM_HYST = 0x21  # RW  [11:0] hysteresis in codes (reset 32 = 4 degC)
    THERM_RANGE = 0x22  # RW  plausible range: min [11:0] (reset -40 degC), max [27:16] (150 degC)
    THERM_STUCK = 0x23  # RW  [7:0] repeats of one reading that make it implausible (0: off; 64)
    THERM_SAFE_LEVEL = 0x24  # RW  [2:0] level on an implausible reading (reset 2; >4 writes 4)
    THERM_EVENTS = 0x25  # RW  saturating: raises [15:0], shutdowns [23:16], faults [31:24]
    THERM_THROTTLED = 0x26  # RW  busy cycles with the datapath held (wrapping; write: clear)
    ACT_FEED = 0x27  # RO  cycles the array consumed an operand step (free-running, wrapping)
    ACT_SRAM = 0x28  # RO  scratchpad word accesses (free-running, wrapping; docs/thermal.md)
    # ABFT profiles only (read 0 otherwise; saturating; write: clear):
    ABFT_CORRECTED = 0x29  # RW  output blocks whose one located wrong element was corrected
    ABFT_DETECTED = 0x2A  # RW  uncorrectable checksum mismatches and requantizer mismatches


# Registers that hold command fields; writes to them are ignored while busy.
COMMAND_REGS = (Reg.M, Reg.K, Reg.N, Reg.A_ZP, Reg.B_ZP, Reg.OUT_ZP, Reg.ACT_MIN, Reg.ACT_MAX,
                Reg.QMODE, Reg.QMULT, Reg.QSHIFT)


# The throttle controller's block of registers, in address order (hdl_gen.throttle).
THERM_REGS = tuple(r for r in Reg if Reg.THERM_CTRL <= r <= Reg.ACT_SRAM)


class ThermStatus(enum.IntFlag):
    """THERM_STATUS bits; the throttle level is the field ``LEVEL`` [2:0], DVFS [4:3]."""

    LEVEL = 0x7  # 0 full speed, 1..3 throttled, 4 critical shutdown
    DVFS = 0x3 << 3  # reported DVFS operating point, min(level, 3)
    SHUTDOWN = 1 << 5  # level == 4
    SENSOR_FAULT = 1 << 6  # sticky: an implausible reading was sampled (W1C)
    COOL = 1 << 7  # the last sample was plausible and below CRIT - HYST (CLEAR may lift)


class QMode(enum.IntFlag):
    """QMODE bits. SINGLE selects TFLite single rounding for the command; only a tile built
    with ``rounding="selectable"`` has the bit (a fixed tile ignores it and reads 0)."""

    PER_CHANNEL = 1 << 0  # mult/shift from the MULT/SHIFT scratchpads, else QMULT/QSHIFT
    SINGLE = 1 << 1  # single rounding (TFLITE_SINGLE_ROUNDING), else gemmlowp double


class Status(enum.IntFlag):
    BUSY = 1 << 0  # a command is running
    DONE = 1 << 1  # sticky: a command finished (write 1 to clear)
    ERROR = 1 << 2  # sticky: the last START had M, K or N of 0 or above capacity (W1C)
    TMR_MISMATCH = 1 << 3  # sticky: triplicated copies disagreed (an upset was out-voted; W1C)
    ECC_UE = 1 << 4  # sticky: a scratchpad read found an uncorrectable error (W1C)
    ABFT_CORRECTED = 1 << 5  # sticky: a checksum mismatch was located and corrected (W1C)
    ABFT_ERROR = 1 << 6  # sticky: a datapath check failed uncorrectably: C is wrong (W1C)


def region_base(region: Region) -> int:
    """Byte address of a region."""
    return int(region) << (REGION_SHIFT + 2)


def reg_addr(reg: Reg) -> int:
    """Byte address of a register."""
    return region_base(Region.REGS) + 4 * int(reg)
