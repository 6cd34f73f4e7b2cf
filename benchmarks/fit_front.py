"""Fit the front-view slouch score (issue 11), leave-one-person-out, and write its coefficients.

    .venv/bin/python benchmarks/fit_front.py [--data DIR] [--model full] [--write] [--aspect-check]

Reads every labelled front-webcam set (``benchmarks/front_data.py``; data read in place from
``--data``, default ``../shared/data``), measures every frame with the package's own
``compute_metrics`` (view forced to FRONT: the camera is in front of the person), and fits two
logistic regressions (numpy only, Newton's method with a small L2 penalty on standardised
features):

* uncalibrated: ``head_height_ratio`` and ``shoulder_gap_ratio`` (nose and ear height above
  the shoulder line in shoulder widths);
* calibrated: changes from the median of the session's first 5 upright frames (head height,
  ear gap, log face width, log shoulder width, shoulder drop, and the nose and ear midpoint's
  drop in the image, all in shoulder widths); see
  ``posturecheck/core/front_model.py``.

The features are fixed in advance (the measures issue 11 names), not selected on the data.
Face width over shoulder width is used only *relative* to a baseline: its absolute value depends
on the pose estimator (upright: 0.50-0.56 for MoveNet, 0.37-0.41 for MediaPipe in these sets),
so no person-independent limit on it can be derived from this mixed data.

Every person weighs the same in the fit (each person's frames sum to 1, half upright, half
slumped), so the 6,000-frame sets do not drown the 8-image ones. Leave-one-person-out: for each
person the model is refitted without them and tested on them; ``--write`` stores the model fitted
on everyone in ``posturecheck/core/front_model.json`` (the shipped coefficients) with the LOPO
scores beside them. The evaluation (``benchmarks/eval_accuracy.py``, part ``front_people``) reuses
these functions and adds the rules' other front-view limits and the temporal rules.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from evalcommon import data_dir_from_env  # noqa: E402
from front_data import ASSUMED_WH, Sample, load_all  # noqa: E402

from posturecheck.core import front_model as fm  # noqa: E402
from posturecheck.core.baseline import Baseline  # noqa: E402
from posturecheck.core.config import Config, load_config  # noqa: E402
from posturecheck.core.landmarks import L  # noqa: E402
from posturecheck.core.metrics import compute_metrics  # noqa: E402
from posturecheck.core.types import PostureMetrics, View  # noqa: E402

REPO = HERE.parent
CALIBRATION_FRAMES = 5
AUGMENT_BASELINES = 8
OPERATING_POINTS = np.round(np.arange(0.30, 0.951, 0.025), 3)
L2 = 1e-2
UNCAL_FEATURES = fm.UNCALIBRATED_FEATURES
CAL_FEATURES = (
    "head_height_change",
    "shoulder_gap_change",
    "face_width_log_change",
    "shoulder_width_log_change",
    "shoulder_drop",
    "head_drop",
    "ear_drop",
)


@dataclass(frozen=True)
class Row:
    """One measured frame."""

    sample: Sample
    metrics: PostureMetrics

    @property
    def person(self) -> str:
        return self.sample.person

    @property
    def bad(self) -> bool:
        return self.sample.label == "bad"


def measure(samples: Iterable[Sample], cfg: Config) -> list[Row]:
    """Front-view metrics of every frame with a pose (no baseline in ``cfg``)."""
    return [
        Row(s, compute_metrics(s.pose, min_confidence=cfg.min_confidence, view=View.FRONT))
        for s in samples
        if s.pose is not None
    ]


@dataclass(frozen=True)
class Calibration:
    """A session's baseline from its first upright frames, and which rows those were."""

    baseline: Baseline
    rows: frozenset[int]  # ids of the rows used


