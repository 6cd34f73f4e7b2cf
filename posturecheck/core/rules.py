"""Temporal rules: from per-frame metrics to a verdict, timers and (rare, useful) alerts.

One pure function, :func:`step`, is called once per analysed frame with the previous state and
returns the new state and an :class:`Assessment`. Time comes only from ``t_ms`` (never a clock),
so a recording replays exactly the alerts live monitoring would have given, and frames may come
at any spacing (live adaptive sampling goes from 0.2 to 10 fps).

What happens per step (parameters in :class:`posturecheck.core.config.TemporalConfig`):

1. **View smoothing**: the judged view changes only after a new per-frame view persists
   ``view_switch_s``. Metrics not valid for the judged view are not judged, and the notes say
   "cannot assess X from the ... view".
2. **Smoothing and outlier rejection**: each metric is an exponential moving average with time
   constant ``smoothing_tau_s`` (``alpha = 1 - exp(-dt / tau)``, so it behaves the same at any
   frame rate). A jump larger than ``outlier_jump_*`` is held back for one frame and only
   followed if the next frame confirms it (a one-frame landmark glitch never reaches the rules).
   The front-view slouch score first passes a running quantile over ``score_median_s`` (10 s):
   the median without a front baseline, the 55th percentile with one
   (``score_quantile``, ``score_quantile_calibrated``; docs/thresholds.md 4b), so a few
   misjudged frames neither start nor end a slouch condition.
3. **Bands** of the judged metrics (acceptable / conditional / not acceptable, see
   ``docs/thresholds.md``), with value hysteresis while a condition is active.
4. **Conditions and dose**: a metric out of its acceptable band starts a condition. Its "dose"
   integrates ``dt / max_time(value)`` over the time it stays out of band, where ``max_time`` is
   ``sustain_s`` in the not-acceptable band and the holding-time curve (ISO 11226) in the
   conditional band. The alert is due when the dose reaches 1: at exactly ``sustain_s`` for a
   constant not-acceptable posture, at exactly the maximum holding time for a constant
   conditional one, and proportionally in between for postures that vary. A condition ends
   after ``recover_s`` back in band (time hysteresis), so flapping around a limit neither
   resets the dose nor spams alerts. Shorter than ``onset_s`` out of band is a glance: no
   caution shown.

   4b. **The front-view share rule** (``front_share``; without a front baseline only, 0 = off,
   which it is with one: ``front_share_calibrated``): one more condition, dosed like a
   not-acceptable one, while more than ``front_share`` (0.3) of the front-view analyses of the
   last ``score_median_s`` have *any* judged front measure out of its acceptable band (the raw
   per-frame verdict). A subtle slump that a noisy verdict catches on some frames as a low
   head and on others as a lean adds up here though no single smoothed measure stays out of
   band. Its alert is told as the measure flagged most often (docs/thresholds.md 4b).
5. **Alerts per kind** (several metrics share a kind): one alert per problem; ``cooldown_s``
   between alerts of the same kind; while the problem continues, up to ``max_repeats``
   reminders every ``repeat_s``, escalated to severity "poor".
6. **Sedentary behaviour**: sitting bouts from measured presence, a break reminder after
   ``breaks.interval_s``; a break is credited when the person is away (or standing) for
   ``breaks.min_break_s``. **Static posture**: no metric moving more than the tolerance for
   ``static.max_s`` gives a "change position" reminder.
7. **Presence**: ``metrics is None`` means nobody in view: status AWAY, never an alert; the time
   counts toward a break. A gap between frames longer than ``max_gap_s`` pauses the timers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from posturecheck.core import fmt, front_model
from posturecheck.core.advice import Advice, advice_for
from posturecheck.core.catalog import BANDS, METRICS
from posturecheck.core.config import BreakConfig, Config, StaticConfig, TemporalConfig
from posturecheck.core.metrics import head_not_in_view
from posturecheck.core.types import Alert, PostureMetrics, Status, View

ACCEPTABLE, CONDITIONAL, NOT_ACCEPTABLE = BANDS
MEDIAN_METRIC = "slouch_score_ratio"
"""The metric whose raw values pass a running quantile (``temporal.score_median_s``) first."""
FRONT_SHARE_KEY = "front_posture"
"""The condition key of the front-view share rule (step 4b of the module docstring)."""
BREAK_KIND = "break_due"
STATIC_KIND = "static_posture"
_EPS = 1e-9


# ----------------------------------------------------------------------------------------------
# Limits resolved for one configuration (baseline applied)


@dataclass(frozen=True, slots=True)
class Limits:
    """The absolute limits one metric is judged against (baseline already applied).

    Attributes:
        metric, kind: what is judged and the alert kind it feeds.
        acceptable: ``(lo, hi)`` of the acceptable band.
        conditional: ``(lo, hi)`` of the conditional band (contains acceptable), or ``None``.
        hold: ``(value, max_hold_s)`` points of the holding-time curve for the conditional band.
        hysteresis: margin inside ``acceptable`` needed to end a condition.
        relative: True when the limits come from the personal baseline.
        views: views from which the metric is valid.
        source: where the numbers come from.
    """

    metric: str
    kind: str
    acceptable: tuple[float, float]
    conditional: tuple[float, float] | None
    hold: tuple[tuple[float, float], ...]
    hysteresis: float
    relative: bool
    views: frozenset[View]
    source: str

    def band(self, value: float, in_condition: bool = False) -> str:
        """Band of ``value``; ``in_condition`` shrinks the acceptable range by the hysteresis."""
        h = self.hysteresis if in_condition else 0.0
        lo, hi = self.acceptable
        if lo + h <= value <= hi - h:
            return ACCEPTABLE
        c = self.conditional
        if c is not None and c[0] <= value <= c[1]:
            return CONDITIONAL
        return NOT_ACCEPTABLE

    def max_hold_s(self, value: float) -> float | None:
        """Maximum acceptable holding time at ``value`` (piecewise linear, clamped), or ``None``."""
        pts = self.hold
        if not pts:
            return None
        if value <= pts[0][0]:
            return pts[0][1]
        for (x0, s0), (x1, s1) in zip(pts, pts[1:], strict=False):
            if value <= x1:
                return s0 + (s1 - s0) * (value - x0) / (x1 - x0)
        return pts[-1][1]

    def excess(self, value: float) -> float:
        """How far ``value`` lies outside the acceptable band (0 inside)."""
        lo, hi = self.acceptable
        return max(lo - value, value - hi, 0.0)


def _rel(r: tuple[float, float] | None, base: float, mode: str) -> tuple[float, float] | None:
    if r is None:
        return None
    if mode == "ratio":
        return base * r[0], base * r[1]
    return base + r[0], base + r[1]


def resolve_limits(cfg: Config) -> dict[str, Limits]:
    """Limits of every judged metric for this configuration (baseline applied).

    Reports use this to shade bands on plots; metrics that need a baseline the config lacks are
    absent.
    """
    out: dict[str, Limits] = {}
    for r in cfg.rules:
        if not r.enabled:
            continue
        spec = METRICS[r.metric]
        base = cfg.baseline.get(r.metric) if cfg.baseline is not None else None
        if base is not None and r.relative_acceptable is not None:
            acc = _rel(r.relative_acceptable, base, r.relative_mode)
            cond = _rel(r.relative_conditional, base, r.relative_mode)
            hold = tuple(
                (base * x if r.relative_mode == "ratio" else base + x, s)
                for x, s in r.relative_hold
            )
            relative = True
            if r.relative_widens and r.acceptable is not None and acc is not None:
                acc = (min(acc[0], r.acceptable[0]), max(acc[1], r.acceptable[1]))
        elif r.acceptable is not None:
            acc, cond, hold, relative = r.acceptable, r.conditional, r.hold, False
        else:
            continue
        assert acc is not None
        out[r.metric] = Limits(
            metric=r.metric,
            kind=r.kind,
            acceptable=acc,
            conditional=cond,
            hold=hold,
            hysteresis=r.hysteresis,
            relative=relative,
            views=spec.views,
            source=r.source,
        )
    return out


def _view_phrase(view: View) -> str:
    return {
        View.FRONT: "the front view",
        View.LEFT: "a side view",
        View.RIGHT: "a side view",
        View.OBLIQUE: "an oblique view",
    }.get(view, "this view")


@dataclass(frozen=True, slots=True)
class _Compiled:
    cfg: Config
    limits: tuple[Limits, ...]
    specs: tuple[tuple[str, float, frozenset[View]], ...]  # name, outlier jump, views
    notes: Mapping[View, tuple[str, ...]]
    score_quantile: float = 0.5  # of the slouch score's running window (baseline-dependent)
    front_share: float = 0.0  # the share rule's limit (baseline-dependent; 0 = off)
    front_limits: tuple[Limits, ...] = ()  # the judged limits of front-view metrics

    def limit(self, metric: str) -> Limits:
        """The limits of a judged metric."""
        return next(lim for lim in self.limits if lim.metric == metric)


def _compile(cfg: Config) -> _Compiled:
    lims = resolve_limits(cfg)
    tc = cfg.temporal
    specs = tuple(
        (n, tc.outlier_jump_deg if s.unit == "deg" else tc.outlier_jump_ratio, s.views)
        for n, s in METRICS.items()
    )
    enabled = [r for r in cfg.rules if r.enabled]
    notes: dict[View, tuple[str, ...]] = {}
    for view in View:
        ns: list[str] = []
        if view is View.UNKNOWN:
            ns.append("cannot assess posture from this view: shoulders not visible")
        else:
            for r in enabled:
                if view not in METRICS[r.metric].views:
                    ns.append(
                        f"cannot assess {METRICS[r.metric].label.lower()} from {_view_phrase(view)}"
                    )
        personal = [
            r
            for r in enabled
            if view in METRICS[r.metric].views and r.relative_acceptable is not None
        ]
        fallback = [r for r in personal if r.metric in lims and not lims[r.metric].relative]
        if fallback:
            names = ", ".join(METRICS[r.metric].label.lower() for r in fallback)
            ns.append(
                f"no personal baseline: {names} judged against conservative default limits "
                "(calibrate for personal ones)"
            )
        for r in personal:
            if r.metric not in lims:
                ns.append(
                    f"cannot assess {METRICS[r.metric].label.lower()} without a personal baseline"
                )
        notes[view] = tuple(ns)
    base = cfg.front_baseline_values
    calibrated = base is not None and front_model.calibrated_baseline(base)
    return _Compiled(
        cfg=cfg,
        limits=tuple(lims.values()),
        specs=specs,
        notes=notes,
        score_quantile=tc.score_quantile_calibrated if calibrated else tc.score_quantile,
        front_share=tc.front_share_calibrated if calibrated else tc.front_share,
        front_limits=tuple(lim for lim in lims.values() if View.FRONT in METRICS[lim.metric].views),
    )


# ----------------------------------------------------------------------------------------------
# State


@dataclass(frozen=True, slots=True)
class _Smooth:
    value: float
    t_ms: int
    suspect: float | None = None
    recent: tuple[tuple[int, float], ...] = ()  # (t_ms, raw) inside the median window


@dataclass(frozen=True, slots=True)
class _Cond:
    """An ongoing out-of-band condition of one metric (or a temporal reminder condition)."""

    kind: str
    start_ms: int
    dose: float  # fraction of the allowed time used; the alert is due at 1
    peak: float | None  # worst value so far
    peak_excess: float
    fired: bool  # an alert covered this condition
    good_since_ms: int | None  # None while currently out of band
    holding: bool  # currently in the conditional band (holding-time rule)
    metric: str | None = None  # the share rule's most flagged measure (FRONT_SHARE_KEY only)
    high: bool = True  # ... and whether it was above its band (else below)


@dataclass(frozen=True, slots=True)
class _Kind:
    last_alert_ms: int | None = None
    episode: bool = False  # an alert fired and the problem is still there
    episode_start_ms: int = 0
    repeats: int = 0


@dataclass(frozen=True, slots=True)
class _Sitting:
    """Sedentary bookkeeping: the current sitting bout, time away, credited breaks."""

    sitting: bool
    bout_active: bool
    bout_s: float
    off_s: float
    on_break: bool
    breaks: int


@dataclass(frozen=True, slots=True)
class RulesState:
    """Everything :func:`step` remembers between frames. Treat as opaque and immutable.

    Every step returns a new state and never modifies the old one, so a driver may keep an old
    state (e.g. to resume after a camera reconnect) safely.
    """

    t_ms: int | None = None
    view: View = View.UNKNOWN
    view_cand: View | None = None
    view_cand_ms: int = 0
    smooth: Mapping[str, _Smooth] = field(default_factory=dict)
    conds: Mapping[str, _Cond] = field(default_factory=dict)
    kinds: Mapping[str, _Kind] = field(default_factory=dict)
    present: bool = False
    sit: _Sitting = _Sitting(False, False, 0.0, 0.0, False, 0)
    static_s: float = 0.0
    anchor: Mapping[str, float] = field(default_factory=dict)
    compiled: _Compiled | None = None
    # the front-view analyses in the share rule's window: (t_ms, ((measure, above its band)
    # for every judged front measure out of its acceptable band))
    front_recent: tuple[tuple[int, tuple[tuple[str, bool], ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict of one step (the pipeline copies these fields into ``FrameResult``).

    Attributes:
        status: overall verdict after the temporal rules.
        view: the smoothed view used for judging.
        values: smoothed value of every metric (``None`` = not measurable now or not valid from
            this view).
        bands: band of every judged, assessable metric.
        alerts: alerts fired on this step.
        timers: named running timers in seconds: ``sitting_s`` (current sitting bout),
            ``away_s`` (current stretch away or standing), ``break_s`` (current credited break),
            ``static_s`` (time without moving), ``poor_hold_s`` (longest current out-of-band
            condition), ``hold_fraction`` (largest dose, 1 = limit reached), and
            ``alert_<kind>_s`` for each kind whose alerted problem is still going on.
        notes: short remarks ("cannot assess X from the front view", "2 people in view", ...).
    """

    status: Status
    view: View
    values: Mapping[str, float | None]
    bands: Mapping[str, str]
    alerts: tuple[Alert, ...]
    timers: Mapping[str, float]
    notes: tuple[str, ...]


