"""live.hud: what the live window shows (banner, messages, limits, other people in grey)."""

from __future__ import annotations

import numpy as np
import pytest
from live_fakes import IMAGE_WH, UPRIGHT, FakeClock, front_pose

from posturecheck.core.calibration import CalibrationRun
from posturecheck.core.landmarks import L
from posturecheck.core.types import Alert, Frame, FrameResult, Status, View
from posturecheck.live.hud import HELP_LINES, OTHER_PERSON_BGR, Hud, person_position

ALERT = Alert(
    kind="neck",
    t_ms=40_000,
    start_ms=10_000,
    severity="poor",
    title="Head bent forward",
    message="head bent forward for 30 s",
    risk_factor="Poor Posture and Ergonomics",
    advice="Raise the screen.",
)
NEAR = front_pose(dx_px=60)
FAR = front_pose(dx_px=-90, scale=0.5)


def result(status: Status, t_ms: int, poses=(UPRIGHT,), pose=UPRIGHT, **timers) -> FrameResult:
    return FrameResult(
        index=0,
        timestamp_ms=t_ms,
        people=len(poses),
        pose=pose,
        metrics=None,
        status=status,
        view=View.FRONT,
        timers=timers,
        poses=tuple(poses),
    )


def panel(hud: Hud, r: FrameResult | None, calibration: CalibrationRun | None = None):
    return hud.panel(r, mode="fine", calibration=calibration)


def test_person_position_counts_left_to_right() -> None:
    assert person_position([NEAR, FAR], NEAR) == (2, 2)
    assert person_position([NEAR, FAR], FAR) == (1, 2)
    assert person_position([NEAR], None) == (0, 1)
    assert person_position([], None) == (0, 0)
    assert person_position([FAR], NEAR) == (0, 1)  # not among them


@pytest.mark.parametrize(
    ("status", "t_ms", "shown"),
    [
        (Status.POOR, 45_000, True),
        (Status.CAUTION, 59_000, True),
        (Status.POOR, 61_000, False),  # older than banner_s (20 s)
        (Status.GOOD, 45_000, False),  # posture good again
        (Status.AWAY, 45_000, False),
    ],
)
def test_banner_lasts_while_the_problem_does(status: Status, t_ms: int, shown: bool) -> None:
    hud = Hud(FakeClock(), banner_s=20.0)
    hud.alert(ALERT)
    assert (panel(hud, result(status, t_ms)).alert is not None) is shown


def test_banner_shows_how_long_the_problem_has_lasted_so_far() -> None:
    hud = Hud(FakeClock())
    hud.alert(ALERT)
    shown = panel(hud, result(Status.POOR, 45_000, alert_neck_s=35.0)).alert
    assert shown is not None and shown.t_ms - shown.start_ms == 35_000
    assert panel(hud, None).alert is ALERT  # before any result: as fired


def test_messages_expire_on_the_clock() -> None:
    clock = FakeClock()
    hud = Hud(clock)
    hud.set_message("camera back", 3.0)
    assert panel(hud, None).message == "camera back"
    clock.advance(3.5)
    assert panel(hud, None).message == ""


def test_limits_show_with_the_calibrated_message_only() -> None:
    clock = FakeClock()
    hud = Hud(clock)
    rows = [("Head height (head drop)", "you 0.70, ok at least 0.62")]
    hud.calibrated("laptop", rows, seconds=6.0)
    p = panel(hud, None)
    assert p.message == "calibrated: setup 'laptop'" and list(p.limits) == rows
    hud.set_message("snapshot saved: x.png", 3.0)  # another message replaces the preview
    assert list(panel(hud, None).limits) == []


def test_calibration_countdown_while_it_runs() -> None:
    hud = Hud(FakeClock())
    run = CalibrationRun(ready_s=3.0)
    run.feed(1_000, None)
    p = panel(hud, result(Status.GOOD, 2_000), calibration=run)
    assert p.countdown_s == pytest.approx(2.0) and p.countdown_text == run.instruction
    assert p.help_lines == HELP_LINES and not p.show_help


def test_compose_draws_the_others_in_grey_on_a_copy() -> None:
    image = np.zeros((IMAGE_WH[1], IMAGE_WH[0], 3), np.uint8)
    frame = Frame(index=0, timestamp_ms=0, image=image)
    hud = Hud(FakeClock())
    r = result(Status.GOOD, 0, poses=(FAR, NEAR), pose=NEAR)
    out = Hud.compose(frame, r, panel(hud, r))
    assert out is not image and not image.any()  # the camera frame is left untouched
    # Midpoint of FAR's left upper arm lies on a grey (anti-aliased) skeleton line.
    mid = ((FAR.xy_px[L.LEFT_SHOULDER] + FAR.xy_px[L.LEFT_ELBOW]) / 2).round().astype(int)

    def arm(img: np.ndarray) -> np.ndarray:
        return img[mid[1] - 1 : mid[1] + 2, mid[0] - 1 : mid[0] + 2].reshape(-1, 3).astype(int)

    grey = arm(out)
    assert (grey[:, 0] == grey[:, 1]).all() and (grey[:, 1] == grey[:, 2]).all()
    assert grey.max() >= OTHER_PERSON_BGR[0] - 20
    alone = Hud.compose(frame, result(Status.GOOD, 0, poses=(NEAR,), pose=NEAR), panel(hud, r))
    assert arm(alone).max() == 0  # nobody else: nothing drawn there


def test_meters_show_the_analysis_rate_and_cpu() -> None:
    clock, cpu = FakeClock(0.0), FakeClock(0.0)
    hud = Hud(clock, cpu)
    assert panel(hud, None).fps is None and panel(hud, None).cpu_pct is None
    for _ in range(9):
        clock.advance(0.5)
        cpu.advance(0.05)
        hud.analysed()
    p = panel(hud, None)
    assert p.fps == pytest.approx(2.0) and p.cpu_pct == pytest.approx(10.0)


def test_idle_screen_dims_the_last_frame_or_is_black() -> None:
    hud = Hud(FakeClock())
    frame = Frame(index=0, timestamp_ms=0, image=np.full((240, 320, 3), 200, np.uint8))
    dim = Hud.idle(frame, panel(hud, None), (640, 480))
    assert dim.shape == (240, 320, 3) and dim[120, 160, 0] == 80  # 40 % of 200
    black = Hud.idle(None, panel(hud, None), (640, 480))
    assert black.shape == (480, 640, 3)


def test_the_key_hint_offers_the_skip_key_while_a_capture_runs() -> None:
    from posturecheck.live.hud import CAPTURE_KEY_HINT, KEY_HINT

    hud = Hud(FakeClock(), lambda: 0.0)
    run = CalibrationRun()
    assert panel(hud, result(Status.GOOD, 1_000), run).key_hint == CAPTURE_KEY_HINT
    assert "n skip" in CAPTURE_KEY_HINT and "n skip" not in KEY_HINT
    run.cancel()
    assert panel(hud, result(Status.GOOD, 2_000), run).key_hint == KEY_HINT
