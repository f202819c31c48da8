"""Campaign files: validation naming the key, checks against the design's ports before any
C++ is compiled, the two third-party examples (secworks sha256 and aes, unmodified, with
their upstream test vectors), trace-driven stimulus under both snapshot kinds, and the
negative controls (a wrong expected value is refused; an observation point removed turns
SDC into masked)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.campaign_file import (
    CampaignFileError,
    file_recipe,
    file_settings,
    load_campaign_file,
    split_values,
)
from fault_campaigns.engine import Engine
from fault_campaigns.prepare import GoldenMismatch, PortError, prepare
from fault_campaigns.recipes import from_recipe
from orbitbench.cli import main
from orbitbench.sim import SIM_BUILD
from orbitbench.spec.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
SHA = REPO / "examples" / "sha256"
AES = REPO / "examples" / "aes"
AXIS = REPO / "examples" / "axis_fifo"
#: the first lines of the upstream licences: secworks' BSD 2-clause, alexforencich's MIT
LICENCES = ("Redistribution and use in source and binary forms",
            "Permission is hereby granted, free of charge")


def _sha_text(**replace: str) -> str:
    text = (SHA / "campaign.toml").read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _sha(text: str):
    return from_recipe(file_recipe(text, SHA, "sha.toml"))


def _rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, outcome, sim_cycles, end_cycle, wrong, max_err, early "
                            "FROM results ORDER BY id").fetchall()


@pytest.mark.parametrize("example", [SHA, AES, AXIS], ids=["sha256", "aes", "axis_fifo"])
def test_example_is_short_has_no_wrapper_and_runs(example, tmp_path, capsys):
    text = (example / "campaign.toml").read_text()
    assert len(text.splitlines()) < 20
    upstream = {p.name for p in example.glob("*.v")}
    assert all(any(lic in p.read_text() for lic in LICENCES)
               for p in example.glob("*.v")), upstream  # every Verilog file is upstream's
    db = tmp_path / "c.db"
    assert main(["campaign", str(example / "campaign.toml"), "--count", "60", "--workers",
                 "1", "--db", str(db)]) == 0
    outcomes = {r[1] for r in _rows(db)}
    assert len(_rows(db)) == 60 and {"sdc", "masked"} <= outcomes, outcomes
    capsys.readouterr()
    assert main(["report", str(db)]) == 0
    name = file_settings(load_campaign_file(example / "campaign.toml"))["name"]
    assert name in capsys.readouterr().out  # labelled by the campaign's name, not the file


def test_copy_and_fork_snapshots_restore_the_trace_position(tmp_path):
    spec = CampaignSpec(_sha(_sha_text()), count=80, seed=5)
    run_campaign(spec, tmp_path / "copy.db", workers=1)
    run_campaign(spec, tmp_path / "fork.db", workers=1, snapshot="fork")
    assert _rows(tmp_path / "copy.db") == _rows(tmp_path / "fork.db")


def test_negative_control_a_wrong_expected_value_is_refused():
    work = _sha(_sha_text(**{"0x248D6A61": "0x348D6A61"}))
    with pytest.raises(GoldenMismatch, match=r"word 7: got 0x248d6a61d20638b8, expected "
                                             r"0x348d6a61d20638b8"):
        prepare(work)


def test_negative_control_an_observation_point_removed_turns_sdc_into_masked():
    def outcome(work):
        prep = prepare(work)
        h0 = next(i for i, v in enumerate(prep.targets.vars) if v.path == "H0_reg")
        with Engine(prep.build, prep.config) as engine:
            engine.golden()
            (res,) = engine.run([(1, 100, [(h0, 0, 3)])])  # during the second block
        return res.outcome

    assert outcome(_sha(_sha_text())) == "sdc"
    unobserved = _sha_text(**{'ports = ["digest"]': 'ports = ["ready"]'}).split("[expected]")[0]
    assert outcome(_sha(unobserved)) == "masked"


def test_an_internal_register_as_the_only_observation_point():
    """Observing H0_reg (no port): the golden words are its value when digest_valid rises
    (the first digest word of each block), checked bit-exactly; an upset of H0_reg that no
    observed port shows (only `ready` observed: masked) is SDC once H0_reg is observed."""
    def outcome(work):
        prep = prepare(work)
        h0 = next(i for i, v in enumerate(prep.targets.vars) if v.path == "H0_reg")
        with Engine(prep.build, prep.config) as engine:
            engine.golden()
            (res,) = engine.run([(1, 100, [(h0, 0, 3)])])  # during the second block
        return prep.golden, res.outcome

    head = _sha_text().split("[expected]")[0]
    signal = head.replace('ports = ["digest"]', 'signals = ["H0_reg"]')
    work = _sha(signal + '[expected]\nvalues = ["0x85E655D6", "0x248D6A61"]\n')
    assert work.observe_signals == ("H0_reg",) and work.ports.observed == ()
    assert outcome(work) == ((0x85E655D6, 0x248D6A61), "sdc")
    # negative controls: a wrong expected H0 is refused; observing only `ready`, masked
    with pytest.raises(GoldenMismatch, match=r"word 1: got 0x248d6a61, expected 0x348d6a61"):
        prepare(_sha(signal + '[expected]\nvalues = ["0x85E655D6", "0x348D6A61"]\n'))
    assert outcome(_sha(head.replace('ports = ["digest"]', 'ports = ["ready"]')))[1] == \
        "masked"
    # with the port: the register's words follow the digest's
    both = _sha(head.replace('ports = ["digest"]', 'ports = ["digest"]\nsignals = ["H0_reg"]'))
    golden = prepare(both).golden
    assert len(golden) == 2 * 5 and golden[4] == 0x85E655D6 and golden[9] == 0x248D6A61


# (case, replacements in the sha256 campaign file, message regex): no design analysis needed
KEYS = [
    ("unknown table", {"[observe]": "[observer]"},
     r"sha.toml: observer: unknown table \(known: name, design, clock, reset, stimulus, "
     r"observe, expected, targets, campaign\)"),
    ("unknown key", {'active = "low"': 'polarity = "low"'},
     r"sha.toml: reset.polarity: unknown key \(known: name, active, sync, cycles\)"),
    ("wrong type", {"cycles = 160": 'cycles = "160"'},
     r"sha.toml: stimulus.cycles: must be an integer, not '160'"),
    ("missing top", {'top = "sha256_core"': ""},
     r"sha.toml: design.top: missing \(the top module of your design\)"),
    ("bad polarity", {'active = "low"': 'active = "lo"'},
     r"sha.toml: reset.active: must be 'high' or 'low', not 'lo'"),
    ("on without valid", {'valid = "digest_valid"': ""},
     r"sha.toml: observe.on: needs observe.valid \(the strobe it applies to\)"),
    ("missing source", {'"sha256_w_mem.v"': '"sha256_w_mem2.v"'},
     r"sha.toml: design.sources: no such file .*sha256_w_mem2.v"),
    ("not TOML", {"[reset]": "[reset"}, r"sha.toml: not valid TOML: .*"),
]


@pytest.mark.parametrize("case, replace, message", KEYS, ids=[c[0] for c in KEYS])
def test_malformed_file_names_the_key(case, replace, message):
    with pytest.raises(CampaignFileError) as err:
        _sha(_sha_text(**replace))
    assert re.fullmatch(message, str(err.value)), str(err.value)


STIM = SHA / "fips_two_blocks.stim"

# (case, replacements in the campaign file, stimulus text or None, message regex)
DESIGN = [
    ("observation port missing", {'"digest"]': '"digest2"]'}, None,
     r"sha.toml: observe.ports: design 'sha256_core' has no port 'digest2' \(its ports: "
     r"block, clk, digest, digest_valid, init, mode, next, ready, reset_n\)"),
    ("observation signal missing", {'ports = ["digest"]': 'signals = ["H0_rg"]'}, None,
     r"sha.toml: observe.signals: design 'sha256_core' has no register 'H0_rg' \(did you "
     r"mean H0_reg, .*\? `orbitbench targets --list` lists them\)"),
    ("observation signal a memory", {'ports = ["digest"]': 'signals = ["w_mem_inst.w_mem"]'},
     None, r"sha.toml: observe.signals: 'w_mem_inst.w_mem' is a memory \(16 words\); "
     r"observe a register"),
    ("nothing observed", {'ports = ["digest"]': 'ports = []'}, None,
     r"sha.toml: observe: observes nothing: name output ports \(observe.ports\) or internal "
     r"registers \(observe.signals\)"),
    ("reset port missing", {'name = "reset_n"': 'name = "rst_n"'}, None,
     r"sha.toml: reset.name: design 'sha256_core' has no port 'rst_n' .*"),
    ("trace drives no such input", {}, "reset init=0\n0 start=1\n",
     r".*trace.stim:2: the design has no input 'start' \(inputs: block, clk, init, mode, next, "
     r"reset_n\)"),
    ("trace value too wide", {}, "reset mode=2\n",
     r".*trace.stim:1: mode: 2 does not fit its 1 bits"),
    ("trace out of order", {}, "5 init=1\n3 init=0\n", r".*trace.stim:2: cycle 3 is out of order"),
    ("trace malformed", {}, "0 init\n", r".*trace.stim:1: expected PORT=VALUE, not 'init'"),
]


@pytest.mark.parametrize("case, replace, stim, message", DESIGN, ids=[c[0] for c in DESIGN])
def test_design_mismatch_is_one_line_before_any_build(case, replace, stim, message, tmp_path):
    text = _sha_text(**replace)
    base = SHA
    if stim is not None:
        base = tmp_path
        for f in SHA.glob("*.v"):
            (tmp_path / f.name).symlink_to(f)
        (tmp_path / "trace.stim").write_text(stim)
        text = text.replace("fips_two_blocks.stim", "trace.stim")
    before = set(SIM_BUILD.glob("campaign_sha256_core*"))
    with pytest.raises((CampaignFileError, PortError)) as err:
        from_recipe(file_recipe(text, base, "sha.toml"))
    assert re.fullmatch(message, str(err.value)), str(err.value)
    assert set(SIM_BUILD.glob("campaign_sha256_core*")) == before


def test_wide_expected_values_split_into_64_bit_words():
    assert split_values([(1 << 64) * 3 + 5], [130], "x") == [5, 3, 0]
    assert split_values([[7, 1 << 70]], [8, 71], "x") == [7, 0, 64]
    with pytest.raises(CampaignFileError, match=r"x\[0\]: 0x100 does not fit 8 bits"):
        split_values([256], [8], "x")


def test_done_never_rising_names_the_port_and_the_limit(tmp_path, capsys):
    (tmp_path / "never.v").write_text(
        "module never(input clk, input rst, output done, output reg [7:0] q);\n"
        "  assign done = 1'b0;\n"
        "  always @(posedge clk) q <= rst ? 8'd0 : q + 8'd1;\nendmodule\n")
    (tmp_path / "never.toml").write_text(
        '[design]\ntop = "never"\nsources = ["never.v"]\n'
        '[observe]\nports = ["q"]\ndone = "done"\nmax_cycles = 500\n')
    assert main(["campaign", str(tmp_path / "never.toml"), "--count", "5", "--db",
                 str(tmp_path / "n.db")]) == 2
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == ("error: the fault-free run never raised done: port done did not rise "
                    "within 500 cycles; check the done port and the stimulus (a campaign "
                    "file's observe.max_cycles sets the limit)")


def test_missing_workload_file_or_function_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "wl.py").write_text("def other():\n    return None\n")
    for ref, message in [
            ("nosuchmodule_xyz:make", "error: workload 'nosuchmodule_xyz:make': no module "
             "'nosuchmodule_xyz' (the module must be importable: on PYTHONPATH, or a file "
             "in the current directory; or give FILE.py:function)"),
            (f"{tmp_path}/wl.py:make", f"error: workload '{tmp_path}/wl.py:make': "
             f"{tmp_path}/wl.py has no function 'make'")]:
        assert main(["campaign", "--workload", ref, "--db", str(tmp_path / "w.db")]) == 2
        out = capsys.readouterr().out.strip().splitlines()
        assert out[-1] == message and "Traceback" not in "\n".join(out)
    # a module in the current directory (which a console script's sys.path lacks) is found,
    # and named by its absolute path (so `orbitbench replay` finds it from anywhere)
    monkeypatch.chdir(tmp_path)
    assert main(["campaign", "--workload", "wl:make", "--db", str(tmp_path / "w.db")]) == 2
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        f"error: workload '{tmp_path}/wl.py:make': {tmp_path}/wl.py has no function 'make'")


def _vcd(stim: list[tuple[int, str, int]], widths: dict[str, int], cycles: int,
         reset_edges: int = 2) -> str:
    """A VCD as a cocotb testbench would dump it: clock period 10, inputs written just after
    a rising edge (at the edge's time), reset_n low for ``reset_edges`` edges."""
    codes = {name: chr(33 + i) for i, name in enumerate(["clk", "reset_n", *sorted(widths)])}
    head = ["$timescale 1ns $end", "$scope module TOP $end", "$scope module sha256_core $end"]
    head += [f"$var wire {1 if n in ('clk', 'reset_n') else widths[n]} {c} {n} $end"
             for n, c in codes.items()]
    head += ["$upscope $end", "$upscope $end", "$enddefinitions $end"]
    events: dict[int, list[str]] = {0: ["0" + codes["clk"], "0" + codes["reset_n"]]}

    def put(t: int, name: str, v: int) -> None:
        events.setdefault(t, []).append(f"b{v:b} {codes[name]}")

    for cycle, name, v in stim:
        put(0 if cycle < 0 else 10 * (cycle + reset_edges - 1) + 5, name, v)
    events.setdefault(10 * (reset_edges - 1) + 5, []).append("1" + codes["reset_n"])
    for k in range(cycles + reset_edges):
        events.setdefault(10 * k + 5, []).insert(0, "1" + codes["clk"])
        events.setdefault(10 * k + 10, []).append("0" + codes["clk"])
    body = [f"#{t}\n" + "\n".join(v) for t, v in sorted(events.items())]
    return "\n".join(head + body) + "\n"


def test_a_recorded_vcd_gives_the_same_workload_as_the_stimulus_file(tmp_path):
    stim_work = _sha(_sha_text())
    widths = {"block": 512, "init": 1, "next": 1, "mode": 1}
    for f in SHA.glob("*.v"):
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "golden.vcd").write_text(_vcd(list(stim_work.stimulus), widths, 160))
    text = _sha_text(**{'file = "fips_two_blocks.stim"\ncycles = 160': 'vcd = "golden.vcd"'})
    vcd_work = from_recipe(file_recipe(text, tmp_path, "sha.toml"))
    assert vcd_work.stimulus_cycles == 160
    norm = sorted(stim_work.stimulus)
    assert sorted(vcd_work.stimulus) == norm  # the same inputs, cycle for cycle
    assert vcd_work.digest() == stim_work.digest()  # hence the same campaign, bit for bit


