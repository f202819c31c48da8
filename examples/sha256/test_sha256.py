"""A cocotb test of secworks' sha256_core (ours, not upstream's): the two-block FIPS 180-2
example "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", both digests checked.

It waits for ``digest_valid`` like a testbench does, and starts the second block at the same
fixed cycle (80) as ``fips_two_blocks.stim``, so that recording it
(``orbitbench record campaign.toml --test test_sha256.py``) gives that stimulus exactly.
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge

BLOCK1 = 0x6162636462636465636465666465666765666768666768696768696A68696A6B696A6B6C6A6B6C6D6B6C6D6E6C6D6E6F6D6E6F706E6F70718000000000000000  # noqa: E501
BLOCK2 = 0x1C0
DIGEST1 = 0x85E655D6417A17953363376A624CDE5C76E09589CAC5F811CC4B32C1F20E533A
DIGEST2 = 0x248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1
NEXT_AT, END_AT = 80, 160  # cycles after reset


@cocotb.test()
async def fips_two_blocks(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.reset_n.value = 0
    dut.init.value, dut.next.value, dut.mode.value, dut.block.value = 0, 0, 1, 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.reset_n.value = 1
    cycle = 0  # the cycle the values written now are sampled in

    async def step(n=1):
        nonlocal cycle
        for _ in range(n):
            await RisingEdge(dut.clk)
            cycle += 1

    async def digest():
        while dut.digest_valid.value:  # the previous digest is still shown
            await step()
        while not dut.digest_valid.value:
            await step()
        return int(dut.digest.value)

    dut.init.value, dut.block.value = 1, BLOCK1
    await step()
    dut.init.value = 0
    assert await digest() == DIGEST1, "first block"
    await step(NEXT_AT - cycle)
    dut.next.value, dut.block.value = 1, BLOCK2
    await step()
    dut.next.value = 0
    assert await digest() == DIGEST2, "second block"
    await step(END_AT - cycle)
