"""`make demo`: generate sample data with known truth, run every algorithm through qgis_process,
and print what was produced, where, and how far the results are from the truth.

Each step lives in ``scripts/demo_steps/<name>.py`` and defines ``run(ctx) -> list[str]`` (lines
to print). Steps run in the order of STEPS; an exception fails the demo (it never fakes an output).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build" / "plugins"))
sys.path.insert(0, str(REPO / "scripts"))

STEPS = ("egms", "itslive_invert", "itslive_analysis")


@dataclass
class DemoContext:
    output: Path
    env: dict

    def qgis_process(self, alg: str, **params) -> dict:
        """Run ``surfacemotion:<alg>`` through qgis_process.bin and return its JSON results."""
        args = ["/usr/bin/qgis_process.bin", "--json", "run", f"surfacemotion:{alg}", "--"]
        for key, value in params.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                args.append(f"{key}={v}")
        proc = subprocess.run(args, env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"qgis_process {alg} failed:\n{proc.stderr[-3000:]}\n{proc.stdout[-2000:]}")
        return json.loads(proc.stdout[proc.stdout.find("{") :])["results"]


def qgis_environment(home: Path) -> dict:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(REPO / ".build" / "plugins"),
        PYTHONPATH=os.pathsep.join(p for p in [sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")] if p),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    home.mkdir(parents=True, exist_ok=True)
    # Exits 1 with "already enabled" on a rerun into the same folder: that is fine.
    subprocess.run(
        ["/usr/bin/qgis_process.bin", "plugins", "enable", "surface_motion"], env=env, capture_output=True
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=REPO / "demo-output")
    parser.add_argument("--steps", nargs="*", default=list(STEPS))
    args = parser.parse_args()
    out = args.output.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out, qgis_environment(out / ".qgis-home"))
    for name in args.steps:
        step = importlib.import_module(f"demo_steps.{name}")
        print(f"\n== {name}: {step.__doc__.strip().splitlines()[0]}", flush=True)
        t0 = time.perf_counter()
        for line in step.run(ctx):
            print(f"   {line}", flush=True)
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"\nAll outputs are under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