def initial_state(cfg: Config) -> RulesState:
    """A fresh state for a new session."""
    return RulesState(compiled=_compile(cfg))


# ----------------------------------------------------------------------------------------------
# Helpers


def _posture_alert(
    lim: Limits, c: _Cond, value: float, t_ms: int, cfg: Config, reminder: int
) -> Alert:
    spec = METRICS[lim.metric]
    title = spec.high_problem if value > lim.acceptable[1] else spec.low_problem
    holding = c.holding
    adv = advice_for(lim.kind, holding=holding)
    dur = (t_ms - c.start_ms) / 1000.0
    msg = f"{title}: {spec.label.lower()} {fmt.value(value, spec.unit)} for {fmt.duration(dur)}"
    mh = lim.max_hold_s(value) if holding else None
    if mh is not None:
        msg += (
            f", beyond the maximum holding time of {fmt.duration(mh)} at this angle ({cfg.profile})"
        )
    else:
        msg += f" (acceptable: {fmt.value_range(*lim.acceptable, spec.unit)}, {cfg.profile})"
    severity = "poor" if (reminder or not holding) else "caution"
    return _metric_alert(lim, c, t_ms, title, msg, reminder, severity, adv, c.peak)


def _metric_alert(
    lim: Limits,
    c: _Cond,
    t_ms: int,
    title: str,
    msg: str,
    reminder: int,
    severity: str,
    adv: Advice,
    peak: float | None = None,
) -> Alert:
    """An alert about one measure (``lim``) of condition ``c``, its reminder count appended."""
    if reminder:
        msg += f"; reminder {reminder}"
    return Alert(
        kind=lim.kind,
        t_ms=t_ms,
        start_ms=c.start_ms,
        severity=severity,
        title=title,
        message=msg,
        risk_factor=adv.risk_factor,
        advice=adv.line,
        metric=lim.metric,
        peak=peak,
    )


