"""No network: MediaPipe's usage uploader never gets a socket (README "Privacy").

The slow tests run the real ``analyze`` and ``live`` commands under ``strace -f`` and fail on any
IPv4/IPv6 socket that was created, any connect/send to an IPv4/IPv6 address and any DNS traffic
(port 53). A positive control runs MediaPipe with the guard off and checks that the same parser
does catch its uploader, so the other two cannot pass by tracing nothing.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posturecheck.adapters import estimator, netguard

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
LINUX_64 = sys.platform.startswith("linux") and netguard._abi_name() is not None

needs_guard_platform = pytest.mark.skipif(
    not LINUX_64, reason="the seccomp guard exists on 64-bit Linux (x86-64, arm64) only"
)


@pytest.fixture()
def unguarded_parent() -> None:
    """Children of this test must start without the guard (conftest runs these tests first)."""
    if netguard.status() is not None:
        pytest.fail(
            "the pytest process already runs under the no-network guard (an estimator was "
            "created in-process before this test), so its children would inherit it",
            pytrace=False,
        )


# ----------------------------------------------------------------------------- trace parsing

_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<rest>.*)$")
_RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<tail>.*)$")
_INET_SOCKET = re.compile(r"^socket\((?P<fam>AF_INET6?),.*\)\s+=\s+(?P<rc>-?\d+)")
_INET_ADDR = re.compile(r"^(connect|sendto|sendmsg|sendmmsg|bind)\(.*sa_family=AF_INET6?\b")


def strace_calls(text: str) -> list[str]:
    """Whole syscall lines of an ``strace -f`` log, with ``<unfinished ...>`` halves joined."""
    pending: dict[str, str] = {}
    calls: list[str] = []
    for raw in text.splitlines():
        m = _LINE.match(raw.strip())
        if not m:
            continue
        pid, rest = m["pid"], m["rest"]
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = _RESUMED.match(rest)
        if r:
            calls.append(pending.pop(pid, r["name"] + "(") + r["tail"])
            continue
        calls.append(rest)
    return calls


def network_violations(text: str) -> list[str]:
    """Calls that reach for the network: an IPv4/IPv6 socket created (not refused), an IPv4/IPv6
    address connected, sent to or bound, or anything with port 53 (DNS)."""
    bad = []
    for call in strace_calls(text):
        s = _INET_SOCKET.match(call)
        if (s and int(s["rc"]) >= 0) or _INET_ADDR.match(call) or "htons(53)" in call:
            bad.append(call)
    return bad


def test_parser_flags_created_sockets_dns_and_joined_halves_but_not_refusals() -> None:
    log = textwrap.dedent(
        """\
        100 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3
        100 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = -1 EACCES (Permission denied)
        101 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP <unfinished ...>
        100 connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0
        101 <... socket resumed>) = 8
        102 connect(9, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("1.2.3.4")}, 16) = -1 ENETUNREACH
        103 sendto(5, "x", 1, 0, {sa_family=AF_UNIX, sun_path="/dev/log"}, 110) = 1
        104 recvfrom(8, "", 2048, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.1")}, [16]) = 37
        """  # noqa: E501
    )
    bad = network_violations(log)
    assert [b.split("(")[0] for b in bad] == ["socket", "connect", "recvfrom"]
    assert bad[0].startswith("socket(AF_INET6") and bad[0].endswith("= 8")


# ----------------------------------------------------------------------------- the guard itself


def _run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@needs_guard_platform
@pytest.mark.unguarded
def test_guard_refuses_inet_sockets_in_running_threads_and_children_but_keeps_unix(
    unguarded_parent: None,
) -> None:
    # In a child interpreter: the filter cannot be removed again.
    proc = _run_python(
        """
        import socket, subprocess, sys, threading
        from posturecheck.adapters import netguard

        def attempt(family):
            try:
                socket.socket(family, socket.SOCK_DGRAM).close()
                return "open"
            except PermissionError:
                return "refused"

        started, go, seen = threading.Event(), threading.Event(), []
        def worker():  # a thread that already runs when the guard goes up
            started.set(); go.wait(); seen.append(attempt(socket.AF_INET6))
        t = threading.Thread(target=worker); t.start(); started.wait()
        before = attempt(socket.AF_INET)
        guard = netguard.block_network()
        go.set(); t.join()
        child = subprocess.run(
            [sys.executable, "-c", "import socket; socket.socket(socket.AF_INET)"],
            capture_output=True, text=True,
        ).stderr.strip().splitlines()[-1]
        print(before, guard.active, attempt(socket.AF_INET), attempt(socket.AF_INET6),
              seen[0], attempt(socket.AF_UNIX), netguard.block_network() is guard, child)
        """
    )
    assert proc.returncode == 0, proc.stderr
    *fields, child = proc.stdout.split(maxsplit=7)
    assert fields == ["open", "True", "refused", "refused", "refused", "open", "True"]
    assert child.startswith("PermissionError")


def test_unsupported_platform_gives_one_honest_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(netguard, "_state", None)
    monkeypatch.setattr(estimator, "_guard_logged", False)
    caplog.set_level(logging.INFO, logger=estimator.__name__)
    first = estimator.keep_mediapipe_offline()
    second = estimator.keep_mediapipe_offline()
    assert first is second and not first.active and first.detail == "not supported on macOS"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and len(caplog.records) == 1
    assert "could not block network access (not supported on macOS)" in warnings[0].message
    assert "usage statistics" in warnings[0].message


# ----------------------------------------------------------------------------- the real commands


def _strace() -> str:
    path = shutil.which("strace")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("strace is missing: .ci/run installs it", pytrace=False)
        pytest.skip("strace not installed (apt-get install strace)")
    return path


def _traced(cmd: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> tuple[str, str]:
    """Run ``cmd`` under ``strace -f``; return (trace, combined output). Fails on a bad exit."""
    log = tmp_path / "strace.log"
    proc = subprocess.run(
        [_strace(), "-f", "-qq", "-e", "trace=%network,execve", "-e", "signal=none"]
        + ["-o", str(log), *cmd],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-2000:]
    trace = log.read_text(errors="replace")
    assert f'execve("{sys.executable}"' in trace, "strace saw nothing"
    return trace, output


@pytest.mark.slow
@needs_guard_platform
@pytest.mark.unguarded
def test_analyze_opens_no_inet_socket_and_makes_no_dns_lookup(
    unguarded_parent: None, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "posturecheck", "analyze", "-q", "--fps", "1"]
    cmd += [str(SAMPLES / "still_front_tilted.jpg"), str(SAMPLES / "desk_front_lean_in.mp4")]
    trace, output = _traced(cmd + ["--out", str(out)], tmp_path)
    assert network_violations(trace) == []
    rows = (out / "summary.csv").read_text().splitlines()[1:]
    assert len(rows) == 2 and all(",ok," in r for r in rows), rows  # real results, not a crash
    assert "could not block network access" not in output


@pytest.mark.slow
@needs_guard_platform
@pytest.mark.unguarded
def test_live_opens_no_inet_socket_and_makes_no_dns_lookup(
    unguarded_parent: None, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "posturecheck", "live", "--no-window", "--no-history"]
    cmd += ["--camera", str(SAMPLES / "desk_front_tilt.mp4"), "--duration", "3"]
    cmd += ["--notify", "off"]
    trace, output = _traced(cmd, tmp_path, env={"POSTURECHECK_HOME": str(tmp_path / "home")})
    assert network_violations(trace) == []
    assert "Session summary" in output
    assert "could not block network access" not in output


@pytest.mark.slow
@needs_guard_platform
@pytest.mark.unguarded
def test_control_without_the_guard_the_trace_catches_mediapipes_uploader(
    unguarded_parent: None, tmp_path: Path, full_model: Path
) -> None:
    """Positive control. If this fails, MediaPipe no longer phones home on its own: the two
    tests above still hold, but update docs/reliability.md and the README."""
    code = (
        "from posturecheck.adapters.estimator import MediaPipePoseEstimator as E; "
        f"E({str(full_model)!r}, mode='image', offline=False).close()"
    )
    trace, _ = _traced([sys.executable, "-c", code], tmp_path)
    bad = network_violations(trace)
    assert any("htons(53)" in b for b in bad), bad
    assert any(b.startswith(("socket(AF_INET", "socket(AF_INET6")) for b in bad), bad


@pytest.mark.parametrize(
    ("camera", "display", "window", "need"),
    [
        ("0", ":0", True, None),
        ("/dev/video0", "unix:1", True, None),
        ("clip.mp4", "", False, None),
        ("file:///tmp/clip.mp4", ":0", True, None),
        ("rtsp://192.168.1.20/stream", ":0", True, "--camera is a network stream"),
        ("0", "localhost:10.0", True, "the display localhost:10.0 is reached over TCP"),
        ("0", "localhost:10.0", False, None),  # --no-window: the display is never opened
        ("0", "/private/tmp/com.apple.launchd.x/org.xquartz:0", True, None),
    ],
)
def test_live_keeps_the_network_only_for_a_network_camera_or_tcp_display(
    camera: str, display: str, window: bool, need: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posturecheck.cli import live

    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.setattr("sys.platform", "linux")
    assert live.network_need(camera, window=window) == need
