"""Front-webcam evidence over many people (issue 11): per-frame verdicts and temporal behaviour.

Part ``front_people`` of ``benchmarks/eval_accuracy.py``; also runnable alone:

    .venv/bin/python benchmarks/front_eval.py [--data DIR] [--model full] [--out FILE] \
        [--rates FINE,PENDING]
    .venv/bin/python benchmarks/front_eval.py --recordings DIR   # your own labelled recordings

``--recordings DIR`` (``DIR/<person>/upright/`` and ``DIR/<person>/slumped/`` with videos or
images) judges people the fit never saw with the shipped models and says which of issue 11's
targets are met (docs/accuracy.md, 3b').

On every labelled front-webcam set (``front_data.py``; 17 people), with the slouch score fitted
leave-one-person-out (``fit_front.py``: each person is judged by a model that never saw them):

* **per-frame balanced accuracy**, per person and pooled (mean over people, each person
  counting once; the frame-pooled number is reported too), of the rules' real per-frame verdict:
  a frame is "slumped" when any judged front-view metric is outside its acceptable band (the
  slouch score above 0.5, or a lateral/pitch/shrug/lean-in limit of the default profile);
  *without calibration* and *calibrated* on the first 5 upright frames of the session (those 5
  frames are then not scored). SpineWise "moderate" frames are left out (reported apart).
* **seconds to the first alert in a simulated 10-minute slump**: the person's slumped frames, in
  recorded order, looped forward-backward in the recording's own time (``CAPTURE_FPS``; image
  sets: one still per step) and analysed at the live default rate (2 frames/s) through the real
  temporal rules (``rules.step`` with frame timestamps: median, smoothing, onset, 30 s
  sustain). ``--rates 2,4`` also switches to 4/s while a problem builds up, as live does
  (``LiveSettings.pending_fps``); ``--rates 1,4`` is the measurement behind keeping live's
  2/s (docs/benchmarks.md). ``--replay stretched`` is the former harness, which fed one
  recorded frame per 2 fps step and so stretched a 10 fps recording five-fold in time.
* **false posture alerts per hour of upright footage**: the person's upright frames looped the
  same way for an hour (break and "change position" reminders are not posture alerts).

The calibrated replays run live's framing watch (``live.firstrun.FramingWatch``, with the
uncalibrated score and the framing limit fitted without the person): while it says the framing
changed, frames are judged without the baseline, as live judges them
(``--no-framing-watch``: the harness before it).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit_front as ff  # noqa: E402
import numpy as np  # noqa: E402
from evalcommon import data_dir_from_env, ping_pong  # noqa: E402
from front_data import CAPTURE_FPS, RecordingsError, load_all, load_recordings  # noqa: E402

from posturecheck.core import front_model, rules  # noqa: E402
from posturecheck.core.baseline import Baseline  # noqa: E402
from posturecheck.core.config import Config, load_config  # noqa: E402
from posturecheck.core.metrics import METRICS, head_not_in_view  # noqa: E402
from posturecheck.core.types import FrameResult, PostureMetrics, Status, View  # noqa: E402
from posturecheck.errors import PostureCheckError  # noqa: E402
from posturecheck.live.firstrun import FramingAnchor, FramingWatch  # noqa: E402
from posturecheck.live.settings import LiveSettings, problem_building  # noqa: E402

FPS = 2.0  # the live driver's default analysis rate while posture is fine
RATES = (FPS, FPS)
"""(fine, pending) analyses per second of the default replay: a flat 2/s, the figures the golden
file guards. ``--rates 2,4`` replays with live's own switch to 4/s while a problem builds up
(``LiveSettings.pending_fps``); docs/accuracy.md 3b reports both."""
SLUMP_S = 600.0
UPRIGHT_H = 1.0
REMINDERS = (rules.BREAK_KIND, rules.STATIC_KIND)
LATER_MS = 60_000  # run_stream's poor_share_after_60s counts the analyses from here on
SCORE = "slouch_score_ratio"
FRONT_JUDGED = tuple(m for m, s in METRICS.items() if View.FRONT in s.views and m != SCORE)


def _with_score(m: PostureMetrics, score: float | None) -> PostureMetrics:
    values = dict(m.values)
    values[SCORE] = score
    return PostureMetrics(m.view, values, m.confidence, m.view_confidence)


def _other_flag(m: PostureMetrics, lims: dict[str, rules.Limits]) -> bool:
    for name in FRONT_JUDGED:
        v, lim = m.values.get(name), lims.get(name)
        if v is not None and lim is not None and lim.band(v) != rules.ACCEPTABLE:
            return True
    return False


def per_frame(
    rows: Sequence[ff.Row],
    scores: Sequence[float | None],
    cfg: Config,
    calib: dict[str, ff.Calibration] | None,
) -> list[bool]:
    """The rules' per-frame verdict with the LOPO slouch score in place of the shipped one."""
    lim_plain = rules.resolve_limits(cfg)
    score_lim = lim_plain[SCORE]
    lims_by_sess: dict[str, dict[str, rules.Limits]] = {}
    out = []
    for r, s in zip(rows, scores, strict=True):
        lims = lim_plain
        if calib is not None and r.sample.session in calib:
            sess = r.sample.session
            if sess not in lims_by_sess:
                lims_by_sess[sess] = rules.resolve_limits(cfg.with_baseline(calib[sess].baseline))
            lims = lims_by_sess[sess]
        flag = s is not None and score_lim.band(s) != rules.ACCEPTABLE
        out.append(flag or _other_flag(r.metrics, lims))
    return out