def _temporal_alert(kind: str, c: _Cond, t_ms: int, cfg: Config, reminder: int) -> Alert:
    adv = advice_for(kind)
    dur = (t_ms - c.start_ms) / 1000.0
    if kind == BREAK_KIND:
        title = "Time for a break"
        msg = (
            f"Sitting for {fmt.duration(dur)} without a break "
            f"(reminder after {fmt.duration(cfg.breaks.interval_s)})"
        )
    else:
        title = "Change position"
        msg = f"Almost no movement for {fmt.duration(dur)}"
    if reminder:
        msg += f"; reminder {reminder}"
    return Alert(
        kind=kind,
        t_ms=t_ms,
        start_ms=c.start_ms,
        severity="poor" if reminder else "caution",
        title=title,
        message=msg,
        risk_factor=adv.risk_factor,
        advice=adv.line,
    )


# ----------------------------------------------------------------------------------------------
# The step


HEAD_NOT_IN_VIEW = "head not in view: slumping not judged"
"""The note of a front-view frame whose shoulders are measured but whose head is not (cut off by
the top of the picture, turned away, covered): the slouch score and the head limits cannot judge
it, so a "good" status says nothing about slumping."""


def step(
    state: RulesState,
    metrics: PostureMetrics | None,
    t_ms: int,
    cfg: Config,
    *,
    people: int = 1,
) -> tuple[RulesState, Assessment]:
    """Advance the rules by one analysed frame.

    The phases described in the module docstring, in order, each a named function below.

    Args:
        state: the previous state (:func:`initial_state` for the first frame).
        metrics: the judged person's per-frame metrics, or ``None`` when nobody is in view.
        t_ms: the frame's time in milliseconds; must increase strictly from step to step (any
            spacing is fine).
        cfg: the configuration (may change between steps, e.g. after calibration).
        people: how many people the estimator found (noted when more than one).

    Returns:
        ``(new_state, assessment)``.

    Raises:
        ValueError: ``t_ms`` does not increase.
    """
    t = int(t_ms)
    if state.t_ms is not None and t <= state.t_ms:
        raise ValueError(f"frame times must increase: got {t} ms after {state.t_ms} ms")
    comp = state.compiled if state.compiled is not None and state.compiled.cfg is cfg else None
    comp = comp or _compile(cfg)  # a new configuration (e.g. after calibration)
    prev = _carry_over(state, t, cfg.temporal)  # a long gap pauses the timers
    present = metrics is not None
    view, cand, cand_ms = _judged_view(state, metrics, t, cfg.temporal)  # view smoothing
    values, smooth = _smooth_values(comp, prev.smooth, metrics, view, t, cfg.temporal)
    sit = _sitting(state, prev, present, values, cfg.breaks)  # sedentary
    anchor, static_s = _static_posture(state, prev, present, values, cfg.static)
    bands, conds = _posture_conditions(comp, prev, values, t, cfg.temporal)  # bands, dose
    front_recent, share = _front_share(comp, prev, state.front_recent, metrics, view, t, cfg)
    if share is not None:
        conds[FRONT_SHARE_KEY] = share
    conds.update(_reminder_conditions(prev.conds, sit, present, static_s, t, cfg))
    alerts, kinds = _alerts(state.kinds, conds, values, comp, t, cfg, present and not prev.gap)
    status, timers = _status_and_timers(conds, bands, present, sit, static_s, kinds, t, cfg)
    notes: tuple[str, ...] = comp.notes.get(view, ()) if present else ()
    extra = prev.notes + ((f"{people} people in view; judging one of them",) if people > 1 else ())
    if view is View.FRONT and metrics is not None and head_not_in_view(metrics):
        extra += (HEAD_NOT_IN_VIEW,)
    new_state = RulesState(
        t_ms=t,
        view=view,
        view_cand=cand,
        view_cand_ms=cand_ms,
        smooth=smooth,
        conds=conds,
        kinds=kinds,
        present=present,
        sit=sit,
        static_s=static_s,
        anchor=anchor,
        compiled=comp,
        front_recent=front_recent,
    )
    return new_state, Assessment(
        status=status,
        view=view,
        values=values,
        bands=bands,
        alerts=tuple(alerts),
        timers=timers,
        notes=(*notes, *extra),
    )


