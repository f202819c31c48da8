"""hdl_gen.emit: deterministic Verilog plus manifest, and the staleness check behind check-rtl.

Everything is written under pytest's ``tmp_path``; the repository's ``rtl/`` is never touched.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hdl_gen import emit
from orbitbench.spec.multitile import MULTITILE_CONFIGS
from orbitbench.spec.noc import NOC_CONFIGS
from orbitbench.spec.params import CONFIGS, TileConfig
from orbitbench.spec.paths import MANIFEST

REPO = Path(emit.__file__).resolve().parent.parent


@pytest.fixture
def rendered(rendered_rtl):
    return rendered_rtl


@pytest.fixture
def cached_render(rendered, monkeypatch):
    """``check()`` compares against the session's one rendering instead of rendering again
    (about a minute for every design); ``test_render_is_deterministic`` makes that sound."""
    monkeypatch.setattr(emit, "render_all", lambda: dict(rendered))
    return rendered


def write(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text)


def _one_per_kind():
    """The first design of every kind (rendering all of them again takes about a minute)."""
    first = {}
    for design in emit.designs():
        first.setdefault(design["kind"], design)
    return list(first.values())


_RENDER_ONE = """
import sys
from hdl_gen import emit
design = next(d for d in emit.designs() if d["top"] == sys.argv[1])
sys.stdout.write(design["render"]())
"""


@pytest.mark.parametrize("design", _one_per_kind(), ids=lambda d: d["kind"])
def test_render_is_deterministic(rendered, design):
    """A second rendering in a fresh interpreter (no caches shared with this session, another
    hash seed so set and dict order cannot leak) gives the same bytes."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", _RENDER_ONE, design["top"]], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True, timeout=600).stdout
    assert out == rendered[f"{design['top']}.v"]


def test_file_set(rendered):
    """One Verilog file per configuration of every kind the contract defines, the manifest
    ``make lint`` reads, and nothing else."""
    expected = {f"{cfg.top_name}.v" for table in (CONFIGS, NOC_CONFIGS, MULTITILE_CONFIGS)
                for cfg in table.values()} | {MANIFEST}
    assert set(rendered) == expected


def test_file_set_check_can_fail(rendered):
    """Negative control: a generator that drops a design is caught by the same comparison."""
    dropped = dict(rendered)
    dropped.pop(f"{CONFIGS['small_tmr'].top_name}.v")
    expected = {f"{cfg.top_name}.v" for cfg in CONFIGS.values()}
    assert not expected <= set(dropped)


def _memories(text: str, module: str) -> dict[str, tuple[int, int]]:
    """name -> (width, depth) of the memory arrays declared in Verilog ``module`` (a
    submodule's name is an escaped identifier, ``\\top.sub``)."""
    header = f"module \\{module} (" if "." in module else f"module {module}("
    body = text[text.index(header):]
    body = body[:body.index("endmodule")]
    decls = re.findall(r"^\s*reg \[(\d+):(\d+)\] (\S+) \[(\d+):(\d+)\];", body, re.M)
    return {name: (abs(int(hi) - int(lo)) + 1, abs(int(d1) - int(d0)) + 1)
            for hi, lo, name, d1, d0 in decls}