def oracle_bound(
    rows: Sequence[ff.Row],
    scores: Sequence[float | None],
    other: Sequence[bool],
    skip: Callable[[ff.Row], bool],
) -> dict[str, Any]:
    """An upper bound, not a result: each person's best balanced accuracy of the rules' verdict
    (score above a limit, or ``other``: another front limit) when the score's limit is chosen
    per person *after seeing their labels*. It tells whether the measures or the one shared
    limit fall short: the gap between this and the real verdict is what a per-person limit
    could gain, if anything label-free could predict it."""
    by: dict[str, list[tuple[float, bool, bool]]] = defaultdict(list)
    for r, sc, o in zip(rows, scores, other, strict=True):
        if skip(r) or r.sample.label not in ("good", "bad"):
            continue
        by[r.person].append((np.inf if sc is None else sc, o, r.bad))
    per = {}
    for p, items in sorted(by.items()):
        sc = np.array([x[0] for x in items])
        o, bad = np.array([x[1] for x in items]), np.array([x[2] for x in items])
        n_bad, n_good = bad.sum(), (~bad).sum()
        if not n_bad or not n_good:
            continue
        free = ~o & np.isfinite(sc)  # frames the score's limit decides
        cand = np.r_[np.unique(sc[free]), np.inf]
        bs, gs = np.sort(sc[free & bad]), np.sort(sc[free & ~bad])
        hit = (o & bad).sum() + len(bs) - np.searchsorted(bs, cand, side="right")
        # upright frames no limit can flag (no score, no other limit) are always right
        ok_good = (~o & ~free & ~bad).sum() + np.searchsorted(gs, cand, side="right")
        per[p] = float(np.max((hit / n_bad + ok_good / n_good) / 2))
    vals = list(per.values())
    return {
        "mean_balanced_accuracy": float(np.mean(vals)) if vals else None,
        "min_balanced_accuracy": float(min(vals)) if vals else None,
        "per_person": per,
    }


@dataclass(frozen=True)
class Fallback:
    """Live's framing watch in a calibrated replay: while ``watch`` says the framing changed,
    the frames are judged as live then judges them, without the baseline (``ms`` scored by the
    uncalibrated model, ``cfg`` without the baseline); the temporal state carries over, as in
    ``Judge.recalibrate``."""

    ms: Sequence[PostureMetrics]
    cfg: Config
    watch: FramingWatch


@dataclass(frozen=True)
class Restart:
    """What a replay judges with from a re-anchored baseline on: the frames scored against
    it, the rules' config with it, and the framing watch restarted on it (``None``: none)."""

    ms: Sequence[PostureMetrics]
    cfg: Config
    fallback: Fallback | None


@dataclass(frozen=True)
class Reanchor:
    """Live's :class:`FramingAnchor` in the replay of a saved setup: it is fed every analysed
    frame until it has chosen, and a re-learnt framing restarts the judging (``rescore``) as
    live's ``Baselines`` does, unless the framing watch has already spoken."""

    anchor: FramingAnchor
    rescore: Callable[[Baseline], Restart]


def recorded_frame(order: Sequence[int], k: int, t_ms: float, capture_fps: float | None) -> int:
    """The frame judged at analysis step ``k`` (frame time ``t_ms``) of a ping-pong ``order``:
    the one recorded at ``t_ms`` when the recording's rate is known, else the ``k``-th (stills,
    or the former stretched replay)."""
    pos = k if capture_fps is None else int(t_ms * capture_fps / 1000.0 + 1e-9)
    return order[pos % len(order)]


WatchFactory = Callable[[str, Mapping[str, float]], FramingWatch]
"""``watch(person, baseline values)``: a framing watch for a held-out person."""


def lopo_watches(
    limits: Mapping[str, Mapping[str, float]],
    uncalibrated: Mapping[str, front_model.LogisticModel],
    limit_scale: float = 1.0,
) -> WatchFactory:
    """Live's framing watch (``FramingWatch``, live's hold time) as it would judge a held-out
    person: the framing limit (``limits``: ``fit_front.framing_limit``'s ``"lopo"``, times
    ``limit_scale``) and the baseline-free score that lets a slump explain a moved framing
    (``uncalibrated``: the LOPO models) both fitted without them."""
    shipped = front_model.load_model()
    hold_s = LiveSettings().framing_hold_s

    def watch(person: str, base: Mapping[str, float]) -> FramingWatch:
        fitted = limits[person]["limit"] if person in limits else shipped.framing_change_limit
        lim = limit_scale * fitted
        model = dataclasses.replace(
            shipped, uncalibrated=uncalibrated[person], framing_change_limit=lim
        )
        return FramingWatch(base, hold_s, lim, model)

    return watch