# ----------------------------------------------------------------------------------------------
# The phases of a step


@dataclass(frozen=True, slots=True)
class _Carried:
    """What a step starts from: the previous state's memory, emptied after a long gap."""

    dt_s: float  # time since the previous frame (0 for the first frame and after a gap)
    first: bool
    gap: bool
    smooth: Mapping[str, _Smooth]
    conds: Mapping[str, _Cond]
    anchor: Mapping[str, float]
    static_s: float
    notes: tuple[str, ...]


def _carry_over(state: RulesState, t: int, tc: TemporalConfig) -> _Carried:
    """Presence: a gap between frames longer than ``max_gap_s`` pauses all timers and resets
    the smoothing, the conditions (except a due break) and the static-posture anchor."""
    first = state.t_ms is None
    dt_s = 0.0 if first else (t - state.t_ms) / 1000.0  # type: ignore[operator]
    if dt_s <= tc.max_gap_s:
        return _Carried(
            dt_s, first, False, state.smooth, state.conds, state.anchor, state.static_s, ()
        )
    kept = {k: c for k, c in state.conds.items() if k == BREAK_KIND}
    note = f"{fmt.duration(dt_s)} without frames: timers paused"
    return _Carried(0.0, first, True, {}, kept, {}, 0.0, (note,))


