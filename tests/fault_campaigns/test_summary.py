"""Per-structure grouping of campaign targets (fault_campaigns.summary.structure)."""

import pytest

from fault_campaigns.summary import structure


@pytest.mark.parametrize("path, group", [
    ("tile.datapath.array.pe_1_2.acc", "tile.datapath.array.pe_*_*.acc"),
    ("tile.datapath.array.sum_col_3.acc", "tile.datapath.array.sum_col_*.acc"),
    ("tile.scratchpads.a_bank0.mem", "tile.scratchpads.a_bank*.mem"),
    ("tile.controller.k_tmr1", "tile.controller.k"),
    ("tile.controller.k", "tile.controller.k"),
    ("tile.datapath.requant_0_dup.s2_ab", "tile.datapath.requant_*_dup.s2_ab"),
    ("tile.datapath.requant_2.s1_mult", "tile.datapath.requant_*.s1_mult"),
    ("tile.datapath.abft.abft_colsum_3", "tile.datapath.abft.abft_colsum_*"),
])
def test_structure_groups_instances_and_copies(path, group):
    assert structure(path) == group


def test_structure_keeps_distinct_registers_apart():
    # Negative control: different registers of one module never merge.
    assert structure("tile.controller.ib") != structure("tile.controller.jb")
    assert structure("tile.datapath.requant_0.s1_mult") != structure(
        "tile.datapath.requant_0.s2_ab")