def run_stream(
    ms: Sequence[PostureMetrics],
    cfg: Config,
    seconds: float,
    capture_fps: float | None = None,
    rates: tuple[float, float] | None = None,
    fallback: Fallback | None = None,
    reanchor: Reanchor | None = None,
) -> dict[str, Any]:
    """Feed ``ms`` looped forward-backward through the real temporal rules.

    ``rates`` = (fine, pending) analyses per second, switched after every step the way the live
    driver switches them (:func:`posturecheck.live.settings.problem_building` and
    ``LiveSettings.interval_s``: the pending rate while the status is CAUTION or a bad-posture
    hold runs); ``None`` = :data:`RATES`.

    ``capture_fps`` is the rate the frames were recorded at: the replay then runs in the
    recording's own time (at analysis time ``t`` it judges the frame recorded at ``t``, so a
    10 fps recording is sampled every 5th frame at 2 fps). ``None`` (stills, or the former
    ``--replay stretched`` harness) judges one frame per analysis step, which stretches a
    recording's time by ``capture_fps`` / the analysis rate.

    ``fallback`` (calibrated replays): live's framing watch follows every analysed frame, and
    while it says the framing changed the frames are judged without the baseline.

    ``reanchor`` (a saved setup in a new session): live's framing anchor follows the frames
    too, and once it re-learns the framing the replay goes on with :attr:`Reanchor.rescore`.
    """
    fine, pending = RATES if rates is None else rates
    live = LiveSettings(fps=fine, pending_fps=pending)  # live's own interval rule
    order = ping_pong(len(ms)) if len(ms) > 1 else [0]
    end_ms = seconds * 1000.0
    st = rules.initial_state(cfg)
    first = None
    alerts: list[tuple[float, str]] = []
    t, k = 0.0, 0
    stale, prompts = False, 0
    reanchored_at: float | None = None
    later = poor_later = 0
    while t < end_ms - 1e-6:
        t_ms = int(round(t))
        i = recorded_frame(order, k, t, capture_fps)
        if reanchor is not None and not reanchor.anchor.finished:
            r = FrameResult(k, t_ms, 1, None, ms[i], Status.UNKNOWN, View.FRONT)
            new = reanchor.anchor.feed(r)
            if new is not None and not stale:  # as live: a stale framing wants a recalibration
                restart = reanchor.rescore(new)
                ms, cfg, fallback = restart.ms, restart.cfg, restart.fallback
                reanchored_at = t_ms / 1000.0
        if fallback is not None:
            r = FrameResult(k, t_ms, 1, None, ms[i], Status.UNKNOWN, View.FRONT)
            changed = fallback.watch.update(r)
            if changed is not None:
                stale = changed
                prompts += changed
        if stale:
            st, a = rules.step(st, fallback.ms[i], t_ms, fallback.cfg)  # type: ignore[union-attr]
        else:
            st, a = rules.step(st, ms[i], t_ms, cfg)
        for al in a.alerts:
            if al.kind in REMINDERS:
                continue
            alerts.append((t_ms / 1000.0, al.metric or al.kind))
            if first is None:
                first = t_ms / 1000.0
        if t_ms >= LATER_MS:
            later += 1
            poor_later += a.status is Status.POOR
        mode = "pending" if problem_building(a.status, a.timers) else "fine"
        t += 1000.0 * live.interval_s(mode)
        k += 1
    return {
        "seconds": seconds,
        "frames_in_loop": len(ms),
        "capture_fps": capture_fps,
        "analyses": k,
        "first_alert_s": first,
        "posture_alerts": len(alerts),
        "alert_metrics": sorted({m for _, m in alerts}),
        "framing_prompts": prompts,
        "reanchored_at_s": reanchored_at,
        # share of the analyses after the first minute judged a sustained problem
        "poor_share_after_60s": poor_later / later if later else None,
    }


def capture_fps(source: str) -> float | None:
    """The recording rate of a landmark set (``None`` for image sets: stills)."""
    v = CAPTURE_FPS.get(source)
    return None if v is None else v[0]


def _main_session(rows: Sequence[ff.Row], person: str, label: str, calib: dict) -> str | None:
    """The person's session with the most frames of ``label`` that has a calibration."""
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.person == person and r.sample.label == label and r.sample.session in calib:
            count[r.sample.session] += 1
    return max(count, key=lambda s: (count[s], s)) if count else None


def judged_streams(
    rows: Sequence[ff.Row], calib: dict[str, ff.Calibration], upright_h: float
) -> Iterator[tuple[str, str, float, str, list[ff.Row]]]:
    """The recordings :func:`temporal` replays: per person, ``(person, key, seconds, session,
    rows)`` for the slump (``key`` ``"slump"``, :data:`SLUMP_S`) and the upright stretch
    (``"upright"``, ``upright_h`` hours), each the person's main session of that label (see
    :func:`_main_session`) in recorded order, calibration frames left out."""
    used = set().union(*(c.rows for c in calib.values()))
    for person in sorted({r.person for r in rows}):
        for label, seconds, key in (
            ("bad", SLUMP_S, "slump"),
            ("good", upright_h * 3600, "upright"),
        ):
            sess = _main_session(rows, person, label, calib)
            if sess is None:
                continue
            sel = sorted(
                (
                    r
                    for r in rows
                    if r.person == person
                    and r.sample.session == sess
                    and r.sample.label == label
                    and id(r) not in used
                ),
                key=lambda r: r.sample.order,
            )
            if sel:
                yield person, key, seconds, sess, sel


def recording_fps(sel: Sequence[ff.Row]) -> float | None:
    """The rate one judged recording was captured at (``None``: stills)."""
    return sel[0].sample.fps or capture_fps(sel[0].sample.source)


def temporal(
    rows: Sequence[ff.Row],
    scores: dict[str, list[float | None]],
    cfg: Config,
    calib: dict[str, ff.Calibration],
    upright_h: float = UPRIGHT_H,
    replay: str = "real",
    rates: tuple[float, float] | None = None,
    watch: WatchFactory | None = None,
) -> dict[str, Any]:
    """Simulated 10-minute slump and an hour upright, per person, both modes.

    ``replay="real"`` replays each recording in its own time (``front_data.CAPTURE_FPS``);
    ``"stretched"`` is the former harness (one recorded frame per analysis step).
    ``watch(person, baseline values)``: live's framing watch for the calibrated replays (see
    :class:`Fallback`); ``None`` = no watch.
    """
    idx = {id(r): k for k, r in enumerate(rows)}
    out: dict[str, Any] = {p: {} for p in sorted({r.person for r in rows})}
    for person, key, seconds, sess, sel in judged_streams(rows, calib, upright_h):
        res = out[person]
        fps = recording_fps(sel) if replay == "real" else None
        plain = [_with_score(r.metrics, scores["uncalibrated"][idx[id(r)]]) for r in sel]
        for mode in ("uncalibrated", "calibrated"):
            fb = None
            if mode == "uncalibrated":
                c, ms = cfg, plain
            else:
                base = calib[sess].baseline
                c = cfg.with_baseline(base)
                ms = [_with_score(r.metrics, scores[mode][idx[id(r)]]) for r in sel]
                if watch is not None:  # as live: a baseline without positions never fires
                    values = {k: v for k, v in base.as_mapping().items() if v is not None}
                    fb = Fallback(plain, cfg, watch(person, values))
            res[f"{key}_{mode}"] = run_stream(ms, c, seconds, fps, rates, fb) | {"session": sess}
    return out


REUSE_MIN_UPRIGHT = 2 * ff.CALIBRATION_FRAMES
"""A recording takes part in :func:`another_recording` with at least this many upright frames
(its own calibration, and upright frames left to judge)."""


