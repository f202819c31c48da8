"""The docs stay true: every command they show runs, every name they cite exists.

Sources: ``README.md`` and ``docs/*.md``.

* ``console`` blocks: every line starting with ``$ `` (continued by a trailing backslash) is a
  command, run from the repository root with this interpreter's ``bin/`` (``.venv/bin``) first
  on ``PATH``. A command runs for real and must exit 0, or the status a trailing
  ``# exit N`` comment gives, unless it starts with one of the words in :data:`SLOW`: then it
  is only parsed. ``HELP``: the same command with ``--help`` appended must exit 0, and every
  ``--option`` it uses must appear in that help (argparse stops at ``--help`` before it
  complains about unknown options). ``DRY``: ``make -n`` of the same command must succeed (the
  target exists), and each recipe line that runs a project module (``python -m
  orbitbench...``) is checked the ``HELP`` way, so options passed through ``CAMPAIGN_ARGS``
  are checked too. A command not in :data:`SLOW` runs for real: adding a slow command to the
  docs means adding it here.
* ``pycon`` blocks run as doctests (one namespace per page); ``python`` blocks are compiled,
  and their imports of project modules, the attributes they use of them and the keyword
  arguments they pass them must exist.
* Inline code outside blocks: a repository path (``hdl_gen/tile.py``) must exist, a dotted
  project name (``golden_models.tile.gemm_cycles``, ``module:function``) must resolve.
* Every make target has a row in the README's command table and a heading in ``docs/``;
  every ``orbitbench`` subcommand has a README row and a docs section naming all its options.

Each check has a negative control on a synthetic page below.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import doctest
import importlib
import inspect
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
BIN = Path(sys.executable).parent
PROJECT = ("orbitbench", "hdl_gen", "golden_models", "testbenches", "fault_campaigns")
#: Top-level directories whose paths the docs cite; outputs (sim_build/, campaigns/,
#: reports/, bench/out/) are made by the commands and not checked.
SOURCE_DIRS = (*PROJECT, "tests", "examples", "networks", "docs", "rtl", ".ci", "bench")
OUTPUTS = ("bench/out",)

RUN, HELP, DRY = "run", "help", "dry"
#: Commands too slow (they verilate, run campaigns or tests) or too destructive (clean) to
#: run in a test, by leading words; the longest match wins. Everything else runs for real.
SLOW: dict[tuple[str, ...], str] = {
    **{("make", t): DRY for t in ("test", "regress", "rtl", "check-rtl", "lint", "campaign",
                                  "gate", "campaign-noc", "campaign-network", "thermal",
                                  "bench", "bench-campaign", "bench-noc", "bench-infer",
                                  "area", "clean", "venv", "mutation-stuck", "mutation")},
    **{("orbitbench", c): HELP for c in ("gemm", "campaign", "targets", "report", "merge",
                                         "replay", "thermal", "infer", "record", "harden")},
    ("orbitbench", "thermal", "--list"): RUN,
    ("python", "-m", "pytest"): HELP,
    ("python", "-m", "orbitbench.apps.bench.noc"): HELP,
    ("python", "-m", "orbitbench.apps.bench.campaign"): HELP,
    ("python", "-m", "orbitbench.apps.bench.run"): HELP,
    ("python", "-m", "orbitbench.apps.area"): HELP,
    ("python", "-m", "orbitbench.apps.harden"): HELP,
}
TIMEOUT = 600


@dataclass(frozen=True)
class Shown:
    """One command shown in a console block: where, and the text after ``$ ``."""

    where: str
    text: str


def fenced_blocks(text: str, lang: str) -> list[tuple[int, str]]:
    """(line number of the opening fence, body) of every ```` ```lang ```` block."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, indent, body = i + 1, len(fence[1]), []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        if fence[2] == lang:
            blocks.append((start, "\n".join(body) + "\n"))
        i += 1
    return blocks


def console_commands(text: str, name: str) -> list[Shown]:
    out = []
    for start, body in fenced_blocks(text, "console"):
        lines = body.splitlines()
        for k, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            cmd, j = line[2:], k
            while cmd.endswith("\\") and j + 1 < len(lines):
                j += 1
                cmd = cmd[:-1].rstrip() + " " + lines[j].strip()
            out.append(Shown(f"{name}:{start + k + 1}", cmd))
    return out


def _words(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """(leading ``VAR=value`` assignments, the argv after them with ``.venv/bin/`` dropped)."""
    env, words = {}, list(words)
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if words:
        words[0] = words[0].removeprefix(".venv/bin/")
    return env, words


def _split(text: str) -> tuple[dict[str, str], list[str], int]:
    """(environment assignments, argv, expected exit status) of one shown command."""
    status = re.search(r"\s#\s*exit\s+(\d+)\s*$", text)
    env, argv = _words(shlex.split(text, comments=True))
    return env, argv, int(status[1]) if status else 0


def mode(argv: list[str]) -> str:
    for n in range(len(argv), 0, -1):
        if tuple(argv[:n]) in SLOW:
            return SLOW[tuple(argv[:n])]
    return RUN


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=REPO, env=_env(env), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def _tail(proc: subprocess.CompletedProcess) -> str:
    return (proc.stdout + proc.stderr).strip()[-600:]


def check_help(argv: list[str], env: dict[str, str]) -> list[str]:
    """Problems of ``argv`` checked through its ``--help``."""
    proc = _run([*argv, "--help"], env)
    if proc.returncode != 0:
        return [f"'{shlex.join(argv)} --help' exited {proc.returncode}: {_tail(proc)}"]
    unknown = [w.partition("=")[0] for w in argv if w.startswith("--")
               and not re.search(rf"(?<![\w-]){re.escape(w.partition('=')[0])}(?![\w-])",
                                 proc.stdout)]
    return [f"{shlex.join(argv)}: {opt} is not an option (not in --help)" for opt in unknown]


def check_dry(argv: list[str], env: dict[str, str]) -> list[str]:
    """Problems of a ``make`` command checked with ``make -n``."""
    proc = _run([argv[0], "-n", *argv[1:]], env)
    if proc.returncode != 0:
        return [f"'make -n {shlex.join(argv[1:])}' exited {proc.returncode}: {_tail(proc)}"]
    problems = []
    for line in proc.stdout.splitlines():
        try:
            words = shlex.split(line)
        except ValueError:  # a recipe continued over lines; not a project module call
            continue
        sub_env, words = _words(words)
        if (len(words) > 2 and Path(words[0]).name.startswith("python") and words[1] == "-m"
                and words[2].split(".")[0] in PROJECT):
            problems += check_help(words, {**env, **sub_env})
    return problems


def check(shown: Shown) -> list[str]:
    """What is wrong with one shown command (empty: nothing)."""
    try:
        env, argv, status = _split(shown.text)
    except ValueError as exc:
        return [f"{shown.where}: cannot parse {shown.text!r}: {exc}"]
    if not argv:
        return [f"{shown.where}: no command in {shown.text!r}"]
    how = "run" if "--help" in argv else mode(argv)
    if how == HELP:
        problems = check_help(argv, env)
    elif how == DRY:
        problems = check_dry(argv, env)
    else:
        proc = _run(argv, env)
        problems = [] if proc.returncode == status else [
            f"'{shown.text}' exited {proc.returncode}, not {status}: {_tail(proc)}"]
    return [f"{shown.where}: {p}" for p in problems]


SHOWN = [s for page in PAGES for s in console_commands(page.read_text(),
                                                       str(page.relative_to(REPO)))]


@pytest.mark.parametrize("shown", SHOWN, ids=[s.where for s in SHOWN])
def test_every_shown_command_runs(shown):
    assert not check(shown)


def test_every_slow_entry_is_used():
    """The allow-list holds only what the docs show (so it stays short and honest)."""
    used = {key for s in SHOWN for key in SLOW
            if _split(s.text)[1][:len(key)] == list(key)}
    assert set(SLOW) - used == set()


def _page(tmp_text: str) -> list[Shown]:
    return console_commands(tmp_text, "synthetic.md")


@pytest.mark.parametrize("line", [
    "$ .venv/bin/orbitbench confgs",                                  # misspelt subcommand
    "$ .venv/bin/orbitbench campaign --config small --cont 5000",    # misspelt option
    "$ .venv/bin/orbitbench gemm --config smal",                     # bad choice
    "$ .venv/bin/orbitbench thermal --lst",                          # misspelt, slow command
    "$ make campain",                                                # no such target
    '$ make campaign CAMPAIGN_ARGS="--cont 2000"',                   # bad option through make
    "$ .venv/bin/orbitbench configs   # exit 1",                     # wrong exit status
])
def test_negative_control_a_broken_command_fails(line):
    shown = _page(f"```console\n{line}\n```\n")
    assert len(shown) == 1 and check(shown[0])


def test_continuation_lines_join_and_output_is_ignored():
    shown = _page("```console\n$ .venv/bin/orbitbench campaign --config small \\\n"
                  "      --count 20\noutput line\n```\n```sh\n$ not a console block\n```\n")
    assert [s.text for s in shown] == [".venv/bin/orbitbench campaign --config small --count 20"]