def calibrations(rows: Sequence[Row], n: int = CALIBRATION_FRAMES) -> dict[str, Calibration]:
    """Per session: the median of the first ``n`` upright frames (as ``calibrate`` does it)."""
    by: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.sample.label == "good":
            by[r.sample.session].append(r)
    out = {}
    for sess, rs in by.items():
        first = sorted(rs, key=lambda r: r.sample.order)[:n]
        base = Baseline.from_metrics([r.metrics for r in first], name=sess, min_frames=1)
        out[sess] = Calibration(base, frozenset(id(r) for r in first))
    return out


# ----------------------------------------------------------------------------------------------
# Features and fitting


def features(
    rows: Sequence[Row], calib: dict[str, Calibration] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix (uncalibrated when ``calib`` is None) and the mask of usable rows."""
    if calib is None:
        model = fm.LogisticModel(UNCAL_FEATURES, 0.0, (0.0,) * len(UNCAL_FEATURES))
        xs = [fm.uncalibrated_features(model, r.metrics.values) for r in rows]
    else:
        model = fm.LogisticModel(CAL_FEATURES, 0.0, (0.0,) * len(CAL_FEATURES))
        xs = []
        for r in rows:
            c = calib.get(r.sample.session)
            xs.append(
                None
                if c is None
                else fm.calibrated_features(model, r.metrics.values, c.baseline.as_mapping())
            )
    ok = np.array([x is not None for x in xs])
    n_f = len(model.features)
    x = np.array([x if x is not None else [np.nan] * n_f for x in xs], float).reshape(-1, n_f)
    return x, ok


def person_weights(persons: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each person sums to 1, split evenly between their upright and slumped frames."""
    w = np.zeros(len(y))
    for p in np.unique(persons):
        for c in (False, True):
            m = (persons == p) & (y == c)
            if m.any():
                w[m] = 0.5 / m.sum()
    return w


def fit_logistic(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = L2, iters: int = 25
) -> tuple[float, np.ndarray]:
    """Weighted L2-penalised logistic regression (Newton); coefficients in raw units."""
    mu, sd = x.mean(0), x.std(0) + 1e-12
    z = np.c_[np.ones(len(x)), (x - mu) / sd]
    b = np.zeros(z.shape[1])
    pen = l2 * np.r_[0.0, np.ones(z.shape[1] - 1)]
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ b, -30, 30)))
        g = z.T @ (w * (p - y)) + pen * b
        h = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(pen)
        step = np.linalg.solve(h, g)
        b -= step
        if np.abs(step).max() < 1e-10:
            break
    coef = b[1:] / sd
    return float(b[0] - (coef * mu).sum()), coef


def training_calibrations(
    rows: Sequence[Row], n: int = CALIBRATION_FRAMES, k: int | None = None
) -> list[dict[str, Calibration]]:
    """``k`` calibrations per session for training: the first ``n`` upright frames (the
    evaluated one) and ``k - 1`` more from ``n`` consecutive upright frames at evenly spaced
    places of the session's upright recording. Training on all of them teaches the calibrated
    model how far a real 5-frame baseline can sit from the person's typical upright posture, so
    it does not lean on a feature that a slightly-off calibration shifts."""
    by: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.sample.label == "good":
            by[r.sample.session].append(r)
    k = AUGMENT_BASELINES if k is None else k
    out: list[dict[str, Calibration]] = [calibrations(rows, n)]
    for j in range(1, k):
        cal = {}
        for sess, rs in by.items():
            rs = sorted(rs, key=lambda r: r.sample.order)
            start = (len(rs) - n) * j // (k - 1) if len(rs) > n else 0
            pick = rs[start : start + n]
            base = Baseline.from_metrics([r.metrics for r in pick], name=sess, min_frames=1)
            cal[sess] = Calibration(base, frozenset(id(r) for r in pick))
        out.append(cal)
    return out