def anchored_baseline(
    sel: Sequence[ff.Row], saved: Baseline, model: front_model.FrontModel | None
) -> tuple[Baseline, set[int]]:
    """Live's :class:`FramingAnchor` fed ``sel`` (one recording's frames in recorded order,
    looped forward-backward in the recording's own time as the replays loop them, analysed at
    2/s): the baseline it settles on (``saved`` when it re-learns nothing) and the ids of the
    rows of the stretch it took (not scored: they made the baseline)."""
    if not sel:
        return saved, set()
    fps = sel[0].sample.fps or capture_fps(sel[0].sample.source)
    order = ping_pong(len(sel)) if len(sel) > 1 else [0]
    anchor = FramingAnchor(saved, LiveSettings().reanchor_s, model)
    fed: list[tuple[int, int]] = []  # (frame time, row index)
    k, t = 0, 0.0
    while not anchor.finished and t <= 3 * 1000.0 * anchor.window_s:
        t_ms = int(round(t))
        i = recorded_frame(order, k, t, fps)
        fed.append((t_ms, i))
        new = anchor.feed(FrameResult(k, t_ms, 1, None, sel[i].metrics, Status.UNKNOWN, View.FRONT))
        if new is not None:
            a, b = anchor.picked or (0, -1)
            return new, {id(sel[i]) for tt, i in fed if a <= tt <= b}
        t += 1000.0 / FPS
        k += 1
    return saved, set()


@dataclass(frozen=True)
class _SetupJudge:
    """How :func:`another_recording` judges one recording (session ``sess`` of ``person``)
    against a baseline that is not its own."""

    sess: str
    person: str
    cal_models: Mapping[str, front_model.LogisticModel]
    cfg: Config
    watch: WatchFactory | None

    def _calib(self, base: Baseline) -> dict[str, ff.Calibration]:
        return {self.sess: ff.Calibration(base, frozenset())}

    def verdicts(self, rs: Sequence[ff.Row], base: Baseline) -> list[bool]:
        """The rules' per-frame verdicts of ``rs`` against ``base``."""
        cal = self._calib(base)
        return per_frame(rs, ff.scores_of(rs, self.cal_models, cal), self.cfg, cal)

    def restart(
        self, rs: Sequence[ff.Row], plain: Sequence[PostureMetrics], base: Baseline
    ) -> Restart:
        """A replay of ``rs`` judged against ``base`` (``plain``: the same frames scored
        without a baseline, for the framing watch's fallback)."""
        sc = ff.scores_of(rs, self.cal_models, self._calib(base))
        ms = [_with_score(r.metrics, x) for r, x in zip(rs, sc, strict=True)]
        fb = None
        if self.watch is not None:
            vals = {k: v for k, v in base.as_mapping().items() if v is not None}
            fb = Fallback(plain, self.cfg, self.watch(self.person, vals))
        return Restart(ms, self.cfg.with_baseline(base), fb)


