"""The worker's policy when its engine process dies, against fake engines that die on cue.

A fake engine is a small Python script speaking the engine protocol (``engine.cpp``): it
answers the golden run, and on ``run`` either answers every queued injection ``masked`` or
dies the way its mode says, the first ``times`` times it is asked (a counter file keeps
count across the replacements).
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from fault_campaigns.engine import EngineBuild, EngineError, EngineResult
from fault_campaigns.worker import MAX_DEATHS, Worker

FAKE = '''#!{python}
import os, signal, sys
count = {count!r}
for line in sys.stdin:  # the configuration, up to "end"
    if line.strip() == "end":
        break
queue = []
for line in sys.stdin:
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == "golden":
        print("golden 60 1 5", flush=True)
    elif cmd[0] == "inj":
        queue.append((int(cmd[1]), int(cmd[2])))
    elif cmd[0] == "run":
        n = int(open(count).read() or 0) if os.path.exists(count) else 0
        open(count, "w").write(str(n + 1))
        for ident, cycle in sorted(queue, key=lambda q: q[1]):
            if ident == {victim} and n < {times}:
                if {mode!r} == "fail":
                    print("engine: the model diverged from the golden run", file=sys.stderr)
                    sys.exit(2)
                os.kill(os.getpid(), getattr(signal, {mode!r}))
            print(f"res {{ident}} masked 1 {{cycle + 1}} 0 0 0", flush=True)
        queue.clear()
        print("ok", flush=True)
    elif cmd[0] == "quit":
        break
'''

CHUNK = [(0, 5, [(0, 0, 0)]), (1, 7, [(0, 0, 1)]), (2, 9, [(0, 0, 2)])]


def _fake(tmp_path: Path, mode: str, times: int, victim: int = 1) -> EngineBuild:
    exe = tmp_path / "engine"
    exe.write_text(FAKE.format(python=sys.executable, count=str(tmp_path / "runs"),
                               victim=victim, times=times, mode=mode))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return EngineBuild(exe, tmp_path, "fake", False, False)


def _run(build: EngineBuild) -> tuple[list[EngineResult], int]:
    with Worker(build, "config\n") as w:
        return list(w.run(CHUNK)), w.replaced


def _masked(ident: int, cycle: int) -> EngineResult:
    return EngineResult(ident, "masked", 1, cycle + 1, 0, 0, False)


@pytest.mark.parametrize("mode", ["SIGKILL", "SIGTERM", "SIGSEGV"])
def test_an_engine_killed_once_is_replaced_and_its_chunk_finished(tmp_path, mode):
    results, replaced = _run(_fake(tmp_path, mode, times=1))
    assert results == [_masked(0, 5), _masked(1, 7), _masked(2, 9)]
    assert replaced == 1


def test_a_model_that_crashes_twice_on_one_injection_is_a_crash(tmp_path):
    results, replaced = _run(_fake(tmp_path, "SIGSEGV", times=99))
    assert results[1] == EngineResult(1, "crash", 0, 7, 0, 0, False,
                                      "the model crashed with signal 11 (Segmentation fault)")
    assert results[0] == _masked(0, 5) and results[2] == _masked(2, 9)
    assert replaced == 2


def test_an_injection_killing_the_engine_again_and_again_fails_the_campaign(tmp_path):
    with pytest.raises(EngineError, match=rf"^injection 1 ended the injection engine "
                                          rf"{MAX_DEATHS} times \(engine was killed by "
                                          r"SIGKILL\); that is not a trap of the design"):
        _run(_fake(tmp_path, "SIGKILL", times=99))


def test_an_engine_error_of_its_own_fails_at_once(tmp_path):
    with pytest.raises(EngineError, match=r"^the injection engine stopped at injection 1: "
                                          r"the model diverged from the golden run$"):
        _run(_fake(tmp_path, "fail", times=1))


def test_a_vanished_engine_binary_is_a_clear_error(tmp_path):
    build = _fake(tmp_path, "SIGKILL", times=1)
    with Worker(build, "config\n") as w:
        results = w.run(CHUNK)
        assert next(results) == _masked(0, 5)
        build.exe.unlink()  # e.g. `make clean` while the campaign runs; then the engine dies
        with pytest.raises(EngineError, match=r"cannot start the injection engine .*engine "
                                              r"\(No such file or directory\); it was built "
                                              r"in .*: run the command again to rebuild it"):
            list(results)