def test_negative_control_a_vcd_that_does_not_fit_is_refused(tmp_path):
    for f in SHA.glob("*.v"):
        (tmp_path / f.name).symlink_to(f)
    text = _sha_text(**{'file = "fips_two_blocks.stim"\ncycles = 160': 'vcd = "bad.vcd"'})
    good = _vcd([(-1, "init", 0), (0, "init", 1)], {"init": 1}, 4)
    cases = [(good.replace('" reset_n $end', '" rst_q $end'),
              r".*bad.vcd: the reset 'reset_n' is not in the waveform \(found: clk, init\)"),
             (good.replace("b1 #", "b10 #"), r".*bad.vcd: init: 0x2 does not fit its 1 bits"),
             (good.replace('\n1"', ""),  # reset_n never released
              r".*bad.vcd: no rising edge of clk with reset_n inactive after it was active; "
              r"the waveform must hold the design in reset, then leave it"),
             (good.replace('0"', '1"', 1),  # reset_n never asserted
              r".*bad.vcd: no rising edge of clk with reset_n active; the waveform must hold "
              r"the design in reset, then leave it")]
    for vcd, message in cases:
        (tmp_path / "bad.vcd").write_text(vcd)
        with pytest.raises(UsageError) as err:
            from_recipe(file_recipe(text, tmp_path, "sha.toml"))
        assert re.fullmatch(message, str(err.value)), str(err.value)