def _judged_view(
    state: RulesState, metrics: PostureMetrics | None, t: int, tc: TemporalConfig
) -> tuple[View, View | None, int]:
    """View smoothing: a new per-frame view must persist ``view_switch_s`` to be judged.

    Returns:
        ``(view, candidate, candidate_since_ms)``.
    """
    view, cand, cand_ms = state.view, state.view_cand, state.view_cand_ms
    if metrics is None:
        return view, cand, cand_ms
    raw_view = metrics.view
    if view is View.UNKNOWN or raw_view == view:
        return raw_view, None, cand_ms
    if raw_view == cand:
        if (t - cand_ms) / 1000.0 >= tc.view_switch_s - _EPS:
            return raw_view, None, cand_ms
        return view, cand, cand_ms
    if tc.view_switch_s <= 0.0:
        return raw_view, None, t
    return view, raw_view, t


def _quantile(xs: list[float], q: float) -> float:
    """The ``q`` quantile of ``xs``, linearly interpolated (numpy's default); 0.5 is the median."""
    v = sorted(xs)
    h = (len(v) - 1) * q
    i = math.floor(h)
    if i + 1 >= len(v):
        return v[-1]
    return v[i] + (h - i) * (v[i + 1] - v[i])


def _smooth_values(
    comp: _Compiled,
    smooth_prev: Mapping[str, _Smooth],
    metrics: PostureMetrics | None,
    view: View,
    t: int,
    tc: TemporalConfig,
) -> tuple[dict[str, float | None], dict[str, _Smooth]]:
    """Smoothing (time-constant EMA) and one-frame outlier rejection of every metric valid
    for the judged view.

    Returns:
        ``(values, smooth)``: the smoothed value of every metric (``None`` = not measurable now)
        and the smoothing memory for the next step.
    """
    values: dict[str, float | None] = {}
    smooth: dict[str, _Smooth] = {}
    tau = tc.smoothing_tau_s
    reset_ms = 1000.0 * max(5.0 * tau, tc.outlier_max_gap_s)
    raw_values = metrics.values if metrics is not None else None
    median_ms = 1000.0 * tc.score_median_s
    for name, jump, views in comp.specs:
        s = smooth_prev.get(name)
        raw = raw_values.get(name) if raw_values is not None and view in views else None
        if raw is None or not math.isfinite(raw):
            values[name] = None
            if s is not None and t - s.t_ms <= reset_ms:
                smooth[name] = s if s.suspect is None else _Smooth(s.value, s.t_ms, None, s.recent)
            continue
        recent: tuple[tuple[int, float], ...] = ()
        if name == MEDIAN_METRIC and median_ms > 0.0:
            # Running quantile (the median without a baseline) over the last score_median_s
            # before the EMA: a few misjudged frames (a glance, a landmark wobble) neither
            # start nor end a slouch condition.
            old = s.recent if s is not None and t - s.t_ms <= reset_ms else ()
            recent = tuple(p for p in old if t - p[0] < median_ms) + ((t, raw),)
            raw = _quantile([v for _, v in recent], comp.score_quantile)
        if s is None or t - s.t_ms > reset_ms:
            ns = _Smooth(raw, t, None, recent)
        else:
            d_s = (t - s.t_ms) / 1000.0
            if abs(raw - s.value) > jump and d_s <= tc.outlier_max_gap_s:
                if s.suspect is not None and abs(raw - s.suspect) <= jump:
                    ns = _Smooth(raw, t, None, recent)  # confirmed by a second frame: real
                else:
                    ns = _Smooth(s.value, t, raw, recent)  # hold back a possible glitch
            else:
                a = 1.0 - math.exp(-d_s / tau) if tau > 0.0 else 1.0
                ns = _Smooth(s.value + a * (raw - s.value), t, None, recent)
        smooth[name] = ns
        values[name] = ns.value
    return values, smooth


