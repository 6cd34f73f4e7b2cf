"""The framing watch on real front-webcam landmarks, with simulated camera moves (issue 11 part 3).

    .venv/bin/python benchmarks/framing_eval.py [--data DIR] [--model full] [--out FILE]
    .venv/bin/python benchmarks/framing_eval.py --pixels   # image sets: moved pixels, real model

The live driver's :class:`~posturecheck.live.firstrun.FramingWatch` (its own code, hold time
``LiveSettings.framing_hold_s`` = 10 s) follows replayed frames of every labelled front-webcam set
(``front_data.py``), calibrated on the session's first 5 upright frames as in
``front_eval.py``, at live's 2 analyses/s in the recording's own time (stills: one per step).
Leave one person out: the slouch score that lets a slump explain a moved framing
(``posture_explains``) and the framing-change limit are both fitted without the person.

No data set holds a recording where the camera really moved, so a move is *simulated*: from a
given moment on, every landmark of the person's own upright frames is mapped as a camera move
would map it in the image (a shift, in calibrated shoulder widths, or a change of distance: a
scale about the calibrated shoulder midpoint), and landmarks pushed out of the image lose their
visibility, so the metrics are measured again from moved landmarks by the package's own
``compute_metrics``. It ignores perspective and a change of viewing angle, which a real move
also brings. Per person:

* **false prompts**: times the watch said "framing changed" while nothing moved, over an hour of
  the person's upright frames and 10 minutes of their slumped frames (a slump must not read as
  a moved camera);
* **per move**: 60 s unmoved, 60 s moved, 60 s moved back; seconds from the move to "framing
  changed" (``-`` = never), and from the move back to "framing back".

``--pixels`` (the image sets' people only) applies the same moves to the photos' pixels and runs
the real model on the moved photos (:class:`PixelMovedFrames`), side by side with the landmark
simulation: what the model itself makes of a moved camera (it keeps landmarks that left the
picture, placed beyond its edge; docs/accuracy.md 3c').
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit_front as ff  # noqa: E402
import front_eval  # noqa: E402
import numpy as np  # noqa: E402
from evalcommon import EstimatorPool, data_dir_from_env, ping_pong  # noqa: E402
from front_data import IMAGE_FOLDERS, image_of, load_all  # noqa: E402

from posturecheck.core import front_model as fm  # noqa: E402
from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.metrics import compute_metrics  # noqa: E402
from posturecheck.core.types import FrameResult, Pose, PostureMetrics, Status, View  # noqa: E402
from posturecheck.live.firstrun import FramingWatch  # noqa: E402
from posturecheck.live.settings import LiveSettings  # noqa: E402

FPS = LiveSettings().fps  # live's analysis rate while posture is fine
HOLD_S = LiveSettings().framing_hold_s
PHASE_S = 60.0
UPRIGHT_H = 1.0
SLUMP_S = 600.0
STALE_FRAMES = 300  # moved frames per session judged against the stale baseline (evenly spaced)


@dataclass(frozen=True)
class Move:
    """A simulated camera (or seat) move.

    Attributes:
        name: for the tables.
        dx, dy: shift of the whole image content, in calibrated shoulder widths (x right,
            y down: ``dy > 0`` = the person sits lower in the picture, e.g. a lower seat).
        scale: apparent size change about the calibrated shoulder midpoint (``> 1`` = camera
            closer).
    """

    name: str
    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0


MOVES = (
    Move("not moved"),
    Move("sideways 0.4 sw", dx=0.4),
    Move("sideways 0.75 sw", dx=0.75),
    Move("lower 0.4 sw", dy=0.4),
    Move("lower 0.75 sw", dy=0.75),
    Move("higher 0.75 sw", dy=-0.75),
    Move("closer x1.5", scale=1.5),
    Move("closer x2", scale=2.0),
    Move("farther x0.67", scale=0.67),
    Move("farther x0.5", scale=0.5),
)
""""not moved" is the control. The 0.4 shoulder-width shifts, x1.5 and x0.67 are below the
fitted limit (0.57 shoulder widths, a size change by e^0.57 = x1.77) on purpose: the watch
should not mention them."""

MEASURABLE = 0.5
"""A move counts for a person when at least this share of their moved frames is still
measurable (shoulders in the image); otherwise the camera lost the person's shoulders, the
posture is not judged at all, and no stale baseline can mislead."""


def moved_pose(pose: Pose, move: Move, anchor_px: np.ndarray, shoulder_px: float) -> Pose:
    """``pose`` as the moved camera would see it: scaled about ``anchor_px`` (the calibrated
    shoulder midpoint) and shifted by ``move.dx``/``move.dy`` times ``shoulder_px``; landmarks
    that leave the image get visibility and presence 0."""
    xy = anchor_px + move.scale * (pose.xy_px - anchor_px)
    xy = xy + np.array([move.dx, move.dy]) * shoulder_px
    w, h = pose.image_wh
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    presence = np.where(inside, pose.presence, 0.0)
    visibility = np.where(inside, pose.visibility, 0.0)
    z = None if pose.z_px is None else pose.z_px * move.scale
    return dataclasses.replace(pose, xy_px=xy, visibility=visibility, presence=presence, z_px=z)


def replay(
    frames: Callable[[int, bool], PostureMetrics | None],
    n: int,
    fps: float | None,
    watch: FramingWatch,
    phases: Sequence[tuple[float, bool]],
) -> list[tuple[float, bool]]:
    """Feed the watch the ping-pong loop of ``n`` frames at :data:`FPS` through ``phases``
    (``(seconds, moved)`` in turn); ``frames(i, moved)`` gives frame ``i``'s metrics. ``fps``:
    the recording's rate (``None`` = stills, one per step). Returns ``(t_s, stale)`` for every
    change the watch announced."""
    order = ping_pong(n) if n > 1 else [0]
    events: list[tuple[float, bool]] = []
    t, k, start = 0.0, 0, 0.0
    for seconds, moved in phases:
        end = start + seconds * 1000.0
        while t < end - 1e-6:
            m = frames(front_eval.recorded_frame(order, k, t, fps), moved)
            r = FrameResult(
                index=k,
                timestamp_ms=int(round(t)),
                people=0 if m is None else 1,
                pose=None,
                metrics=m,
                status=Status.UNKNOWN,
                view=View.FRONT,
            )
            changed = watch.update(r)
            if changed is not None:
                events.append((t / 1000.0, changed))
            t += 1000.0 / FPS
            k += 1
        start = end
    return events


def _anchor(base: dict[str, float], wh: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The calibrated shoulder midpoint in pixels and shoulder width in pixels (the metrics
    store both in image widths)."""
    w = float(wh[0])
    return (
        np.array([base["shoulder_x_ratio"] * w, base["shoulder_y_ratio"] * w]),
        base["shoulder_width_ratio"] * w,
    )


