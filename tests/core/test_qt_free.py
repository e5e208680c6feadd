"""``core`` must run without QGIS: import every module with qgis/PyQt made unimportable."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BLOCK_AND_IMPORT = r"""
import importlib, pkgutil, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'qgis', 'PyQt5', 'PyQt6', 'sip', 'processing'}:
            raise ImportError(f'core imported {name}')
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import surface_motion.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, 'surface_motion.core.')]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_core_module_imports_without_qgis():
    plugins = REPO / ".build" / "plugins"
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_IMPORT, str(plugins)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip().splitlines()[-1]) >= 5  # errors, io, progress, deps, compute, …
