"""How well the front-view measures separate slouching from upright (issue 3 evidence).

Data: ``../shared/data/slouchingornot_frontal/`` (SlouchingOrNot, MIT licence): two webcam
sessions, each with images labelled ``isSlouching`` / ``notSlouching``. For each session one
"good" (notSlouching) image is the personal baseline (as `posturecheck calibrate` would
capture); every other image is classified with the rules' bands for that baseline: slouching
when any judged front-view measure is outside its acceptable band. Reported:

* balanced accuracy of that verdict (with the baseline, and without it: absolute limits);
* per measure: mean per class, its own baseline-band verdict, and the best single-threshold
  balanced accuracy *in sample* (an optimistic upper bound, not a validated number).

    .venv/bin/python benchmarks/front_separation.py [--data DIR] [--model full] [--baseline-index 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from posturecheck.adapters import models  # noqa: E402
from posturecheck.adapters.estimator import MediaPipePoseEstimator  # noqa: E402
from posturecheck.adapters.sources import read_image  # noqa: E402
from posturecheck.core.baseline import Baseline  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.metrics import METRICS, compute_metrics  # noqa: E402
from posturecheck.core.rules import resolve_limits  # noqa: E402
from posturecheck.core.types import Frame, PostureMetrics, View  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "slouchingornot_frontal"
FRONT = [m for m, s in METRICS.items() if View.FRONT in s.views]


def _key(p: Path) -> int:
    return int(p.stem.rsplit("-", 1)[-1])


def balanced_accuracy(pred: list[bool], truth: list[bool]) -> float:
    """Mean of the recall on slouching and the recall on upright (chance = 0.5)."""
    p, t = np.array(pred), np.array(truth)
    tpr = (p & t).sum() / max(1, t.sum())
    tnr = (~p & ~t).sum() / max(1, (~t).sum())
    return float((tpr + tnr) / 2)


def best_threshold_bacc(x: list[float], truth: list[bool]) -> tuple[float, str]:
    """Best balanced accuracy of one threshold in either direction (in sample)."""
    best, how = 0.5, "-"
    xs = np.array(x)
    for thr in np.unique(xs):
        for sign, op in ((1, "<="), (-1, ">=")):
            pred = list((sign * xs) <= sign * thr)
            b = balanced_accuracy(pred, truth)
            if b > best:
                best, how = b, f"slouch if {op} {thr:.3g}"
    return best, how


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", default="full")
    ap.add_argument("--baseline-index", type=int, default=0, help="first notSlouching image used")
    ap.add_argument("--baseline-count", type=int, default=1, help="how many (median baseline)")
    args = ap.parse_args(argv)

    base_cfg = load_config()
    sessions = sorted(p for p in args.data.iterdir() if (p / "isSlouching").is_dir())
    # (session, slouching, metrics, auto view)
    rows: list[tuple[str, bool, PostureMetrics | None, View]] = []
    baselines: dict[str, Baseline] = {}
    base_frames: dict[str, list[PostureMetrics]] = {}
    first, count = args.baseline_index, args.baseline_count
    no_pose = 0
    with MediaPipePoseEstimator(models.resolve_model(args.model), num_poses=1, mode="image") as est:
        for s in sessions:
            for label in ("notSlouching", "isSlouching"):
                for i, img in enumerate(sorted((s / label).glob("*.jpg"), key=_key)):
                    poses = est.detect(Frame(index=i, timestamp_ms=i, image=read_image(img)))
                    if not poses:
                        no_pose += 1
                        continue
                    auto = compute_metrics(
                        poses[0], min_confidence=base_cfg.min_confidence, view=base_cfg.forced_view
                    ).view
                    m = compute_metrics(
                        poses[0], min_confidence=base_cfg.min_confidence, view=View.FRONT
                    )
                    if label == "notSlouching" and first <= _key(img) < first + count:
                        base_frames.setdefault(s.name, []).append(m)
                        continue
                    rows.append((s.name, label == "isSlouching", m, auto))

    for name, ms in base_frames.items():
        baselines[name] = Baseline.from_metrics(ms, name=name, min_frames=1)
    truth = [r[1] for r in rows]
    n_pos, n_neg = sum(truth), len(truth) - sum(truth)
    views = {v.value: sum(1 for r in rows if r[3] is v) for v in View}
    print(
        f"# {args.data.name}: {len(sessions)} sessions, {len(rows)} test images "
        f"({n_pos} slouching, {n_neg} upright), baseline = median of {count} good "
        f"image(s) from #{first} per session, "
        f"{no_pose} without a detected person; model {args.model}"
    )
    print(f"auto view of the test images: {', '.join(f'{k} {v}' for k, v in views.items() if v)}\n")

    def verdicts(with_baseline: bool) -> dict[str, list[bool | None]]:
        out: dict[str, list[bool | None]] = {m: [] for m in FRONT}
        out["any"] = []
        lims_by_session = {
            s: resolve_limits(base_cfg.with_baseline(baselines[s] if with_baseline else None))
            for s in baselines
        }
        for sess, _t, m, _v in rows:
            lims = lims_by_session[sess]
            anyv = False
            for name in FRONT:
                v = m.values.get(name)
                lim = lims.get(name)
                if v is None or lim is None:
                    out[name].append(None)
                    continue
                bad = lim.band(v) != "acceptable"
                out[name].append(bad)
                anyv |= bad
            out["any"].append(anyv)
        return out

    with_b, without_b = verdicts(True), verdicts(False)
    print("## Verdict of the rules' bands (slouching = any judged front-view measure out of band)")
    print("| limits | balanced accuracy | slouching flagged | upright flagged |")
    print("|---|---|---|---|")
    for name, vd in (
        ("personal baseline", with_b),
        ("no baseline (absolute)", without_b),
    ):
        for sess in [None, *baselines]:
            idx = [i for i, r in enumerate(rows) if sess is None or r[0] == sess]
            pred = [bool(vd["any"][i]) for i in idx]
            tr = [truth[i] for i in idx]
            tp = sum(p and t for p, t in zip(pred, tr, strict=True))
            fp = sum(p and not t for p, t in zip(pred, tr, strict=True))
            where = "all" if sess is None else f"session {sess.split('__')[-1]}"
            print(
                f"| {name}, {where} | {balanced_accuracy(pred, tr):.2f} | {tp}/{sum(tr)} | "
                f"{fp}/{len(tr) - sum(tr)} |"
            )

    print("\n## Per measure")
    print(
        "| measure | mean upright | mean slouching | baseline-band bal. acc. | "
        "best threshold bal. acc. (in sample) |"
    )
    print("|---|---|---|---|---|")
    for name in FRONT:
        # Per-session change from the baseline, so two setups can share one threshold.
        xs, ts = [], []
        for sess, t, m, _v in rows:
            v = m.values.get(name)
            b = baselines[sess].get(name)
            if v is None or b is None:
                continue
            xs.append(v - b)
            ts.append(t)
        if len(set(ts)) < 2:
            continue
        up = np.mean([x for x, t in zip(xs, ts, strict=True) if not t])
        sl = np.mean([x for x, t in zip(xs, ts, strict=True) if t])
        vd = with_b.get(name)
        if vd is not None and any(v is not None for v in vd):
            pairs = [(bool(p), t) for p, t in zip(vd, truth, strict=True) if p is not None]
            band = f"{balanced_accuracy([p for p, _ in pairs], [t for _, t in pairs]):.2f}"
        else:
            band = "not judged"
        best, how = best_threshold_bacc(xs, ts)
        unit = "°" if METRICS[name].unit == "deg" else ""
        print(
            f"| {name} (change from baseline) | {up:+.3g}{unit} | {sl:+.3g}{unit} | {band} | "
            f"{best:.2f} ({how}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
