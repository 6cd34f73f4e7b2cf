"""Pure drawing functions: ``(image, data) -> image``.

No windows, no ``waitKey``, no files: the drivers own display and keys (live) or video writing
(batch ``--annotate``). Every function draws **in place** on the BGR ``uint8`` image it is given
and returns that same array, so calls chain cheaply; pass ``image.copy()`` to keep the original.

Sizes (line thickness, font scale, margins) scale with the image, so a 320x240 preview and a
1080p annotated video both stay legible. OpenCV's Hershey fonts are ASCII only, hence "deg".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from posturecheck.core import fmt
from posturecheck.core.advice import short_tip
from posturecheck.core.catalog import BAND_RANK
from posturecheck.core.landmarks import DEFAULT_MIN_VISIBILITY, SIDE_CHAIN, SKELETON_EDGES
from posturecheck.core.types import Alert, FrameResult, Pose, Status, View

# ----------------------------------------------------------------------------- palette (BGR)

STATUS_BGR: dict[Status, tuple[int, int, int]] = {
    Status.GOOD: (90, 200, 60),
    Status.CAUTION: (0, 190, 255),
    Status.POOR: (60, 60, 235),
    Status.AWAY: (150, 150, 150),
    Status.UNKNOWN: (200, 200, 200),
}

BAND_BGR: dict[str, tuple[int, int, int]] = {
    "acceptable": (90, 200, 60),
    "good": (90, 200, 60),
    "conditional": (0, 190, 255),
    "caution": (0, 190, 255),
    "not_acceptable": (60, 60, 235),
    "poor": (60, 60, 235),
}
_NEUTRAL_BGR = (230, 230, 230)
_PANEL_BG = (30, 30, 30)
_WHITE = (255, 255, 255)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


# Short labels for metric names we know; anything else is derived from its name.
_LABELS: dict[str, str] = {
    "neck_inclination_deg": "neck incl.",
    "trunk_inclination_deg": "trunk incl.",
    "neck_flexion_deg": "neck flex.",
    "cva_deg": "CVA",
    "head_pitch_deg": "head pitch",
    "hip_angle_deg": "hip",
    "elbow_angle_deg": "elbow",
    "shoulder_tilt_deg": "shoulder tilt",
    "head_roll_deg": "head roll",
    "lateral_lean_deg": "side lean",
    "head_offset_ratio": "head offset",
    "head_height_ratio": "head height",
    "shoulder_width_ratio": "lean-in (width)",
    "shoulder_gap_ratio": "shrug gap",
    "face_width_ratio": "face width",
    "shoulder_x_ratio": "shoulder x",
    "shoulder_y_ratio": "shoulder height",
    "slouch_score_ratio": "slouch score",
    "neck_inclination_3d_deg": "neck incl. 3D",
    "trunk_inclination_3d_deg": "trunk incl. 3D",
    "neck_flexion_3d_deg": "neck flex. 3D",
}


def metric_label(name: str) -> str:
    """Short human label of a metric name (``"neck_inclination_deg"`` -> ``"neck incl."``)."""
    if name in _LABELS:
        return _LABELS[name]
    base = name
    for suffix in ("_deg", "_ratio", "_px", "_m", "_s"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.replace("_", " ")


def format_value(name: str, value: float | None) -> str:
    """A value for the window (ASCII: the Hershey fonts have no ``°``), its unit taken from the
    name's suffix (``_deg``, ``_s`` as a clock, else a ratio); ``None`` -> ``"n/a"``."""
    if name.endswith("_s"):
        return fmt.clock(value, missing="n/a")
    return fmt.value(value, "deg" if name.endswith("_deg") else "ratio", ascii=True, missing="n/a")


# Ratios mean little as bare numbers ("head height: 0.52", issue 16): the window shows the change
# from the person's upright baseline when there is one, else what the ratio is a share of.
_SHARE_OF_SHOULDERS = {"head_height_ratio", "shoulder_gap_ratio", "face_width_ratio"}
_SHARE_OF_IMAGE = {"shoulder_width_ratio"}
# Positions, judged only against a calibration: metric -> (word for +, word for -).
_SHIFTS = {
    "shoulder_x_ratio": ("right", "left"),  # in the picture
    "shoulder_y_ratio": ("lower", "higher"),
    "head_offset_ratio": ("to your left", "to your right"),
}


