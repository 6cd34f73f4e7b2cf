"""Which configuration file a command uses when ``--config`` is not given.

Order: ``--config FILE``; else ``$POSTURECHECK_CONFIG`` (it must exist); else
``$XDG_CONFIG_HOME/posturecheck/config.toml`` (``~/.config/...`` when the variable is unset,
the platform's user config folder elsewhere) when that file exists; else the built-in defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from posturecheck.errors import ConfigError

ENV_CONFIG = "POSTURECHECK_CONFIG"
"""Environment variable naming a config file."""

FILE_NAME = "config.toml"


@dataclass(frozen=True)
class FoundConfig:
    """A config file and where its name came from (``--config``, the variable, the user folder)."""

    path: Path
    source: str

    def describe(self) -> str:
        """``"/home/me/.config/posturecheck/config.toml (user config folder)"``."""
        return f"{self.path} ({self.source})"


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/posturecheck/config.toml``, or the platform's user config folder."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "posturecheck" / FILE_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir("posturecheck")) / FILE_NAME


def discover(explicit: str | os.PathLike[str] | None) -> FoundConfig | None:
    """The config file to use, or ``None`` for the built-in defaults.

    Args:
        explicit: the ``--config`` value (``None`` when not given); it wins and is not checked
            here (the config loader names a missing file).

    Raises:
        ConfigError: ``$POSTURECHECK_CONFIG`` names a file that does not exist.
    """
    if explicit is not None:
        return FoundConfig(Path(explicit), "--config")
    env = os.environ.get(ENV_CONFIG, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"${ENV_CONFIG} names {path}, which is not a file")
        return FoundConfig(path, f"${ENV_CONFIG}")
    path = user_config_path()
    if path.is_file():
        return FoundConfig(path, "user config folder")
    return None
