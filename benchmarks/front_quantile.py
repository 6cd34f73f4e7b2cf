"""Which quantile of the slouch score's 10 s window to judge (and which front-view share),
chosen leave-one-person-out.

    .venv/bin/python benchmarks/front_quantile.py [--data DIR] [--model full]
        [--sweep quantile|share] [--values 0.5,0.55,...] [--upright-h 1] [--no-framing-watch]

The rules judge the front-view slouch score after a running window (``temporal.score_median_s``,
10 s). Its median is robust to a few misjudged frames, but a slump that shows on only about half
of the frames keeps the median at the limit, so the condition ends and restarts and the alert
comes late or never. A higher quantile of the window is more sensitive and costs false alerts.

This script replays every person's slumped and upright frames through the real temporal rules
(``front_eval.temporal``: 10 minutes slumped, ``--upright-h`` upright, 2 analyses/s, the slouch
score from the model fitted without the person) once per candidate quantile, in both modes
(``temporal.score_quantile`` without a baseline, ``temporal.score_quantile_calibrated`` with
one), and then chooses the quantile **leave one person out**: for each held-out person, the
candidate with the most slump alerts within 60 s among the *other* people, among the candidates
whose false alerts stay at or under 1 per upright hour on them (ties: the lower quantile). It
prints each candidate's pooled result, the choice per fold and the held-out result of those
choices. Calibrated replays run live's framing watch, as ``front_eval.py`` does.

``--sweep share`` does the same for the front-view share rule (``temporal.front_share`` and
``front_share_calibrated``; candidates 0 = off, 0.25 ... 0.5), with ties going to the fewest
false alerts first. ``docs/thresholds.md`` section 4b quotes both outputs; the shipped values are
in ``posturecheck/core/default.toml``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit_front as ff  # noqa: E402
import front_eval as fe  # noqa: E402
from evalcommon import data_dir_from_env  # noqa: E402
from front_data import load_all  # noqa: E402

from posturecheck.core.config import Config, load_config  # noqa: E402

MODES = ("uncalibrated", "calibrated")
MAX_FALSE_PER_H = 1.0


def with_quantile(cfg: Config, q: float) -> Config:
    """``cfg`` judging the score window at quantile ``q`` with and without a baseline."""
    tc = dataclasses.replace(cfg.temporal, score_quantile=q, score_quantile_calibrated=q)
    return dataclasses.replace(cfg, temporal=tc)


def with_share(cfg: Config, s: float) -> Config:
    """``cfg`` with the front-view share rule's limit ``s`` (0: off) with and without a
    baseline."""
    tc = dataclasses.replace(cfg.temporal, front_share=s, front_share_calibrated=s)
    return dataclasses.replace(cfg, temporal=tc)


SWEEPS: dict[str, tuple[Callable[[Config, float], Config], str, bool]] = {
    "quantile": (with_quantile, "0.5,0.55,0.6,0.65,0.7", False),
    "share": (with_share, "0,0.25,0.3,0.35,0.4,0.45,0.5", True),
}
"""Per swept setting: how it is applied, its default candidates, and whether :func:`choose`
breaks ties on the fewest false alerts first (the share rule: a lower share is more sensitive,
so among equally good limits the quieter one is kept; the quantile keeps its shipped rule)."""


def grid(
    rows: Sequence[ff.Row],
    scores: dict[str, list[float | None]],
    calib: dict[str, ff.Calibration],
    cfg: Config,
    quantiles: Sequence[float],
    upright_h: float,
    vary: Callable[[Config, float], Config] = with_quantile,
    watch: fe.WatchFactory | None = None,
) -> dict[float, dict[str, Any]]:
    """Per candidate value (``vary`` applies it to ``cfg``), ``front_eval.temporal``'s
    per-person results; ``watch``: live's framing watch in the calibrated replays."""
    return {
        q: fe.temporal(rows, scores, vary(cfg, q), calib, upright_h=upright_h, watch=watch)
        for q in quantiles
    }


def summary(res: dict[str, Any], people: Sequence[str], mode: str) -> dict[str, Any]:
    """``front_eval``'s temporal summary of ``mode`` over ``people`` only."""
    return fe._temporal_summary({p: res[p] for p in people})[mode]