TrainingSet = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def training_set(rows: Sequence[Row], calib: dict[str, Calibration] | None) -> TrainingSet:
    """Per training calibration (one when uncalibrated): features, labels and persons of the
    usable labelled frames. It does not depend on who is left out, so a leave-one-person-out
    run computes it once and masks the person out per fold (:func:`fit_arrays`)."""
    persons = np.array([r.person for r in rows])
    y = np.array([r.bad for r in rows])
    labelled = np.array([r.sample.label in ("good", "bad") for r in rows])
    out: TrainingSet = []
    for cal in [None] if calib is None else training_calibrations(rows):
        x, ok = features(rows, cal)
        keep = ok & labelled
        if cal is not None:  # calibration frames are not training frames of that baseline
            used = set().union(*(c.rows for c in cal.values()))
            keep &= np.array([id(r) not in used for r in rows])
        out.append((x[keep], y[keep], persons[keep]))
    return out


def fit_arrays(
    sets: TrainingSet, names: Sequence[str], exclude: str | None = None
) -> fm.LogisticModel:
    """The model fitted on :func:`training_set` ``sets`` without person ``exclude``."""
    xs, ys, ps = [], [], []
    for x, y, p in sets:
        keep = np.ones(len(y), bool) if exclude is None else p != exclude
        xs.append(x[keep])
        ys.append(y[keep])
        ps.append(p[keep])
    xa, ya, pa = np.concatenate(xs), np.concatenate(ys), np.concatenate(ps)
    b0, coef = fit_logistic(xa, ya, person_weights(pa, ya))
    # The operating point: the probability limit that maximises the mean per-person balanced
    # accuracy on the training people (first calibration only), folded into the intercept so
    # that the shipped score's 0.5 is that point.
    t = operating_point(xs[0], ys[0], ps[0], b0, coef)
    b0 -= float(np.log(t / (1.0 - t)))
    return fm.LogisticModel(tuple(names), b0, tuple(float(c) for c in coef))


def feature_names(calib: dict[str, Calibration] | None) -> tuple[str, ...]:
    """The features of the uncalibrated (``calib`` is ``None``) or the calibrated model."""
    return UNCAL_FEATURES if calib is None else CAL_FEATURES


def fit(
    rows: Sequence[Row], calib: dict[str, Calibration] | None, exclude: str | None = None
) -> fm.LogisticModel:
    """The model fitted on every person except ``exclude`` (good vs bad frames only).

    Calibrated: trained over :func:`training_calibrations` (the evaluated first-5-frames
    baseline plus shifted ones), each person still weighing the same.
    """
    return fit_arrays(training_set(rows, calib), feature_names(calib), exclude)


def operating_point(
    x: np.ndarray, y: np.ndarray, persons: np.ndarray, b0: float, coef: np.ndarray
) -> float:
    """The limit on the fitted probability with the best mean per-person balanced accuracy
    (over :data:`OPERATING_POINTS`; ties keep the lowest)."""
    p = 1.0 / (1.0 + np.exp(-np.clip(b0 + x @ coef, -30, 30)))
    best_t, best = 0.5, -1.0
    for t in OPERATING_POINTS:
        ba = []
        for q in np.unique(persons):
            m = persons == q
            if y[m].all() or not y[m].any():
                continue
            ba.append(((p[m & y] > t).mean() + (p[m & ~y] <= t).mean()) / 2)
        if ba and np.mean(ba) > best + 1e-12:
            best_t, best = float(t), float(np.mean(ba))
    return best_t


def lopo_models(
    rows: Sequence[Row], calib: dict[str, Calibration] | None, sets: TrainingSet | None = None
) -> dict[str, fm.LogisticModel]:
    """For each person, the model fitted without them (the features computed once; pass
    ``sets``, the :func:`training_set`, when the caller has it already)."""
    sets = training_set(rows, calib) if sets is None else sets
    names = feature_names(calib)
    return {p: fit_arrays(sets, names, exclude=p) for p in sorted({r.person for r in rows})}