def describe_value(
    name: str, value: float | None, baseline: Mapping[str, float] | None = None
) -> str | None:
    """A metric value as the window shows it: angles and times with their unit; a ratio as its
    change from ``baseline`` ("-13% vs upright", "30% of shoulder w. lower") or, without one,
    in plain terms ("52% of shoulder width", "62% likely slumped"). ``None`` for a value that
    means nothing without a baseline (the shoulder position in the picture)."""
    if value is None or not name.endswith("_ratio"):
        return format_value(name, value)
    base = (baseline or {}).get(name)
    if name == "slouch_score_ratio":
        return f"{100 * value:.0f}% likely slumped"
    if name in _SHIFTS:
        plus, minus = _SHIFTS[name]
        if name == "head_offset_ratio":
            d = value - base if base is not None else value
        else:
            w0 = (baseline or {}).get("shoulder_width_ratio")
            if base is None or not w0 or w0 <= 0:
                return None
            d = (value - base) / w0  # in the calibrated shoulder width
        if round(abs(100 * d)) < 1:
            return "as upright" if base is not None else "centred"
        return f"{100 * abs(d):.0f}% of shoulder w. {plus if d > 0 else minus}"
    if base is not None and base > 0:
        pct = 100 * (value / base - 1)
        return "as upright" if round(pct) == 0 else f"{pct:+.0f}% vs upright"
    if name in _SHARE_OF_SHOULDERS:
        return f"{100 * value:.0f}% of shoulder width"
    if name in _SHARE_OF_IMAGE:
        return f"{100 * value:.0f}% of image width"
    return format_value(name, value)


# ----------------------------------------------------------------------------- primitives


def _unit(image: np.ndarray) -> float:
    """Drawing unit: 1.0 for a 480-pixel-high image."""
    return max(0.4, min(image.shape[0], image.shape[1] * 0.75) / 480.0)


def _thick(image: np.ndarray, k: float = 1.0) -> int:
    return max(1, int(round(2 * _unit(image) * k)))


def _font_scale(image: np.ndarray, k: float = 1.0) -> float:
    return 0.5 * _unit(image) * k


def text_size(image: np.ndarray, text: str, k: float = 1.0) -> tuple[int, int, int]:
    """Width, height and baseline (pixels) of ``text`` drawn by :func:`put_text` at scale ``k``."""
    (w, h), base = cv2.getTextSize(text, _FONT, _font_scale(image, k), _thick(image, 0.5 * k))
    return w, h, base


def put_text(
    image: np.ndarray,
    text: str,
    org_xy: tuple[int, int],
    *,
    color: tuple[int, int, int] = _WHITE,
    k: float = 1.0,
    bg: tuple[int, int, int] | None = _PANEL_BG,
    alpha: float = 0.6,
) -> tuple[int, int]:
    """Draw one line of text with an optional translucent background box.

    Args:
        image: BGR image, drawn on in place.
        text: ASCII text.
        org_xy: top-left corner of the text box in pixels.
        color: text colour (BGR).
        k: size factor relative to the default.
        bg: background colour, or ``None`` for none.
        alpha: background opacity.

    Returns:
        ``(width, height)`` of the box drawn, padding included.
    """
    w, h, base = text_size(image, text, k)
    pad = max(2, int(3 * _unit(image)))
    x, y = org_xy
    box = (x, y, x + w + 2 * pad, y + h + base + 2 * pad)
    if bg is not None:
        fill_rect(image, box, bg, alpha)
    cv2.putText(
        image,
        text,
        (x + pad, y + pad + h),
        _FONT,
        _font_scale(image, k),
        color,
        _thick(image, 0.5 * k),
        cv2.LINE_AA,
    )
    return box[2] - box[0], box[3] - box[1]