def choose(
    results: dict[Any, dict[str, Any]],
    people: Sequence[str],
    mode: str,
    fewer_false_first: bool = False,
) -> Any:
    """The quantile with the most slumps alerted within 60 s on ``people`` whose false alerts
    per upright hour stay at or under the limit (ties and "none qualifies": the lowest; with
    ``fewer_false_first``, ties go to the fewest false alerts first). Any sortable candidates
    work (``front_bounds.py`` passes ``(window, share)`` pairs)."""
    best: tuple[tuple[bool, int, float], Any] | None = None
    for q in sorted(results):
        s = summary(results[q], people, mode)
        fa = s["false_alerts_per_hour"] or 0.0
        key = (
            fa <= MAX_FALSE_PER_H + 1e-9,
            s["slump_alert_within_60s"],
            -fa if fewer_false_first else 0.0,
        )
        if best is None or key > best[0]:
            best = (key, q)
    assert best is not None
    return best[1]


def lopo(
    results: dict[Any, dict[str, Any]], mode: str, fewer_false_first: bool = False
) -> dict[str, Any]:
    """Each person judged with the quantile chosen without them (see :func:`choose`)."""
    people = sorted(next(iter(results.values())))
    folds = {
        p: choose(results, [o for o in people if o != p], mode, fewer_false_first) for p in people
    }
    held_out = fe._temporal_summary({p: results[q][p] for p, q in folds.items()})[mode]
    return {
        "folds": folds,
        "chosen_on_everyone": choose(results, people, mode, fewer_false_first),
        "held_out_within_60s": held_out["slump_alert_within_60s"],
        "people": len(people),
        "held_out_false_alerts_per_hour": held_out["false_alerts_per_hour"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir_from_env())
    ap.add_argument("--model", default="full")
    ap.add_argument("--sweep", choices=sorted(SWEEPS), default="quantile")
    ap.add_argument("--values", help="candidates, comma-separated (default: per --sweep)")
    ap.add_argument("--upright-h", type=float, default=fe.UPRIGHT_H)
    ap.add_argument(
        "--no-framing-watch",
        dest="framing_watch",
        action="store_false",
        help="replay calibrated streams without live's framing watch (front_eval's default: with)",
    )
    args = ap.parse_args(argv)
    vary, default_values, fewer_false_first = SWEEPS[args.sweep]
    quantiles = [float(x) for x in (args.values or default_values).split(",")]
    cfg = load_config()
    rows = ff.measure(load_all(args.data, args.model), cfg)
    calib = ff.calibrations(rows)
    models = {
        mode: ff.lopo_models(rows, cal)
        for mode, cal in (("uncalibrated", None), ("calibrated", calib))
    }
    scores = {
        mode: ff.scores_of(rows, models[mode], None if mode == "uncalibrated" else calib)
        for mode in MODES
    }
    watch = (
        fe.lopo_watches(ff.framing_limit(rows, calib)["lopo"], models["uncalibrated"])
        if args.framing_watch
        else None
    )
    results = grid(rows, scores, calib, cfg, quantiles, args.upright_h, vary, watch)
    people = sorted(next(iter(results.values())))
    for mode in MODES:
        print(f"{mode}:")
        for q, res in results.items():
            s = summary(res, people, mode)
            worst = {
                p: res[p][f"upright_{mode}"]["posture_alerts"]
                for p in people
                if res[p].get(f"upright_{mode}", {}).get("posture_alerts")
            }
            print(
                f"  {args.sweep} {q:.2f}: slump alert within 60 s {s['slump_alert_within_60s']}/"
                f"{len(people)}, {s['false_alerts_per_hour']:.2f} false alerts per upright hour "
                f"({s['upright_people']} people) {worst}"
            )
        lo = lopo(results, mode, fewer_false_first)
        chosen: dict[float, int] = {}
        for q in lo["folds"].values():
            chosen[q] = chosen.get(q, 0) + 1
        print(
            f"  leave-one-person-out: folds chose {dict(sorted(chosen.items()))}; held out: "
            f"{lo['held_out_within_60s']}/{lo['people']} within 60 s, "
            f"{lo['held_out_false_alerts_per_hour']:.2f} false alerts/h; "
            f"chosen on everyone: {lo['chosen_on_everyone']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
