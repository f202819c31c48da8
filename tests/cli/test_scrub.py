"""``orbitbench scrub``: the longest scrub interval that meets a FIT target (analytic model)."""

import json

import pytest

from golden_models.tile_scrub import scrub_answer
from orbitbench.cli import main
from orbitbench.spec.params import CONFIGS


def test_answer_matches_the_model_and_is_written_as_json(tmp_path, capsys):
    out = tmp_path / "sub" / "scrub.json"
    assert main(["scrub", "--orbit", "geo", "--target-fit", "1e-5", "--interleave", "4",
                 "--json", str(out)]) == 0
    answer = json.loads(out.read_text())
    want = scrub_answer("geo", 1e-5, CONFIGS["small_ecc"], 4)
    assert answer["scrub_interval_cycles"] == want["scrub_interval_cycles"] > 0
    assert answer["fit_total"][0] <= 1e-5
    assert str(answer["scrub_interval_cycles"]) in capsys.readouterr().out


def test_a_tighter_target_needs_a_shorter_interval():
    loose = scrub_answer("geo", 1e-4, CONFIGS["small_ecc"], 4)["scrub_interval_cycles"]
    tight = scrub_answer("geo", 1e-6, CONFIGS["small_ecc"], 4)["scrub_interval_cycles"]
    assert tight < loose


@pytest.mark.parametrize(("argv", "message"), [
    (["--target-fit", "10"], "cannot be met: even continuous scrubbing leaves"),
    (["--target-fit", "-1"], "--target-fit must be positive, not -1.0"),
])
def test_unreachable_or_bad_target_is_one_line_exit_2(argv, message, capsys):
    assert main(["scrub", *argv]) == 2
    out = capsys.readouterr().out
    assert "error:" in out and message in " ".join(out.split())


@pytest.mark.parametrize("argv", [["--orbit", "mars"], ["--config", "small"],
                                  ["--interleave", "3"]])
def test_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["scrub", "--target-fit", "5", *argv])
    assert exc.value.code == 2
    assert "orbitbench scrub: error:" in capsys.readouterr().err
