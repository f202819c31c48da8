"""rtl/ is only ever written by `make rtl`: fail when the checked-in RTL is stale."""

from hdl_gen import emit
from orbitbench.sim import RTL_DIR


def test_checked_in_rtl_matches_the_generators(rendered_rtl, capsys, monkeypatch):
    monkeypatch.setattr(emit, "render_all", lambda: dict(rendered_rtl))
    assert emit.check(RTL_DIR) == 0, capsys.readouterr().out + "\nrun 'make rtl' and commit rtl/"