def fill_rect(
    image: np.ndarray,
    box_xyxy: tuple[int, int, int, int],
    color: tuple[int, int, int],
    alpha: float = 1.0,
) -> np.ndarray:
    """Fill a rectangle, blending with ``alpha`` (only the rectangle's pixels are touched)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in box_xyxy)
    x0, x1 = max(0, min(x0, w)), max(0, min(x1, w))
    y0, y1 = max(0, min(y0, h)), max(0, min(y1, h))
    if x1 <= x0 or y1 <= y0:
        return image
    roi = image[y0:y1, x0:x1]
    if alpha >= 1.0:
        roi[:] = color
    else:
        overlay = np.empty_like(roi)
        overlay[:] = color
        cv2.addWeighted(overlay, alpha, roi, 1.0 - alpha, 0.0, dst=roi)
    return image


def _scale_to_image(pose: Pose, image: np.ndarray) -> np.ndarray:
    """Pose pixels mapped onto ``image`` (the pose may come from a smaller analysis frame)."""
    pw, ph = pose.image_wh
    h, w = image.shape[:2]
    xy = pose.xy_px
    if (pw, ph) != (w, h) and pw > 0 and ph > 0:
        xy = xy * (w / pw, h / ph)
    return xy


# ----------------------------------------------------------------------------- frame annotation


def draw_skeleton(
    image: np.ndarray,
    pose: Pose,
    color: tuple[int, int, int],
    *,
    min_confidence: float = DEFAULT_MIN_VISIBILITY,
) -> np.ndarray:
    """Draw the upper-body skeleton of one pose; landmarks below ``min_confidence`` are skipped."""
    xy = _scale_to_image(pose, image)
    conf = pose.visibility * pose.presence
    t = _thick(image)
    r = max(2, t + 1)
    for a, b in SKELETON_EDGES:
        if conf[a] >= min_confidence and conf[b] >= min_confidence:
            pa = tuple(int(round(v)) for v in xy[a])
            pb = tuple(int(round(v)) for v in xy[b])
            cv2.line(image, pa, pb, color, t, cv2.LINE_AA)
    for i in {i for e in SKELETON_EDGES for i in e}:
        if conf[i] >= min_confidence:
            p = tuple(int(round(v)) for v in xy[i])
            cv2.circle(image, p, r, _WHITE, -1, cv2.LINE_AA)
            cv2.circle(image, p, r, color, max(1, t // 2), cv2.LINE_AA)
    return image


def _dashed_vertical(
    image: np.ndarray, x: int, y0: int, y1: int, color: tuple[int, int, int]
) -> None:
    step = max(4, int(8 * _unit(image)))
    lo, hi = min(y0, y1), max(y0, y1)
    for y in range(lo, hi, 2 * step):
        cv2.line(image, (x, y), (x, min(y + step, hi)), color, 1, cv2.LINE_AA)


def _side_angle_guides(image: np.ndarray, result: FrameResult, color: tuple[int, int, int]) -> None:
    """Side view: neck (shoulder->ear) and trunk (hip->shoulder) against a vertical reference."""
    pose = result.pose
    assert pose is not None
    side = "left" if result.view == View.LEFT else "right"
    ear, sh, _elb, _wr, hip, _kn = SIDE_CHAIN[side]
    xy = _scale_to_image(pose, image)
    t = _thick(image, 1.5)
    conf = pose.visibility * pose.presence
    guides = []
    if conf[sh] >= DEFAULT_MIN_VISIBILITY and conf[ear] >= DEFAULT_MIN_VISIBILITY:
        guides.append((sh, ear, ("neck_inclination_deg", "neck_flexion_deg")))
    if conf[hip] >= DEFAULT_MIN_VISIBILITY and conf[sh] >= DEFAULT_MIN_VISIBILITY:
        guides.append((hip, sh, ("trunk_inclination_deg",)))
    for base, tip, names in guides:
        b = tuple(int(round(v)) for v in xy[base])
        p = tuple(int(round(v)) for v in xy[tip])
        length = int(np.hypot(p[0] - b[0], p[1] - b[1]))
        _dashed_vertical(image, b[0], b[1], b[1] - length, _WHITE)
        cv2.line(image, b, p, color, t, cv2.LINE_AA)
        name = next((n for n in names if result.values.get(n) is not None), None)
        if name is not None:
            band = result.bands.get(name)
            put_text(
                image,
                format_value(name, result.values.get(name)),
                (b[0] + _thick(image) * 4, b[1] - length // 2),
                color=BAND_BGR.get(band or "", _NEUTRAL_BGR),
                k=0.9,
            )


def metric_rows(
    result: FrameResult, limit: int = 6, baseline: Mapping[str, float] | None = None
) -> list[tuple[str, str, str | None]]:
    """The metrics worth showing: ``(label, text, band)``, worst band first.

    Metrics with a band (i.e. judged) come before unjudged ones; ``None`` values, and values
    that mean nothing without a baseline, are skipped. The text is :func:`describe_value`'s.
    """
    texts = {
        n: t
        for n, v in result.values.items()
        if v is not None and (t := describe_value(n, v, baseline)) is not None
    }
    names = sorted(texts, key=lambda n: (-BAND_RANK.get(result.bands.get(n, ""), -1), n))
    # Worse bands first when the panel has to choose which metrics to show; unjudged last.
    return [(metric_label(n), texts[n], result.bands.get(n)) for n in names[:limit]]


def status_text(result: FrameResult) -> str:
    """One-word verdict plus the view, e.g. ``"GOOD - front view"``."""
    s = result.status.value.upper()
    if result.status == Status.AWAY:
        return "AWAY - nobody in view"
    if result.view != View.UNKNOWN:
        s += f" - {result.view.value} view"
    return s


def draw_annotation(image: np.ndarray, result: FrameResult) -> np.ndarray:
    """Status-coloured border, skeleton of the judged person and (side view) angle guides."""
    color = STATUS_BGR.get(result.status, _NEUTRAL_BGR)
    h, w = image.shape[:2]
    # Status frame: a coloured border that is visible at a glance from the corner of an eye.
    cv2.rectangle(image, (0, 0), (w - 1, h - 1), color, max(2, _thick(image, 2)))
    if result.pose is not None:
        draw_skeleton(image, result.pose, color)
        if result.view.is_side:
            _side_angle_guides(image, result, color)
    return image


def draw_status_panel(
    image: np.ndarray,
    result: FrameResult,
    *,
    origin_xy: tuple[int, int] | None = None,
    max_metrics: int = 6,
    baseline: Mapping[str, float] | None = None,
) -> int:
    """Status line and the metric rows (band-coloured) at the top-left; with ``baseline``, the
    ratios as changes from it.

    Returns:
        The y coordinate just below the panel.
    """
    m = _thick(image, 3)
    x, y = origin_xy if origin_xy is not None else (m, m)
    color = STATUS_BGR.get(result.status, _NEUTRAL_BGR)
    _, bh = put_text(image, status_text(result), (x, y), color=_WHITE, bg=color, alpha=0.85, k=1.1)
    y += bh + m // 2
    for label, value, band in metric_rows(result, max_metrics, baseline):
        _, bh = put_text(  # a solid panel: red text on the picture is unreadable
            image,
            f"{label}: {value}",
            (x, y),
            color=BAND_BGR.get(band or "", _NEUTRAL_BGR),
            alpha=1.0,
        )
        y += bh
    return y


def draw_result(image: np.ndarray, result: FrameResult, *, max_metrics: int = 6) -> np.ndarray:
    """Annotate one frame: skeleton of the judged person, key angles and the status colour.

    Used for batch ``--annotate`` videos and as the base layer of the live window.

    Args:
        image: BGR ``uint8`` image of the frame (any size; the pose is rescaled onto it).
        result: the analysed frame.
        max_metrics: at most this many metric rows (worst band first).

    Returns:
        ``image``, drawn on in place.
    """
    draw_annotation(image, result)
    draw_status_panel(image, result, max_metrics=max_metrics)
    h, w = image.shape[:2]
    m = _thick(image, 3)
    t_txt = f"t={fmt.clock(result.t_s)}"
    tw, th, base = text_size(image, t_txt, 0.8)
    put_text(image, t_txt, (w - tw - 3 * m, h - th - base - 3 * m), k=0.8)
    return image


# ----------------------------------------------------------------------------- live panels


@dataclass(frozen=True, slots=True)
class LiveHud:
    """What the live window shows besides the frame annotation (all optional).

    Attributes:
        fps: analysis frames per second actually achieved.
        cpu_pct: process CPU use in percent of one core.
        mode: sampling mode (``"fine"``, ``"pending"``, ``"away"``, ``"full"``, ``"paused"``).
        alert: the alert to show in the banner (the most recent one, while it is fresh).
        show_help: draw the key help overlay.
        help_lines: the lines of the help overlay.
        countdown_s: calibration countdown (seconds left) or ``None``.
        countdown_text: what the calibration step asks for ("Sit upright", "Now slouch").
        limits: calibration preview, ``(label, text)`` rows (e.g. neck limit after calibration).
        message: a transient message (e.g. "camera lost, retrying in 4 s").
        profile: the calibration profile in use, if any.
        key_hint: one line at the bottom naming the keys (hidden while the help is shown).
        baseline_note: what the verdict is judged against when it is not a calibration ("no
            baseline: general limits"), shown under the status; ``""`` = calibrated.
        baseline: the baseline in use (metric -> upright value): the metric rows then show the
            change from it instead of a bare ratio.
    """

    fps: float | None = None
    cpu_pct: float | None = None
    mode: str = ""
    alert: Alert | None = None
    show_help: bool = False
    help_lines: Sequence[str] = ()
    key_hint: str = ""
    countdown_s: float | None = None
    countdown_text: str = ""
    limits: Sequence[tuple[str, str]] = ()
    message: str = ""
    profile: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    baseline_note: str = ""
    baseline: Mapping[str, float] = field(default_factory=dict)


def timer_rows(timers: Mapping[str, float]) -> list[tuple[str, str, str]]:
    """The timers worth showing: ``(label, text, key)``.

    Sitting bout always; the bad-posture hold while one runs (with how much of its allowed
    time is used, from ``hold_fraction``); time without moving after a minute; away/break while
    they run. Internal timers (``alert_<kind>_s``) are not shown.
    """
    rows: list[tuple[str, str, str]] = []
    if timers.get("away_s", 0.0) > 0:
        rows.append(("away", fmt.clock(timers["away_s"]), "away_s"))
    if timers.get("break_s", 0.0) > 0:
        rows.append(("break", fmt.clock(timers["break_s"]), "break_s"))
    if "sitting_s" in timers and not timers.get("away_s", 0.0) > 0:
        rows.append(("sitting bout", fmt.clock(timers["sitting_s"]), "sitting_s"))
    hold = timers.get("poor_hold_s", 0.0)
    if hold > 0:
        text = fmt.clock(hold)
        frac = timers.get("hold_fraction")
        if frac is not None and frac > 0:
            text += f" ({100 * frac:.0f}% of limit)"
        rows.append(("bad-posture hold", text, "poor_hold_s"))
    if timers.get("static_s", 0.0) >= 60:
        rows.append(("without moving", fmt.clock(timers["static_s"]), "static_s"))
    return rows


def draw_timers(
    image: np.ndarray, timers: Mapping[str, float], *, origin_xy: tuple[int, int] | None = None
) -> np.ndarray:
    """Running timers (sitting bout, bad-posture hold, ...) at the bottom-left.

    The hold turns amber, then red, as it uses up its allowed time (``hold_fraction`` 0.5 / 1),
    or, without a fraction, past 30 s / 2 min, so a long hold is noticed before the alert.
    """
    rows = timer_rows(timers)
    if not rows:
        return image
    m = _thick(image, 3)
    h = image.shape[0]
    line_h = _line_h(image, "Ag", 1.0)
    x, y = origin_xy if origin_xy is not None else (m, h - m - line_h * len(rows))
    for label, text, key in rows:
        color = _NEUTRAL_BGR
        if key == "poor_hold_s":
            frac = timers.get("hold_fraction")
            v = timers[key]
            level = (frac >= 1.0, frac >= 0.5) if frac is not None else (v >= 120, v >= 30)
            color = (
                BAND_BGR["not_acceptable"]
                if level[0]
                else BAND_BGR["conditional"]
                if level[1]
                else _NEUTRAL_BGR
            )
        _, bh = put_text(image, f"{label}: {text}", (x, y), color=color)
        y += bh
    return image


def draw_perf(
    image: np.ndarray,
    fps: float | None,
    cpu_pct: float | None,
    mode: str = "",
    *,
    y0: int | None = None,
) -> np.ndarray:
    """Analysis FPS, CPU (% of one core) and sampling mode at the top-right (or at ``y0``)."""
    parts = []
    if fps is not None:
        parts.append(f"{fps:.1f} fps")
    if cpu_pct is not None:
        parts.append(f"CPU {cpu_pct:.0f}%")
    if mode:
        parts.append(mode)
    if not parts:
        return image
    text = "  ".join(parts)
    m = _thick(image, 3)
    tw, _, _ = text_size(image, text, 0.8)
    put_text(image, text, (image.shape[1] - tw - 3 * m, m if y0 is None else y0), k=0.8)
    return image


def _banner_lines(image: np.ndarray, alert: Alert) -> list[tuple[str, float]]:
    """One short line: the problem, how long, and a short tip cut to the image width (the
    risk factor and the full advice with its source are in the terminal summary)."""
    w = image.shape[1] - 2 * _thick(image, 3)
    title = f"{alert.title} {fmt.clock(alert.duration_s)}"
    tip = short_tip(alert.advice).replace("…", "...")
    text = f"{title}: {tip}" if tip else title
    if text_size(image, text, 0.9)[0] > w:
        words = text.split(" ")
        while len(words) > 2 and text_size(image, " ".join(words) + "...", 0.9)[0] > w:
            words.pop()
        text = " ".join(words).rstrip(",;:") + "..."
    return [(text, 0.9)]


def _line_h(image: np.ndarray, text: str, k: float) -> int:
    _, th, base = text_size(image, text, k)
    return th + base + 2 * max(2, int(3 * _unit(image)))


def banner_height(image: np.ndarray, alert: Alert) -> int:
    """Height in pixels :func:`draw_banner` will use for ``alert`` on this image."""
    return sum(_line_h(image, s, k) for s, k in _banner_lines(image, alert)) + 2 * _thick(image)


def draw_banner(image: np.ndarray, alert: Alert, *, y0: int = 0) -> np.ndarray:
    """The active alert across the top: title and duration, then risk factor and advice."""
    w = image.shape[1]
    color = BAND_BGR["not_acceptable"] if alert.severity == "poor" else (0, 140, 220)
    fill_rect(image, (0, y0, w, y0 + banner_height(image, alert)), color, 1.0)
    y = y0 + _thick(image)
    for s, k in _banner_lines(image, alert):
        put_text(image, s, (_thick(image, 3), y), color=_WHITE, k=k, bg=None)
        y += _line_h(image, s, k)
    return image


def _wrap(image: np.ndarray, text: str, max_w_px: int, k: float, max_lines: int = 3) -> list[str]:
    words = text.split()
    lines: list[str] = []
    cur = ""
    for word in words:
        cand = f"{cur} {word}".strip()
        if text_size(image, cand, k)[0] + 8 > max_w_px and cur:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,; ") + " ..."
    return lines


def draw_help(image: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """A centred, dimmed box listing the keys."""
    if not lines:
        return image
    h, w = image.shape[:2]
    sizes = [text_size(image, s) for s in lines]
    pad = max(2, int(3 * _unit(image)))
    bw = max(s[0] for s in sizes) + 6 * pad
    bh = sum(s[1] + s[2] + 2 * pad for s in sizes) + 4 * pad
    x0, y0 = max(0, (w - bw) // 2), max(0, (h - bh) // 2)
    fill_rect(image, (x0, y0, x0 + bw, y0 + bh), _PANEL_BG, 0.85)
    y = y0 + 2 * pad
    for s, (_, th, base) in zip(lines, sizes, strict=True):
        put_text(image, s, (x0 + 2 * pad, y), bg=None)
        y += th + base + 2 * pad
    return image


def draw_countdown(
    image: np.ndarray, seconds_left: float, text: str, limits: Sequence[tuple[str, str]] = ()
) -> np.ndarray:
    """Calibration: big countdown number, the instruction, and a preview of the limits."""
    h, w = image.shape[:2]
    num = str(max(0, int(np.ceil(seconds_left))))
    k_big = 4.0
    nw, nh, _ = text_size(image, num, k_big)
    cv2.putText(
        image,
        num,
        ((w - nw) // 2, (h + nh) // 2),
        _FONT,
        _font_scale(image, k_big),
        (0, 220, 255),
        _thick(image, 2.5),
        cv2.LINE_AA,
    )
    if text:
        tw, _, _ = text_size(image, text, 1.2)
        put_text(image, text, ((w - tw) // 2, (h + nh) // 2 + _thick(image, 6)), k=1.2)
    if limits:
        y = int(h * 0.72)
        for label, value in limits:
            s = f"{label}: {value}"
            tw, _, _ = text_size(image, s, 0.9)
            _, bh = put_text(image, s, ((w - tw) // 2, y), k=0.9)
            y += bh
    return image


def draw_tracking(image: np.ndarray, person: int, of: int, *, y0: int | None = None) -> np.ndarray:
    """``"tracking person N of M"`` at the top-right, under the performance line (or at ``y0``)."""
    if of < 2:
        return image
    text = f"tracking person {person} of {of}"
    m = _thick(image, 3)
    tw, th, base = text_size(image, text, 0.8)
    y = y0 if y0 is not None else m + th + base + 4 * m
    put_text(image, text, (image.shape[1] - tw - 3 * m, y), color=(0, 220, 255), k=0.8)
    return image


def draw_message(image: np.ndarray, text: str) -> np.ndarray:
    """A transient message (camera lost, paused, ...) centred at the bottom."""
    if not text:
        return image
    h, w = image.shape[:2]
    tw, th, base = text_size(image, text, 1.0)
    put_text(
        image,
        text,
        (max(0, (w - tw) // 2), h - th - base - 6 * _thick(image, 3)),
        color=(0, 220, 255),
    )
    return image


def draw_live(
    image: np.ndarray, result: FrameResult | None, hud: LiveHud, *, person_index: int = 1
) -> np.ndarray:
    """The full live window: frame annotation plus every live panel that has data.

    Args:
        image: BGR frame (drawn on in place).
        result: the latest analysis (may be older than the frame), or ``None`` before the first.
        hud: the driver's state to show.
        person_index: 1-based index of the tracked person among ``result.people``.

    Returns:
        ``image``.
    """
    m = _thick(image, 3)
    top = m
    if result is not None:
        draw_annotation(image, result)
    if hud.alert is not None:
        draw_banner(image, hud.alert)
        top = banner_height(image, hud.alert) + m
    draw_perf(image, hud.fps, hud.cpu_pct, hud.mode, y0=top)
    y = top
    if result is not None:
        y = draw_status_panel(image, result, origin_xy=(m, top), baseline=hud.baseline)
        rows = timer_rows(result.timers)
        gap = 0  # the timers sit above the key hint's strip, not under it
        if hud.key_hint and not hud.show_help:
            _, th, base = text_size(image, hud.key_hint, 0.7)
            gap = th + base + 3 * m
        ty = image.shape[0] - m - _line_h(image, "Ag", 1.0) * len(rows) - gap
        draw_timers(image, result.timers, origin_xy=(m, ty))
        line = text_size(image, "Ag", 0.8)
        draw_tracking(image, person_index, result.people, y0=top + line[1] + line[2] + 3 * m)
    if hud.countdown_s is not None:
        draw_countdown(image, hud.countdown_s, hud.countdown_text, hud.limits)
    elif hud.limits:
        y = int(image.shape[0] * 0.72)
        for label, value in hud.limits:
            _, bh = put_text(image, f"{label}: {value}", (_thick(image, 3), y), k=0.9)
            y += bh
    if hud.baseline_note:  # solid amber: the verdict is not against a calibration
        put_text(image, hud.baseline_note, (m, y), color=_WHITE, bg=(0, 140, 220), alpha=1.0, k=0.8)
    draw_message(image, hud.message)
    if hud.show_help:
        draw_help(image, hud.help_lines)
    elif hud.key_hint:
        _, th, base = text_size(image, hud.key_hint, 0.7)
        put_text(image, hud.key_hint, (m, image.shape[0] - th - base - 3 * m), k=0.7, alpha=1.0)
    return image
