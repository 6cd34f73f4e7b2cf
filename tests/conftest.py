"""Shared fixtures: the real model (built by `posturecheck models build`) and real test images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def _model_path(variant: str = "full") -> Path:
    from posturecheck.adapters import models
    from posturecheck.errors import ModelError

    try:
        return models.resolve_model(variant)
    except ModelError as exc:  # the suite needs the model: say how to get it, don't skip silently
        pytest.fail(f"{exc}  (README: the setup command builds it)", pytrace=False)


@pytest.fixture(scope="session")
def _empty_config_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-config")


@pytest.fixture(autouse=True)
def _no_user_config(_empty_config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config file (the CLI discovers one when present)."""
    monkeypatch.delenv("POSTURECHECK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_empty_config_home))


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private POSTURECHECK_HOME (history, setups, caches) for tests that ask for it."""
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def full_model() -> Path:
    return _model_path("full")


@pytest.fixture(scope="session")
def grace_hopper_bgr() -> np.ndarray:
    """Matplotlib's sample photo of Grace Hopper (public domain; ships with matplotlib)."""
    import cv2
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = cv2.imread(str(path))
    assert img is not None, path
    return img


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, NASA, public domain)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run ``@pytest.mark.unguarded`` tests first.

    The first in-process estimator puts the no-network seccomp filter on the pytest process,
    and every child process inherits it. Tests that need children without it (the network
    guard's own tests and their positive control) must run before that happens.
    """
    items.sort(key=lambda item: item.get_closest_marker("unguarded") is None)  # stable
