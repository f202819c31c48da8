"""Session-wide fixtures."""

import pytest


@pytest.fixture(scope="session")
def rendered_rtl():
    """Everything ``make rtl`` would write, rendered once per test session (about a minute)."""
    from hdl_gen import emit

    return emit.render_all()