def test_manifest_describes_the_verilog_it_lists(rendered):
    """Each tile entry's parameters rebuild its TileConfig, and the Verilog it names has the
    scratchpads those parameters imply (counted in the emitted text, not recomputed by the
    code that wrote the manifest)."""
    text = rendered[emit.MANIFEST]
    manifest = json.loads(text)
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    assert manifest["generator"] == "orbitbench.hdl_gen"
    tiles = [d for d in manifest["designs"] if d["kind"] == "gemm_tile"]
    assert [d["config"] for d in tiles] == list(CONFIGS)
    for entry in tiles:
        cfg = TileConfig(**entry["params"])
        assert cfg == CONFIGS[entry["config"]] and entry["file"] == f"{cfg.top_name}.v"
        if cfg.ecc:
            continue  # ECC scratchpads are EccMemory submodules (tests/hdl_gen/test_ecc_mem.py)
        mems = _memories(rendered[entry["file"]], f"{cfg.top_name}.scratchpads")
        assert sum(1 for n in mems if n.startswith("a_bank")) == cfg.rows
        assert sum(1 for n in mems if n.startswith("b_bank")) == cfg.cols
        assert mems["a_bank0"] == (32, cfg.max_m // cfg.rows * cfg.max_k // 4)
        assert mems["b_bank0"] == (32, cfg.max_n // cfg.cols * cfg.max_k // 4)
        assert mems["c_mem"] == (8 * cfg.cols, cfg.max_m * cfg.max_n // cfg.cols)


def test_manifest_check_catches_wrong_params(rendered):
    """Negative control: an entry whose params name another geometry does not match."""
    entry = next(d for d in json.loads(rendered[emit.MANIFEST])["designs"]
                 if d["config"] == "small")
    wrong = TileConfig(**{**entry["params"], "rows": 8, "max_m": 64})
    mems = _memories(rendered[entry["file"]], f"{wrong.top_name}.scratchpads")
    assert sum(1 for n in mems if n.startswith("a_bank")) != wrong.rows


@pytest.mark.parametrize("name", list(CONFIGS))
def test_verilog_top_module(rendered, name):
    cfg = CONFIGS[name]
    text = rendered[f"{cfg.top_name}.v"]
    tops = re.findall(r"^\(\* top = +1 +\*\)\n(?:\(\*.*\*\)\n)*module (\S+?)\(", text, re.M)
    assert tops == [f"obt_tile_{name}"]
    assert len(re.findall(rf"^module obt_tile_{name}\(", text, re.M)) == 1
    # No other configuration's tile leaks into this file.
    for other in CONFIGS.values():
        if other is not cfg:
            assert other.top_name + "(" not in text
            assert other.top_name + "." not in text
    assert text.rstrip().endswith("endmodule")


@pytest.mark.parametrize("name", list(CONFIGS))
def test_verilog_has_no_machine_specific_text(rendered, name):
    text = rendered[f"{CONFIGS[name].top_name}.v"]
    for path in {str(REPO), str(Path.home()), str(Path.cwd()), "/work/", "site-packages"}:
        assert path not in text
    assert "src =" not in text  # emit_src=False: no source locations at all
    assert not re.search(r"\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d", text)  # no timestamp


def test_manifest_has_no_machine_specific_text(rendered):
    text = rendered[emit.MANIFEST]
    for path in {str(REPO), str(Path.home()), str(Path.cwd()), "/work/"}:
        assert path not in text


# --- emit_all / check / main --------------------------------------------------------------


def test_emit_then_check_end_to_end(tmp_path, capsys, monkeypatch):
    # The one test that renders through the real path twice: main() writes, main --check reads
    # (the small tile only, to keep it quick).
    small = [d for d in emit.designs() if d["top"] == CONFIGS["small"].top_name]
    monkeypatch.setattr(emit, "designs", lambda: small)
    out = tmp_path / "nested" / "rtl"
    assert emit.main(["--out", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted([f"{CONFIGS['small'].top_name}.v", emit.MANIFEST])
    assert capsys.readouterr().out.count("wrote ") == len(written)
    assert emit.main(["--check", "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_emit_all_writes_what_render_all_returns(tmp_path, cached_render):
    files = emit.emit_all(tmp_path)
    assert files == cached_render
    for name, text in cached_render.items():
        assert (tmp_path / name).read_text() == text


def test_check_fresh_dir_is_up_to_date(tmp_path, cached_render, capsys):
    write(tmp_path, cached_render)
    assert emit.check(tmp_path) == 0
    assert capsys.readouterr().out == f"{tmp_path}: up to date ({len(cached_render)} files)\n"


@pytest.mark.parametrize("target", ["verilog", "manifest"])
def test_check_modified_file_is_stale(tmp_path, cached_render, capsys, target):
    write(tmp_path, cached_render)
    name = emit.MANIFEST if target == "manifest" else f"{CONFIGS['small'].top_name}.v"
    path = tmp_path / name
    text = path.read_text()
    edited = text.replace("obt_tile_small", "obt_tile_smal1", 1)
    assert edited != text
    path.write_text(edited)
    assert emit.check(tmp_path) == 1
    out = capsys.readouterr().out
    assert f"stale: {path} differs from the generator output" in out
    assert "run 'make rtl'" in out


def test_check_one_byte_change_is_stale(tmp_path, cached_render):
    write(tmp_path, cached_render)
    path = tmp_path / emit.MANIFEST
    path.write_text(path.read_text() + "\n")
    assert emit.check(tmp_path) == 1


def test_check_missing_file_is_stale(tmp_path, cached_render, capsys):
    write(tmp_path, cached_render)
    missing = tmp_path / f"{CONFIGS['default'].top_name}.v"
    missing.unlink()
    assert emit.check(tmp_path) == 1
    assert f"stale: {missing} differs from the generator output" in capsys.readouterr().out


def test_check_extra_file_is_stale(tmp_path, cached_render, capsys):
    write(tmp_path, cached_render)
    (tmp_path / "obt_tile_old.v").write_text("module obt_tile_old; endmodule\n")
    assert emit.check(tmp_path) == 1
    out = capsys.readouterr().out
    assert f"stale: {tmp_path / 'obt_tile_old.v'} is not produced by the generators" in out


def test_check_missing_dir_is_stale(tmp_path, cached_render):
    assert emit.check(tmp_path / "absent") == 1
    assert not (tmp_path / "absent").exists()


def test_check_writes_nothing(tmp_path, cached_render):
    write(tmp_path, cached_render)
    (tmp_path / emit.MANIFEST).write_text("{}\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert emit.check(tmp_path) == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
