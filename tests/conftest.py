"""Shared test set-up: the plugin is importable as ``surface_motion`` wherever the checkout lives,
and tests that read ``../shared/fixtures`` skip with a reason when that folder is absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PLUGINS = REPO / ".build" / "plugins"
SHARED_FIXTURES = Path(os.environ.get("SURFACE_MOTION_FIXTURES", REPO.parent / "shared" / "fixtures"))

(PLUGINS).mkdir(parents=True, exist_ok=True)
if not (PLUGINS / "surface_motion").exists():
    (PLUGINS / "surface_motion").symlink_to(REPO)
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))


def shared_fixture(*parts: str) -> Path:
    """Path under ../shared/fixtures; skips the test when it is missing (a user's clone has none)."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} not present (only the project's CI machines have ../shared)")
    return path


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device (torch.cuda.is_available() is False)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