# --- Python in the docs -------------------------------------------------------------------

def _resolve(dotted: str):
    """The object a dotted project name names; ``AttributeError``/``ImportError`` if none."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError:
            if n == 1:
                raise
            continue
        for part in parts[n:]:
            if dataclasses.is_dataclass(obj) and part in {f.name for f in
                                                           dataclasses.fields(obj)}:
                obj = None  # a field without a class-level default
            elif obj is None or not hasattr(obj, part):
                raise AttributeError(f"{dotted}: no {part!r}")
            else:
                obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def check_python(source: str) -> list[str]:
    """Compile ``source``; its project imports, attributes and keywords must exist."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"syntax error: {exc}"]
    bound, problems = {}, []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [(a.asname or a.name, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            names = [(a.asname or a.name.split(".")[0], a.asname and a.name
                      or a.name.split(".")[0]) for a in node.names]
        for local, dotted in names:
            if dotted.split(".")[0] in PROJECT:
                try:
                    bound[local] = _resolve(dotted)
                except (ImportError, AttributeError) as exc:
                    problems.append(f"import {dotted}: {exc}")
    for node in ast.walk(tree):
        chain, base = [], node.func if isinstance(node, ast.Call) else node
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not (isinstance(base, ast.Name) and base.id in bound):
            continue
        obj = bound[base.id]
        try:
            for part in chain:
                obj = getattr(obj, part)
        except AttributeError:
            problems.append(f"{base.id}.{'.'.join(chain)} does not exist")
            continue
        if isinstance(node, ast.Call) and callable(obj):
            params = inspect.signature(obj).parameters
            if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
                problems += [f"{base.id}{''.join('.' + c for c in chain)}() takes no "
                             f"keyword {k.arg!r}" for k in node.keywords
                             if k.arg and k.arg not in params]
    return problems


PYTHON = [(f"{p.relative_to(REPO)}:{line}", body) for p in PAGES
          for line, body in fenced_blocks(p.read_text(), "python")]


@pytest.mark.parametrize("where, source", PYTHON, ids=[w for w, _ in PYTHON])
def test_python_blocks_compile_and_name_what_exists(where, source):
    assert not check_python(source)


def test_negative_control_stale_python_is_caught():
    assert check_python("from orbitbench.toolchain import find_verilator\n")
    assert check_python("from orbitbench import sim\nsim.Desing(top='x')\n")
    assert check_python("from orbitbench import sim\nsim.Design(top='x', publik=None)\n")
    assert check_python("def broken(:\n")
    assert not check_python("from orbitbench import sim\nsim.Design(top='x', sources=())\n")


def run_pycon(text: str, name: str) -> str:
    """Run every ``pycon`` block of a page as doctests in one namespace; the failure report."""
    parser, out = doctest.DocTestParser(), io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    globs: dict = {}
    for line, body in fenced_blocks(text, "pycon"):
        test = parser.get_doctest(body, globs, name, name, line)  # takes a copy of globs
        runner.run(test, out=out.write, clear_globs=False)
        globs.update(test.globs)
    return out.getvalue() if runner.failures else ""


@pytest.mark.parametrize("page", [p for p in PAGES if "```pycon" in p.read_text()],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_pycon_examples_hold(page):
    assert not run_pycon(page.read_text(), page.name)


def test_negative_control_a_wrong_pycon_result_fails():
    page = ("```pycon\n>>> from golden_models.tile import gemm_cycles\n"
            ">>> from orbitbench.spec.params import CONFIGS, GemmCommand\n"
            '>>> gemm_cycles(CONFIGS["default"], GemmCommand(m=64, k=64, n=64))\n5189\n```\n')
    assert run_pycon(page, "synthetic.md")


# --- Names cited inline ---------------------------------------------------------------------

def inline_code(text: str) -> list[str]:
    prose = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", prose)


def check_reference(span: str) -> str | None:
    """A problem with one inline code span, or None (also for spans that are not names)."""
    path = span.rstrip("/")
    if re.fullmatch(r"[\w.-]+(/[\w.-]+)+", path) and path.split("/")[0] in SOURCE_DIRS:
        if not path.startswith(OUTPUTS) and not (REPO / path).exists():
            return f"{span}: no such file or directory"
        return None
    ref = re.fullmatch(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::(\w+)|\(.*\))?", span)
    if ref and ref[1].split(".")[0] in PROJECT and ("." in ref[1] or ref[2]):
        try:
            obj = _resolve(ref[1])
            if ref[2]:
                getattr(obj, ref[2])
        except (ImportError, AttributeError) as exc:
            return f"{span}: {exc}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_cited_paths_and_names_exist(page):
    problems = [check_reference(s) for s in inline_code(page.read_text())]
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("span", ["orbitbench/cli.py", "testbenches/sim.py", "bench/run.py",
                                  "orbitbench.toolchain", "orbitbench.sim.no_such_thing",
                                  "fault_campaigns.noc_workload:mesh9x9",
                                  "golden_models.tile.gemm_cycle(W, L)"])
def test_negative_control_a_stale_reference_is_caught(span):
    assert check_reference(span)


def test_inline_code_skips_blocks_and_plain_words():
    assert inline_code("`a` and\n```\n`b`\n```\n`c`") == ["a", "c"]
    assert all(check_reference(s) is None for s in ("small", "sim_build/x", "0/1",
                                                    "bench/out/area.json", "make test"))


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"^#+\s*", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def broken_links(page: Path, text: str) -> list[str]:
    """Relative links whose file, or whose #anchor in it, does not exist."""
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        name, _, anchor = target.partition("#")
        file = (page.parent / name).resolve() if name else page
        if not file.exists():
            problems.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in {
                slug(h) for h, _ in sections(file.read_text())}:
            problems.append(f"{target}: no such heading")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_links_point_to_pages_and_headings_that_exist(page):
    assert broken_links(page, page.read_text()) == []


def test_negative_control_a_broken_link_is_caught():
    page = REPO / "docs" / "index.md"
    assert slug("## `make rtl` and `make check-rtl`") == "make-rtl-and-make-check-rtl"
    assert broken_links(page, "[a](tile.md#timing) [b](https://x.org/y)") == []
    assert broken_links(page, "[a](tiles.md) [b](tile.md#timeing)") == [
        "tiles.md: no such file", "tile.md#timeing: no such heading"]


# --- Make targets and subcommands -----------------------------------------------------------

def make_targets(makefile: str) -> set[str]:
    phony = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", makefile, re.M)
    return set(phony[1].replace("\\\n", " ").split())


def subcommands() -> dict[str, set[str]]:
    """``orbitbench`` subcommand -> its options, from the same registry ``main`` uses."""
    cli = importlib.import_module("orbitbench.cli.main")
    sub = argparse.ArgumentParser(prog="orbitbench").add_subparsers()
    for module in cli.COMMANDS:
        module.add_commands(sub)
    return {name: set(re.findall(r"--[\w-]+", p.format_usage())) - {"--help"}
            for name, p in sub.choices.items()}


def table_rows(text: str) -> set[str]:
    return set(re.findall(r"^\| `((?:make|orbitbench) [\w-]+)` \|", text, re.M))


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, text up to the next heading of the same or a higher level)."""
    heads = [(m.start(), len(m[1]), m[0]) for m in re.finditer(r"^(#+) .*$", text, re.M)]
    out = []
    for i, (pos, level, head) in enumerate(heads):
        end = next((p for p, lv, _ in heads[i + 1:] if lv <= level), len(text))
        out.append((head, text[pos:end]))
    return out


def undocumented(pages: list[str], command: str, options: set[str]) -> set[str]:
    """Options of ``command`` named in no section whose heading names the command (all of them
    if no heading does)."""
    head = re.compile(rf"`{re.escape(command)}`")
    body = "".join(t for page in pages for h, t in sections(page) if head.search(h))
    if not body:
        return options | {command}
    return {o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", body)}


def test_every_make_target_has_a_readme_row_and_a_docs_heading():
    targets = make_targets((REPO / "Makefile").read_text())
    assert {f"make {t}" for t in targets} <= table_rows(PAGES[0].read_text())
    headings = "\n".join(h for p in PAGES[1:] for h, _ in sections(p.read_text()))
    assert {t for t in targets if not re.search(rf"make {re.escape(t)}(?![\w-])", headings)} \
        == set()


def test_every_subcommand_has_a_readme_row_and_a_section_naming_its_options():
    commands = subcommands()
    assert {"gemm", "configs", "campaign", "thermal"} <= set(commands)
    assert {f"orbitbench {c}" for c in commands} <= table_rows(PAGES[0].read_text())
    docs = [p.read_text() for p in PAGES[1:]]
    missing = {c: undocumented(docs, f"orbitbench {c}", opts) for c, opts in commands.items()}
    assert {c: m for c, m in missing.items() if m} == {}


def test_negative_control_missing_rows_headings_and_options_are_found():
    assert make_targets(".PHONY: a b \\\n\tc\nall:\n") == {"a", "b", "c"}
    assert table_rows("| `make test` | x |\n| `orbitbench gemm` | y |\n") == {
        "make test", "orbitbench gemm"}
    page = "# T\n## `orbitbench gemm`\n`--m`, `--k`\n## other\n`--n`\n"
    assert undocumented([page], "orbitbench gemm", {"--m", "--k", "--n"}) == {"--n"}
    assert undocumented([page], "orbitbench configs", set()) == {"orbitbench configs"}
