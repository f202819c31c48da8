"""The multi-tile GEMM split equals the single-tile golden result; wrong splits do not."""

import dataclasses

import numpy as np
import pytest

from golden_models.multitile import check_plan, multitile_gemm, split_rows
from golden_models.stimulus import corner_cases, random_case
from golden_models.tile import run_tile, unpack_result
from orbitbench.spec.multitile import MULTITILE_CONFIGS
from orbitbench.spec.params import CONFIGS, GemmCommand

TILE = CONFIGS["small"]
TILES = MULTITILE_CONFIGS["mt2x2"].tiles


def single_tile(case, m_cap: int) -> np.ndarray:
    """The single-tile golden result on a virtual tile with room for all M rows."""
    big = dataclasses.replace(TILE, max_m=m_cap, name="virtual")
    image = case.image(big)
    return unpack_result(big, run_tile(big, case.cmd, image).c, case.cmd.m, case.cmd.n)


def run_split(case, plan=None):
    return multitile_gemm(TILE, TILES, case.cmd, case.a, case.b, case.bias, case.mult,
                          case.shift, plan=plan)


@pytest.mark.parametrize("seed", range(40))
def test_random_split_equals_single_tile(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, TILES * TILE.max_m + 1))
    case = random_case(TILE, rng, m=m)
    result = run_split(case)
    assert result.c.shape == (m, case.cmd.n)
    np.testing.assert_array_equal(result.c, single_tile(case, 128))


def test_corner_cases_split_equal_single_tile():
    rng = np.random.default_rng(7)
    for case in corner_cases(TILE, rng):
        np.testing.assert_array_equal(run_split(case).c, single_tile(case, 128), case.label)


@pytest.mark.parametrize("m", [1, 3, 4, 5, 127, 128])
def test_split_rows_cover_exactly_once(m):
    plan = split_rows(m, 4)
    assert plan[0][0] == 0 and plan[-1][1] == m
    assert all(a[1] == b[0] for a, b in zip(plan, plan[1:], strict=False))
    sizes = [stop - start for start, stop in plan]
    assert max(sizes) - min(sizes) <= 1


def test_idle_tiles_get_no_command():
    case = random_case(TILE, np.random.default_rng(3), m=2)
    result = run_split(case)
    assert [s.cmd is None for s in result.shares] == [False, False, True, True]
    assert [s.cmd.m for s in result.shares[:2]] == [1, 1]
    np.testing.assert_array_equal(result.c, single_tile(case, 32))


def test_every_tile_gets_all_of_b():
    case = random_case(TILE, np.random.default_rng(4), m=20, per_channel=True)
    shares = run_split(case).shares
    for s in shares[1:]:
        for region in ("b", "bias", "mult", "shift"):
            np.testing.assert_array_equal(getattr(s.image, region),
                                          getattr(shares[0].image, region))


def test_negative_control_wrong_assembly_differs():
    """Tile outputs assembled in the wrong order must not equal the reference."""
    case = random_case(TILE, np.random.default_rng(11), m=64, extreme_zp=False)
    case = dataclasses.replace(case, cmd=dataclasses.replace(case.cmd, act_min=-128,
                                                             act_max=127))
    result = run_split(case)
    parts = [unpack_result(TILE, s.c, s.cmd.m, case.cmd.n) for s in result.shares]
    swapped = np.concatenate([parts[1], parts[0], *parts[2:]])
    assert not np.array_equal(swapped, single_tile(case, 64))


def test_negative_control_shifted_rows_differ():
    """A plan whose rows are shifted by one (row 0 dropped) gives a different C."""
    case = random_case(TILE, np.random.default_rng(12), m=16, extreme_zp=False)
    case = dataclasses.replace(case, cmd=dataclasses.replace(case.cmd, act_min=-128,
                                                             act_max=127))
    ref = single_tile(case, 32)
    shifted = dataclasses.replace(case, a=np.roll(case.a, -1, axis=0))
    assert not np.array_equal(run_split(shifted).c, ref)


@pytest.mark.parametrize("plan, message", [
    ([(0, 4), (5, 8), (8, 12), (12, 16)], "plan range 1 is (5, 8); it must start at row 4"),
    ([(0, 4), (4, 8), (8, 12)], "plan must have one range per tile (4), not 3"),
    ([(0, 4), (4, 8), (8, 12), (12, 15)], "plan covers rows 0..15, not 0..16"),
    ([(0, 0), (0, 0), (0, 0), (0, 33)], "plan range 3 has 33 rows, above max_m = 32"),
])
def test_bad_plan_is_rejected(plan, message):
    cmd = GemmCommand(m=33 if plan[-1][1] == 33 else 16, k=4, n=4)
    with pytest.raises(ValueError) as exc:
        check_plan(TILE, TILES, cmd, plan)
    assert message in str(exc.value)


def test_k_above_tile_rejected():
    with pytest.raises(ValueError, match=r"K = 33 must be from 1 to 32 \(tile config 'small'\)"):
        check_plan(TILE, TILES, GemmCommand(m=4, k=33, n=4), split_rows(4, TILES))


def test_split_rows_arguments():
    with pytest.raises(ValueError, match="tiles must be at least 1, not 0"):
        split_rows(4, 0)
    with pytest.raises(TypeError, match="m must be an integer, not 1.5"):
        split_rows(1.5, 4)


def test_base_images_keep_what_the_gemm_does_not_write():
    rng = np.random.default_rng(5)
    case = random_case(TILE, rng, m=6, k=5, n=3)
    base = []
    for _ in range(TILES):
        image = case.image(TILE)
        image.c[:] = rng.integers(0, 1 << 32, size=TILE.c_words, dtype=np.uint64)
        base.append(image)
    result = multitile_gemm(TILE, TILES, case.cmd, case.a, case.b, case.bias, case.mult,
                            case.shift, base=base)
    np.testing.assert_array_equal(result.c, single_tile(case, 32))
    for share in result.shares:
        rows = share.cmd.m
        c_bytes = share.c.view(np.uint8).reshape(TILE.max_m, TILE.max_n)
        old = base[share.tile].c.view(np.uint8).reshape(TILE.max_m, TILE.max_n)
        np.testing.assert_array_equal(c_bytes[rows:], old[rows:])
        np.testing.assert_array_equal(c_bytes[:rows, case.cmd.n:], old[:rows, case.cmd.n:])
    with pytest.raises(ValueError, match=r"base must have one image per tile \(4\), not 1"):
        multitile_gemm(TILE, TILES, case.cmd, case.a, case.b, base=base[:1])
