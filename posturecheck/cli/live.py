"""``posturecheck live`` (and the capture of ``posturecheck calibrate``): options -> a session.

Parses the option values into :class:`~posturecheck.live.settings.LiveSettings`, opens the
camera (before the model, so a wrong ``--camera`` fails fast), the model, the window or the
terminal keys, the notifier and the history, runs the session with SIGTERM ending it cleanly,
and prints its summary.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from posturecheck.adapters.estimator import LIVE_SCAN_EVERY_S, MediaPipePoseEstimator
from posturecheck.adapters.history import HistoryStore, ResilientHistory
from posturecheck.adapters.models import resolve_model
from posturecheck.adapters.notify import Notifier
from posturecheck.adapters.screenlock import LockMonitor, open_lock_monitor
from posturecheck.adapters.setups import load_setup
from posturecheck.adapters.sources import make_feed
from posturecheck.adapters.termkeys import open_terminal_keys
from posturecheck.adapters.window import CvWindow, Display, display_available
from posturecheck.core import fmt
from posturecheck.core.config import load_config
from posturecheck.core.types import View
from posturecheck.errors import ConfigError, ExitStatus, ModelError
from posturecheck.live.firstrun import AUTO_STRETCH_S
from posturecheck.live.report import LiveReport, format_report
from posturecheck.live.session import LiveSession
from posturecheck.live.settings import Environment, LiveSettings, _isatty
from posturecheck.live.status_line import StatusLine
from posturecheck.live.tray import Tray, TrayUnavailable

log = logging.getLogger(__name__)

DEFAULT_LIVE_MODEL = "lite"


def parse_resolution(text: str) -> tuple[int, int]:
    """``"640x480"`` -> ``(640, 480)``; at least 64x48.

    Raises:
        ConfigError: not ``WxH``.
    """
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w < 64 or h < 48:
            raise ValueError
    except ValueError:
        raise ConfigError(f"--resolution: expected WxH such as 640x480, got {text!r}") from None
    return w, h


def parse_fps(text: str) -> float:
    """``--fps``: a number in (0, 120], or ``full`` (``0``: every frame).

    Raises:
        ConfigError: anything else.
    """
    if str(text).lower() in ("full", "max", "0"):
        return 0.0
    try:
        v = float(text)
        if not (0 < v <= 120):
            raise ValueError
    except ValueError:
        raise ConfigError(f"--fps: expected a number in (0, 120] or 'full', got {text!r}") from None
    return v


def settings_from_args(args: argparse.Namespace, *, calibrate_only: bool) -> LiveSettings:
    """The session parameters the options ask for.

    Raises:
        ConfigError: an option value the settings reject (e.g. a negative ``--preview-fps``).
    """
    w, h = parse_resolution(args.resolution)
    try:
        return LiveSettings(
            fps=2.0 if calibrate_only else parse_fps(args.fps),
            width=w,
            height=h,
            preview_fps=getattr(args, "preview_fps", 5.0),
            max_duration_s=getattr(args, "duration", None),
            setup=args.setup,
            calibrate_only=calibrate_only,
            calibrate_slouch=getattr(args, "slouch", False),
            camera=args.camera,
            auto_baseline=getattr(args, "auto_baseline", False) and not calibrate_only,
            reanchor=not getattr(args, "no_reanchor", False) and not calibrate_only,
            sampling=getattr(args, "sampling", "adaptive"),
        )
    except ValueError as exc:  # one line and the config exit code, not an "internal error"
        name, _, why = str(exc).partition(": ")
        raise ConfigError(f"--{name.replace('_', '-')}: {why or exc}") from None


def network_need(camera: str, *, window: bool) -> str | None:
    """Why this live run needs IPv4/IPv6 sockets after the model loads, or None.

    The estimator's no-network guard would cut a network camera stream (a URL other than
    ``file://``) and an X11 display reached over TCP (``DISPLAY=host:N``, e.g. SSH forwarding).
    """
    if "://" in camera and not camera.lower().startswith("file://"):
        return "--camera is a network stream"
    display = os.environ.get("DISPLAY", "")
    host, sep, _ = display.rpartition(":")
    # "", "unix" and a socket path (macOS XQuartz) are local sockets; anything else is TCP.
    tcp = bool(sep) and host not in ("", "unix") and not host.startswith("/")
    if window and tcp and display_available():
        return f"the display {display} is reached over TCP"
    return None


def _estimator(
    requested: str | None, max_people: int, say: Callable[[str], None], *, offline: bool
) -> tuple[str, MediaPipePoseEstimator]:
    model = requested or DEFAULT_LIVE_MODEL
    try:
        path = resolve_model(model)
    except ModelError:
        if requested is not None:
            raise
        model, path = "full", resolve_model("full")  # lite not built: full works, at ~1.4x CPU
        say("the lite model is not built (`posturecheck models build --variant lite`); using full")
    return model, MediaPipePoseEstimator(
        path, num_poses=max_people, mode="video", offline=offline, scan_every_s=LIVE_SCAN_EVERY_S
    )


def _press(args: argparse.Namespace, env: Environment) -> str:
    """How this session takes a recalibration, as the start of a sentence ("" without keys)."""
    if not args.no_window:
        return "press c in the window, or "
    return "press c here, or " if env.stdin_isatty else ""


def build_session(
    args: argparse.Namespace, stack: ExitStack, env: Environment, *, calibrate_only: bool
) -> LiveSession:
    """A session for ``args``; everything it opened is closed by ``stack``."""
    settings = settings_from_args(args, calibrate_only=calibrate_only)
    cfg = load_config(args.config, args.profile, view=args.view)
    # The camera first: a wrong --camera should fail before the model loads (~1 s).
    feed = make_feed(
        args.camera, realtime=args.realtime, width=settings.width, height=settings.height
    )
    auto = getattr(args, "auto_baseline", False) and not calibrate_only
    setup = None if auto else load_setup(args.setup)
    if setup is not None:
        cfg = cfg.with_baseline(setup.baseline)
        saved = (
            f", saved {fmt.age(env.wall_clock() - setup.created_unix)}"
            if setup.created_unix > 0
            else ""
        )
        # A setup reused in a later session is judged in a framing that has moved a little
        # (docs/accuracy.md 3b''): the session re-learns it (FramingAnchor) and says so; a
        # large move needs a recalibration.
        relearn = (
            f"; where you sit in the picture is re-learnt from your most upright "
            f"{AUTO_STRETCH_S:.0f} s of the first {fmt.duration(settings.reanchor_s)}"
            if settings.reanchor and setup.baseline.view is View.FRONT
            else ""
        )
        again = (
            ""
            if calibrate_only
            else f"{relearn}; if your chair, screen or camera moved a lot since, "
            f"{_press(args, env)}run `posturecheck calibrate --setup {setup.name}` to recalibrate"
        )
        env.say(f"using calibration '{setup.name}' ({setup.baseline.frames} frames{saved}){again}")
    elif auto:
        env.say(
            f"--auto-baseline: judging with the general limits while learning your baseline from "
            f"your most upright {AUTO_STRETCH_S:.0f} s of the first "
            f"{fmt.duration(settings.auto_baseline_s)} (sit as upright as you mean to work); "
            "it is not saved"
        )
    elif not calibrate_only:
        first = not getattr(args, "no_calibrate", False)
        settings = dataclasses.replace(settings, first_run=first)
        press = _press(args, env)
        what = (
            "a short upright capture starts now and is saved as this setup"
            if first
            else "judging with the general limits (no baseline)"
        )
        env.say(
            f"no calibration for setup '{args.setup}' yet: {what}; later, {press}run "
            f"`posturecheck calibrate --setup {args.setup}` to calibrate"
        )
    needs_network = network_need(args.camera, window=not args.no_window)
    if needs_network:
        log.warning(
            "%s, so network access stays open: MediaPipe may send usage statistics to Google "
            "(see the README's Privacy section)",
            needs_network,
        )
    model, estimator = _estimator(args.model, args.max_people, env.say, offline=not needs_network)
    stack.callback(estimator.close)
    display: Display | None = None
    tray = _open_tray(args, env) if getattr(args, "tray", False) and not calibrate_only else None
    if tray is not None:
        stack.callback(tray.close)
    if not args.no_window and not getattr(args, "tray", False):
        if env.has_display:
            display = CvWindow()
        else:
            env.warn("no display found: running without a window (use --no-window to say so)")
    keys = open_terminal_keys(env.stdin) if display is None and env.stdin_isatty else None
    if keys is None and display is None and tray is not None:
        keys = tray  # menu clicks wake the loop like keys
    if keys is not None:
        stack.callback(keys.close)  # the terminal back to normal before the summary is printed
    notifier = history = None
    lock: LockMonitor | None = None
    if not calibrate_only:
        notifier = Notifier(emit=env.emit or print, desktop=args.notify, sound=args.sound)
        if not args.no_history:
            # Never raises: retries a lock, else keeps the session in a JSON file (issue 12).
            history = stack.enter_context(ResilientHistory(args.db))
        if feed.live:  # a camera: pause (camera released) while the screen is locked
            lock = open_lock_monitor()
            stack.callback(lock.close)
    settings = dataclasses.replace(settings, model=model)
    return LiveSession(
        feed,
        estimator,
        cfg,
        settings,
        env=env,
        display=display,
        keys=keys,
        notifier=notifier,
        history=history,
        lock=lock,
        tray=tray,
    )


def _open_tray(args: argparse.Namespace, env: Environment) -> Tray | None:
    """The status icon, or None after one line saying why there is none."""
    db = args.db

    def today_report() -> None:
        """The ``history --html`` page (today and the last 7 days, with the trends)."""
        import tempfile
        import webbrowser
        from pathlib import Path

        from posturecheck.adapters.history import default_db_path
        from posturecheck.cli.history import history_page

        path = Path(db) if db else default_db_path()
        with HistoryStore(path) as store:
            page = history_page(store, days=7, db_path=str(path))
        out = Path(tempfile.gettempdir()) / "posturecheck-today.html"
        out.write_text(page, encoding="utf-8")
        webbrowser.open(out.as_uri())

    try:
        tray = Tray(on_report=None if args.no_history else today_report)
    except TrayUnavailable as exc:
        env.warn(f"{exc}; going on without it (pip install posturecheck[tray] for the icon)")
        return None
    if tray.main_thread:
        env.say(
            "status icon: its loop holds the main thread here (macOS), so monitoring runs on a "
            "worker thread, headless (no window, as with --no-window)"
        )
    return tray


def run_session(session: LiveSession) -> LiveReport:
    """Run ``session`` with SIGTERM and SIGHUP asking it to stop (the clean finish of ``q``).

    With a status icon whose loop must hold the main thread (macOS), the session runs in the
    icon's setup thread (:meth:`Tray.run_on_main`) and SIGINT (Ctrl-C) stops it the same way.
    """
    tray = getattr(getattr(session, "desk", None), "tray", None)
    on_main = tray is not None and tray.main_thread

    def on_term(signum: int, _frame: Any) -> None:
        session.stop("interrupted" if signum == signal.SIGINT else "terminated")

    # SIGHUP too: a login session (autostart) ending, or its terminal closing, ends the session
    # the same clean way (history written, camera released).
    names = ("SIGTERM", "SIGHUP") + (("SIGINT",) if on_main else ())
    old = {sig: signal.signal(sig, on_term) for n in names if (sig := getattr(signal, n, None))}
    relay = _SignalRelay(session.stop) if on_main else None
    try:
        if tray is not None and on_main:
            return tray.run_on_main(session.run, session.stop)
        return session.run()
    finally:
        if relay is not None:
            relay.close()
        for sig, handler in old.items():
            signal.signal(sig, handler)


class _SignalRelay:
    """Stops the session from a thread of its own when a signal is caught.

    Python runs signal handlers on the main thread between bytecodes; a native event loop
    (AppKit's, under the icon) may hold the main thread for long without any. CPython writes
    each caught signal's number to the wakeup fd at once, whichever thread took it, so a thread
    reading it can stop the session without the main thread.
    """

    def __init__(self, stop: Callable[[str], None]) -> None:
        import socket
        import threading

        self._r, self._w = socket.socketpair()
        self._w.setblocking(False)
        self._old = signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)
        self._stop = stop

        def relay() -> None:
            while True:
                data = self._r.recv(16)
                if not data or b"\0" in data:  # closed, or close()'s wake byte
                    return
                term = any(b != signal.SIGINT for b in data)
                self._stop("terminated" if term else "interrupted")

        self._thread = threading.Thread(target=relay, name="signal-relay", daemon=True)
        self._thread.start()

    def close(self) -> None:
        signal.set_wakeup_fd(self._old)
        with contextlib.suppress(OSError):
            self._w.setblocking(True)
            self._w.send(b"\0")
        self._thread.join(timeout=2.0)
        self._r.close()
        self._w.close()


def _banner(session: LiveSession) -> str:
    s = session.settings
    rate = (
        "every frame"
        if s.fps == 0
        else f"{s.fps:g} fps ({max(s.fps, s.pending_fps):g} while a problem builds up)"
    )
    desktop = session.notifier.desktop_name if session.notifier else "off"
    keys = (
        "Press q in the window to stop (c calibrates, n skips a capture, h lists the keys)."
        if session.display
        else "Keys: p pause/resume, c calibrate, h help, q quit; n skips a capture (Ctrl-C "
        "works too)."
        if session.keys
        else "Ctrl-C to stop."
    )
    return (
        f"monitoring {session.feed.label} with the {s.model} model at {rate}; "
        f"desktop notifications: {desktop}. {keys}"
    )


def run_cli(args: argparse.Namespace, env: Environment | None = None) -> int:
    """``posturecheck live``: monitor until quit; prints (and stores) a summary at the end."""
    env = env or Environment.current()
    # -q: only the alerts (the notifier prints those) and the closing summary reach the
    # terminal; the start-up and status lines are logged instead.
    quiet = getattr(args, "quiet", False)
    status: StatusLine | None = None
    if quiet:
        run_env = dataclasses.replace(env, emit=None)
    elif env.emit is print:  # the real terminal: other lines are printed around the status
        status = StatusLine(
            sys.stdout, tty=_isatty(sys.stdout), break_interval_s=1800.0, min_break_s=60.0
        )
        run_env = dataclasses.replace(env, emit=status.say)
    else:
        run_env = env
    with ExitStack() as stack:  # closed (terminal restored) before the summary is printed
        session = build_session(args, stack, run_env, calibrate_only=False)
        if session.notifier is not None and run_env is not env and env.emit is not None:
            session.notifier.emit = status.say if status is not None else env.emit
        if status is not None and session.display is None:
            status.break_interval_s = session.config.breaks.interval_s
            status.min_break_s = session.config.breaks.min_break_s
            session.on_result = lambda r: status.update(r, note=session.verdict_note)
            stack.callback(status.close)
        run_env.say(_banner(session))
        rep = run_session(session)
    env.say(format_report(rep))
    notice = session.history.notice() if isinstance(session.history, ResilientHistory) else None
    if notice:
        env.say(notice)  # history could not be written: where the session went
    return int(ExitStatus.OK)
