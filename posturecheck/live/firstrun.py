"""The baseline a live session judges against: guided captures, the first run, ``--auto-baseline``
and the framing watch (issue 11 part 3).

:class:`Baselines` is the session's collaborator for everything about the baseline:

* the guided upright capture (key ``c``, ``posturecheck calibrate``, and by itself on the
  **first run**, when the setup was never calibrated), a :class:`~posturecheck.core.calibration.
  CalibrationRun` fed the judged person's raw metrics (so the person-choice rule is the judge's,
  as in every calibration); the result is saved as the ``--setup`` like any calibration;
  ``n`` skips or cancels a capture, and the session then judges without a baseline and says so;
* ``--auto-baseline`` (:class:`AutoBaseline`): the baseline learnt from the person's own most
  upright stretch of the first minutes, for this session only (not saved);
* the framing watch (:class:`FramingWatch`): when the shoulders sit far from where they were
  calibrated for longer than a few seconds with no slump to explain it (camera moved, another
  chair), it says so, judges without the stale baseline, and offers ``c`` to recalibrate; once
  the framing is back, the baseline is used again.

Nothing here opens a window or a file except through :mod:`posturecheck.adapters.setups`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from posturecheck.adapters.setups import Setup, check_setup_name, save_setup
from posturecheck.core import fmt, front_model
from posturecheck.core.audit import audit
from posturecheck.core.baseline import Baseline
from posturecheck.core.calibration import CalibrationRun, Phase, limit_preview
from posturecheck.core.config import Config
from posturecheck.core.types import FrameResult, PostureMetrics, View
from posturecheck.live.hud import Hud
from posturecheck.live.settings import Environment, LiveSettings

SKIP_KEY = "n"
"""Skips the first-run capture (or cancels any running capture)."""

FRAMING_LIMIT = front_model.framing_change_limit()
""":func:`~posturecheck.core.front_model.framing_change` above this counts as a changed framing:
the limit fitted on the labelled front-webcam sets (``front_model.json``: 0.57 calibrated
shoulder widths of shoulder-midpoint shift, or an apparent shoulder-width change by e^0.57 = 1.77;
upright sitting passes it on at most 4 % of frames for 15 of 16 people). The data has no
moved-camera recording; on simulated moves (``benchmarks/framing_eval.py``) moves beyond it are
told in 10-18 s and moves below it are not (docs/live.md, "First run and changed setups")."""

LEAN_IN_LOG = math.log(1.15)
"""A face grown this much relative to the shoulders (ours: 15 %) is a posture change (head
forward), which explains a framing change. Not the lean-in rule's factor: that one judges the
shoulder width alone (``profiles.py``)."""

AUTO_STRETCH_S = 10.0
"""Length of the upright stretch ``--auto-baseline`` takes its medians from (ours)."""

AUTO_MIN_FRAMES = 5
"""Frames with the person in view a stretch needs (as a guided capture)."""


def uprightness(m: PostureMetrics, model: front_model.FrontModel | None = None) -> float | None:
    """How slumped one frame looks without any baseline; lower = more upright.

    Front view: the uncalibrated slouch score (:mod:`posturecheck.core.front_model`; of
    ``model``, the committed one when ``None``); side view: the neck inclination in degrees.
    ``None`` when not measurable.
    """
    if m.view is View.FRONT:
        return front_model.slouch_score(m.values, None, model)
    if m.view.is_side:
        v = m.values.get("neck_inclination_deg")
        return None if v is None or not math.isfinite(v) else float(v)
    return None


def posture_explains(
    values: Mapping[str, float | None],
    base: Mapping[str, float],
    model: front_model.FrontModel | None = None,
) -> bool:
    """Whether a posture change, not the camera, explains shoulders away from the calibration:
    the baseline-free slouch score (of ``model``; the committed one when ``None``) says slumped,
    or the face grew relative to the shoulders (head forward). A head cut off by the top of
    the picture is not measured (``core.metrics.head_in_picture``), so it explains nothing."""
    score = front_model.slouch_score(values, None, model)
    if score is not None and score >= 0.5:
        return True
    f, f0 = values.get("face_width_ratio"), base.get("face_width_ratio")
    if f is not None and f0 is not None and f > 0 and f0 > 0 and math.isfinite(f):
        return math.log(f / f0) > LEAN_IN_LOG
    return False


FRAMING_AGREE = 0.8
"""Share of the frames over the hold time that must agree before the watch changes its mind, so
one jittery frame (a borderline slouch score, a landmark glitch) does not restart the hold."""


FRAMING_GAP_S = 2.0
"""Longest stretch without a measurable frame that a running framing hold survives. Shorter
gaps are skipped, so a shoulder that leaves the picture now and then (a camera moved close to
the edge of the view) does not restart the hold every few frames; measured in
``benchmarks/framing_eval.py`` (docs/accuracy.md, section 3c)."""


class FramingWatch:
    """Notices a framing that has moved away from the calibrated one, and its return.

    A frame is "far" when :func:`~posturecheck.core.front_model.framing_change` is above
    ``limit`` and :func:`posture_explains` does not explain it. The framing becomes stale once
    far frames have lasted ``hold_s`` of frame time, making up at least :data:`FRAMING_AGREE` of
    the measurable frames since the first one; it is back once near frames have done the same.

    Args:
        baseline: the front-view baseline's values (with the shoulder position and width).
        hold_s: how long the frames must agree, in frame time.
        limit: the framing-change limit, in calibrated shoulder widths.
        model: the front model :func:`posture_explains` scores with (the committed one when
            ``None``; ``benchmarks/framing_eval.py`` passes one fitted without the person).
    """

    def __init__(
        self,
        baseline: Mapping[str, float],
        hold_s: float,
        limit: float = FRAMING_LIMIT,
        model: front_model.FrontModel | None = None,
    ) -> None:
        self.baseline, self.hold_s, self.limit = dict(baseline), hold_s, limit
        self.model = model
        self.stale = False
        self.change: float | None = None
        self._since_ms: int | None = None
        self._agree = self._total = 0
        self._last_ms: int | None = None  # frame time of the last measurable frame

    def update(self, r: FrameResult) -> bool | None:
        """Follow one analysed frame; ``True`` when the framing just became stale, ``False`` when
        it just came back, else ``None``. Frames where the framing cannot be measured (nobody
        in view, a shoulder out of the picture) are skipped; when none could be measured for
        over :data:`FRAMING_GAP_S`, the hold starts again."""
        m = r.metrics
        change = (
            front_model.framing_change(m.values, self.baseline)
            if m is not None and m.view is View.FRONT
            else None
        )
        self.change = change
        if m is None or change is None:
            return None  # skipped; a gap longer than FRAMING_GAP_S restarts the hold below
        last, self._last_ms = self._last_ms, r.timestamp_ms
        if last is not None and (r.timestamp_ms - last) / 1000.0 > FRAMING_GAP_S:
            self._since_ms = None
        other = change > self.limit and not posture_explains(m.values, self.baseline, self.model)
        if other != self.stale and self._since_ms is None:  # a first frame that disagrees
            self._since_ms, self._agree, self._total = r.timestamp_ms, 0, 0
        if self._since_ms is None:
            return None
        self._total += 1
        self._agree += other != self.stale
        if self._total - self._agree > (1 - FRAMING_AGREE) * self._total + 1:
            self._since_ms = None  # too many frames say otherwise: not a lasting change
            return None
        if (r.timestamp_ms - self._since_ms) / 1000.0 < self.hold_s:
            return None
        if self._agree < FRAMING_AGREE * self._total:
            return None
        self.stale, self._since_ms = not self.stale, None
        return self.stale


class AutoBaseline:
    """``--auto-baseline``: the person's most upright stretch of the first ``window_s`` seconds.

    Every analysed frame with the person in view is kept (raw metrics, frame time); once
    ``window_s`` of frame time has passed, the ``stretch_s`` window whose :func:`uprightness`
    has the lowest upper quartile (then mean), among those with at least
    :data:`AUTO_MIN_FRAMES` frames of the main view, gives the baseline's medians. Until a
    stretch qualifies it keeps collecting.

    The risk: someone who slumps from the start gets a slumped baseline, and the calibrated
    rules then judge the change from that slump.
    """

    def __init__(
        self,
        name: str,
        window_s: float,
        stretch_s: float = AUTO_STRETCH_S,
        model: front_model.FrontModel | None = None,
    ) -> None:
        self.name, self.window_s, self.stretch_s = name, window_s, stretch_s
        self.model = model  # scores uprightness (the committed model when None)
        self.t0_ms: int | None = None
        self.frames: list[tuple[int, float, PostureMetrics]] = []
        self.picked: tuple[int, int] | None = None  # frame times of the chosen stretch

    def seconds_left(self, t_ms: int) -> float:
        if self.t0_ms is None:
            return self.window_s
        return max(0.0, self.window_s - (t_ms - self.t0_ms) / 1000.0)

    def feed(self, r: FrameResult) -> Baseline | None:
        """Give one analysed frame; the baseline once it is learnt (then ``None`` again)."""
        if self.t0_ms is None:
            self.t0_ms = r.timestamp_ms
        m = r.metrics
        if m is not None and (u := uprightness(m, self.model)) is not None:
            self.frames.append((r.timestamp_ms, u, m))
        if self.seconds_left(r.timestamp_ms) > 0:
            return None
        return self._pick()

    def _pick(self) -> Baseline | None:
        views = [m.view for _, _, m in self.frames]
        if not views:
            return None
        view = max(set(views), key=views.count)
        frames = [f for f in self.frames if f[2].view == view]
        times = np.array([t for t, _, _ in frames])
        best: tuple[tuple[float, float], int, int] | None = None
        for i, t in enumerate(times):
            j = int(np.searchsorted(times, t + self.stretch_s * 1000, side="right"))
            if j - i < AUTO_MIN_FRAMES or times[j - 1] - t < 0.8 * self.stretch_s * 1000:
                continue
            # The stretch's slumpiest quarter, so a stretch half in a slump never ties with a
            # wholly upright one, and a few glitches (under a quarter) do not matter.
            us = [u for _, u, _ in frames[i:j]]
            score = (float(np.percentile(us, 75)), float(np.mean(us)))  # the mean breaks ties
            if best is None or score < best[0]:
                best = (score, i, j)
        if best is None:
            return None
        _, i, j = best
        try:
            baseline = Baseline.from_metrics([m for _, _, m in frames[i:j]], self.name)
        except ValueError:
            return None
        self.picked = (int(times[i]), int(times[j - 1]))
        self.frames = []
        return baseline


class FramingAnchor:
    """A front setup saved in an earlier session: today's framing, the saved posture.

    Where the shoulders sit in the picture changes between sessions (another chair height, the
    screen tilted, the laptop moved) by less than the framing watch can tell apart from
    sitting. Against the old framing the calibrated model then reads a person sitting a little
    lower as sinking down: on the data, a setup reused in another recording gave 2.80 false
    posture alerts per upright hour, and 0.40 with the framing re-learnt (docs/accuracy.md
    3b''). So for the first ``window_s`` seconds the session judges against the saved setup as
    it is and collects frames; then it takes the most upright stretch (as
    :class:`AutoBaseline` picks it) and keeps the saved baseline with that stretch's framing
    (:func:`~posturecheck.core.front_model.reanchored`), unless the stretch looks slumped
    (against the saved posture or without a baseline), the framing moved past the watch's
    limit (recalibrate then), or the new framing would not call fewer of the frames seen so far
    slumped than the saved one (nothing moved: the saved framing explains them as well).

    Attributes:
        finished: the choice is made (:attr:`reason` says why when nothing was re-learnt).
        picked: frame times of the stretch used, once finished.
    """

    def __init__(
        self,
        saved: Baseline,
        window_s: float,
        model: front_model.FrontModel | None = None,
    ) -> None:
        self.saved, self.model, self.window_s = saved, model, window_s
        self._stretch = AutoBaseline(saved.name, window_s, model=model)
        self.finished = False
        self.picked: tuple[int, int] | None = None
        self.reason = ""
        self._seen: list[Mapping[str, float | None]] = []  # front-view values so far

    def feed(self, r: FrameResult) -> Baseline | None:
        """Give one analysed frame; the re-anchored baseline once chosen (else ``None``)."""
        if self.finished:
            return None
        if r.metrics is not None and r.metrics.view is View.FRONT:
            self._seen.append(r.metrics.values)
        today = self._stretch.feed(r)
        if today is None:
            return None
        self.finished, self.picked = True, self._stretch.picked
        saved = self.saved.as_mapping()
        values = (
            front_model.reanchored(saved, today.as_mapping(), self.model)
            if today.view is View.FRONT
            else None
        )
        if values is not None:
            if self._slumped_share(values) < self._slumped_share(saved):
                return dataclasses.replace(self.saved, values=tuple(sorted(values.items())))
            self.reason = (
                f"a new framing would judge the first {fmt.duration(self.window_s)} no better"
            )
            return None
        change = front_model.framing_change(today.as_mapping(), saved)
        limit = front_model.framing_change_limit(self.model)
        self.reason = (
            "the framing moved too far to adjust; recalibrate"
            if change is not None and change > limit
            else f"no {self._stretch.stretch_s:.0f} s of the first "
            f"{fmt.duration(self.window_s)} looked upright"
            if change is not None
            else "the framing could not be measured"
        )
        return None

    def _slumped_share(self, base: Mapping[str, float]) -> float:
        """Share of the frames seen so far that the slouch score calls slumped against
        ``base``: a new framing is only taken when it explains them better than the saved one
        (when the framing did not move, the saved one can explain them best)."""
        scores = [front_model.slouch_score(v, base, self.model) for v in self._seen]
        flags = [s >= 0.5 for s in scores if s is not None]
        return sum(flags) / len(flags) if flags else 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the session does after :meth:`Baselines.step`.

    Attributes:
        config: judge against this from now on (``None`` = no change).
        setup: a calibration was saved (for the session's report).
        stop: end the session with this reason (``posturecheck calibrate``).
    """

    config: Config | None = None
    setup: Setup | None = None
    stop: str | None = None