def _sitting(
    state: RulesState,
    prev: _Carried,
    present: bool,
    values: Mapping[str, float | None],
    bc: BreakConfig,
) -> _Sitting:
    """Sitting bouts and breaks (an interval counts as what the previous frame saw)."""
    hip = values.get("hip_angle_deg")
    sitting = present and not (hip is not None and hip >= bc.standing_hip_angle_deg)
    was = state.sit
    bout_active, bout_s, off_s = was.bout_active, was.bout_s, was.off_s
    on_break, breaks = was.on_break, was.breaks
    if not prev.first and not prev.gap:
        if was.sitting:
            bout_s += prev.dt_s
        else:
            off_s += prev.dt_s
            if bout_active:
                bout_s += prev.dt_s
    if not sitting and bout_active and off_s >= bc.min_break_s - _EPS:
        bout_active, on_break, bout_s, breaks = False, True, 0.0, breaks + 1
    if sitting:
        if not bout_active:
            bout_active, bout_s, on_break = True, 0.0, False
        off_s = 0.0
    return _Sitting(sitting, bout_active, bout_s, off_s, on_break, breaks)


def _static_posture(
    state: RulesState,
    prev: _Carried,
    present: bool,
    values: Mapping[str, float | None],
    sc: StaticConfig,
) -> tuple[Mapping[str, float], float]:
    """Static posture: how long nothing moved beyond the tolerance since the anchor.

    Returns:
        ``(anchor, static_s)``.
    """
    if not present:
        return {}, 0.0
    anchor, static_s = prev.anchor, prev.static_s
    if prev.gap:
        return anchor, static_s
    moved, compared = False, 0
    for name, a in anchor.items():
        v = values.get(name)
        if v is None:
            continue
        compared += 1
        tol = sc.tolerance_deg if METRICS[name].unit == "deg" else sc.tolerance_ratio
        if abs(v - a) > tol:
            moved = True
            break
    if moved or compared == 0:
        return {k: v for k, v in values.items() if v is not None}, 0.0
    if state.present:
        static_s += prev.dt_s
    return anchor, static_s


def _posture_conditions(
    comp: _Compiled,
    prev: _Carried,
    values: Mapping[str, float | None],
    t: int,
    tc: TemporalConfig,
) -> tuple[dict[str, str], dict[str, _Cond]]:
    """Bands of the judged metrics and their out-of-band conditions with the dose.

    Returns:
        ``(bands, conditions)``.
    """
    recover_ms = 1000.0 * tc.recover_s
    bands: dict[str, str] = {}
    conds: dict[str, _Cond] = {}
    for lim in comp.limits:
        c = prev.conds.get(lim.metric)
        v = values.get(lim.metric)
        band = None if v is None else lim.band(v, c is not None)
        if band is not None:
            bands[lim.metric] = band
        if band is not None and band != ACCEPTABLE:
            assert v is not None
            conds[lim.metric] = _worsen(lim, c, v, band == CONDITIONAL, t, prev.dt_s, tc)
        elif c is not None:
            gs = c.good_since_ms if c.good_since_ms is not None else t
            if t - gs < recover_ms - _EPS:
                conds[lim.metric] = replace(c, good_since_ms=gs)
    return bands, conds


