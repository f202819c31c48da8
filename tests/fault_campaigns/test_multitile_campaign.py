"""Campaigns on the multi-tile top: per-profile outcomes, and single upsets of the NoC's link
words (router input buffers) never end as SDC with SECDED links, while the unprotected top
does show SDC (the negative control that makes the zero meaningful)."""

from __future__ import annotations

import json

import pytest

from fault_campaigns.campaign import CampaignSpec, run_campaign
from fault_campaigns.multitile_workload import HOST_ROUTER_LINKS, multitile_workload
from fault_campaigns.prepare import GoldenMismatch, prepare
from fault_campaigns.summary import summarize
from orbitbench.apps.report import summary_table
from orbitbench.apps.suites import SUITES, Overrides, SuiteError
from orbitbench.sim import mt_rtl_dir
from orbitbench.spec.multitile import MULTITILE_CONFIGS

#: A small GEMM (2 rows per tile) keeps the golden run short; 200 single upsets per profile
#: on the link words of the host's router (the busiest; most slots hold stale flits at any
#: time, which makes most upsets masked in both profiles).
GEMM = (8, 8, 8)
COUNT = 200


def _link_campaigns(out, configs):
    summaries = {}
    for profile, config in configs:
        work = multitile_workload(config, gemm=GEMM, seed=3, rtl_dir=mt_rtl_dir())
        spec = CampaignSpec(work, count=COUNT, seed=5, model="seu", include=HOST_ROUTER_LINKS)
        run_campaign(spec, out / f"{config}.db", workers=2)
        summaries[profile] = summarize(out / f"{config}.db")
    return summaries


def _check_outcomes(summaries):
    for profile, s in summaries.items():
        overall = s["overall"]
        assert overall["injections"] == COUNT, profile
        assert sum(overall["outcomes"].values()) == COUNT
        assert s["complete"]
        # Only router buffer slots were struck.
        assert all(m.endswith(".mesh.router_0_0") for m in s["modules"]), sorted(s["modules"])
        assert 0 <= overall["sdc_avf"]["low"] <= overall["sdc_avf"]["high"] <= 1
    table = summary_table(summaries)
    assert table.row_count == len(summaries)
    json.dumps(summaries)  # what noc_nightly writes


@pytest.mark.regress
def test_unprotected_top_reports_outcomes_and_shows_sdc(tmp_path):
    """The campaign engine on the multi-tile top (one engine build, over a CPU-minute, so
    nightly). Unprotected links must show SDC: the negative control for the zero-SDC claims
    (those run in CI on the mesh alone, tests/fault_campaigns/test_noc_campaign.py, and below
    on the top)."""
    summaries = _link_campaigns(tmp_path, (("none", "mt2x2"),))
    _check_outcomes(summaries)
    none = summaries["none"]["overall"]["outcomes"]
    assert none["sdc"] > 0, f"unprotected links never corrupted a result: {none}"
    assert none["corrected"] == 0


@pytest.mark.regress
@pytest.mark.parametrize("hardened", ["mt2x2_link", "mt2x2_hard"])
def test_regress_secded_links_never_sdc(tmp_path, hardened):
    """Each engine build of a four-tile top costs a CPU-minute or more, so the protected tops
    run under ``make regress``: single upsets of link words never end as SDC."""
    summaries = _link_campaigns(tmp_path, (("none", "mt2x2"), ("hard", hardened)))
    _check_outcomes(summaries)
    hard = summaries["hard"]["overall"]["outcomes"]
    assert hard["sdc"] == 0, hard
    assert hard["corrected"] > 0, f"no upset of a flit in flight was ever corrected: {hard}"
    assert summaries["none"]["overall"]["outcomes"]["sdc"] > 0


def test_golden_run_refuses_a_wrong_operand():
    """The workload's expected words come from the golden model: one corrupted operand
    must make the golden-run check refuse the campaign."""
    work = multitile_workload("mt2x2", gemm=GEMM, seed=3, corrupt="operand",
                              rtl_dir=mt_rtl_dir())
    with pytest.raises(GoldenMismatch, match="the fault-free run does not match"):
        prepare(work, HOST_ROUTER_LINKS)


def test_profiles_and_recipes():
    noc = SUITES["noc"]
    assert set(noc.names) >= {"mt_none", "mt_hard", "mt_hard_link", "noc_crc"}
    profile = Overrides(params={"gemm": [8, 8, 8]}).apply(noc.select("mt_hard").profiles[0])
    assert profile.recipe["kwargs"] == {"config": "mt2x2_hard", "gemm": [8, 8, 8], "seed": 1}
    assert MULTITILE_CONFIGS[profile.recipe["kwargs"]["config"]].noc.protection == "secded"
    with pytest.raises(SuiteError, match="profiles must be a comma-separated subset of "
                                         "mt_none, "):
        noc.select("mt_soft")
    with pytest.raises(SuiteError, match="profiles must be a comma-separated subset of"):
        noc.select("mt_none,bogus")