NOTHING = Outcome()


class Baselines:
    """The session's baseline: captures, first run, auto-baseline, framing watch.

    Args:
        settings: the session's settings (setup name, first run, auto-baseline, hold time).
        env: terminal lines and the wall clock (setup timestamps).
        hud: where on-screen messages go.
        source: the feed's label (stored with a saved setup).
        keys: whether the person can press a key (window or terminal); changes the hints.
    """

    def __init__(
        self,
        settings: LiveSettings,
        env: Environment,
        hud: Hud,
        *,
        source: str,
        keys: bool,
    ) -> None:
        self.settings, self.env, self.hud, self.source, self.keys = settings, env, hud, source, keys
        self.run: CalibrationRun | None = None
        self.first_run = False
        self.auto = (
            AutoBaseline(settings.setup, settings.auto_baseline_s)
            if (settings.auto_baseline and not settings.calibrate_only)
            else None
        )
        self.framing: FramingWatch | None = None
        self.anchor: FramingAnchor | None = None  # a saved setup re-learning today's framing
        self._kept: Baseline | None = None  # the baseline set aside while the framing is stale
        self._audit_frames: list = []  # (pose, metrics) of the upright capture
        self.auto_picked: tuple[int, int] | None = None  # frame times of the learnt stretch

    @property
    def calibrating(self) -> bool:
        return self.run is not None and not self.run.finished

    def start(self, *, first_run: bool = False) -> None:
        """Begin the guided capture (key ``c``; by itself on the first run)."""
        name = check_setup_name(self.settings.setup)
        self._audit_frames = []
        self.first_run = first_run
        self.auto = None  # a guided capture replaces the learning
        self.anchor = None  # ... and a new framing
        self.run = CalibrationRun(name, slouch=self.settings.calibrate_slouch)
        if first_run:
            secs = self.run.ready_s + self.run.capture_s
            skip = (
                f"press {SKIP_KEY} to skip, or start with --no-calibrate"
                if self.keys
                else "start with --no-calibrate to skip"
            )
            self.env.say(
                f"first run: capturing your upright posture for setup '{name}' now "
                f"({secs:.0f} s; sit upright and look at the screen); {skip}"
            )
            self.hud.set_message(f"first run: upright capture ({SKIP_KEY} skips)", secs + 2.0)
        else:
            self.env.say(f"calibration of setup '{name}': {self.run.instruction}")

    def skip(self, config: Config) -> bool:
        """Key ``n``: skip the first-run capture or cancel a running one (``config``: what the
        judge uses now); whether there was one."""
        if not self.calibrating:
            return False
        assert self.run is not None
        self.run.cancel()
        self.run = None
        what = "first-run capture skipped" if self.first_run else "calibration cancelled"
        if config.baseline is not None:
            self.env.say(f"{what}: the baseline in use is kept")
            self.hud.set_message(what, 4.0)
        else:
            self.env.say(f"{what}: judging without a baseline (general limits); {self._hint()}")
            self.hud.set_message(f"{what}: no baseline", 4.0)
        return True

    def _hint(self, verb: str = "calibrate") -> str:
        if self.keys:
            return f"press c to {verb}"
        return f"run `posturecheck calibrate --setup {self.settings.setup}` to {verb}"

    def note(self, config: Config) -> str:
        """One short line saying what the verdict is judged against, or ``""`` (calibrated)."""
        if self.calibrating:
            return ""
        if self.framing is not None and self.framing.stale:
            return "framing changed: no baseline" + (" (c recalibrates)" if self.keys else "")
        if config.baseline is not None:
            return ""
        if self.auto is not None:
            return f"no baseline yet: learning it (first {fmt.duration(self.auto.window_s)})"
        return "no baseline: general limits" + (" (c calibrates)" if self.keys else "")

    def step(self, r: FrameResult, config: Config) -> Outcome:
        """Follow one analysed frame (before alerts are delivered)."""
        if self.calibrating:
            return self._feed_capture(r, config)
        if self.auto is not None:
            learnt = self.auto.feed(r)
            if learnt is not None:
                a, b = self.auto_picked = self.auto.picked or (0, 0)
                self.auto = None
                self.env.say(
                    f"auto-baseline: learnt from your most upright {AUTO_STRETCH_S:.0f} s "
                    f"({fmt.clock(a / 1000)}-{fmt.clock(b / 1000)}); used for this session only"
                )
                self._watch(learnt)
                return Outcome(config=config.with_baseline(learnt))
            return NOTHING
        if self.anchor is not None:
            out = self._reanchor(r, config)
            if out is not NOTHING:
                return out
        if self.framing is None:
            return NOTHING
        changed = self.framing.update(r)
        if changed is True and config.baseline is not None:
            self._kept = config.baseline
            what = f"setup '{self.settings.setup}'"
            self.env.say(
                f"the framing changed (camera moved or another seat?): your shoulders sit far "
                f"from where {what} was calibrated; judging without that baseline now; "
                f"{self._hint('recalibrate')}"
            )
            self.hud.set_message("framing changed: " + self._hint("recalibrate"), 8.0)
            return Outcome(config=config.with_baseline(None))
        if changed is False and self._kept is not None:
            kept, self._kept = self._kept, None
            self.env.say("the framing is back where it was calibrated: judging against it again")
            self.hud.set_message("framing back: calibration in use", 4.0)
            return Outcome(config=config.with_baseline(kept))
        return NOTHING

    def _watch(self, baseline: Baseline | None) -> None:
        """Watch the framing against ``baseline`` (front view with shoulder positions)."""
        self._kept = None
        if baseline is None or baseline.view is not View.FRONT:
            self.framing = None
            return
        self.framing = FramingWatch(baseline.as_mapping(), self.settings.framing_hold_s)

    def watch_config(self, config: Config) -> None:
        """Start watching the framing of ``config``'s baseline (the saved setup at start), and
        re-learn today's framing for it (:class:`FramingAnchor`, unless ``--no-reanchor``)."""
        self._watch(config.baseline)
        base = config.baseline
        if (
            self.settings.reanchor
            and base is not None
            and base.view is View.FRONT
            and all(base.get(k) is not None for k in front_model.POSITION)
        ):
            self.anchor = FramingAnchor(base, self.settings.reanchor_s)

    def _reanchor(self, r: FrameResult, config: Config) -> Outcome:
        """Feed the :class:`FramingAnchor`; the re-anchored baseline once it is chosen."""
        assert self.anchor is not None
        learnt = self.anchor.feed(r)
        if not self.anchor.finished:
            return NOTHING
        anchor, self.anchor = self.anchor, None
        a, b = anchor.picked or (0, 0)
        when = f"{fmt.clock(a / 1000)}-{fmt.clock(b / 1000)}"
        if self.framing is not None and self.framing.stale:
            return NOTHING  # the watch has spoken: a recalibration is what helps
        if learnt is None or config.baseline is None:
            self.env.say(
                f"framing: kept as saved in setup '{self.settings.setup}' ({anchor.reason})"
            )
            return NOTHING
        self.env.say(
            f"framing: re-learnt where you sit today from your most upright {AUTO_STRETCH_S:.0f} s "
            f"({when}); the posture calibrated in setup '{self.settings.setup}' is kept"
        )
        self.hud.set_message("framing re-learnt: calibration in use", 4.0)
        self._watch(learnt)
        return Outcome(config=config.with_baseline(learnt))

    def _feed_capture(self, r: FrameResult, config: Config) -> Outcome:
        cal = self.run
        assert cal is not None
        before = cal.phase
        if before == Phase.UPRIGHT and r.pose is not None and r.metrics is not None:
            self._audit_frames.append((r.pose, r.metrics))  # the workstation audit's input
        cal.feed(r.timestamp_ms, r.metrics, people=r.people)  # refuses a crowded capture
        if cal.phase != before and not cal.finished:
            left = cal.seconds_left(r.timestamp_ms)
            self.env.say(f"calibration: {cal.instruction} ({left:.0f} s)")
        if not cal.finished:
            return NOTHING
        if cal.phase != Phase.DONE:
            self.env.say(cal.instruction)
            if self.first_run and not self.settings.calibrate_only:
                self.env.say(f"judging without a baseline (general limits); {self._hint()}")
            self.hud.set_message(cal.instruction, 6.0)
            return Outcome(stop="calibration failed" if self.settings.calibrate_only else None)
        setup = Setup.from_run(cal, source=self.source, created_unix=self.env.wall_clock())
        path = save_setup(setup)
        new = config.with_baseline(setup.baseline)
        self.env.say(f"calibration saved as setup '{setup.name}' ({path})")
        if cal.warning:  # a second person was briefly in view (issue 12 item 11)
            self.env.warn(f"calibration: {cal.warning}")
        limits = limit_preview(new, setup.baseline, setup.slouch)
        for label, text in limits:
            self.env.say(f"  {label}: {text}")
        self.hud.calibrated(setup.name, limits)
        if self._audit_frames:  # the same frames say something about the desk, too
            poses, metrics = zip(*self._audit_frames, strict=True)
            self.env.say("workstation audit of the upright capture:")
            for f in audit(poses, metrics):
                if f.verdict != "unknown":
                    self.env.say(f"  {f.check.replace('_', ' ')}: {f.line}")
        self._watch(setup.baseline)
        stop = "calibrated" if self.settings.calibrate_only else None
        return Outcome(config=new, setup=setup, stop=stop)
