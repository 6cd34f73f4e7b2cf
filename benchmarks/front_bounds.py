"""What the front-view per-frame verdicts allow: why issue 11's last targets stay out of reach.

    .venv/bin/python benchmarks/front_bounds.py [--data DIR] [--model full] [--upright-h 1]
        [--windows 10,20,30,60] [--shares 0.3,0.35,0.4,0.45,0.5] [--slump-frames 10] [--out FILE]

``front_eval.py`` measures the shipped system; ``front_quantile.py`` tunes the score window's
quantile and the share rule's limit. This script asks what *any* temporal rule could make of the
per-frame verdicts, on the same data and the same leave-one-person-out scores (docs/accuracy.md,
3b'''):

1. **How often each person's frames are flagged**: the share of slumped and of upright frames
   that the rules' per-frame verdict (the held-out slouch score above 0.5, or another front
   limit) calls slumped, per person and mode. A slump can only be alerted within 60 s if most
   of its frames are flagged, and an hour upright stays quiet only if few are.
2. **A rule on the share of flagged frames**, simulated: a problem while more than ``share`` of
   the analyses in the last ``window`` seconds are flagged (by any front measure, so a slump
   that shows partly as a head drop and partly as a lean adds up), an alert after 30 s of it
   (the shipped ``sustain_s``), the problem ending after 3 s below (``recover_s``). It replays
   the streams ``front_eval.temporal`` replays (10 minutes slumped, ``--upright-h`` upright, 2
   analyses/s in the recording's own time) and chooses ``(window, share)`` leave one person
   out as ``front_quantile.py`` chooses its quantile: for each held-out person, the most slumps
   alerted within 60 s among the others at or under 1 false alert per upright hour (ties: the
   fewest false alerts, then the shortest window and the lowest share).
3. **The view the product classifies** (``view = "auto"``, the default) against the harness's
   forced front view, on the sets that went through the real model (images, with world
   landmarks, as live has them): a frame classified oblique or side gets no front measure.
4. **A personal limit from a demonstrated slump** (what ``calibrate --slouch`` could do): per
   session, the calibrated score's limit moved to the logit midpoint between the score of the
   upright baseline and that of the median of the session's first ``--slump-frames`` slumped
   frames (both against the baseline, with the held-out model). Those frames and the
   calibration frames are not scored; shipped and personal limits are compared on the same
   frames of the people who have such a session.
5. **Where one shared limit must cut**: per person and mode, the share of the *other* people's
   slumped frames (person-weighted) whose held-out score is below this person's median upright
   score. A shared limit that calls this person's median upright frame upright also calls that
   share of everybody else's slumped frames upright (by the score; the other front limits add
   flags on top).
6. **An oracle calibration**: the calibrated verdict (models refitted leave one person out)
   with each session's baseline taken from the median of *all* its upright frames, which only
   the labels can pick, every frame scored. It bounds what a better calibration could give.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit_front as ff  # noqa: E402
import front_eval as fe  # noqa: E402
import front_quantile as fq  # noqa: E402
import numpy as np  # noqa: E402
from evalcommon import data_dir_from_env, ping_pong  # noqa: E402
from front_data import load_all  # noqa: E402

from posturecheck.core import front_model  # noqa: E402
from posturecheck.core.baseline import Baseline  # noqa: E402
from posturecheck.core.config import Config, load_config  # noqa: E402
from posturecheck.core.metrics import classify_view  # noqa: E402
from posturecheck.core.types import View  # noqa: E402

MODES = fq.MODES


def share_rule(
    flags: Sequence[bool],
    times_ms: Sequence[float],
    window_s: float,
    share: float,
    sustain_s: float = 30.0,
    recover_s: float = 3.0,
) -> dict[str, Any]:
    """Alerts of the share-of-flagged-frames rule on one stream of analyses.

    A problem runs while more than ``share`` of the analyses in the last ``window_s`` seconds
    (this one included) are flagged; it alerts once after ``sustain_s`` and ends after
    ``recover_s`` below the share. Returns ``front_eval.run_stream``'s ``first_alert_s``,
    ``posture_alerts`` and ``seconds`` for the stream.
    """
    win: deque[tuple[float, bool]] = deque()
    n_flagged = 0
    start = below_since = None
    fired = False
    first, alerts = None, 0
    for f, t in zip(flags, times_ms, strict=True):
        win.append((t, f))
        n_flagged += f
        while t - win[0][0] >= 1000.0 * window_s:
            n_flagged -= win.popleft()[1]
        if n_flagged > share * len(win):
            if start is None:
                start, fired = t, False
            below_since = None
            if not fired and t - start >= 1000.0 * sustain_s - 1e-6:
                fired, alerts = True, alerts + 1
                first = t / 1000.0 if first is None else first
        elif start is not None:
            below_since = t if below_since is None else below_since
            if t - below_since >= 1000.0 * recover_s - 1e-6:
                start = None
    seconds = (times_ms[-1] + 1000.0 / fe.FPS) / 1000.0 if len(times_ms) else 0.0
    return {"first_alert_s": first, "posture_alerts": alerts, "seconds": seconds}


def replay_flags(
    rows: Sequence[ff.Row], flags: Sequence[bool], seconds: float, fps: float | None
) -> tuple[list[bool], list[float]]:
    """The flags of ``rows`` (one recording, in recorded order) as ``front_eval.run_stream``
    replays them: looped forward-backward for ``seconds`` at the flat 2 analyses/s, in the
    recording's own time (``fps``; ``None``: stills, one per analysis)."""
    order = ping_pong(len(rows)) if len(rows) > 1 else [0]
    out, times = [], []
    for k in range(int(round(seconds * fe.FPS))):
        t = 1000.0 * k / fe.FPS
        out.append(flags[fe.recorded_frame(order, k, t, fps)])
        times.append(t)
    return out, times


