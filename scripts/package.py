"""Build ``dist/surface_motion.zip`` for QGIS "Install from ZIP": the plugin files only, under a
top-level ``surface_motion/`` folder (no tests, venv, benchmarks, demo output, build files)."""

from __future__ import annotations

import argparse
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "surface_motion"
INCLUDED_TOP = (
    "metadata.txt",
    "__init__.py",
    "plugin.py",
    "README.md",
    "LICENSE",
    "requirements.txt",
    "requirements-gpu.txt",
    "algorithms",
    "core",
    "gui",
    "resources",
)


def plugin_files(repo: Path = REPO) -> list[Path]:
    """Tracked files that belong in the plugin ZIP, relative to the repository root."""
    tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True)
    files = []
    for line in tracked.stdout.splitlines():
        path = Path(line)
        if path.parts[0] in INCLUDED_TOP and path.suffix not in (".pyc",) and (repo / path).is_file():
            files.append(path)
    return sorted(files)


def build(output: Path, repo: Path = REPO) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in plugin_files(repo):
            zf.write(repo / path, f"{PLUGIN_NAME}/{path.as_posix()}")
    tmp.replace(output)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=REPO / "dist" / f"{PLUGIN_NAME}.zip")
    out = build(parser.parse_args().output)
    with zipfile.ZipFile(out) as zf:
        print(f"{out}: {len(zf.namelist())} files")


if __name__ == "__main__":
    main()