def another_recording(
    rows: Sequence[ff.Row],
    uncal_scores: Sequence[float | None],
    cal_models: Mapping[str, front_model.LogisticModel],
    cfg: Config,
    calib: dict[str, ff.Calibration],
    watch: WatchFactory | None = None,
    upright_h: float = UPRIGHT_H,
    rates: tuple[float, float] | None = None,
    uncal_models: Mapping[str, front_model.LogisticModel] | None = None,
    same_recording: bool = False,
) -> dict[str, Any]:
    """A saved setup used again: every person with two or more recordings (sessions) is
    calibrated on one recording's first upright frames and judged on each other recording, as
    live judges a later session against a setup saved earlier.

    Two ways, side by side: ``saved``, against the setup as it was saved (``--no-reanchor``);
    and ``reanchored``, as live does by default: its :class:`FramingAnchor` watches the first
    minute and keeps the saved posture with today's framing (in the temporal replays inside
    the stream, from whatever the person does first; per frame, from the recording's upright
    frames, whose stretch is then not scored). ``uncal_models``: the baseline-free models the
    anchor picks its stretch with (per person; the committed one when ``None``).

    For each ordered pair (A, B): per-frame balanced accuracy on B both ways, against B's own
    baseline ("own", its calibration frames not scored) and without a baseline; the framing
    change of B's upright frames from A's baseline (median); B's slumped frames for 10 minutes
    and B's upright frames through the temporal rules, both ways, with live's framing watch
    when ``watch`` is given. Each person gets ``upright_h`` upright hours in all, split evenly
    over their pairs, so everyone weighs the same in the false-alert rate.

    ``same_recording``: the control, a setup loaded again where the framing did not move.
    Every recording is its own pair (A, A): calibrated on its first upright frames, saved,
    and judged on the rest of it through the same two ways (every person with a recording,
    the calibration frames not scored)."""
    idx = {id(r): k for k, r in enumerate(rows)}
    uncal_flags = per_frame(rows, uncal_scores, cfg, None)
    shipped = front_model.load_model()
    by_sess: dict[tuple[str, str], list[ff.Row]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: r.sample.order):
        if r.sample.label in ("good", "bad"):
            by_sess[(r.person, r.sample.session)].append(r)
    sessions: dict[str, list[str]] = defaultdict(list)
    for (person, sess), rs in sorted(by_sess.items()):
        if sess in calib and sum(not r.bad for r in rs) >= REUSE_MIN_UPRIGHT:
            sessions[person].append(sess)
    ways = ("saved", "reanchored")
    per: dict[str, Any] = {}
    for person, ss in sorted(sessions.items()):
        if len(ss) < (1 if same_recording else 2):
            continue
        model = dataclasses.replace(
            shipped,
            calibrated=cal_models[person],
            uncalibrated=(uncal_models or {}).get(person, shipped.uncalibrated),
        )
        pairs = (
            [(a, a) for a in ss] if same_recording else [(a, b) for a in ss for b in ss if a != b]
        )
        upright_s = upright_h * 3600 / len(pairs)
        acc: dict[str, list[float]] = defaultdict(list)
        count: dict[str, int] = defaultdict(int)
        for a, b in pairs:
            rb = [r for r in by_sess[(person, b)] if id(r) not in calib[a].rows]
            saved = calib[a].baseline

            judge = _SetupJudge(b, person, cal_models, cfg, watch)
            anchored, stretch = anchored_baseline([r for r in rb if not r.bad], saved, model)
            count["reanchored_per_frame"] += anchored is not saved
            scored = [r for r in rb if id(r) not in stretch]
            own_rows = [r for r in rb if id(r) not in calib[b].rows]
            for key, rs, pred in (
                ("saved", rb, judge.verdicts(rb, saved)),
                ("reanchored", scored, judge.verdicts(scored, anchored)),
                ("own", own_rows, judge.verdicts(own_rows, calib[b].baseline)),
                ("uncalibrated", rb, [uncal_flags[idx[id(r)]] for r in rb]),
            ):
                ba = ff.balanced_accuracy(pred, [r.bad for r in rs])
                if ba is not None:
                    acc[key].append(ba)
            values = {k: v for k, v in saved.as_mapping().items() if v is not None}
            change = [front_model.framing_change(r.metrics.values, values) for r in rb]
            acc["framing_change"].extend(
                x for x, r in zip(change, rb, strict=True) if x is not None and not r.bad
            )
            for bad, seconds in ((True, SLUMP_S), (False, upright_s)):
                sel = [r for r in rb if r.bad == bad]
                if not sel:
                    continue
                plain = [_with_score(r.metrics, uncal_scores[idx[id(r)]]) for r in sel]
                fps = sel[0].sample.fps or capture_fps(sel[0].sample.source)

                for way in ways:
                    re = (
                        Reanchor(
                            FramingAnchor(saved, LiveSettings().reanchor_s, model),
                            functools.partial(judge.restart, sel, plain),
                        )
                        if way == "reanchored"
                        else None
                    )
                    start = judge.restart(sel, plain, saved)
                    o = run_stream(
                        start.ms, start.cfg, seconds, fps, rates, start.fallback, reanchor=re
                    )
                    count[f"framing_prompts_{way}"] += o["framing_prompts"]
                    kind = "slump" if bad else "upright"
                    count[f"reanchored_in_{kind}_{way}"] += o["reanchored_at_s"] is not None
                    if bad:
                        acc[f"poor_share_in_slump_{way}"].append(o["poor_share_after_60s"] or 0.0)
                        count["slumps"] += way == "saved"
                        first = o["first_alert_s"]
                        count[f"slumps_within_60s_{way}"] += first is not None and first <= 60.0
                    else:
                        count[f"false_alerts_{way}"] += o["posture_alerts"]
        per[person] = {
            "recordings": len(ss),
            "pairs": len(pairs),
            **{
                f"balanced_accuracy_{k}": float(np.mean(acc[k])) if acc[k] else None
                for k in ("saved", "reanchored", "own", "uncalibrated")
            },
            "framing_change_median": (
                float(np.median(acc["framing_change"])) if acc["framing_change"] else None
            ),
            "upright_hours": upright_h,
            "slumps": count["slumps"],
            **{
                f"poor_share_in_slump_{way}": float(np.mean(acc[f"poor_share_in_slump_{way}"]))
                if acc[f"poor_share_in_slump_{way}"]
                else None
                for way in ways
            },
            **{
                f"{k}_{way}": count[f"{k}_{way}"]
                for way in ways
                for k in (
                    "false_alerts",
                    "framing_prompts",
                    "slumps_within_60s",
                    "reanchored_in_slump",
                    "reanchored_in_upright",
                )
            },
            "reanchored_per_frame": count["reanchored_per_frame"],
        }

    def mean(key: str) -> float | None:
        vals = [v[key] for v in per.values() if v[key] is not None]
        return float(np.mean(vals)) if vals else None

    def total(key: str) -> int:
        return sum(v[key] for v in per.values())

    hours = sum(v["upright_hours"] for v in per.values())
    out: dict[str, Any] = {"people": len(per), "per_person": per, "slumps": total("slumps")}
    for k in ("own", "uncalibrated") + ways:
        out[f"mean_balanced_accuracy_{k}"] = mean(f"balanced_accuracy_{k}")
    for way in ways:
        out[f"mean_poor_share_in_slump_{way}"] = mean(f"poor_share_in_slump_{way}")
    for way in ways:
        out[f"false_alerts_per_hour_{way}"] = (
            total(f"false_alerts_{way}") / hours if hours else None
        )
        for k in ("framing_prompts", "slumps_within_60s", "reanchored_in_slump"):
            out[f"{k}_{way}"] = total(f"{k}_{way}")
    # live's default, the figures the golden file guards
    out["mean_balanced_accuracy"] = out["mean_balanced_accuracy_reanchored"]
    out["false_alerts_per_hour"] = out["false_alerts_per_hour_reanchored"]
    return out


def _temporal_summary(t: dict[str, Any]) -> dict[str, Any]:
    s: dict[str, Any] = {}
    for mode in ("uncalibrated", "calibrated"):
        firsts = {
            p: v[f"slump_{mode}"]["first_alert_s"] for p, v in t.items() if f"slump_{mode}" in v
        }
        within = [p for p, f in firsts.items() if f is not None and f <= 60.0]
        hours = [v[f"upright_{mode}"] for v in t.values() if f"upright_{mode}" in v]
        total_h = sum(h["seconds"] for h in hours) / 3600.0
        n_alerts = sum(h["posture_alerts"] for h in hours)
        s[mode] = {
            "slump_people": len(firsts),
            "slump_alert_within_60s": len(within),
            "slump_missed_or_late": sorted(set(firsts) - set(within)),
            "slump_first_alert_s_median": (
                float(np.median([f for f in firsts.values() if f is not None]))
                if any(f is not None for f in firsts.values())
                else None
            ),
            "framing_prompts_upright": sum(h.get("framing_prompts", 0) for h in hours),
            "framing_prompts_slump": sum(
                v[f"slump_{mode}"].get("framing_prompts", 0)
                for v in t.values()
                if f"slump_{mode}" in v
            ),
            "upright_people": len(hours),
            "upright_hours": total_h,
            "false_alerts_per_hour": n_alerts / total_h if total_h else None,
            "max_false_alerts_per_hour_one_person": max(
                (h["posture_alerts"] / (h["seconds"] / 3600.0) for h in hours), default=None
            ),
        }
    return s


