"""A real ``dbus-daemon`` per test and small D-Bus services (fake logind, fake screen saver)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import HeaderFields, MessageType

DBUS_DAEMON = shutil.which("dbus-daemon")


class BusDaemon:
    """``dbus-daemon --session`` on a Unix socket in ``folder``; ``address`` to connect to."""

    def __init__(self, folder: Path) -> None:
        self.address = f"unix:path={folder / 'bus'}"
        assert DBUS_DAEMON is not None
        self.proc = subprocess.Popen(
            [DBUS_DAEMON, "--session", "--nofork", "--nopidfile", f"--address={self.address}"]
            + ["--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()  # printed once it listens
        assert line.startswith("unix:"), (line, self.proc.stderr.read() if self.proc.stderr else "")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


Handler = Callable[[tuple], tuple[str, tuple]]


class FakeService:
    """Owns ``names`` on a bus, answers method calls from ``handlers``, emits signals.

    ``handlers`` maps (path, interface, member) to a function of the call's body returning
    (signature, body) for the reply; an unknown call gets an UnknownMethod error.
    """

    def __init__(
        self, address: str, names: list[str], handlers: dict[tuple[str, str, str], Handler]
    ) -> None:
        self.conn = open_dbus_connection(bus=address)
        for name in names:
            self.conn.send_and_get_reply(message_bus.RequestName(name))
        self.handlers = handlers
        self.calls: list[tuple[str, str, str]] = []
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type is not MessageType.method_call:
                continue
            f = msg.header.fields
            key = (f.get(HeaderFields.path), f.get(HeaderFields.interface), f[HeaderFields.member])
            self.calls.append(key)
            handler = self.handlers.get(key)
            if handler is None:
                reply = new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(key),))
            else:
                sig, body = handler(tuple(msg.body))
                reply = new_method_return(msg, sig, body)
            with self._send_lock:
                self.conn.send(reply)

    def emit(self, path: str, interface: str, member: str, sig: str, body: tuple[Any, ...]) -> None:
        with self._send_lock:
            self.conn.send(new_signal(DBusAddress(path, interface=interface), member, sig, body))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.conn.close()
