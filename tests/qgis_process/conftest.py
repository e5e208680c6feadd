"""Tier 3: ``qgis_process.bin --json run surfacemotion:<alg>`` end to end, as CLI users and CI call it.

Every call uses a throw-away HOME (no user profile is touched), the venv's packages on
PYTHONPATH and the plugin on QGIS_PLUGINPATH, exactly as ``scripts/qgis_process`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QGIS_PROCESS = os.environ.get("QGIS_PROCESS_BIN", "/usr/bin/qgis_process.bin")


@pytest.fixture(scope="session")
def qgis_env(tmp_path_factory) -> dict:
    if not Path(QGIS_PROCESS).exists():
        pytest.fail(f"{QGIS_PROCESS} not found: run 'make setup' (installs QGIS from apt)")
    home = tmp_path_factory.mktemp("qgis-home")
    plugins = REPO / ".build" / "plugins"
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(plugins),
        PYTHONPATH=os.pathsep.join([sysconfig.get_paths()["purelib"], env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    subprocess.run(
        [QGIS_PROCESS, "plugins", "enable", "surface_motion"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


def _run(env: dict, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def qgis_process(qgis_env):
    """``qgis_process(alg, PARAM=value, ...)`` → the parsed ``--json`` result; fails with stderr on error."""

    def run(alg: str, timeout: float = 600, expect_failure: bool = False, **params) -> dict:
        args = ["--json", "run", f"surfacemotion:{alg}", "--"]
        for key, value in params.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            args += [f"{key}={v}" for v in values]
        proc = _run(qgis_env, args, timeout)
        if expect_failure:
            assert proc.returncode != 0, f"expected failure, got success:\n{proc.stdout[-2000:]}"
            return {"stdout": proc.stdout, "stderr": proc.stderr}
        assert proc.returncode == 0, (
            f"qgis_process failed ({proc.returncode}):\n{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}"
        )
        start = proc.stdout.find("{")
        return json.loads(proc.stdout[start:])

    run.raw = lambda args, timeout=300: _run(qgis_env, args, timeout)
    return run