def scores_of(
    rows: Sequence[Row],
    models: dict[str, fm.LogisticModel],
    calib: dict[str, Calibration] | None,
) -> list[float | None]:
    """Each row's slouch score from the model that never saw its person."""
    out: list[float | None] = []
    for r in rows:
        m = models[r.person]
        if calib is None:
            x = fm.uncalibrated_features(m, r.metrics.values)
        else:
            c = calib.get(r.sample.session)
            x = (
                None
                if c is None
                else fm.calibrated_features(m, r.metrics.values, c.baseline.as_mapping())
            )
        out.append(None if x is None else m.probability(x))
    return out


def balanced_accuracy(pred: Sequence[bool], truth: Sequence[bool]) -> float | None:
    """Mean recall of both classes; ``None`` when one class is absent."""
    p, t = np.asarray(pred, bool), np.asarray(truth, bool)
    if not t.any() or t.all():
        return None
    return float(((p & t).sum() / t.sum() + (~p & ~t).sum() / (~t).sum()) / 2)


def per_person_bacc(
    rows: Sequence[Row], flags: Sequence[bool], skip: Callable[[Row], bool] = lambda r: False
) -> dict[str, Any]:
    """Balanced accuracy per person and pooled (mean over people; also over frames)."""
    by: dict[str, tuple[list[bool], list[bool]]] = defaultdict(lambda: ([], []))
    moderate: dict[str, list[bool]] = defaultdict(list)
    for r, f in zip(rows, flags, strict=True):
        if skip(r):
            continue
        if r.sample.label == "moderate":
            moderate[r.person].append(f)
            continue
        by[r.person][0].append(f)
        by[r.person][1].append(r.bad)
    per = {}
    for p, (pr, tr) in sorted(by.items()):
        per[p] = {
            "balanced_accuracy": balanced_accuracy(pr, tr),
            "recall_bad": float(np.mean([a for a, t in zip(pr, tr, strict=True) if t]))
            if any(tr)
            else None,
            "specificity": (
                float(np.mean([not a for a, t in zip(pr, tr, strict=True) if not t]))
                if not all(tr)
                else None
            ),
            "good": int(sum(not t for t in tr)),
            "bad": int(sum(tr)),
        }
        if moderate.get(p):
            per[p]["moderate_flagged_share"] = float(np.mean(moderate[p]))
    vals = [v["balanced_accuracy"] for v in per.values() if v["balanced_accuracy"] is not None]
    allp = [f for p in by for f in by[p][0]]
    allt = [t for p in by for t in by[p][1]]
    return {
        "people": len(per),
        "people_scored": len(vals),
        "mean_balanced_accuracy": float(np.mean(vals)) if vals else None,
        "min_balanced_accuracy": float(min(vals)) if vals else None,
        "people_below_0p75": sorted(
            p
            for p, v in per.items()
            if v["balanced_accuracy"] is not None and v["balanced_accuracy"] < 0.75
        ),
        "frame_pooled_balanced_accuracy": balanced_accuracy(allp, allt),
        "per_person": per,
    }


# ----------------------------------------------------------------------------------------------
# Framing-change limit (issue 11 part 3)

FRAMING_QUANTILE = 0.99


def _weighted_quantile(items: Sequence[tuple[str, float]], q: float) -> float:
    """Quantile of the values with every person weighing the same."""
    count: dict[str, int] = defaultdict(int)
    for p, _ in items:
        count[p] += 1
    v = np.array([x for _, x in items])
    w = np.array([1.0 / count[p] for p, _ in items])
    o = np.argsort(v)
    cw = np.cumsum(w[o])
    return float(v[o][min(int(np.searchsorted(cw / cw[-1], q)), len(v) - 1)])


