"""Overlay: pure drawing on the given image, status colours, skeleton placement, live panels."""

from __future__ import annotations

import numpy as np
import pytest
from live_fakes import UPRIGHT

from posturecheck.core.landmarks import L
from posturecheck.core.types import Alert, FrameResult, Status, View
from posturecheck.render import overlay


def result(status: Status = Status.GOOD, pose=UPRIGHT, **kw) -> FrameResult:
    return FrameResult(
        index=0,
        timestamp_ms=65_000,
        people=1 if pose is not None else 0,
        pose=pose,
        metrics=None,
        status=status,
        view=View.FRONT,
        **kw,
    )


def canvas(w: int = 320, h: int = 240) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def test_draws_in_place_and_returns_the_same_image() -> None:
    img = canvas()
    out = overlay.draw_result(img, result())
    assert out is img and img.any()


@pytest.mark.parametrize("status", [Status.GOOD, Status.CAUTION, Status.POOR])
def test_skeleton_is_drawn_on_the_landmarks_in_the_status_colour(status: Status) -> None:
    img = overlay.draw_result(canvas(), result(status))
    color = np.array(overlay.STATUS_BGR[status])
    # Midpoint of the left upper arm (shoulder -> elbow) lies on a skeleton line.
    mid = ((UPRIGHT.xy_px[L.LEFT_SHOULDER] + UPRIGHT.xy_px[L.LEFT_ELBOW]) / 2).round().astype(int)
    patch = img[mid[1] - 1 : mid[1] + 2, mid[0] - 1 : mid[0] + 2].reshape(-1, 3).astype(int)
    assert (np.abs(patch - color).sum(axis=1) < 60).any()
    # The border carries the status colour too.
    assert (np.abs(img[img.shape[0] // 2, 0].astype(int) - color).sum()) < 10


def test_away_has_no_skeleton_and_a_grey_border() -> None:
    img = overlay.draw_result(canvas(), result(Status.AWAY, pose=None))
    assert tuple(img[120, 0]) == overlay.STATUS_BGR[Status.AWAY]
    mid = ((UPRIGHT.xy_px[L.LEFT_SHOULDER] + UPRIGHT.xy_px[L.LEFT_ELBOW]) / 2).round().astype(int)
    assert not img[mid[1], mid[0]].any()


def test_pose_is_rescaled_onto_a_larger_image() -> None:
    img = overlay.draw_result(canvas(640, 480), result(Status.POOR))
    x, y = (UPRIGHT.xy_px[L.LEFT_SHOULDER] * 2).round().astype(int)
    assert img[y - 3 : y + 4, x - 3 : x + 4].any()  # the joint is drawn at twice the coordinates
    x1, y1 = UPRIGHT.xy_px[L.LEFT_SHOULDER].round().astype(int)
    assert not img[y1 + 60, x1 + 40].any()  # nothing where an unscaled skeleton would be drawn


def test_metric_rows_worst_band_first_and_none_skipped() -> None:
    r = result(
        values={
            "head_roll_deg": 2.0,
            "head_height_ratio": 0.1,
            "cva_deg": None,
            "shoulder_tilt_deg": 12.0,
        },
        bands={
            "head_roll_deg": "acceptable",
            "head_height_ratio": "not_acceptable",
            "shoulder_tilt_deg": "conditional",
        },
    )
    rows = overlay.metric_rows(r)
    assert [b for _, _, b in rows] == ["not_acceptable", "conditional", "acceptable"]
    # Issue 16: a ratio is never a bare number; without a baseline it says what it is a share of.
    assert rows[0] == ("head height", "10% of shoulder width", "not_acceptable")
    assert rows[1][1] == "12 deg"


def test_ratios_show_the_change_from_the_baseline_or_a_plain_meaning() -> None:
    base = {"head_height_ratio": 0.60, "shoulder_width_ratio": 0.25, "shoulder_y_ratio": 0.40}
    values = {
        "head_height_ratio": 0.51,
        "shoulder_width_ratio": 0.30,
        "shoulder_y_ratio": 0.45,
        "shoulder_x_ratio": 0.5,
        "slouch_score_ratio": 0.62,
        "neck_inclination_3d_deg": 14.2,
    }
    r = result(values=values)
    plain = {label: text for label, text, _ in overlay.metric_rows(r, limit=10)}
    assert plain == {
        "head height": "51% of shoulder width",
        "lean-in (width)": "30% of image width",
        "slouch score": "62% likely slumped",
        "neck incl. 3D": "14 deg",
    }  # the shoulder position means nothing without a calibration: not shown
    rel = {label: text for label, text, _ in overlay.metric_rows(r, limit=10, baseline=base)}
    assert rel["head height"] == "-15% vs upright"  # 0.51 / 0.60 - 1
    assert rel["lean-in (width)"] == "+20% vs upright"
    assert rel["shoulder height"] == "20% of shoulder w. lower"  # 0.05 / 0.25
    assert "shoulder x" not in rel  # no baseline value for it
    assert rel["slouch score"] == "62% likely slumped"
    assert overlay.describe_value("head_height_ratio", 0.6, base) == "as upright"
    assert not any(t.replace(".", "").isdigit() for t in {**plain, **rel}.values())


def test_live_window_says_when_it_judges_without_a_baseline() -> None:
    r = result(Status.GOOD, values={"head_height_ratio": 0.6})
    note = "no baseline: general limits (c calibrates)"
    with_note = overlay.draw_live(canvas(640, 480), r, overlay.LiveHud(baseline_note=note))
    without = overlay.draw_live(canvas(640, 480), r, overlay.LiveHud())
    amber = np.array((0, 140, 220), np.uint8)
    strip = (with_note == amber).all(axis=2)
    assert strip.sum() > 500 and not (without == amber).all(axis=2).any()
    ys, xs = np.nonzero(strip)
    # A solid box under the status panel, wide enough for the whole note.
    w, _, _ = overlay.text_size(with_note, note, 0.8)
    assert ys.min() > 20 and xs.max() - xs.min() >= w


def test_formatting() -> None:
    assert overlay.format_value("x_s", 75.2) == "1:15"
    assert overlay.format_value("x_s", 3725) == "1:02:05"
    assert overlay.format_value("x_deg", -3.4) == "-3 deg"
    assert overlay.format_value("x_ratio", None) == "n/a"


ALERT = Alert(
    kind="neck",
    t_ms=60_000,
    start_ms=0,
    severity="poor",
    title="Head dropped",
    message="",
    risk_factor="Poor Posture and Ergonomics",
    advice="Raise the screen. " * 10,
)


@pytest.mark.parametrize("wh", [(160, 120), (640, 480), (1920, 1080)])
def test_live_panels_draw_at_any_size(wh: tuple[int, int]) -> None:
    img = canvas(*wh)
    hud = overlay.LiveHud(
        fps=2.0,
        cpu_pct=4.5,
        mode="fine",
        alert=ALERT,
        show_help=True,
        help_lines=["q quit", "p pause"],
        countdown_s=2.2,
        countdown_text="Sit upright",
        limits=[("head height", ">= 0.57")],
        message="camera back",
    )
    r = result(Status.POOR, timers={"poor_hold_s": 130.0, "sitting_s": 1500.0})
    out = overlay.draw_live(img, r, hud, person_index=1)
    assert out is img and img.any()


def test_banner_is_at_the_top_in_the_alert_colour_and_panel_below_it() -> None:
    img = canvas(640, 480)
    overlay.draw_live(img, result(Status.POOR), overlay.LiveHud(alert=ALERT))
    h = overlay.banner_height(img, ALERT)
    # One short line (issue 16: three lines with the citation covered ~23 % of the frame).
    assert 15 < h < 0.08 * 480
    red = np.array(overlay.BAND_BGR["not_acceptable"], float)
    band = img[3 : h - 3, 0:640].reshape(-1, 3).astype(float)
    # A solid banner: mostly exactly the alert colour apart from the text.
    assert np.median(np.abs(band - red).sum(axis=1)) < 5


def test_banner_is_one_line_that_fits_and_key_hint_shows() -> None:
    img = canvas(640, 480)
    long = overlay.Alert(
        **{**{f: getattr(ALERT, f) for f in ALERT.__slots__}, "advice": "word " * 80}
    )
    (line,) = overlay._banner_lines(img, long)
    assert overlay.text_size(img, line[0], line[1])[0] <= 640 and line[0].endswith("...")
    plain = canvas(640, 480)
    overlay.draw_live(plain, None, overlay.LiveHud(key_hint="keys: q quit"))
    assert plain[-40:].any() and not plain[:-60].any()  # the hint at the bottom, nothing else


def test_timers_stay_above_the_key_hint() -> None:
    hint = "keys: c calibrate p pause s snapshot h help q quit"
    timed = result(Status.POOR, pose=None, timers={"poor_hold_s": 40.0, "hold_fraction": 1.3})
    bare = result(Status.POOR, pose=None, timers={})
    with_timers = overlay.draw_live(canvas(640, 480), timed, overlay.LiveHud(key_hint=hint))
    without = overlay.draw_live(canvas(640, 480), bare, overlay.LiveHud(key_hint=hint))
    _, th, base = overlay.text_size(canvas(640, 480), hint, 0.7)
    strip = 480 - th - base - 3 * overlay._thick(canvas(640, 480), 3)
    assert (with_timers[:strip] != without[:strip]).any()  # the timers are drawn...
    assert np.array_equal(with_timers[strip:], without[strip:])  # ...but not over the hint


def test_timers_turn_amber_then_red_as_a_hold_uses_up_its_time() -> None:
    def colour_of(hold_s: float, frac: float | None) -> np.ndarray:
        timers = (
            {"poor_hold_s": hold_s}
            if frac is None
            else {"poor_hold_s": hold_s, "hold_fraction": frac}
        )
        img = overlay.draw_timers(canvas(640, 480), timers)
        pix = img.reshape(-1, 3)
        pix = pix[(pix.max(axis=1) > 150)]
        return pix.mean(axis=0)

    for short, amber, red in (
        (colour_of(5, 0.1), colour_of(20, 0.6), colour_of(40, 1.0)),
        (colour_of(5, None), colour_of(60, None), colour_of(300, None)),
    ):
        assert short.min() > 150  # neutral (light grey/white)
        assert amber[2] > 150 and amber[0] < 100  # orange: high R, low B (BGR)
        assert red[2] > 150 and red[1] < 120


def test_timer_rows_show_what_matters() -> None:
    rows = overlay.timer_rows(
        {
            "sitting_s": 65,
            "away_s": 0,
            "break_s": 0,
            "static_s": 30,
            "poor_hold_s": 12,
            "hold_fraction": 0.4,
            "alert_neck_s": 50,
        }
    )
    assert [(r[0], r[1]) for r in rows] == [
        ("sitting bout", "1:05"),
        ("bad-posture hold", "0:12 (40% of limit)"),
    ]
    away = overlay.timer_rows({"sitting_s": 65, "away_s": 20, "break_s": 0})
    assert [r[0] for r in away] == ["away"]


def test_paused_window_shows_no_stale_banner() -> None:
    import dataclasses

    from posturecheck.live.hud import KEY_HINT, Hud

    hud = Hud(lambda: 0.0, lambda: 0.0, 20.0)
    hud.alert(ALERT)
    panel = hud.panel(None, mode="paused")
    assert panel.alert is ALERT and panel.key_hint == KEY_HINT
    paused = Hud.idle(None, panel, (640, 480))
    with_banner = overlay.draw_live(canvas(640, 480), None, dataclasses.replace(panel))
    red = np.array(overlay.BAND_BGR["not_acceptable"], np.uint8)
    assert (with_banner[5:15] == red).all(axis=2).any()  # the control: a live banner is red
    assert not (paused[5:15] == red).all(axis=2).any()