def test_a_fusesoc_core_gives_the_files_and_toplevel(tmp_path):
    for f in SHA.glob("*.v"):
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "sha256.core").write_text(  # upstream's sha256.core, with a flat layout
        "CAPI=2:\nname : secworks:crypto:sha256:0\nfilesets:\n  rtl:\n    files:\n"
        "      - sha256_core.v\n      - sha256_k_constants.v\n      - sha256_w_mem.v\n"
        "    file_type : verilogSource\ntargets:\n  default:\n    filesets: [rtl]\n"
        "  lint:\n    filesets : [rtl]\n    toplevel : sha256_core\n")
    (tmp_path / "fips_two_blocks.stim").symlink_to(STIM)
    listed = _sha(_sha_text())
    text = _sha_text(**{'top = "sha256_core"\nsources = ["sha256_core.v", "sha256_k_constants.v",'
                        ' "sha256_w_mem.v"]': 'core = "sha256.core"\ntarget = "lint"'})
    cored = from_recipe(file_recipe(text, tmp_path, "sha.toml"))
    assert cored.top == "sha256_core"
    assert [p.name for p in cored.sources] == [p.name for p in listed.sources]
    assert cored.digest() == listed.digest()
    (tmp_path / "sha256.core").write_text("CAPI=2:\nname : x:y:z:0\ntargets: [1, 2]\n")
    with pytest.raises(CampaignFileError, match=r"sha.toml: design.core: .*sha256.core: "):
        from_recipe(file_recipe(text, tmp_path, "sha.toml"))


