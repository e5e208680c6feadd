"""Plugin metadata, the QGIS ZIP (`make package`) and `pip install .` of the Qt-free core."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))


def test_metadata_has_what_the_plugin_repository_requires():
    meta = configparser.ConfigParser()
    meta.read(REPO / "metadata.txt")
    general = meta["general"]
    assert general["name"] == "Surface Motion"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    for key in (
        "version",
        "about",
        "description",
        "changelog",
        "tracker",
        "repository",
        "homepage",
        "author",
        "email",
    ):
        assert general.get(key, "").strip(), f"metadata.txt: {key} is empty"
    assert (REPO / general["icon"]).is_file()


def test_every_algorithm_has_an_icon():
    icons = REPO / "resources" / "icons"
    names = [
        line.split('"')[1]
        for line in (REPO / "algorithms" / "provider.py").read_text().splitlines()
        if line.strip().startswith('("')
    ]
    assert len(names) == 6
    for name in ["surface_motion", "provider", *names]:
        assert (icons / f"{name}.svg").is_file(), name


def test_package_zip_holds_plugin_files_only(tmp_path):
    import package

    out = package.build(tmp_path / "surface_motion.zip")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert all(n.startswith("surface_motion/") for n in names)
    for required in (
        "metadata.txt",
        "__init__.py",
        "plugin.py",
        "algorithms/provider.py",
        "algorithms/base.py",
        "core/__init__.py",
        "core/io.py",
        "gui/inspector.py",
        "resources/icons/surface_motion.svg",
        "LICENSE",
    ):
        assert f"surface_motion/{required}" in names, required
    tops = {n.split("/")[1] for n in names}
    assert not tops & {"tests", ".venv", "benchmarks", "demo-output", "scripts", ".ci", ".build", "dist"}, (
        tops
    )
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_pip_install_gives_core_and_cli(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (target / "bin" / "surface-motion").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    code = (
        "import surface_motion.core.io, surface_motion.core.cli as c, sys; "
        "assert 'qgis' not in sys.modules; print(c.__file__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert str(target) in proc.stdout  # imported from the installed copy, not the checkout
    proc = subprocess.run(
        [sys.executable, str(target / "bin" / "surface-motion"), "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.fail(f"CLI does not start from the installed package:\n{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    assert "surface-motion" in proc.stdout