def framing_values(rows: Sequence[Row], calib: dict[str, Calibration]) -> list[tuple[str, float]]:
    """``(person, framing_change)`` of every labelled upright frame against its own session's
    calibration (calibration frames left out): how far sitting upright moves the framing. Only
    upright frames, because the live watch counts only frames that the slouch score calls
    upright (a slump explains a moved framing); over slumped frames too the 99th percentile
    would be 1.17, a limit only a move to the frame's edge reaches."""
    used = set().union(*(c.rows for c in calib.values()))
    out = []
    for r in rows:
        c = calib.get(r.sample.session)
        if c is None or id(r) in used or r.sample.label != "good":
            continue
        v = fm.framing_change(r.metrics.values, c.baseline.as_mapping())
        if v is not None:
            out.append((r.person, v))
    return out


def framing_limit(rows: Sequence[Row], calib: dict[str, Calibration]) -> dict[str, Any]:
    """The limit (person-weighted 99th percentile of :func:`framing_values`) and, leave one
    person out, how often each person's own frames exceed the limit fitted without them."""
    vals = framing_values(rows, calib)
    per = {}
    for p in sorted({p for p, _ in vals}):
        lim = _weighted_quantile([x for x in vals if x[0] != p], FRAMING_QUANTILE)
        own = np.array([v for q, v in vals if q == p])
        per[p] = {"limit": round(lim, 3), "share_above": round(float((own > lim).mean()), 4)}
    return {"limit": round(_weighted_quantile(vals, FRAMING_QUANTILE), 2), "lopo": per}


# ----------------------------------------------------------------------------------------------
# Aspect check (the assumed frame size of the landmark CSVs)


