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


def run_worker(task: str, kwargs: dict, folder: Path, timeout: float = 300, env: dict | None = None):
    """Run ``python -m surface_motion.core.worker <task> <job>`` as the algorithms do; return the process,
    its JSON-line events and the unpickled result (None unless it succeeded)."""
    import json
    import pickle
    import subprocess

    job = folder / "job.pkl"
    job.write_bytes(pickle.dumps(kwargs))
    proc = subprocess.run(
        [sys.executable, "-m", "surface_motion.core.worker", task, str(job)],
        capture_output=True,
        text=True,
        cwd=PLUGINS,
        env=env,
        timeout=timeout,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    result = None
    if proc.returncode == 0:
        result = pickle.loads(Path(events[-1]["result"]).read_bytes())
    return proc, events, result


def loaded_by(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``statement`` (an import)."""
    import subprocess

    code = f"import sys; {statement}; print(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PLUGINS, check=True
    )
    return eval(out.stdout)  # a list literal of module names