def streams(
    rows: Sequence[ff.Row],
    flags: dict[str, list[bool]],
    calib: dict[str, ff.Calibration],
    upright_h: float,
) -> dict[str, dict[str, tuple[list[bool], list[float]]]]:
    """Per person, the replayed flags of the streams ``front_eval.temporal`` judges (its main
    session per label, calibration frames left out), keyed ``slump_<mode>``/``upright_<mode>``."""
    idx = {id(r): k for k, r in enumerate(rows)}
    out: dict[str, dict[str, tuple[list[bool], list[float]]]] = {
        p: {} for p in sorted({r.person for r in rows})
    }
    for person, key, seconds, _, sel in fe.judged_streams(rows, calib, upright_h):
        fps = fe.recording_fps(sel)
        for mode in MODES:
            f = [flags[mode][idx[id(r)]] for r in sel]
            out[person][f"{key}_{mode}"] = replay_flags(sel, f, seconds, fps)
    return out


def share_grid(
    st: dict[str, dict[str, tuple[list[bool], list[float]]]],
    windows: Sequence[float],
    shares: Sequence[float],
) -> dict[tuple[float, float], dict[str, Any]]:
    """Per ``(window, share)``, each person's streams judged by :func:`share_rule`."""
    return {
        (w, s): {p: {k: share_rule(*v, w, s) for k, v in ks.items()} for p, ks in st.items()}
        for w in windows
        for s in shares
    }


def view_check(
    rows: Sequence[ff.Row], flags: dict[str, list[bool]], cfg: Config, calib: dict
) -> dict[str, Any]:
    """Per-frame balanced accuracy with the view forced to front (the harness) and classified
    per frame as the product does by default, on the people whose poses carry world landmarks
    (the sets run through the real model, as live runs it)."""
    keep = [k for k, r in enumerate(rows) if r.sample.pose.world_xyz_m is not None]
    sub = [rows[k] for k in keep]
    views = [classify_view(r.sample.pose, cfg.min_confidence)[0] for r in sub]
    used = set().union(*(c.rows for c in calib.values()))
    out: dict[str, Any] = {
        "frames": len(sub),
        "front_share": float(np.mean([v is View.FRONT for v in views])),
    }
    for mode in MODES:
        forced = [flags[mode][k] for k in keep]
        auto = [f and v is View.FRONT for f, v in zip(forced, views, strict=True)]
        skip = (lambda r: id(r) in used) if mode == "calibrated" else (lambda r: False)
        for name, fl in (("forced_front", forced), ("auto", auto)):
            b = ff.per_person_bacc(sub, fl, skip=skip)
            out[f"{mode}_{name}"] = {
                "mean": b["mean_balanced_accuracy"],
                "per_person": {p: v["balanced_accuracy"] for p, v in b["per_person"].items()},
            }
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


