"""Errors posturecheck raises on bad input, each mapped to a documented exit code by the CLI."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes (documented in README.md, "Exit codes")."""

    OK = 0
    ERROR = 1  # unexpected internal error (a bug: please report it, rerun with --traceback)
    USAGE = 2  # bad command line, including a bad option value (argparse type= checks)
    CONFIG = 3  # bad configuration file or profile
    MODEL = 4  # model missing, corrupt or failing its checksum
    SOURCE = 5  # input missing/unreadable, camera unavailable
    PARTIAL = 6  # batch: some inputs failed, the others were analysed and written
    INTERRUPTED = 130  # Ctrl-C; results computed so far were kept


class PostureCheckError(Exception):
    """Base class: an expected failure with a one-line, user-facing message."""

    exit_status: ExitStatus = ExitStatus.ERROR


class ConfigError(PostureCheckError):
    """Invalid configuration file, profile or option."""

    exit_status = ExitStatus.CONFIG


class ModelError(PostureCheckError):
    """Model bundle missing, unreadable, failing its checksum, or refused by MediaPipe."""

    exit_status = ExitStatus.MODEL


class SourceError(PostureCheckError):
    """A frame source (file, folder, image, camera) cannot be opened or read."""

    exit_status = ExitStatus.SOURCE
