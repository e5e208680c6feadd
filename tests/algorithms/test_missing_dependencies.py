"""With scientific packages missing, the plugin still loads and each algorithm says what to install."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
BLOCKED = set(sys.argv[2].split(","))

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
import surface_motion
plugin = surface_motion.classFactory(None)
plugin.initProcessing()
provider = QgsApplication.processingRegistry().providerById("surfacemotion")
out = {}
for alg in provider.algorithms():
    ok, message = alg.canExecute()
    out[alg.name()] = [ok, message]
print("RESULT" + json.dumps(out))
"""


def _run(blocked: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO / ".build" / "plugins"), ",".join(blocked)],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            "HOME": str(REPO / ".build" / "qgis-home-test"),
        },
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("RESULT", 1)[1])


def test_plugin_loads_and_names_missing_packages():
    blocked = [
        "zarr",
        "xarray",
        "dask",
        "distributed",
        "torch",
        "s3fs",
        "geopandas",
        "pyarrow",
        "netCDF4",
        "scipy",
        "matplotlib",
    ]
    result = _run(blocked)
    assert result, "no algorithm registered when dependencies are missing"
    for name, (ok, message) in result.items():
        assert not ok, f"{name} claims it can run without its packages"
        assert "pip install" in message, message
        named = [m for m in blocked if m in message]
        assert named, f"{name}: message names none of the missing packages: {message}"


def test_plugin_loads_without_numpy_and_pandas():
    """The algorithms build their parameters from the config modules at load time: those stay numpy-free."""
    result = _run(["numpy", "pandas", "scipy", "shapely", "pyproj", "geopandas", "zarr", "netCDF4"])
    assert result and all(not ok and "numpy" in message for ok, message in result.values()), result


def test_nothing_missing_means_executable():
    result = _run([])
    assert all(ok for ok, _ in result.values()), result
