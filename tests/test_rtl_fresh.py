"""rtl/ is only ever written by `make rtl`: fail when the checked-in RTL is stale."""

from hdl_gen.emit import check
from testbenches.sim import RTL_DIR


def test_checked_in_rtl_matches_the_generators(capsys):
    assert check(RTL_DIR) == 0, capsys.readouterr().out + "\nrun 'make rtl' and commit rtl/"
