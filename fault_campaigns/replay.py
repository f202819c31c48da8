"""Re-run one injection of a campaign, optionally writing an FST waveform of the whole run.

The database names its workload by recipe (:mod:`.recipes`); the workload is rebuilt and
must still have the same digest and targets, else the replay would show something else
than what was recorded. The replay runs without fork or early stop, from reset to the end
(or the hang bound, a trap of the design, or the watchdog), and its outcome is compared with
the recorded one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from orbitbench.sim import SIM_BUILD

from .db import CampaignDB, CampaignDBError
from .engine import Engine, EngineHang, EngineResult, build_engine
from .prepare import engine_config, select_targets
from .recipes import build_root_of, from_recipe
from .worker import HANG_MESSAGE, watchdog_seconds

__all__ = ["replay"]


def replay(db_path: Path, ident: int, *, waves: Path | None = None,
           build_root: Path = SIM_BUILD) -> dict:
    with CampaignDB.open_existing(db_path) as db:
        campaign, spec = db.meta("campaign"), db.meta("spec")
        try:
            recipe = db.meta("recipe")
        except KeyError:
            recipe = None
        inj = db.injection(ident)
        recorded = db.result(ident)
    if not recipe:
        raise CampaignDBError(f"{db_path} does not say how to rebuild its workload (no recipe)")
    build_root = build_root_of(recipe, build_root)
    work = from_recipe(recipe, build_root)
    if work.digest() != campaign["workload"]["digest"]:
        raise CampaignDBError(f"the workload {work.name!r} changed since the campaign ran "
                              "(sources, stimulus or rules differ); cannot replay faithfully")
    state, targets = select_targets(work, spec["include"] or work.include,
                                    spec["exclude"] or work.exclude, roms=spec["roms"],
                                    nets=campaign.get("nets", False), build_root=build_root)
    digest = hashlib.sha256(json.dumps([[v.path, v.width, v.depth, v.kind]
                                        for v in targets.vars]).encode()).hexdigest()[:16]
    if digest != campaign["targets_digest"]:
        raise CampaignDBError("the design's target list changed since the campaign ran")
    config, public = engine_config(work, state, targets)
    build = build_engine(work.top, work.sources, public, work.ports, trace=waves is not None,
                         extra_args=work.extra_args, build_root=build_root,
                         forceable=[(v.module_type, v.name) for v in targets.vars if v.net])
    stuck = () if inj.get("value", -1) < 0 else (inj["value"],)
    flips = [(inj["var"], inj["elem"], inj["bit"] + j, *stuck) for j in range(inj["size"])]
    if waves is not None:
        Path(waves).parent.mkdir(parents=True, exist_ok=True)
    with Engine(build, config, waves=Path(waves).resolve() if waves else None) as engine:
        cycles, _ = engine.golden()
        watchdog = watchdog_seconds(engine.golden_seconds, cycles, work.hang_factor,
                                    work.hang_extra)
        try:
            (result,) = engine.run([(ident, inj["cycle"], flips)], replay=True,
                                   timeout=watchdog)
        except EngineHang:
            result = EngineResult(ident, "hang", 0, inj["cycle"], 0, 0, False, HANG_MESSAGE)
    out = {"injection": ident, "target": inj["target"], "element": inj["elem"],
           "bit": inj["bit"], "bits flipped": inj["size"], "cycle": inj["cycle"],
           "workload cycles": cycles, "outcome": result.outcome,
           "wrong elements": result.wrong, "largest error": result.max_err,
           "message": result.message or None,
           **({"stuck at": inj["value"]} if stuck else {}),
           "recorded outcome": recorded["outcome"] if recorded else None,
           "matches_database": (recorded["outcome"] == result.outcome
                                and recorded["wrong"] == result.wrong
                                and recorded["max_err"] == result.max_err)
           if recorded else None}
    if waves is not None:
        out["waves"] = str(waves)
    return out
