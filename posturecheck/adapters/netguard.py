"""Keep the process off the network: refuse IPv4/IPv6 sockets with a seccomp filter (Linux).

MediaPipe 1.2's native library links a usage-statistics uploader that posts to Google whenever a
task is created or closed (google-ai-edge/mediapipe#6291). Every Tasks landmarker creates it
(``CreateTasksLogger`` builds an HTTP client unconditionally) and no option, environment
variable or ``BaseOptions`` field turns it off. So the estimator adapter calls
:func:`block_network` before it loads MediaPipe: from then on the kernel answers every
``socket(AF_INET|AF_INET6, ...)`` of this process, in every thread (also the ones that already
run) and in every child process, with ``EACCES``. Local sockets (``AF_UNIX``: D-Bus
notifications, audio) keep working. A seccomp filter cannot be removed again: it lasts until
the process exits.

Only Linux on x86-64 and arm64 (64-bit processes) is supported. Elsewhere :func:`block_network`
returns an inactive :class:`NetGuard` with the reason, and the caller says so in one log line.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys
import threading
from dataclasses import dataclass

# <linux/prctl.h>, <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>, <sys/socket.h>
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_ALU_AND_K = 0x54  # BPF_ALU | BPF_AND | BPF_K
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_RET_K = 0x06  # BPF_RET | BPF_K
_AF_INET = 2
_AF_INET6 = 10
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16  # args[0]'s low word (little-endian ABIs only)
_X32_SYSCALL_BIT = 0x40000000


@dataclass(frozen=True)
class _Abi:
    audit_arch: int
    nr_socket: int
    nr_seccomp: int
    nr_io_uring_setup: int


_ABIS = {
    "x86_64": _Abi(0xC000003E, 41, 317, 425),
    "aarch64": _Abi(0xC00000B7, 198, 277, 425),
}
_MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class NetGuard:
    """Whether this process is kept off the network.

    Attributes:
        active: IPv4/IPv6 sockets are refused from now until the process exits.
        detail: how (when active) or why not (when inactive), for one log line.
    """

    active: bool
    detail: str


_lock = threading.Lock()
_state: NetGuard | None = None


def block_network() -> NetGuard:
    """Refuse IPv4/IPv6 sockets in this whole process and its future children (idempotent).

    Returns:
        The outcome; the first call decides it, later calls return the same one.
    """
    global _state
    with _lock:
        if _state is None:
            _state = _install()
        return _state


def status() -> NetGuard | None:
    """The outcome of :func:`block_network`, or None before its first call."""
    return _state


def filter_program(abi_name: str) -> list[tuple[int, int, int, int]]:
    """The classic-BPF seccomp program for one ABI, as ``(code, jt, jf, k)`` rows.

    Other architectures' syscalls (a 32-bit compat call has another ``arch``) pass through;
    so does every syscall except ``socket`` and ``io_uring_setup``. ``socket`` with family
    AF_INET or AF_INET6 fails with EACCES; ``io_uring_setup`` fails with ENOSYS (io_uring can
    open sockets without the ``socket`` syscall; callers fall back to plain syscalls).
    """
    abi = _ABIS[abi_name]
    allow = _SECCOMP_RET_ALLOW
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    nosys = _SECCOMP_RET_ERRNO | errno.ENOSYS
    # Index:  0 load arch, 1 other arch -> allow, 2 load nr, 3 drop the x32 bit,
    #         4 socket? else 8, 5 load family, 6 AF_INET -> deny, 7 AF_INET6 -> deny else allow,
    #         8 io_uring_setup -> nosys else allow, 9 allow, 10 deny, 11 nosys.
    return [
        (_BPF_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_BPF_JEQ_K, 0, 7, abi.audit_arch),  # -> 9 allow
        (_BPF_LD_W_ABS, 0, 0, _OFF_NR),
        (_BPF_ALU_AND_K, 0, 0, 0xFFFFFFFF & ~_X32_SYSCALL_BIT),
        (_BPF_JEQ_K, 0, 3, abi.nr_socket),  # -> 8
        (_BPF_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_BPF_JEQ_K, 3, 0, _AF_INET),  # -> 10 deny
        (_BPF_JEQ_K, 2, 1, _AF_INET6),  # -> 10 deny, else 9 allow
        (_BPF_JEQ_K, 2, 0, abi.nr_io_uring_setup),  # -> 11 nosys, else 9 allow
        (_BPF_RET_K, 0, 0, allow),
        (_BPF_RET_K, 0, 0, deny),
        (_BPF_RET_K, 0, 0, nosys),
    ]


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _abi_name() -> str | None:
    machine = platform.machine().lower()
    machine = _MACHINE_ALIASES.get(machine, machine)
    if machine in _ABIS and struct.calcsize("P") == 8:
        return machine
    return None


def _install() -> NetGuard:
    if not sys.platform.startswith("linux"):
        name = {"darwin": "macOS", "win32": "Windows"}.get(sys.platform, sys.platform)
        return NetGuard(False, f"not supported on {name}")
    abi_name = _abi_name()
    if abi_name is None:
        bits = struct.calcsize("P") * 8
        return NetGuard(False, f"not supported on {platform.machine()} ({bits}-bit)")
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:  # pragma: no cover - every glibc/musl Linux has it
        return NetGuard(False, f"libc not loadable: {exc}")
    rows = filter_program(abi_name)
    prog_rows = (_SockFilter * len(rows))(*(_SockFilter(*row) for row in rows))
    prog = _SockFprog(len(rows), prog_rows)
    # Full-width arguments: the kernel rejects PR_SET_NO_NEW_PRIVS unless args 3-5 are all zero.
    ulong = ctypes.c_ulong
    if libc.prctl(ctypes.c_int(_PR_SET_NO_NEW_PRIVS), ulong(1), ulong(0), ulong(0), ulong(0)) != 0:
        return NetGuard(False, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {_errno_text()}")
    libc.syscall.restype = ctypes.c_long
    rc = libc.syscall(
        ctypes.c_long(_ABIS[abi_name].nr_seccomp),
        ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
        ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC),
        ctypes.byref(prog),
    )
    if rc != 0:
        why = _errno_text() if rc < 0 else f"thread {rc} could not be synchronised"
        return NetGuard(False, f"seccomp filter refused: {why}")
    return NetGuard(True, "IPv4/IPv6 sockets refused by a seccomp filter")


def _errno_text() -> str:
    err = ctypes.get_errno()
    return f"{errno.errorcode.get(err, err)}"
