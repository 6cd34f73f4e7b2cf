"""``posturecheck completion bash|zsh``: a shell completion script, made by ``shtab``.

``shtab`` is the optional extra ``posturecheck[completion]``; without it the command says how
to get it (exit 2 is for usage, so a missing optional package is a config problem, exit 3).
"""

from __future__ import annotations

import argparse

from posturecheck.errors import ConfigError, ExitStatus

SHELLS = ("bash", "zsh")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The shell argument of ``posturecheck completion``."""
    p.add_argument(
        "shell",
        choices=SHELLS,
        help="the shell to complete for; e.g. `posturecheck completion bash > "
        "~/.local/share/bash-completion/completions/posturecheck`, or for zsh into a file "
        "named _posturecheck on your $fpath",
    )


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``parser`` for ``shell``.

    Raises:
        ConfigError: ``shtab`` is not installed.
    """
    try:
        import shtab
    except ImportError:
        raise ConfigError(
            "shell completion needs the optional package shtab: "
            "pip install 'posturecheck[completion]' (or: pip install shtab)"
        ) from None
    return shtab.complete(parser, shell=shell)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Print the script for ``args.shell``."""
    print(script(parser, args.shell))
    return int(ExitStatus.OK)