class MovedFrames:
    """A session's upright frames as metrics, unmoved or seen through a moved camera (the
    moved ones measured on demand, once)."""

    def __init__(self, sel: Sequence[ff.Row], move: Move, base: dict[str, float], cfg) -> None:
        self.sel, self.move, self.cfg = sel, move, cfg
        self.anchor, self.sw = _anchor(base, sel[0].sample.pose.image_wh)  # type: ignore[union-attr]
        self._moved: dict[int, PostureMetrics | None] = {}

    def __call__(self, i: int, moved: bool) -> PostureMetrics | None:
        if not moved:
            return self.sel[i].metrics
        if i not in self._moved:
            pose = self.moved_pose(i)
            self._moved[i] = (
                None
                if pose is None
                else compute_metrics(pose, min_confidence=self.cfg.min_confidence, view=View.FRONT)
            )
        return self._moved[i]

    def moved_pose(self, i: int) -> Pose | None:
        """Frame ``i``'s pose as the moved camera sees it (``None``: nobody found)."""
        return moved_pose(self.sel[i].sample.pose, self.move, self.anchor, self.sw)  # type: ignore[arg-type]


def warp_image(
    img: np.ndarray, move: Move, anchor_px: np.ndarray, shoulder_px: float
) -> np.ndarray:
    """``img`` as the moved camera would show it: the affine map of :func:`moved_pose` applied to
    the pixels (the picture's exposed edges are plain grey), so the real model can be run on it."""
    import cv2

    s = move.scale
    shift = (1.0 - s) * anchor_px + np.array([move.dx, move.dy]) * shoulder_px
    a = np.array([[s, 0.0, shift[0]], [0.0, s, shift[1]]])
    h, w = img.shape[:2]
    return cv2.warpAffine(
        img,
        a,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(127, 127, 127),
    )