def demonstrated_limit(
    rows: Sequence[ff.Row],
    scores: Sequence[float | None],
    models: dict[str, front_model.LogisticModel],
    calib: dict[str, ff.Calibration],
    cfg: Config,
    n: int = 10,
) -> dict[str, Any]:
    """Part 4 of the module docstring: per person, the calibrated per-frame balanced accuracy
    with the shared limit and with a limit from a demonstrated slump of ``n`` frames."""
    slumped: dict[str, list[ff.Row]] = {}
    for r in rows:
        if r.sample.label == "bad" and r.sample.session in calib:
            slumped.setdefault(r.sample.session, []).append(r)
    limits: dict[str, float] = {}
    shown: set[int] = set()
    for sess, rs in sorted(slumped.items()):
        first = sorted(rs, key=lambda r: r.sample.order)[:n]
        if len(first) < n:
            continue
        base = calib[sess].baseline.as_mapping()
        med = Baseline.from_metrics([r.metrics for r in first], min_frames=1).as_mapping()
        m = models[first[0].person]
        xu = front_model.calibrated_features(m, base, base)
        xs = front_model.calibrated_features(m, med, base)
        if xu is None or xs is None or m.probability(xs) <= m.probability(xu):
            continue  # no slump shown: the shared limit stays
        limits[sess] = (_logit(m.probability(xu)) + _logit(m.probability(xs))) / 2.0
        shown |= {id(r) for r in first}
    # the personal limit t as a shifted score judged against the shared 0.5
    shifted = [
        None
        if sc is None
        else 1.0 / (1.0 + math.exp(-(_logit(sc) - limits.get(r.sample.session, 0.0))))
        for r, sc in zip(rows, scores, strict=True)
    ]
    used = set().union(*(c.rows for c in calib.values())) | shown
    people = {r.person for r in rows if r.sample.session in limits}

    def skip(r: ff.Row) -> bool:
        return id(r) in used or r.person not in people

    out: dict[str, Any] = {"slump_frames": n, "sessions": len(limits)}
    for name, sc in (("shared", scores), ("personal", shifted)):
        b = ff.per_person_bacc(rows, fe.per_frame(rows, sc, cfg, calib), skip=skip)
        out[name] = {
            "mean": b["mean_balanced_accuracy"],
            "per_person": {p: v["balanced_accuracy"] for p, v in b["per_person"].items()},
        }
    out["limits"] = {s: 1.0 / (1.0 + math.exp(-z)) for s, z in limits.items()}
    return out


def overlap(
    rows: Sequence[ff.Row], scores: Sequence[float | None], skip: set[int]
) -> dict[str, dict[str, float | None]]:
    """Part 5 of the module docstring for one mode (``skip``: ids of rows not scored): per
    person, ``upright``: the share of the other people's slumped frames scoring below this
    person's median upright score; ``slumped``: the share of the other people's upright frames
    scoring above this person's median slumped score (both person-weighted)."""
    by: dict[bool, dict[str, list[float]]] = {False: {}, True: {}}
    for r, sc in zip(rows, scores, strict=True):
        if sc is not None and id(r) not in skip and r.sample.label != "moderate":
            by[r.bad].setdefault(r.person, []).append(sc)

    def cut(p: str, own: bool) -> float | None:
        if p not in by[own]:
            return None
        med = float(np.median(by[own][p]))
        other = [np.asarray(v) for q, v in by[not own].items() if q != p]
        shares = [float(np.mean(v > med if own else v < med)) for v in other]
        return float(np.mean(shares)) if shares else None

    people = sorted(set(by[False]) | set(by[True]))
    return {p: {"upright": cut(p, False), "slumped": cut(p, True)} for p in people}


