"""Safety metrics of a design point in ISO 26262 units, from its campaigns.

Definitions (ISO 26262-5:2018, Annex C; ``../shared/REFERENCE.md``, "Safety metrics"):

- Every upset of a safety-related element is **safe** (masked: no wrong output, nothing
  flagged), **detected** by a safety mechanism (``corrected``: fixed and reported;
  ``due``: flagged, not fixed; ``hang`` / ``crash``: seen by the watchdog / the host, counted
  as detected as the campaigns count them by default) or **residual** (``sdc``: a wrong
  output nobody flagged; a fault of an element with no mechanism is single-point, one of a
  covered element that escaped it is residual: both are violations).
- **Diagnostic coverage** of a mechanism: detected / (detected + residual) faults of the
  elements it covers, measured from the campaign (Wilson interval).
- **Single-point fault metric** ``SPFM = 1 - (FIT_SPF + FIT_RF) / FIT_total`` over every
  target bit; with bits drawn uniformly it is one minus the campaign's SDC AVF (interval
  from the AVF's). Computed for transients (the SEU/MBU campaign) and for permanent faults
  (the stuck-at campaign).
- **Latent fault metric** ``LFM = 1 - FIT_latent / (FIT_total - FIT_SPF - FIT_RF)``: a
  latent fault is a multiple-point fault neither detected nor perceived. Measured with
  permanent faults (stuck-at), the model ISO 26262-11:2018 applies the latent metric to: a
  transient leaves no fault behind once overwritten or scrubbed, a stuck bit stays. A
  stuck-at in an element covered by a mechanism that ends masked (nothing wrong, nothing
  flagged) is counted as latent: it may have disabled the mechanism without anyone seeing
  it (conservative: a bit stuck at the value it always held is counted too). An element
  with no mechanism has no multiple-point faults; a design with no mechanism has no LFM.
- **Targets**: SPFM >= 90 / 97 / 99 % and LFM >= 60 / 80 / 90 % for ASIL B / C / D
  (ISO 26262-5:2018, Tables 4 and 5); residual FIT (PMHF) < 100 FIT for ASIL B and C, < 10
  FIT for ASIL D (Table 6). A point meets an ASIL only on its intervals' worse ends.
  These targets are for a whole item; a tile taking its share of a budget must meet
  tighter ones, so the table shows the figures and the highest ASIL they would allow alone.

The FIT budget splits each mechanism's raw FIT (its bits x the orbit's upset rate) by what
its upsets did, plus the ECC scratchpads' accumulated double upsets between scrubs
(:func:`golden_models.scrub.memory_fit`, a dual-point failure: in the residual total, not in
the SPFM).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from fault_campaigns.stats import ORBITS, wilson
from orbitbench.spec.params import TileConfig

__all__ = ["MECHANISMS", "ASIL_TARGETS", "mechanism_of", "safety", "asil"]

#: Safety mechanisms a tile can have, by the elements (instance paths) they cover.
MECHANISMS = ("SECDED", "TMR", "ABFT", "none")
#: ASIL -> (SPFM, LFM, residual FIT) targets, ISO 26262-5:2018 Tables 4, 5 and 6.
ASIL_TARGETS = {"D": (0.99, 0.90, 10.0), "C": (0.97, 0.80, 100.0), "B": (0.90, 0.60, 100.0)}
_DETECTED = ("corrected", "due", "hang", "crash")
_HOURS_PER_DAY = 24.0


def mechanism_of(module: str, cfg: TileConfig) -> str:
    """The mechanism covering the fault targets of instance ``module`` on ``cfg``:
    scratchpads SECDED (ECC profiles), the register file, controller and throttle TMR (TMR
    profiles, or selective TMR of one of that component's groups), the datapath ABFT."""
    parts = module.split(".")
    comp = parts[1] if len(parts) > 1 and parts[0] == "tile" else ""
    if comp == "scratchpads" and cfg.ecc:
        return "SECDED"
    if comp in ("regfile", "controller", "throttle") and cfg.tmr_of(comp):
        return "TMR"
    if comp == "datapath" and cfg.abft:
        return "ABFT"
    return "none"


def _groups(cfg: TileConfig, modules: Mapping[str, Mapping]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for mod, row in modules.items():
        g = out.setdefault(mechanism_of(mod, cfg), {"bits": 0, "outcomes": Counter()})
        g["bits"] += int(row["bits"])
        g["outcomes"].update({k: int(v) for k, v in row["outcomes"].items()})
    return out


def _iv(p) -> list[float]:
    return [p.estimate, p.low, p.high]


def _one_minus(p) -> list[float]:
    return [1.0 - p.estimate, 1.0 - p.high, 1.0 - p.low]


def safety(cfg: TileConfig, transient: Mapping, permanent: Mapping | None, orbit: str,
           scrub: Mapping | None = None, confidence: float = 0.95) -> dict:
    """Diagnostic coverage per mechanism, SPFM, LFM, the FIT budget and the ASIL the figures
    allow.

    Parameters
    ----------
    transient, permanent : mapping
        A campaign's ``{"modules": {instance: {"bits", "outcomes"}}}`` (the SEU/MBU
        campaign; the stuck-at campaign, or None).
    orbit : str
        Upset-rate preset (:data:`fault_campaigns.stats.ORBITS`) of the FIT budget.
    scrub : mapping or None
        ``{"sdc": (v, lo, hi), "due": ...}`` FIT of upsets accumulating between scrubs.
    """
    fit_per_bit = ORBITS[orbit].seu_per_bit_day / _HOURS_PER_DAY * 1e9
    budget, coverage = [], {}
    total_bits = 0
    for mech, g in sorted(_groups(cfg, transient["modules"]).items(),
                          key=lambda kv: MECHANISMS.index(kv[0])):
        o, n = g["outcomes"], sum(g["outcomes"].values())
        raw = g["bits"] * fit_per_bit
        total_bits += g["bits"]
        share = {k: (o.get(k, 0) / n if n else None) for k in ("masked", "sdc")}
        detected = sum(o.get(k, 0) for k in _DETECTED)
        row = {"mechanism": mech, "bits": g["bits"], "injections": n, "raw_fit": raw,
               "outcomes": dict(o),
               "safe_fit": raw * share["masked"] if n else None,
               "detected_fit": raw * detected / n if n else None,
               "residual_fit": raw * share["sdc"] if n else None}
        if mech != "none" and detected + o.get("sdc", 0):
            coverage[mech] = _iv(wilson(detected, detected + o.get("sdc", 0), confidence))
        row["dc"] = coverage.get(mech)
        budget.append(row)
    n_all = sum(sum(r["outcomes"].values()) for r in budget)
    sdc_all = sum(r["outcomes"].get("sdc", 0) for r in budget)
    out = {"orbit": orbit, "fit_per_bit": fit_per_bit, "bits": total_bits,
           "raw_fit": total_bits * fit_per_bit, "budget": budget, "coverage": coverage,
           "spfm_transient": _one_minus(wilson(sdc_all, n_all, confidence)) if n_all else None,
           "spfm_permanent": None, "lfm": None, "latent": None}
    residual = [sum(r["residual_fit"] or 0.0 for r in budget)] * 3
    if n_all:  # the residual FIT's interval: the campaign's SDC AVF interval on all bits
        p = wilson(sdc_all, n_all, confidence)
        residual = [out["raw_fit"] * p.estimate, out["raw_fit"] * p.low,
                    out["raw_fit"] * p.high]
    if scrub is not None:
        residual = [a + b for a, b in zip(residual, scrub["sdc"], strict=True)]
        out["scrub_fit"] = {"sdc": list(scrub["sdc"]), "due": list(scrub["due"])}
    out["residual_fit"] = residual
    if permanent is not None:
        groups = _groups(cfg, permanent["modules"])
        n = sum(sum(g["outcomes"].values()) for g in groups.values())
        spf = sum(g["outcomes"].get("sdc", 0) for g in groups.values())
        latent = sum(g["outcomes"].get("masked", 0) for m, g in groups.items() if m != "none")
        covered = any(m != "none" for m in groups)
        if n:
            out["spfm_permanent"] = _one_minus(wilson(spf, n, confidence))
        out["latent"] = {"injections": n, "single_point": spf, "latent": latent,
                         "per_mechanism": {m: g["outcomes"].get("masked", 0)
                                           for m, g in groups.items() if m != "none"}}
        if covered and n > spf:
            out["lfm"] = _one_minus(wilson(latent, n - spf, confidence))
    out["asil"] = asil(out)
    return out


def asil(s: Mapping) -> str:
    """The highest ASIL whose SPFM, LFM and residual-FIT targets the figures meet on their
    worse interval ends (no LFM: a design without a mechanism has no latent faults, so only
    SPFM and FIT count); ``"below B"`` otherwise."""
    spfm = [x for x in (s["spfm_transient"], s["spfm_permanent"]) if x is not None]
    if not spfm:
        return "unknown"
    if s["lfm"] is None and any(r["mechanism"] != "none" for r in s["budget"]):
        return "unknown (no stuck-at campaign for the LFM)"
    for level, (t_spfm, t_lfm, t_fit) in ASIL_TARGETS.items():
        if all(x[1] >= t_spfm for x in spfm) and s["residual_fit"][2] < t_fit \
                and (s["lfm"] is None or s["lfm"][1] >= t_lfm):
            return f"ASIL {level}"
    return "below B"