#: the waveform `orbitbench replay --waves` wrote for an injection of the sha256 example's
#: campaign (the engine's own FST: the inputs are the stimulus file's, driven by the engine)
FST = Path(__file__).with_name("sha256_replay.fst")
_FST_TEXT = _sha_text(**{'file = "fips_two_blocks.stim"': f'fst = "{FST}"'})


def test_an_fst_waveform_gives_the_same_workload_as_the_stimulus_file(tmp_path):
    direct = _sha(_sha_text())
    fst = _sha(_FST_TEXT)
    assert fst.stimulus == direct.stimulus and fst.digest() == direct.digest()
    # negative controls: a truncated FST, a VCD given as FST, an FST without the reset
    (tmp_path / "cut.fst").write_bytes(FST.read_bytes()[:20000])
    vcd = _vcd([(-1, "init", 0), (0, "init", 1)], {"init": 1}, 4)
    (tmp_path / "w.vcd").write_text(vcd)
    for name in ("cut.fst", "w.vcd"):
        with pytest.raises(UsageError) as err:
            _sha(_FST_TEXT.replace(str(FST), str(tmp_path / name)))
        assert str(err.value) == (f"{tmp_path / name}: not an FST waveform (GTKWave's FST "
                                  "reader cannot open it)")
    with pytest.raises(UsageError, match=r".*sha256_replay.fst: the reset 'rst' is not in the "
                                         r"waveform \(found: block, clk, init, mode, next, "
                                         r"reset_n\)"):
        _sha(_FST_TEXT.replace('name = "reset_n"', 'name = "rst"'))