def calibration_oracle(rows: Sequence[ff.Row], cfg: Config) -> dict[str, Any]:
    """Part 6 of the module docstring: the calibrated per-frame balanced accuracy with each
    session's baseline from all its upright frames."""
    calib = ff.calibrations(rows, n=len(rows))
    sc = ff.scores_of(rows, ff.lopo_models(rows, calib), calib)
    b = ff.per_person_bacc(rows, fe.per_frame(rows, sc, cfg, calib))
    return {
        "mean": b["mean_balanced_accuracy"],
        "per_person": {p: v["balanced_accuracy"] for p, v in b["per_person"].items()},
    }


def evaluate(
    rows: Sequence[ff.Row],
    cfg: Config,
    upright_h: float,
    windows: Sequence[float],
    shares: Sequence[float],
    slump_frames: int = 10,
) -> dict[str, Any]:
    """The six parts of the module docstring on measured rows."""
    calib = ff.calibrations(rows)
    flags: dict[str, list[bool]] = {}
    shares_flagged: dict[str, Any] = {}
    demo: dict[str, Any] = {}
    cut: dict[str, Any] = {}
    for mode, cal in (("uncalibrated", None), ("calibrated", calib)):
        models = ff.lopo_models(rows, cal)
        sc = ff.scores_of(rows, models, cal)
        used = set().union(*(c.rows for c in cal.values())) if cal else set()
        cut[mode] = overlap(rows, sc, used)
        if cal is not None:
            demo = demonstrated_limit(rows, sc, models, cal, cfg, slump_frames)
        flags[mode] = fe.per_frame(rows, sc, cfg, cal)
        b = ff.per_person_bacc(rows, flags[mode], skip=lambda r, u=used: id(r) in u)
        shares_flagged[mode] = {
            p: {
                "slumped": v["recall_bad"],
                "upright": None if v["specificity"] is None else 1.0 - v["specificity"],
            }
            for p, v in b["per_person"].items()
        }
    grid = share_grid(streams(rows, flags, calib, upright_h), windows, shares)
    people = sorted(next(iter(grid.values())))
    rule: dict[str, Any] = {}
    for mode in MODES:
        rule[mode] = {
            "grid": {
                f"{w:g}s>{s:g}": fq.summary(res, people, mode) for (w, s), res in grid.items()
            },
            "lopo": fq.lopo(grid, mode, fewer_false_first=True),
        }
        rule[mode]["lopo"]["folds"] = {
            p: f"{w:g}s>{s:g}" for p, (w, s) in rule[mode]["lopo"]["folds"].items()
        }
        w, s = rule[mode]["lopo"]["chosen_on_everyone"]
        rule[mode]["lopo"]["chosen_on_everyone"] = f"{w:g}s>{s:g}"
    return {
        "people": len(people),
        "flagged_share": shares_flagged,
        "share_rule": rule,
        "view": view_check(rows, flags, cfg, calib),
        "demonstrated_slump": demo,
        "shared_limit_cut": cut,
        "calibration_oracle": calibration_oracle(rows, cfg),
    }


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _per_person_pairs(
    by_mode: dict[str, dict[str, dict[str, float | None]]], keys: tuple[str, str], sep: str
) -> list[str]:
    """Table rows, one per person: the two ``keys`` of each mode, uncalibrated first."""
    rows = []
    for p in sorted(by_mode["uncalibrated"]):
        cells = [
            sep.join(_f(by_mode[m].get(p, {}).get(k)) for k in keys)
            for m in ("uncalibrated", "calibrated")
        ]
        rows.append(f"| {p} | {cells[0]} | {cells[1]} |")
    return rows