def _front_share(
    comp: _Compiled,
    prev: _Carried,
    recent_prev: tuple[tuple[int, tuple[tuple[str, bool], ...]], ...],
    metrics: PostureMetrics | None,
    view: View,
    t: int,
    cfg: Config,
) -> tuple[tuple[tuple[int, tuple[tuple[str, bool], ...]], ...], _Cond | None]:
    """The front-view share rule: one condition while more than ``comp.front_share`` of the
    front-view analyses of the last ``score_median_s`` have any judged front measure out of
    its acceptable band (the raw per-frame verdict, before smoothing).

    A slump that a noisy per-frame verdict catches on only some frames, partly as a low head
    and partly as a lean, keeps every single measure's smoothed value near its limit, so no
    measure's own condition lasts; their union over the window does. The condition is dosed
    like a not-acceptable one (an alert after ``sustain_s``), ends after ``recover_s`` at or
    under the share, and takes its kind from the measure flagged most often in the window (so
    its alert names that problem's risk factor and advice, and shares that kind's cooldown).

    Returns:
        ``(window, condition or None)``.
    """
    tc = cfg.temporal
    if comp.front_share <= 0.0 or tc.score_median_s <= 0.0:
        return (), None
    window_ms = 1000.0 * tc.score_median_s
    old = () if prev.gap else recent_prev  # a long gap empties the window
    recent = tuple(p for p in old if t - p[0] < window_ms)
    if view is View.FRONT and metrics is not None and metrics.view is View.FRONT:
        flagged: list[tuple[str, bool]] = []
        measured = False
        for lim in comp.front_limits:
            v = metrics.values.get(lim.metric)
            if v is None or not math.isfinite(v):
                continue
            measured = True
            if lim.band(v) != ACCEPTABLE:
                flagged.append((lim.metric, v > lim.acceptable[1]))
        if measured:
            recent += ((t, tuple(flagged)),)
    c = prev.conds.get(FRONT_SHARE_KEY)
    n_flagged = sum(1 for _, f in recent if f)
    if recent and n_flagged > comp.front_share * len(recent) + _EPS:
        counts: dict[tuple[str, bool], int] = {}
        for _, f in recent:
            for key in f:
                counts[key] = counts.get(key, 0) + 1
        metric, high = max(counts, key=lambda k: (counts[k], k))
        if c is not None and c.fired and c.metric is not None:
            metric, high = c.metric, c.high  # an alerted problem keeps what it was told as
        kind = comp.limit(metric).kind
        share = n_flagged / len(recent)
        rate = math.inf if tc.sustain_s <= 0.0 else 1.0 / tc.sustain_s
        if c is None:
            dose = math.inf if math.isinf(rate) else 0.0
            return recent, _Cond(kind, t, dose, share, share, False, None, False, metric, high)
        inc = math.inf if math.isinf(rate) else prev.dt_s * rate
        peak = max(share, c.peak or 0.0)
        return recent, _Cond(
            kind, c.start_ms, c.dose + inc, peak, peak, c.fired, None, False, metric, high
        )
    if c is not None:
        gs = c.good_since_ms if c.good_since_ms is not None else t
        if t - gs < 1000.0 * tc.recover_s - _EPS:
            return recent, replace(c, good_since_ms=gs)
    return recent, None


def _share_alert(c: _Cond, comp: _Compiled, t_ms: int, cfg: Config, reminder: int) -> Alert:
    """The alert of the front-view share rule, told as its most flagged measure's problem."""
    assert c.metric is not None
    lim = comp.limit(c.metric)
    spec = METRICS[c.metric]
    title = spec.high_problem if c.high else spec.low_problem
    adv = advice_for(lim.kind)
    dur = (t_ms - c.start_ms) / 1000.0
    msg = (
        f"{title}: a front-view problem in up to {c.peak or 0.0:.0%} of the analyses of "
        f"{fmt.duration(cfg.temporal.score_median_s)} for {fmt.duration(dur)}, most often "
        f"{spec.label.lower()} outside {fmt.value_range(*lim.acceptable, spec.unit)} "
        f"({cfg.profile})"
    )
    return _metric_alert(lim, c, t_ms, title, msg, reminder, "poor", adv)


def _worsen(
    lim: Limits,
    c: _Cond | None,
    v: float,
    holding: bool,
    t: int,
    dt_s: float,
    tc: TemporalConfig,
) -> _Cond:
    """A condition continued (or started) by a value out of the acceptable band."""
    if holding:
        mh = lim.max_hold_s(v)
        rate = 0.0 if mh is None else 1.0 / mh
    else:
        rate = math.inf if tc.sustain_s <= 0.0 else 1.0 / tc.sustain_s
    ex = lim.excess(v)
    if c is None:
        return _Cond(
            lim.kind, t, math.inf if math.isinf(rate) else 0.0, v, ex, False, None, holding
        )
    # The interval since the previous frame counts at the current value's rate (as in the
    # smoothing), also right after a dip back into the band.
    inc = math.inf if math.isinf(rate) else dt_s * rate
    better = ex > c.peak_excess
    return _Cond(
        lim.kind,
        c.start_ms,
        c.dose + inc,
        v if better else c.peak,
        ex if better else c.peak_excess,
        c.fired,
        None,
        holding,
    )


def _reminder_conditions(
    conds_prev: Mapping[str, _Cond],
    sit: _Sitting,
    present: bool,
    static_s: float,
    t: int,
    cfg: Config,
) -> dict[str, _Cond]:
    """Temporal reminder conditions (break due, static posture): due as soon as they exist."""
    out: dict[str, _Cond] = {}
    bc, sc = cfg.breaks, cfg.static
    if bc.enabled and sit.bout_active and sit.bout_s >= bc.interval_s - _EPS:
        c = conds_prev.get(BREAK_KIND)
        start = c.start_ms if c is not None else t - int(round(sit.bout_s * 1000.0))
        fired = c.fired if c is not None else False
        good_since = None if sit.sitting else t
        out[BREAK_KIND] = _Cond(BREAK_KIND, start, 1.0, None, 0.0, fired, good_since, False)
    if sc.enabled and present and static_s >= sc.max_s - _EPS:
        c = conds_prev.get(STATIC_KIND)
        start = c.start_ms if c is not None else t - int(round(static_s * 1000.0))
        fired = c.fired if c is not None else False
        out[STATIC_KIND] = _Cond(STATIC_KIND, start, 1.0, None, 0.0, fired, None, False)
    return out