def aspect_check(samples: Sequence[Sample]) -> dict[str, dict[str, float]]:
    """Per person, medians over upright frames of face proportions that do not depend on the
    posture much: eye-to-mouth height / eye spacing (needs the mouth) and ear height above the
    shoulders / ear spacing, as loaded (with the assumed frame size)."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for s in samples:
        if s.pose is None or s.label != "good":
            continue
        xy, v = s.pose.xy_px, s.pose.visibility

        def ok(*i: int, v: np.ndarray = v) -> bool:
            return all(v[k] >= 0.5 for k in i)

        if ok(L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.MOUTH_RIGHT):
            e = (xy[L.LEFT_EYE] + xy[L.RIGHT_EYE]) / 2
            mo = (xy[L.MOUTH_LEFT] + xy[L.MOUTH_RIGHT]) / 2
            es = float(np.linalg.norm(xy[L.LEFT_EYE] - xy[L.RIGHT_EYE]))
            out[s.person]["eye_mouth_per_eye_spacing"].append(float(mo[1] - e[1]) / es)
        if ok(L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            ear = (xy[L.LEFT_EAR] + xy[L.RIGHT_EAR]) / 2
            sh = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
            ew = float(np.linalg.norm(xy[L.LEFT_EAR] - xy[L.RIGHT_EAR]))
            out[s.person]["ear_height_per_ear_spacing"].append(float(sh[1] - ear[1]) / ew)
    return {p: {k: float(np.median(v)) for k, v in d.items()} for p, d in sorted(out.items())}


# ----------------------------------------------------------------------------------------------


def fit_all(data: Path, model: str = "full", *, lopo: bool = True) -> dict[str, Any]:
    """Load, measure, fit both models on everyone, and score them leave-one-person-out (not
    with ``lopo=False``: only the models fitted on everyone and the framing limit)."""
    cfg = load_config()
    samples = load_all(data, model)
    rows = measure(samples, cfg)
    calib = calibrations(rows)
    out: dict[str, Any] = {
        "frames": len(rows),
        "frames_without_person": sum(s.pose is None for s in samples),
        "people": sorted({r.person for r in rows}),
    }
    for key, cal in (("uncalibrated", None), ("calibrated", calib)):
        if not lopo:
            out[key] = {"model": fit(rows, cal)}
            continue
        sets = training_set(rows, cal)
        models = lopo_models(rows, cal, sets)
        sc = scores_of(rows, models, cal)
        used = set().union(*(c.rows for c in calib.values())) if cal is not None else set()
        res = per_person_bacc(
            rows,
            [s is not None and s > 0.5 for s in sc],
            skip=lambda r, used=used: id(r) in used,
        )
        full = fit_arrays(sets, feature_names(cal))
        out[key] = {"model": full, "lopo_model_only": res}
    out["framing"] = framing_limit(rows, calib)
    return out


def model_json(res: dict[str, Any], data: Path) -> dict[str, Any]:
    """The committed form of the fitted models."""

    def m(d: fm.LogisticModel) -> dict[str, Any]:
        return {
            "features": list(d.features),
            "intercept": round(d.intercept, 6),
            "coef": [round(c, 6) for c in d.coef],
        }

    def lopo(key: str) -> dict[str, Any]:
        r = res[key]["lopo_model_only"]
        return {
            "mean_balanced_accuracy": round(r["mean_balanced_accuracy"], 4),
            "min_balanced_accuracy": round(r["min_balanced_accuracy"], 4),
            "people_scored": r["people_scored"],
        }

    return {
        "schema": fm.MODEL_SCHEMA,
        "about": (
            "Front-view slouch score (posturecheck.core.front_model): logistic regressions "
            "fitted by benchmarks/fit_front.py --write on labelled front-webcam frames of "
            f"{len(res['people'])} people, every person weighted equally; refit with that "
            "command. Coefficients are in raw feature units; p = 1/(1+exp(-(intercept + "
            "coef.x))). The intercepts include the operating point (the probability limit "
            "with the best mean per-person balanced accuracy), so 0.5 is that point. "
            "framing_change_limit: person-weighted 99th percentile of framing_change over "
            "labelled upright frames. Ours, not a standard's: see "
            "docs/thresholds.md."
        ),
        "threshold": 0.5,
        "framing_change_limit": res["framing"]["limit"],
        "uncalibrated": m(res["uncalibrated"]["model"]),
        "calibrated": m(res["calibrated"]["model"]),
        "fit": {
            "people": len(res["people"]),
            "frames": res["frames"],
            "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
            "lopo_model_only_uncalibrated": lopo("uncalibrated"),
            "lopo_model_only_calibrated": lopo("calibrated"),
            "calibrated_training_baselines_per_session": AUGMENT_BASELINES,
            "framing_change_lopo_share_above": {
                p: v["share_above"] for p, v in res["framing"]["lopo"].items()
            },
            "assumed_frame_sizes": {
                k: f"{v[0][0]}x{v[0][1]} ({v[1]})" for k, v in ASSUMED_WH.items()
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir_from_env())
    ap.add_argument("--model", default="full", help="pose model for the image sets")
    ap.add_argument("--write", action="store_true", help=f"write {fm.MODEL_PATH.name}")
    ap.add_argument("--aspect-check", action="store_true", help="print the face-proportion check")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found", file=sys.stderr)
        return 2
    if args.aspect_check:
        for p, d in aspect_check(load_all(args.data, args.model)).items():
            print(p, {k: (round(v, 3) if v is not None else None) for k, v in d.items()})
        return 0
    res = fit_all(args.data, args.model)
    print(f"{res['frames']} frames of {len(res['people'])} people")
    for key in ("uncalibrated", "calibrated"):
        r = res[key]["lopo_model_only"]
        md = res[key]["model"]
        print(
            f"{key}: LOPO balanced accuracy (model alone) mean {r['mean_balanced_accuracy']:.3f}"
            f" min {r['min_balanced_accuracy']:.3f}; "
            + ", ".join(
                f"{p} {v['balanced_accuracy']:.2f}"
                for p, v in r["per_person"].items()
                if v["balanced_accuracy"] is not None
            )
        )
        print(f"  model: {md}")
    print(f"framing_change limit {res['framing']['limit']}: LOPO {res['framing']['lopo']}")
    if args.write:
        fm.MODEL_PATH.write_text(json.dumps(model_json(res, args.data), indent=1) + "\n")
        print(f"wrote {fm.MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