def markdown(res: dict[str, Any]) -> list[str]:
    """The tables docs/accuracy.md 3b''' quotes."""
    fs = res["flagged_share"]
    out = [
        "Share of frames the per-frame verdict flags (held-out score above 0.5, or another "
        "front limit):",
        "",
        "| person | slumped, uncalibrated | upright, uncalibrated | slumped, calibrated "
        "| upright, calibrated |",
        "|---|---:|---:|---:|---:|",
    ]
    out += _per_person_pairs(fs, ("slumped", "upright"), " | ")
    for mode in MODES:
        r = res["share_rule"][mode]
        out += [
            "",
            f"Share rule, {mode} (slumps alerted within 60 s of {res['people']}; "
            "false alerts per upright hour):",
            "",
        ]
        out += [
            "| window > share | within 60 s | false alerts/h | late or none |",
            "|---|---:|---:|---|",
        ]
        for k, s in r["grid"].items():
            late = ", ".join(s["slump_missed_or_late"])
            out.append(
                f"| {k} | {s['slump_alert_within_60s']} | {_f(s['false_alerts_per_hour'])} "
                f"| {late} |"
            )
        lo = r["lopo"]
        chosen: dict[str, int] = {}
        for k in lo["folds"].values():
            chosen[k] = chosen.get(k, 0) + 1
        out += [
            "",
            f"Leave one person out: folds chose {chosen}; held out "
            f"{lo['held_out_within_60s']}/{lo['people']} within 60 s at "
            f"{_f(lo['held_out_false_alerts_per_hour'])} false alerts per upright hour.",
        ]
    v = res["view"]
    out += [
        "",
        f'View forced to front vs classified (`view = "auto"`), {v["frames"]} frames '
        f"with world landmarks, {v['front_share']:.1%} classified front:",
        "",
        "| person | uncalibrated forced / auto | calibrated forced / auto |",
        "|---|---:|---:|",
    ]
    for p in sorted(v["uncalibrated_forced_front"]["per_person"]):
        row = [
            f"{_f(v[f'{m}_forced_front']['per_person'].get(p))} / "
            f"{_f(v[f'{m}_auto']['per_person'].get(p))}"
            for m in MODES
        ]
        out.append(f"| {p} | {row[0]} | {row[1]} |")
    out.append(
        "| **mean** | "
        + " | ".join(
            f"{_f(v[f'{m}_forced_front']['mean'])} / {_f(v[f'{m}_auto']['mean'])}" for m in MODES
        )
        + " |"
    )
    d = res["demonstrated_slump"]
    out += [
        "",
        f"Calibrated, a personal limit from a demonstrated slump of {d['slump_frames']} frames "
        f"({d['sessions']} sessions; the same frames scored both ways):",
        "",
        "| person | shared limit | personal limit |",
        "|---|---:|---:|",
    ]
    for p in sorted(d["shared"]["per_person"]):
        out.append(
            f"| {p} | {_f(d['shared']['per_person'][p])} | {_f(d['personal']['per_person'][p])} |"
        )
    out.append(f"| **mean** | {_f(d['shared']['mean'])} | {_f(d['personal']['mean'])} |")
    cut = res["shared_limit_cut"]
    out += [
        "",
        "Where one shared limit must cut (held-out scores, person-weighted): the share of the "
        "other people's slumped frames scoring below this person's median upright frame, and of "
        "their upright frames scoring above this person's median slumped frame:",
        "",
        "| person | uncalibrated: upright / slumped | calibrated: upright / slumped |",
        "|---|---:|---:|",
    ]
    out += _per_person_pairs(cut, ("upright", "slumped"), " / ")
    o = res["calibration_oracle"]
    ranked = sorted((v, p) for p, v in o["per_person"].items() if v is not None)
    out += [
        "",
        f"Oracle calibration (each session's baseline from all its upright frames): calibrated "
        f"mean {_f(o['mean'])}, lowest " + ", ".join(f"{p} {_f(v)}" for v, p in ranked[:3]) + ".",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir_from_env())
    ap.add_argument("--model", default="full")
    ap.add_argument("--upright-h", type=float, default=fe.UPRIGHT_H)
    ap.add_argument("--windows", default="10,20,30,60")
    ap.add_argument("--shares", default="0.3,0.35,0.4,0.45,0.5")
    ap.add_argument("--slump-frames", type=int, default=10, help="part 4's demonstrated slump")
    ap.add_argument("--out", type=Path, help="also write the results as JSON")
    args = ap.parse_args(argv)
    cfg = load_config()
    rows = ff.measure(load_all(args.data, args.model), cfg)
    res = evaluate(
        rows,
        cfg,
        args.upright_h,
        [float(x) for x in args.windows.split(",")],
        [float(x) for x in args.shares.split(",")],
        args.slump_frames,
    )
    print("\n".join(markdown(res)))
    if args.out:
        args.out.write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