def part_front_people(
    data: Path,
    model: str = "full",
    quick: bool = False,
    cfg: Config | None = None,
    replay: str = "real",
    rates: tuple[float, float] | None = None,
    framing_watch: bool = True,
) -> dict[str, Any]:
    """The whole issue-11 evidence (``quick``: 15 minutes upright per person, not an hour)."""
    cfg = cfg or load_config()
    samples = load_all(data, model)
    rows = ff.measure(samples, cfg)
    res = evaluate(rows, cfg, quick=quick, replay=replay, rates=rates, framing_watch=framing_watch)
    res["frames_without_person"] = sum(s.pose is None for s in samples)
    return res


def part_recordings(
    root: Path,
    model: str = "full",
    quick: bool = False,
    cfg: Config | None = None,
    rates: tuple[float, float] | None = None,
    framing_watch: bool = True,
) -> dict[str, Any]:
    """The same evidence on anyone's own labelled recordings (``front_data.load_recordings``),
    judged by the shipped models: the people were never part of the fit, so nothing is held
    out. Videos are sampled at the replay's highest rate, so every replay step has its own
    frame."""
    cfg = cfg or load_config()
    fine, pending = RATES if rates is None else rates
    samples = load_recordings(root, model, fps=max(fine, pending))
    rows = ff.measure(samples, cfg)
    res = evaluate(rows, cfg, quick=quick, rates=rates, framing_watch=framing_watch, fitted=False)
    res["frames_without_person"] = sum(s.pose is None for s in samples)
    res["recordings"] = str(root)
    return res


def evaluate(
    rows: Sequence[ff.Row],
    cfg: Config,
    quick: bool = False,
    replay: str = "real",
    rates: tuple[float, float] | None = None,
    framing_watch: bool = True,
    fitted: bool = True,
) -> dict[str, Any]:
    """:func:`part_front_people` on measured rows (``framing_watch``: run live's framing watch
    in the calibrated replays, as live does). ``fitted``: each person is judged by models
    fitted without them (leave-one-person-out); ``False``: everyone is judged by the shipped
    models (``front_model.json``), for people the fit never saw (``--recordings``)."""
    calib = ff.calibrations(rows)
    used = set().union(*(c.rows for c in calib.values()))
    res: dict[str, Any] = {
        "people": len({r.person for r in rows}),
        "frames": len(rows),
        "calibration_frames": ff.CALIBRATION_FRAMES,
        "replay": replay,
        "rates_fine_pending": list(RATES if rates is None else rates),
        "models": "leave-one-person-out" if fitted else "shipped",
        # shoulders measured, head not (e.g. cut off by the top of the picture): no slouch score
        "frames_head_not_in_view": sum(head_not_in_view(r.metrics) for r in rows),
    }
    scores: dict[str, list[float | None]] = {}
    lopo: dict[str, dict[str, front_model.LogisticModel]] = {}
    shipped = front_model.load_model()
    persons = sorted({r.person for r in rows})
    for mode, cal in (("uncalibrated", None), ("calibrated", calib)):
        if fitted:
            models = lopo[mode] = ff.lopo_models(rows, cal)
        else:
            m = shipped.uncalibrated if cal is None else shipped.calibrated
            models = lopo[mode] = {p: m for p in persons}
        scores[mode] = ff.scores_of(rows, models, cal)
        flags = per_frame(rows, scores[mode], cfg, cal)
        skip = (lambda r: id(r) in used) if cal is not None else (lambda r: False)
        res[mode] = ff.per_person_bacc(rows, flags, skip=skip)
        res[f"{mode}_score_only"] = {
            k: v
            for k, v in ff.per_person_bacc(
                rows, [s is not None and s > 0.5 for s in scores[mode]], skip=skip
            ).items()
            if k != "per_person"
        }
        other = per_frame(rows, [None] * len(rows), cfg, cal)
        res[f"{mode}_oracle_limit"] = oracle_bound(rows, scores[mode], other, skip)
    limits = ff.framing_limit(rows, calib)["lopo"] if fitted else {}  # {}: the shipped limit
    watch = lopo_watches(limits, lopo["uncalibrated"]) if framing_watch else None
    res["framing_watch"] = framing_watch
    t = temporal(
        rows,
        scores,
        cfg,
        calib,
        upright_h=0.25 if quick else UPRIGHT_H,
        replay=replay,
        rates=rates,
        watch=watch,
    )
    res["temporal_per_person"] = t
    res["temporal"] = _temporal_summary(t)
    for key, same in (("another_recording", False), ("same_recording_reloaded", True)):
        res[key] = another_recording(
            rows,
            scores["uncalibrated"],
            lopo["calibrated"],
            cfg,
            calib,
            watch,
            upright_h=0.25 if quick else UPRIGHT_H,
            rates=rates,
            uncal_models=lopo["uncalibrated"],
            same_recording=same,
        )
    return res


def _short(person: str) -> str:
    """``source:id`` shortened for one-line summaries (own recordings have no source part)."""
    src, _, pid = person.partition(":")
    return f"{src[:6]}:{pid}" if pid else person[:12]