class PixelMovedFrames(MovedFrames):
    """:class:`MovedFrames` for image sets, with the move applied to the *pixels* and the real
    model run on the moved image (IMAGE mode, as the image sets are measured), instead of moving
    the landmarks: what the model itself makes of a moved camera, including body parts pushed
    out of the picture."""

    def __init__(self, sel, move, base, cfg, root: Path, pool) -> None:  # noqa: ANN001
        super().__init__(sel, move, base, cfg)
        self.root, self.pool = root, pool

    def moved_pose(self, i: int) -> Pose | None:
        img = warp_image(image_of(self.root, self.sel[i].sample), self.move, self.anchor, self.sw)
        poses = self.pool.detect_image(img)
        return poses[0] if poses else None


@dataclass(frozen=True)
class Fold:
    """What one person is judged with: everything fitted without them."""

    person: str
    watches: front_eval.WatchFactory  # live's framing watch, fitted without the person
    calibrated: dict[str, fm.LogisticModel]  # the LOPO calibrated models (by person)
    calib: dict[str, ff.Calibration]
    uncalibrated: dict[str, fm.LogisticModel] | None = None  # the LOPO baseline-free models

    def watch(self, base: dict[str, float]) -> FramingWatch:
        return self.watches(self.person, base)


FramesFactory = Callable[..., MovedFrames]
"""``factory(sel, move, base, cfg)``: the session's frames as a moved camera sees them."""