def _alerts(
    kinds_prev: Mapping[str, _Kind],
    conds: dict[str, _Cond],
    values: Mapping[str, float | None],
    comp: _Compiled,
    t: int,
    cfg: Config,
    can_alert: bool,
) -> tuple[list[Alert], dict[str, _Kind]]:
    """Alerts, gated per kind: one per problem, a cooldown between them, a few reminders.

    Marks the conditions an alert covers as fired (in ``conds``).

    Returns:
        ``(alerts, kinds)``.
    """
    tc = cfg.temporal
    alerts: list[Alert] = []
    kinds: dict[str, _Kind] = dict(kinds_prev)
    due: dict[str, list[str]] = {}
    for key, c in conds.items():
        if c.good_since_ms is None and not c.fired and c.dose >= 1.0 - _EPS:
            due.setdefault(c.kind, []).append(key)
    cooldown_ms = 1000.0 * tc.cooldown_s
    repeat_ms = 1000.0 * tc.repeat_s

    def worst(keys: list[str]) -> str:
        # Not-acceptable before holding-time, then the farthest outside the band.
        return max(
            keys, key=lambda k: (not conds[k].holding, conds[k].peak_excess, -conds[k].start_ms)
        )

    def make(key: str, reminder: int) -> Alert:
        c = conds[key]
        if key in (BREAK_KIND, STATIC_KIND):
            return _temporal_alert(key, c, t, cfg, reminder)
        if key == FRONT_SHARE_KEY:
            return _share_alert(c, comp, t, cfg, reminder)
        v = values[key]
        assert v is not None
        return _posture_alert(comp.limit(key), c, v, t, cfg, reminder)

    for kind in sorted(set(due) | {k for k, ks in kinds.items() if ks.episode}):
        ks = kinds.get(kind, _Kind())
        keys = due.get(kind, [])
        if keys and can_alert:
            if ks.episode:
                for k in keys:  # the ongoing alerted problem already covers these
                    conds[k] = replace(conds[k], fired=True)
            elif ks.last_alert_ms is None or t - ks.last_alert_ms >= cooldown_ms - _EPS:
                alerts.append(make(worst(keys), 0))
                for k in keys:
                    conds[k] = replace(conds[k], fired=True)
                ks = _Kind(t, True, min(conds[k].start_ms for k in keys), 0)
        elif ks.episode and can_alert and repeat_ms > 0 and ks.repeats < tc.max_repeats:
            assert ks.last_alert_ms is not None
            if t - ks.last_alert_ms >= repeat_ms - _EPS:
                active = [
                    k
                    for k, c in conds.items()
                    if c.kind == kind and c.fired and c.good_since_ms is None
                ]
                if active:
                    alerts.append(make(worst(active), ks.repeats + 1))
                    ks = replace(ks, last_alert_ms=t, repeats=ks.repeats + 1)
        if ks.episode and not any(c.kind == kind and c.fired for c in conds.values()):
            ks = replace(ks, episode=False)
        kinds[kind] = ks
    return alerts, kinds


def _status_and_timers(
    conds: Mapping[str, _Cond],
    bands: Mapping[str, str],
    present: bool,
    sit: _Sitting,
    static_s: float,
    kinds: Mapping[str, _Kind],
    t: int,
    cfg: Config,
) -> tuple[Status, dict[str, float]]:
    """The overall status and the named timers (see :class:`Assessment`)."""
    onset_ms = 1000.0 * cfg.temporal.onset_s
    poor_hold_ms, dose_max = 0, 0.0
    poor = caution = False
    for key, c in conds.items():
        if key in (BREAK_KIND, STATIC_KIND) or c.good_since_ms is not None:
            continue
        held = t - c.start_ms
        poor_hold_ms = max(poor_hold_ms, held)
        dose_max = max(dose_max, c.dose)
        if c.fired or c.dose >= 1.0 - _EPS:
            poor = True
        elif held >= onset_ms - _EPS:
            caution = True
    if not present:
        status = Status.AWAY
    elif not bands:
        status = Status.UNKNOWN
    elif poor:
        status = Status.POOR
    elif caution:
        status = Status.CAUTION
    else:
        status = Status.GOOD
    timers: dict[str, float] = {
        "sitting_s": sit.bout_s if sit.bout_active else 0.0,
        "away_s": 0.0 if sit.sitting else sit.off_s,
        "break_s": sit.off_s if sit.on_break and not sit.sitting else 0.0,
        "static_s": static_s,
        "poor_hold_s": poor_hold_ms / 1000.0,
        "hold_fraction": min(dose_max, 1e6),
    }
    for kind, ks in kinds.items():
        if ks.episode:
            timers[f"alert_{kind}_s"] = (t - ks.episode_start_ms) / 1000.0
    return status, timers
