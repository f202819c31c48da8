"""The layers contract (``make lint``): imports only go down, and the check can fail.

The real tree must keep the contract; a copy of it with one upward import added (a golden
model importing the command line) must break it. Both run import-linter as ``make lint`` does.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("orbitbench", "hdl_gen", "golden_models", "testbenches", "fault_campaigns")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-logo", "--no-cache", "--config",
                           str(cwd / "pyproject.toml")], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory):
    out = tmp_path_factory.mktemp("layers")
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, out / pkg, ignore=shutil.ignore_patterns(
            "__pycache__", "*.cpp", "*.json", "*.tflite"))
    shutil.copy(REPO / "pyproject.toml", out / "pyproject.toml")
    return out


def test_the_tree_keeps_the_layers_contract(tree_copy):
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_it(tree_copy, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tree_copy, bad)
    gemm = bad / "golden_models" / "gemm.py"
    gemm.write_text(gemm.read_text() + "\nimport orbitbench.cli.main  # noqa: E402, F401\n")
    result = _lint(bad)
    assert result.returncode != 0
    assert "golden_models.gemm -> orbitbench.cli.main" in result.stdout


def test_the_package_root_imports_nothing():
    tree = ast.parse((REPO / "orbitbench" / "__init__.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _function_imports(path: Path):
    """(line, module) of project imports inside functions that leave the module's package."""
    module = ".".join(path.relative_to(REPO).with_suffix("").parts)

    def package(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:2]) if parts[0] == "orbitbench" and len(parts) > 1 else parts[0]

    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom):
                target = (module.rsplit(".", sub.level)[0] + "." + (sub.module or "")
                          if sub.level else sub.module)
            elif isinstance(sub, ast.Import):
                target = sub.names[0].name
            else:
                continue
            if target.split(".")[0] in PACKAGES and package(target) != package(module):
                yield sub.lineno, target


def test_no_import_inside_a_function_crosses_a_package():
    found = [f"{p.relative_to(REPO)}:{line} imports {target}"
             for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))
             for line, target in _function_imports(p)]
    assert not found, "\n".join(found)


def test_the_function_import_check_finds_one(tmp_path, monkeypatch):
    """Negative control: a module with a cross-package import inside a function is found."""
    pkg = tmp_path / "golden_models"
    pkg.mkdir()
    bad = pkg / "bad.py"
    bad.write_text("def f():\n    from orbitbench.cli import main\n    return main\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert list(_function_imports(bad)) == [(2, "orbitbench.cli")]