def move_run(
    sel: Sequence[ff.Row],
    move: Move,
    base: dict[str, float],
    fold: Fold,
    cfg,
    factory: FramesFactory = MovedFrames,
) -> dict[str, Any]:
    """60 s unmoved, 60 s moved, 60 s back: when the watch told, and what the stale baseline
    makes of the moved frames."""
    frames = factory(sel, move, base, cfg)
    fps = front_eval.capture_fps(sel[0].sample.source)
    phases = [(PHASE_S, False), (PHASE_S, True), (PHASE_S, False)]
    ev = replay(frames, len(sel), fps, fold.watch(base), phases)
    stale = [t - PHASE_S for t, s in ev if s and PHASE_S <= t < 2 * PHASE_S]
    back = [t - 2 * PHASE_S for t, s in ev if not s and t >= 2 * PHASE_S]
    # What a stale baseline would do: the rules' per-frame verdict, with the calibrated score
    # fitted without the person, on evenly spaced moved frames.
    picked = [(i, frames(i, True)) for i in range(0, len(sel), max(1, len(sel) // STALE_FRAMES))]
    moved = [ff.Row(sel[i].sample, m) for i, m in picked if m is not None]
    flags = front_eval.per_frame(
        moved, ff.scores_of(moved, fold.calibrated, fold.calib), cfg, fold.calib
    )
    # ... and what the baseline-free verdict makes of them (no baseline to go stale)
    plain = (
        front_eval.per_frame(moved, ff.scores_of(moved, fold.uncalibrated, None), cfg, None)
        if fold.uncalibrated is not None
        else []
    )
    change = [fm.framing_change(r.metrics.values, base) for r in moved]
    seen = [c for c in change if c is not None]
    return {
        "changed_after_s": stale[0] if stale else None,
        "back_after_s": back[0] if back else None,
        "false_before_move": sum(s for t, s in ev if t < PHASE_S),
        "measurable_share_moved": len(seen) / len(picked),
        "stale_slumped_share": float(np.mean(flags)) if flags else float("nan"),
        "uncalibrated_slumped_share": float(np.mean(plain)) if plain else float("nan"),
        "framing_change_median": float(np.median(seen)) if seen else None,
    }


def _merge_moves(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A person's figures for one move over their sessions: told only when every session was
    (then the slowest), the other figures averaged."""
    ch = [r["changed_after_s"] for r in runs]
    backs = [r["back_after_s"] for r in runs if r["back_after_s"] is not None]
    return {
        "changed_after_s": None if None in ch else max(ch),
        "back_after_s": max(backs, default=None),
        "false_before_move": sum(r["false_before_move"] for r in runs),
        "measurable_share_moved": float(np.mean([r["measurable_share_moved"] for r in runs])),
        "stale_slumped_share": float(np.mean([r["stale_slumped_share"] for r in runs])),
        "uncalibrated_slumped_share": float(
            np.mean([r.get("uncalibrated_slumped_share", np.nan) for r in runs])
        ),
        "framing_change_median": (
            float(np.median(fc))
            if (
                fc := [
                    r["framing_change_median"]
                    for r in runs
                    if r["framing_change_median"] is not None
                ]
            )
            else None
        ),
    }


def evaluate(
    rows: Sequence[ff.Row],
    upright_h: float = UPRIGHT_H,
    limit_scale: float = 1.0,
    factory: FramesFactory = MovedFrames,
    sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Per person: false prompts while nothing moved, and every :data:`MOVES` move
    (``limit_scale`` times the fitted limit: what a lower or higher limit would do).
    ``factory`` makes the moved frames (default: moved landmarks); ``sources``: only the people
    of these data sets (all fits still use everyone)."""
    cfg = load_config()
    calib = ff.calibrations(rows)
    used = set().union(*(c.rows for c in calib.values()))
    uncal = ff.lopo_models(rows, None)
    cal_models = ff.lopo_models(rows, calib)
    limits = ff.framing_limit(rows, calib)["lopo"]
    watches = front_eval.lopo_watches(limits, uncal, limit_scale)
    by: dict[tuple[str, str, str], list[ff.Row]] = defaultdict(list)
    for r in rows:
        if r.sample.session in calib and id(r) not in used and r.sample.label in ("good", "bad"):
            by[(r.person, r.sample.session, r.sample.label)].append(r)
    out: dict[str, Any] = {}
    for person in sorted(p for p in {p for p, _, _ in by} if p in limits):
        if sources is not None and person.split(":")[0] not in sources:
            continue
        lim = limit_scale * limits[person]["limit"]
        fold = Fold(person, watches, cal_models, calib, uncal)
        res: dict[str, Any] = {"limit": lim, "sessions": 0, "upright_hours": 0.0}
        res |= {"false_prompts_upright": 0, "slump_hours": 0.0, "false_prompts_slump": 0}
        moves: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (p, sess, label), sel in sorted(by.items()):
            base = {k: v for k, v in calib[sess].baseline.as_mapping().items() if v is not None}
            if p != person or fm.framing_change(base, base) is None:
                continue
            sel = sorted(sel, key=lambda r: r.sample.order)
            fps = front_eval.capture_fps(sel[0].sample.source)
            key = "upright" if label == "good" else "slump"
            seconds = upright_h * 3600 if label == "good" else SLUMP_S
            ev = replay(
                lambda i, moved, sel=sel: sel[i].metrics,
                len(sel),
                fps,
                fold.watch(base),
                [(seconds, False)],
            )
            res["upright_hours" if key == "upright" else "slump_hours"] += seconds / 3600
            res[f"false_prompts_{key}"] += sum(stale for _, stale in ev)
            if key == "upright":
                res["sessions"] += 1
                for mv in MOVES:
                    moves[mv.name].append(move_run(sel, mv, base, fold, cfg, factory))
        if res["sessions"]:
            res["moves"] = {name: _merge_moves(runs) for name, runs in moves.items()}
            out[person] = res
    return {
        "hold_s": HOLD_S,
        "fps": FPS,
        "limit_scale": limit_scale,
        "people": out,
        "summary": summary(out),
    }


def summary(people: dict[str, Any]) -> dict[str, Any]:
    """Pooled figures: false prompts per hour, and per move how many people were told."""
    up_h = sum(v["upright_hours"] for v in people.values())
    sl_h = sum(v["slump_hours"] for v in people.values())
    s: dict[str, Any] = {
        "people": len(people),
        "false_prompts_per_upright_hour": sum(v["false_prompts_upright"] for v in people.values())
        / up_h,
        "false_prompts_per_slumped_hour": (
            sum(v["false_prompts_slump"] for v in people.values()) / sl_h if sl_h else None
        ),
        "moves": {},
    }
    for mv in MOVES:
        runs = {p: v["moves"][mv.name] for p, v in people.items()}
        seen = {p: m for p, m in runs.items() if m["measurable_share_moved"] >= MEASURABLE}
        caught = [m["changed_after_s"] for m in seen.values() if m["changed_after_s"] is not None]
        s["moves"][mv.name] = {
            "people_measurable": len(seen),
            "people_told": len(caught),
            "median_s": float(np.median(caught)) if caught else None,
            "max_s": max(caught, default=None),
            "not_told": sorted(p for p, m in seen.items() if m["changed_after_s"] is None),
            "back_told": sum(m["back_after_s"] is not None for m in seen.values()),
            # mean over the measurable people of the share of moved upright frames that the
            # calibrated verdict calls slumped against the stale baseline
            "stale_slumped_share_mean": float(
                np.nanmean([m["stale_slumped_share"] for m in seen.values()])
            )
            if seen
            else None,
        }
    return s


def markdown(res: dict[str, Any]) -> list[str]:
    """The per-person table and the summary (docs/accuracy.md quotes them)."""
    ppl, s = res["people"], res["summary"]
    names = [m.name for m in MOVES]
    out = [
        "| person | false prompts: upright h / slumped h | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    def cell(m: dict[str, Any]) -> str:
        if m["measurable_share_moved"] < MEASURABLE:
            return "out"
        return f(m["changed_after_s"])

    for p, v in ppl.items():
        cells = [cell(v["moves"][n]) for n in names]
        out.append(
            f"| {p} | {v['false_prompts_upright']} in {v['upright_hours']:.2g} / "
            f"{v['false_prompts_slump']} in {v['slump_hours']:.2g} | " + " | ".join(cells) + " |"
        )
    out.append("")
    out.append(
        f'Seconds from the move to "framing changed" (- = never; out = under '
        f"{MEASURABLE:.0%} of the moved frames still show both shoulders). {s['people']} people; "
        f"false prompts {s['false_prompts_per_upright_hour']:.2f} per upright hour, "
        f"{s['false_prompts_per_slumped_hour'] or 0:.2f} per slumped hour. Told of the move "
        "(people told / people still measurable, median and slowest seconds; then the share of "
        "the moved upright frames that the calibrated verdict calls slumped against the stale "
        "baseline, mean over those people): "
        + "; ".join(
            f"{n} {m['people_told']}/{m['people_measurable']} "
            f"({f(m['median_s'])} / {f(m['max_s'])} s; {m['stale_slumped_share_mean']:.0%})"
            for n, m in s["moves"].items()
        )
        + "."
    )
    return out


DEFAULT_OUT = HERE / "out" / "framing.json"


def pixels_vs_landmarks(
    rows: Sequence[ff.Row], data: Path, model: str = "full", limit_scale: float = 1.0
) -> dict[str, Any]:
    """The image sets' people through every move twice, side by side: moved landmarks (the
    simulation above) and moved pixels measured by the real model (:class:`PixelMovedFrames`)."""
    sources = tuple(IMAGE_FOLDERS)
    sim = evaluate(rows, limit_scale=limit_scale, sources=sources)
    with EstimatorPool(model) as pool:

        def factory(sel, move, base, cfg):  # noqa: ANN001, ANN202
            return PixelMovedFrames(sel, move, base, cfg, data, pool)

        pix = evaluate(rows, limit_scale=limit_scale, factory=factory, sources=sources)
    return {"landmarks": sim, "pixels": pix}


def pixels_markdown(res: dict[str, Any]) -> list[str]:
    """Per move: people told and the median framing change, landmarks against pixels."""
    sim, pix = res["landmarks"], res["pixels"]

    def f(x: float | None, fmt: str = ".2f") -> str:
        return "-" if x is None else format(x, fmt)

    out = [
        f"Image sets, {pix['summary']['people']} people: the same moves applied to the "
        "landmarks (simulation) and to the pixels (real model on the moved image).",
        "",
        "| move | told: landmarks | told: pixels | median s: landmarks / pixels | "
        "framing change, median over people: landmarks / pixels | still measurable: "
        "landmarks / pixels | upright frames called slumped without a baseline: "
        "landmarks / pixels |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mv in MOVES:
        a, b = sim["summary"]["moves"][mv.name], pix["summary"]["moves"][mv.name]

        def med(r: dict[str, Any], name: str = mv.name) -> float | None:
            v = [
                p["moves"][name]["framing_change_median"]
                for p in r["people"].values()
                if p["moves"][name]["framing_change_median"] is not None
            ]
            return float(np.median(v)) if v else None

        def meas(r: dict[str, Any], name: str = mv.name) -> float:
            return float(
                np.mean([p["moves"][name]["measurable_share_moved"] for p in r["people"].values()])
            )

        def plain(r: dict[str, Any], name: str = mv.name) -> float:
            v = [p["moves"][name]["uncalibrated_slumped_share"] for p in r["people"].values()]
            return float(np.nanmean(v)) if not np.isnan(v).all() else float("nan")

        out.append(
            f"| {mv.name} | {a['people_told']}/{a['people_measurable']} | "
            f"{b['people_told']}/{b['people_measurable']} | "
            f"{f(a['median_s'], '.1f')} / {f(b['median_s'], '.1f')} | "
            f"{f(med(sim))} / {f(med(pix))} | {meas(sim):.0%} / {meas(pix):.0%} | "
            f"{plain(sim):.0%} / {plain(pix):.0%} |"
        )
    out.append("")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir_from_env())
    ap.add_argument("--model", default="full", help="pose model for the image sets")
    ap.add_argument(
        "--limit-scale",
        type=float,
        default=1.0,
        help="judge with this times the fitted framing-change limit (default 1: as shipped)",
    )
    ap.add_argument(
        "--pixels",
        action="store_true",
        help="image sets only: move the pixels and run the real model on the moved images, "
        "side by side with the moved-landmark simulation",
    )
    ap.add_argument(
        "--without-head-check",
        action="store_true",
        help="measure as before metrics.head_in_picture: a head above the top of the picture "
        "is measured where the pose model puts it (to compare)",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found", file=sys.stderr)
        return 2
    if args.without_head_check:
        import posturecheck.core.metrics as metrics_module

        metrics_module.head_in_picture = lambda pose: pose  # the former measurement
    rows = ff.measure(load_all(args.data, args.model), load_config())
    if args.pixels:
        res = pixels_vs_landmarks(rows, args.data, args.model, args.limit_scale)
        out = args.out.with_name("framing_pixels.json") if args.out == DEFAULT_OUT else args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1) + "\n")
        print("\n".join(pixels_markdown(res)))
        return 0
    res = evaluate(rows, limit_scale=args.limit_scale)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    print("\n".join(markdown(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
