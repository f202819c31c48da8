"""Application-level campaigns (fault_campaigns.network_workload, calibrated): benign vs
critical SDC, judged on the network's scores, with a negative control (a classifier that
ignores the class fails the check); a tiny RTL campaign of digits_mlp on the default tile
(its harness is the default tile campaign's: one engine build); the calibrated injector
agrees with it; bad input is one line and exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from fault_campaigns.calibrated import calibrated_injection, fault_patterns
from fault_campaigns.campaign import CampaignSpec, merge, run_campaign
from fault_campaigns.db import CampaignDB
from fault_campaigns.network_workload import (
    Effect,
    NetworkCase,
    network_case,
    network_recipe,
    network_workload,
)
from fault_campaigns.summary import summarize
from orbitbench.cli import main


@pytest.fixture(scope="module")
def mlp() -> NetworkCase:
    return network_case("digits_mlp", "default", 2)


def _scores(case: NetworkCase):
    """Scores: golden, one non-top element moved by 3 LSB, the top two classes swapped."""
    gold = case.golden_output
    top = gold.argmax(axis=1)
    small = gold.copy()
    other = (top[0] + 1) % gold.shape[1]
    small[0, other] = np.int8(int(small[0, other]) + (3 if small[0, other] < 120 else -3))
    swap = gold.copy()
    second = np.argsort(gold[1])[-2]
    swap[1, top[1]], swap[1, second] = gold[1, second], gold[1, top[1]]
    if swap[1, top[1]] == swap[1, second]:  # a tie keeps argmax: make it a clear change
        swap[1, second] = np.int8(min(int(swap[1, second]) + 1, 127))
        swap[1, top[1]] = np.int8(int(swap[1, second]) - 1)
    return gold, small, swap


def check_classifier(case: NetworkCase, judge) -> None:
    """The checker: ``judge(case, scores) -> outcome`` must tell hidden, benign and critical
    apart on scores whose answers are known by construction."""
    gold, small, swap = _scores(case)
    assert judge(case, gold) == "sdc_hidden"
    assert judge(case, small) == "sdc_benign"
    assert judge(case, swap) == "sdc_critical"


def test_benign_and_critical_are_told_apart(mlp):
    check_classifier(mlp, lambda case, out: case.judge(out).outcome)
    gold, small, swap = _scores(mlp)
    e = mlp.judge(small)
    assert (e.max_delta, e.changed) == (3, 0) and e.mean_delta == pytest.approx(3 / gold.size)
    assert mlp.judge(swap).changed == 1


def test_a_classifier_that_ignores_the_class_fails_the_check(mlp):
    def blind(case, out):  # output differs -> benign, whatever the class does
        return "sdc_hidden" if np.array_equal(out, case.golden_output) else "sdc_benign"
    with pytest.raises(AssertionError):
        check_classifier(mlp, blind)


def test_observed_words_decode_through_the_rest_of_the_network(mlp):
    bus = mlp.bus
    last = len(mlp.program.jobs) - 1
    reads = bus.phase_reads(f"job{last}.readback")
    assert mlp.effect("masked", None) == Effect("masked")
    # the last FC layer's C for image 0: every logit word of its row 0 to the top value
    top = int(mlp.golden_output[0].argmax())
    row0 = [r for r in reads if bus.result_reads[r] < mlp.cfg.max_n // 4]
    loser = (top + 5) % 10
    word = next(r for r in row0 if bus.result_reads[r] == loser // 4)
    value = bus.expected[word] | (0x7F << (8 * (loser % 4)))
    value &= ~(0x80 << (8 * (loser % 4)))
    eff = mlp.effect("sdc", {word: value})
    assert eff.layer == mlp.job_layers[last] and eff.outcome in ("sdc_critical", "sdc_benign")
    # an undecodable wrong word (not a result read) counts as the worst case
    status = bus.status_reads[0]
    assert mlp.effect("sdc", {status: 0}).outcome == "sdc_critical"


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """30 single upsets in one digits_mlp inference (2 images) on the default tile."""
    db = tmp_path_factory.mktemp("net") / "mlp.db"
    work = network_workload("digits_mlp", "default", 2)
    spec = CampaignSpec(work, count=30, seed=3, recipe=network_recipe("digits_mlp", "default",
                                                                       2))
    run_campaign(spec, db, workers=1)
    return db


def test_tiny_network_campaign_is_stored_and_summarised(tiny_db):
    with CampaignDB.open_existing(tiny_db) as db:
        results, observed = db.results(), db.observed()
    sdc = [r["id"] for r in results if r["outcome"] in ("sdc", "due")]
    assert set(observed) <= {r["id"] for r in results}
    assert all(i in observed for i in sdc if results[i]["wrong"])  # every SDC's words kept
    net = summarize(tiny_db)["network"]
    o = net["outcomes"]
    assert sum(o.values()) == net["injections"] == 30
    tile_sdc = sum(r["outcome"] == "sdc" for r in results)
    assert o["sdc_hidden"] + o["sdc_benign"] + o["sdc_critical"] == tile_sdc
    for k in ("sdc_benign", "sdc_critical"):
        p = net["rates"][k]
        assert 0 <= p["low"] <= p["estimate"] <= p["high"] <= 1
    assert set(net["orbits"]) >= {"leo400", "alsat1"}
    assert sum(sum(v[k] for k in ("sdc_hidden", "sdc_benign", "sdc_critical"))
               for v in net["layers"].values()) == tile_sdc


def test_merge_keeps_the_observed_words(tiny_db, tmp_path):
    out = merge([tiny_db], tmp_path / "merged.db")
    with CampaignDB.open_existing(tiny_db) as a, CampaignDB.open_existing(out) as b:
        assert b.observed() == a.observed() and a.observed()
        assert b.results() == a.results()


def test_calibrated_injector_agrees_with_the_rtl(tiny_db):
    _, patterns, bits = fault_patterns(tiny_db)
    assert sum(len(v) for v in patterns.values()) == 30 and set(bits) == set(patterns)
    _, res = calibrated_injection(tiny_db, 200, seed=1)
    rtl = summarize(tiny_db)["network"]["rates"]["sdc_critical"]
    assert res.injections == 200 and res.images == 360
    assert rtl["low"] <= res.rate("sdc_critical").estimate <= rtl["high"]


@pytest.mark.parametrize("args, message", [
    (["--network", "lenet"], "error: --network must be one of digits_cnn, digits_mlp, not "
                             "'lenet'"),
    (["--network", "digits_cnn", "--images", "0"],
     "error: --images must be from 1 to 30 for a network campaign (one batch on the tile), "
     "not 0"),
    (["--network", "digits_cnn", "--images", "31"],
     "error: --images must be from 1 to 30 for a network campaign (one batch on the tile), "
     "not 31"),
    (["--config", "small", "--images", "3"],
     "error: --images is the image count of a --network campaign"),
    (["--calibrated-from", "{tmp}/none.db"], "error: --calibrated-from {tmp}/none.db: no such "
                                             "file"),
])
def test_bad_network_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    argv = ["campaign", *(a.format(tmp=tmp_path) for a in args), "--count", "5", "--db",
            str(tmp_path / "x.db")]
    assert main(argv) == 2
    out = capsys.readouterr()
    errors = [line for line in out.out.splitlines() if line.startswith("error:")]
    assert errors == [message.format(tmp=tmp_path)], out.out
    assert "Traceback" not in out.out + out.err
    assert not (tmp_path / "x.db").exists()
