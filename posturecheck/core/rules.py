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

from posturecheck.core.advice import advice_for
from posturecheck.core.config import BANDS, Config
from posturecheck.core.metrics import METRICS
from posturecheck.core.types import Alert, PostureMetrics, Status, View

ACCEPTABLE, CONDITIONAL, NOT_ACCEPTABLE = BANDS
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
    return _Compiled(cfg=cfg, limits=tuple(lims.values()), specs=specs, notes=notes)


# ----------------------------------------------------------------------------------------------
# State


@dataclass(frozen=True, slots=True)
class _Smooth:
    value: float
    t_ms: int
    suspect: float | None = None


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


@dataclass(frozen=True, slots=True)
class _Kind:
    last_alert_ms: int | None = None
    episode: bool = False  # an alert fired and the problem is still there
    episode_start_ms: int = 0
    repeats: int = 0


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
    sitting: bool = False
    bout_active: bool = False
    bout_s: float = 0.0
    off_s: float = 0.0
    on_break: bool = False
    breaks: int = 0
    static_s: float = 0.0
    anchor: Mapping[str, float] = field(default_factory=dict)
    compiled: _Compiled | None = None


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


def format_duration(seconds: float) -> str:
    """Human duration: "45 s", "3 min 20 s", "1 h 05 min"."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m} min" if r == 0 else f"{m} min {r:02d} s"
    h, r = divmod(s, 3600)
    return f"{h} h {r // 60:02d} min"


def _fmt_value(metric: str, v: float) -> str:
    spec = METRICS[metric]
    return f"{v:.0f}{spec.symbol}" if spec.unit == "deg" else f"{v:.2f}"


def _fmt_range(metric: str, r: tuple[float, float]) -> str:
    spec = METRICS[metric]
    lo, hi = r
    fmt = (lambda x: f"{x:.0f}") if spec.unit == "deg" else (lambda x: f"{x:.2f}")
    if math.isinf(hi):
        return f"at least {fmt(lo)}{spec.symbol}"
    if math.isinf(lo):
        return f"at most {fmt(hi)}{spec.symbol}"
    return f"{fmt(lo)} to {fmt(hi)}{spec.symbol}"


def _posture_alert(
    lim: Limits, c: _Cond, value: float, t_ms: int, cfg: Config, reminder: int
) -> Alert:
    spec = METRICS[lim.metric]
    title = spec.high_problem if value > lim.acceptable[1] else spec.low_problem
    holding = c.holding
    adv = advice_for(lim.kind, holding=holding)
    dur = (t_ms - c.start_ms) / 1000.0
    msg = (
        f"{title}: {spec.label.lower()} {_fmt_value(lim.metric, value)} for {format_duration(dur)}"
    )
    mh = lim.max_hold_s(value) if holding else None
    if mh is not None:
        msg += (
            f", beyond the maximum holding time of {format_duration(mh)} at this angle "
            f"({cfg.profile})"
        )
    else:
        msg += f" (acceptable: {_fmt_range(lim.metric, lim.acceptable)}, {cfg.profile})"
    if reminder:
        msg += f"; reminder {reminder}"
    return Alert(
        kind=lim.kind,
        t_ms=t_ms,
        start_ms=c.start_ms,
        severity="poor" if (reminder or not holding) else "caution",
        title=title,
        message=msg,
        risk_factor=adv.risk_factor,
        advice=adv.line,
        metric=lim.metric,
        peak=c.peak,
    )


def _temporal_alert(kind: str, c: _Cond, t_ms: int, cfg: Config, reminder: int) -> Alert:
    adv = advice_for(kind)
    dur = (t_ms - c.start_ms) / 1000.0
    if kind == BREAK_KIND:
        title = "Time for a break"
        msg = (
            f"Sitting for {format_duration(dur)} without a break "
            f"(reminder after {format_duration(cfg.breaks.interval_s)})"
        )
    else:
        title = "Change position"
        msg = f"Almost no movement for {format_duration(dur)}"
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


def step(
    state: RulesState,
    metrics: PostureMetrics | None,
    t_ms: int,
    cfg: Config,
    *,
    people: int = 1,
) -> tuple[RulesState, Assessment]:
    """Advance the rules by one analysed frame.

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
    comp = (
        state.compiled
        if state.compiled is not None and state.compiled.cfg is cfg
        else _compile(cfg)
    )
    tc = cfg.temporal
    first = state.t_ms is None
    dt_s = 0.0 if first else (t - state.t_ms) / 1000.0  # type: ignore[operator]
    extra_notes: list[str] = []
    smooth_prev: Mapping[str, _Smooth] = state.smooth
    conds_prev: Mapping[str, _Cond] = state.conds
    anchor: Mapping[str, float] = state.anchor
    static_s = state.static_s
    gap = dt_s > tc.max_gap_s
    if gap:
        extra_notes.append(f"{format_duration(dt_s)} without frames: timers paused")
        dt_s = 0.0
        smooth_prev = {}
        conds_prev = {k: c for k, c in conds_prev.items() if k == BREAK_KIND}
        anchor, static_s = {}, 0.0
    present = metrics is not None

    # 1. View smoothing.
    view, cand, cand_ms = state.view, state.view_cand, state.view_cand_ms
    if present:
        raw_view = metrics.view  # type: ignore[union-attr]
        if view is View.UNKNOWN or raw_view == view:
            view, cand = raw_view, None
        elif raw_view == cand:
            if (t - cand_ms) / 1000.0 >= tc.view_switch_s - _EPS:
                view, cand = raw_view, None
        else:
            cand, cand_ms = raw_view, t
            if tc.view_switch_s <= 0.0:
                view, cand = raw_view, None

    # 2. Smoothing and outlier rejection of every metric valid for the judged view.
    values: dict[str, float | None] = {}
    smooth: dict[str, _Smooth] = {}
    tau = tc.smoothing_tau_s
    reset_ms = 1000.0 * max(5.0 * tau, tc.outlier_max_gap_s)
    raw_values = metrics.values if present else None  # type: ignore[union-attr]
    for name, jump, views in comp.specs:
        s = smooth_prev.get(name)
        raw = raw_values.get(name) if raw_values is not None and view in views else None
        if raw is None or not math.isfinite(raw):
            values[name] = None
            if s is not None and t - s.t_ms <= reset_ms:
                smooth[name] = s if s.suspect is None else _Smooth(s.value, s.t_ms)
            continue
        if s is None or t - s.t_ms > reset_ms:
            ns = _Smooth(raw, t)
        else:
            d_s = (t - s.t_ms) / 1000.0
            if abs(raw - s.value) > jump and d_s <= tc.outlier_max_gap_s:
                if s.suspect is not None and abs(raw - s.suspect) <= jump:
                    ns = _Smooth(raw, t)  # confirmed by a second frame: a real change
                else:
                    ns = _Smooth(s.value, t, raw)  # hold back a possible one-frame glitch
            else:
                a = 1.0 - math.exp(-d_s / tau) if tau > 0.0 else 1.0
                ns = _Smooth(s.value + a * (raw - s.value), t)
        smooth[name] = ns
        values[name] = ns.value

    # 3. Presence, sitting bouts and breaks (an interval counts as what the previous frame saw).
    bc = cfg.breaks
    hip = values.get("hip_angle_deg")
    sitting = present and not (hip is not None and hip >= bc.standing_hip_angle_deg)
    bout_active, bout_s, off_s = state.bout_active, state.bout_s, state.off_s
    on_break, breaks = state.on_break, state.breaks
    if not first and not gap:
        if state.sitting:
            bout_s += dt_s
        else:
            off_s += dt_s
            if bout_active:
                bout_s += dt_s
    if not sitting and bout_active and off_s >= bc.min_break_s - _EPS:
        bout_active, on_break, bout_s, breaks = False, True, 0.0, breaks + 1
    if sitting:
        if not bout_active:
            bout_active, bout_s, on_break = True, 0.0, False
        off_s = 0.0

    # 4. Static posture: nothing moved beyond the tolerance since the anchor.
    sc = cfg.static
    if present and not gap:
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
            anchor = {k: v for k, v in values.items() if v is not None}
            static_s = 0.0
        elif state.present:
            static_s += dt_s
    elif not present:
        anchor, static_s = {}, 0.0

    # 5. Conditions of the judged metrics.
    onset_ms = 1000.0 * tc.onset_s
    recover_ms = 1000.0 * tc.recover_s
    bands: dict[str, str] = {}
    conds: dict[str, _Cond] = {}
    lim_by_metric: dict[str, Limits] = {}
    for lim in comp.limits:
        lim_by_metric[lim.metric] = lim
        c = conds_prev.get(lim.metric)
        v = values.get(lim.metric)
        band = None if v is None else lim.band(v, c is not None)
        if band is not None:
            bands[lim.metric] = band
        if band is not None and band != ACCEPTABLE:
            assert v is not None
            holding = band == CONDITIONAL
            if holding:
                mh = lim.max_hold_s(v)
                rate = 0.0 if mh is None else 1.0 / mh
            else:
                rate = math.inf if tc.sustain_s <= 0.0 else 1.0 / tc.sustain_s
            ex = lim.excess(v)
            if c is None:
                c = _Cond(
                    lim.kind, t, math.inf if math.isinf(rate) else 0.0, v, ex, False, None, holding
                )
            else:
                # The interval since the previous frame counts at the current value's rate
                # (as in the smoothing), also right after a dip back into the band.
                inc = math.inf if math.isinf(rate) else dt_s * rate
                better = ex > c.peak_excess
                c = _Cond(
                    lim.kind,
                    c.start_ms,
                    c.dose + inc,
                    v if better else c.peak,
                    ex if better else c.peak_excess,
                    c.fired,
                    None,
                    holding,
                )
            conds[lim.metric] = c
        elif c is not None:
            gs = c.good_since_ms if c.good_since_ms is not None else t
            if t - gs < recover_ms - _EPS:
                conds[lim.metric] = replace(c, good_since_ms=gs)

    # Temporal reminder conditions (break due, static posture): due as soon as they exist.
    if bc.enabled and bout_active and bout_s >= bc.interval_s - _EPS:
        c = conds_prev.get(BREAK_KIND)
        start = c.start_ms if c is not None else t - int(round(bout_s * 1000.0))
        conds[BREAK_KIND] = _Cond(
            BREAK_KIND,
            start,
            1.0,
            None,
            0.0,
            c.fired if c is not None else False,
            None if sitting else t,
            False,
        )
    if sc.enabled and present and static_s >= sc.max_s - _EPS:
        c = conds_prev.get(STATIC_KIND)
        start = c.start_ms if c is not None else t - int(round(static_s * 1000.0))
        conds[STATIC_KIND] = _Cond(
            STATIC_KIND, start, 1.0, None, 0.0, c.fired if c is not None else False, None, False
        )

    # 6. Alerts, gated per kind.
    alerts: list[Alert] = []
    kinds: dict[str, _Kind] = dict(state.kinds)
    can_alert = present and not gap
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
        v = values[key]
        assert v is not None
        return _posture_alert(lim_by_metric[key], c, v, t, cfg, reminder)

    for kind in sorted(set(due) | {k for k, ks in kinds.items() if ks.episode}):
        ks = kinds.get(kind, _Kind())
        keys = due.get(kind, [])
        if keys and can_alert:
            if ks.episode:
                for k in keys:  # the ongoing alerted problem already covers these
                    conds[k] = replace(conds[k], fired=True)
            elif ks.last_alert_ms is None or t - ks.last_alert_ms >= cooldown_ms - _EPS:
                k0 = worst(keys)
                alerts.append(make(k0, 0))
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

    # 7. Status and timers.
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
        "sitting_s": bout_s if bout_active else 0.0,
        "away_s": 0.0 if sitting else off_s,
        "break_s": off_s if on_break and not sitting else 0.0,
        "static_s": static_s,
        "poor_hold_s": poor_hold_ms / 1000.0,
        "hold_fraction": min(dose_max, 1e6),
    }
    for kind, ks in kinds.items():
        if ks.episode:
            timers[f"alert_{kind}_s"] = (t - ks.episode_start_ms) / 1000.0

    notes: tuple[str, ...] = comp.notes.get(view, ()) if present else ()
    if people > 1:
        extra_notes.append(f"{people} people in view; judging one of them")
    if extra_notes:
        notes = (*notes, *extra_notes)

    new_state = RulesState(
        t_ms=t,
        view=view,
        view_cand=cand,
        view_cand_ms=cand_ms,
        smooth=smooth,
        conds=conds,
        kinds=kinds,
        present=present,
        sitting=sitting,
        bout_active=bout_active,
        bout_s=bout_s,
        off_s=off_s,
        on_break=on_break,
        breaks=breaks,
        static_s=static_s,
        anchor=anchor,
        compiled=comp,
    )
    return new_state, Assessment(
        status=status,
        view=view,
        values=values,
        bands=bands,
        alerts=tuple(alerts),
        timers=timers,
        notes=notes,
    )