def _b(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def markdown(fp: dict[str, Any]) -> list[str]:
    """The per-person tables (docs/accuracy.md quotes them)."""
    u, c = fp["uncalibrated"], fp["calibrated"]
    tp = fp["temporal_per_person"]
    fine, pending = fp.get("rates_fine_pending", RATES)
    rate = (
        f"{fine:g} frames/s"
        if fine == pending
        else f"{fine:g} frames/s, {pending:g}/s while a problem builds up (as live switches)"
    )
    shipped = fp.get("models") == "shipped"
    out = [
        f"### Front webcam, {fp['people']} people, "
        + ("shipped models" if shipped else "leave-one-person-out")
        + f" ({fp['frames']} frames)",
        "",
        "Per-frame balanced accuracy of the rules' verdict (slouch score "
        + (
            "of the shipped models, which never saw these people"
            if shipped
            else "fitted without the person"
        )
        + ", plus the other front-view limits); calibrated = baseline from the first "
        f"{fp['calibration_frames']} upright frames of the session. Slump: seconds to the first "
        "posture alert when the person's slumped frames are replayed for 10 minutes through "
        f"the temporal rules, analysed at {rate} "
        + (
            "in the recording's own time (landmark sets at their capture rate, "
            "front_data.CAPTURE_FPS; stills one per step)"
            if fp.get("replay", "real") == "real"
            else "one recorded frame per step (the former, time-stretching replay)"
        )
        + " (- = none). Upright: posture alerts in "
        f"{tp[next(iter(tp))].get('upright_uncalibrated', {}).get('seconds', 3600) / 3600:g} h "
        "of the person's upright frames.",
        "",
        "| person | good / bad frames | bal. acc. uncalibrated | bal. acc. calibrated | "
        "slump alert s (uncal / cal) | upright alerts (uncal / cal) |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def t(p: str, key: str, field: str) -> str:
        v = tp.get(p, {}).get(key)
        if v is None:
            return "n/a"
        x = v[field]
        return "-" if x is None else (f"{x:.0f}" if isinstance(x, float) else str(x))

    for p, v in u["per_person"].items():
        cv = c["per_person"].get(p, {})
        out.append(
            f"| {p} | {v['good']} / {v['bad']} | {_b(v['balanced_accuracy'])} | "
            f"{_b(cv.get('balanced_accuracy'))} | "
            f"{t(p, 'slump_uncalibrated', 'first_alert_s')} / "
            f"{t(p, 'slump_calibrated', 'first_alert_s')} | "
            f"{t(p, 'upright_uncalibrated', 'posture_alerts')} / "
            f"{t(p, 'upright_calibrated', 'posture_alerts')} |"
        )
    for mode, r in (("uncalibrated", u), ("calibrated", c)):
        tm = fp["temporal"][mode]
        so = fp[f"{mode}_score_only"]
        out.append(
            f"\n**{mode}**: mean over {r['people_scored']} people "
            f"{_b(r['mean_balanced_accuracy'])}, lowest {_b(r['min_balanced_accuracy'])}, "
            f"frame-pooled {_b(r['frame_pooled_balanced_accuracy'])}; below 0.75: "
            f"{', '.join(r['people_below_0p75']) or 'none'} (slouch score alone: mean "
            f"{_b(so['mean_balanced_accuracy'])}; with the score's limit chosen per person "
            "after seeing their labels, an upper bound, not a result: mean "
            f"{_b(fp[f'{mode}_oracle_limit']['mean_balanced_accuracy'])}, lowest "
            f"{_b(fp[f'{mode}_oracle_limit']['min_balanced_accuracy'])}). "
            "Slump alert within 60 s for "
            f"{tm['slump_alert_within_60s']}/{tm['slump_people']} people (late or none: "
            f"{', '.join(tm['slump_missed_or_late']) or 'none'}); "
            f"{tm['false_alerts_per_hour']:.2f} false posture alerts per hour over "
            f"{tm['upright_hours']:g} h of upright footage of {tm['upright_people']} people "
            f"(worst person {tm['max_false_alerts_per_hour_one_person']:.0f}/h)."
            + (
                f' Live\'s framing watch ran: it said "framing changed" '
                f"{tm['framing_prompts_upright']} times upright and "
                f"{tm['framing_prompts_slump']} times in the slumps (then judged without the "
                "baseline, as live does)."
                if mode == "calibrated" and fp.get("framing_watch")
                else ""
            )
        )
    if fp.get("frames_head_not_in_view"):
        out.append(
            f"\n{fp['frames_head_not_in_view']} frames showed the shoulders but no measurable "
            "head (cut off by the top of the picture, turned away or covered): slumping was not "
            "judged there."
        )
    out.extend(reuse_markdown(fp.get("another_recording")))
    sr = fp.get("same_recording_reloaded")
    if sr and sr["people"]:
        out.append(
            "\n"
            + _reuse_summary(
                sr,
                "**The control, a setup loaded again where nothing moved** (each recording "
                "calibrated on its first upright frames and judged on the rest)",
            )
        )
    out.append("")
    out.append(
        "Issue 11's targets: "
        + "; ".join(
            f"{name} {'met' if ok else 'NOT met'} ({value})" for name, value, ok in targets(fp)
        )
        + "."
    )
    out.append("")
    return out


def reuse_markdown(ar: dict[str, Any] | None) -> list[str]:
    """The table of :func:`another_recording` (nothing when no person has two recordings)."""
    if not ar or not ar["people"]:
        return []

    out = [
        "",
        "A setup used again in another recording of the same person: calibrated on one "
        "recording's first upright frames, judged on each other one, as saved "
        "(`--no-reanchor`) and with the framing re-learnt in the first minute (live's "
        "default); the framing watch runs as in live:",
        "",
        "| person | recordings (pairs) | framing change (sw) | bal. acc. saved / re-learnt / "
        "own / none | upright alerts saved / re-learnt | slumps alerted within 60 s saved / "
        "re-learnt | framing re-learnt in a slump | slump judged a problem after 1 min, "
        "saved / re-learnt |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p, v in ar["per_person"].items():
        out.append(
            f"| {p} | {v['recordings']} ({v['pairs']}) | {_b(v['framing_change_median'])} | "
            f"{_b(v['balanced_accuracy_saved'])} / {_b(v['balanced_accuracy_reanchored'])} / "
            f"{_b(v['balanced_accuracy_own'])} / {_b(v['balanced_accuracy_uncalibrated'])} | "
            f"{v['false_alerts_saved']} / {v['false_alerts_reanchored']} in "
            f"{v['upright_hours']:g} h | {v['slumps_within_60s_saved']} / "
            f"{v['slumps_within_60s_reanchored']} of {v['slumps']} | "
            f"{v['reanchored_in_slump_reanchored']} of {v['slumps']} | "
            f"{_b(v['poor_share_in_slump_saved'])} / {_b(v['poor_share_in_slump_reanchored'])} |"
        )
    out.append("\n" + _reuse_summary(ar, "**Reused setup**"))
    return out


def _reuse_summary(ar: dict[str, Any], title: str) -> str:
    """One paragraph of :func:`another_recording`'s means, saved against re-learnt."""

    return (
        f"{title} (mean over {ar['people']} people): balanced accuracy "
        f"{_b(ar['mean_balanced_accuracy_saved'])} as saved, "
        f"{_b(ar['mean_balanced_accuracy_reanchored'])} with the framing re-learnt, "
        f"{_b(ar['mean_balanced_accuracy_own'])} calibrated in the same recording, "
        f"{_b(ar['mean_balanced_accuracy_uncalibrated'])} without a baseline; false posture "
        f"alerts per upright hour {_b(ar['false_alerts_per_hour_saved'])} as saved, "
        f"{_b(ar['false_alerts_per_hour_reanchored'])} re-learnt; slumps alerted within 60 s "
        f"{ar['slumps_within_60s_saved']} / {ar['slumps_within_60s_reanchored']} of "
        f"{ar['slumps']} pairs, judged a problem in {_b(ar['mean_poor_share_in_slump_saved'])} / "
        f"{_b(ar['mean_poor_share_in_slump_reanchored'])} of the analyses after the first "
        f"minute; the framing was re-learnt inside {ar['reanchored_in_slump_reanchored']} of "
        f'the {ar["slumps"]} slumps; the framing watch said "framing changed" '
        f"{ar['framing_prompts_saved']} / {ar['framing_prompts_reanchored']} times."
    )


def targets(fp: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Issue 11's "done when", checked on one evaluation: (target, measured value, met)."""
    out = []
    for mode, lim in (("uncalibrated", 0.85), ("calibrated", 0.92)):
        r = fp[mode]
        mean, low = r["mean_balanced_accuracy"], r["min_balanced_accuracy"]
        out.append((f"{mode} mean >= {lim:.2f}", _b(mean), mean is not None and mean >= lim))
        out.append((f"{mode} nobody < 0.75", _b(low), low is not None and low >= 0.75))
    for mode, misses in (("calibrated", 0), ("uncalibrated", 1)):
        tm = fp["temporal"][mode]
        n, ok = tm["slump_people"], tm["slump_alert_within_60s"]
        out.append(
            (f"{mode} slump alerted within 60 s (all but {misses})", f"{ok}/{n}", ok >= n - misses)
        )
    for mode in ("uncalibrated", "calibrated"):
        fa = fp["temporal"][mode]["false_alerts_per_hour"]
        out.append(
            (
                f"{mode} <= 1 false alert per upright hour",
                "-" if fa is None else f"{fa:.2f}/h",
                fa is not None and fa <= 1.0,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data_dir_from_env())
    ap.add_argument("--model", default="full")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--replay",
        choices=("real", "stretched"),
        default="real",
        help="replay recordings in their own time (default) or one frame per step (former)",
    )
    ap.add_argument(
        "--rates",
        default=f"{FPS:g},{FPS:g}",
        metavar="FINE,PENDING",
        help="analyses per second while fine and while a problem builds up, switched as live "
        "does (default 2,2: a flat 2/s, the golden figures; live's own defaults are 2,4)",
    )
    ap.add_argument(
        "--no-framing-watch",
        action="store_true",
        help="calibrated replays without live's framing watch (the harness before it)",
    )
    ap.add_argument(
        "--recordings",
        type=Path,
        metavar="DIR",
        help="judge your own labelled front-webcam recordings instead (DIR/<person>/upright/ and "
        "DIR/<person>/slumped/ with videos or images, or DIR/<person>/<video> with a "
        "<stem>.labels.json of time segments) with the shipped models: nothing is fitted on "
        "them; videos are analysed at the replay's highest rate (--rates)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "out" / "front_people.json")
    args = ap.parse_args(argv)
    try:
        fine, pending = (float(v) for v in args.rates.split(","))
        if not (fine > 0 and pending > 0):
            raise ValueError
    except ValueError:
        ap.error(f"--rates: expected two positive numbers FINE,PENDING, got {args.rates!r}")
    if args.recordings is not None:
        try:
            res = part_recordings(
                args.recordings,
                args.model,
                args.quick,
                rates=(fine, pending),
                framing_watch=not args.no_framing_watch,
            )
        except (RecordingsError, PostureCheckError) as exc:
            print(f"front_eval: error: {exc}", file=sys.stderr)
            return getattr(exc, "exit_status", 2)
    else:
        res = part_front_people(
            args.data,
            args.model,
            args.quick,
            replay=args.replay,
            rates=(fine, pending),
            framing_watch=not args.no_framing_watch,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, default=str) + "\n")
    print("\n".join(markdown(res)))
    for mode in ("uncalibrated", "calibrated"):
        r = res[mode]
        print(
            f"{mode}: mean {r['mean_balanced_accuracy']:.3f} min {r['min_balanced_accuracy']:.3f} "
            f"frame-pooled {r['frame_pooled_balanced_accuracy']:.3f} below 0.75: "
            f"{r['people_below_0p75']}"
        )
        print(
            "   "
            + ", ".join(
                f"{_short(p)} {v['balanced_accuracy']:.2f}"
                for p, v in r["per_person"].items()
                if v["balanced_accuracy"] is not None
            )
        )
        print("   temporal:", res["temporal"][mode])
    return 0


if __name__ == "__main__":
    sys.exit(main())
