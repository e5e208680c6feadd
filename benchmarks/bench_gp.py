"""GP regression of the two real ITS_LIVE point series (fixtures) with both observation models, and
the accuracy of both models on generated series with known truth. Writes benchmarks/results/gp.md."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from results_table import publish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build" / "plugins"))
sys.path.insert(0, str(REPO))

from surface_motion.core.itslive.analysis import MODELS, gp, series_table  # noqa: E402

from tests.core.itslive.analysis.test_gp import rmse_to_truth, surge_series, surge_truth, synthetic_series  # noqa: E402

FIXTURES = Path(os.environ.get("SURFACE_MOTION_FIXTURES", REPO.parent / "shared" / "fixtures")) / "itslive"


def main() -> int:
    lines = [
        "# GP regression (core/itslive/analysis/gp.py)",
        "",
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start.",
        "",
        "| series | pairs | model | robust | time [s] | output days | nodes spacing [d] | downweighted |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for csv in sorted(FIXTURES.glob("*.csv")):
        series = series_table.read_series_csv(csv)
        for model in MODELS:
            for robust in (False, True):
                t0 = time.perf_counter()
                fit = gp.regress_component(series, "v", gp.GPConfig(model=model, robust=robust))
                dt = time.perf_counter() - t0
                lines.append(
                    f"| {csv.name.split('_')[0]} | {fit.n_obs} | {model} | {robust} | {dt:.2f} | "
                    f"{len(fit.table)} | {fit.hyperparameters['node_spacing_days']:.1f} | "
                    f"{fit.n_downweighted} |"
                )
    lines += [
        "",
        "Generated series (5 years, seasonal amplitude 300 m/yr, noise 20 m/yr), RMSE of the GP "
        "mean to the true latent velocity [m/yr]:",
        "",
        "| pairs | date_dt range [d] | outliers | midpoint (a) | interval (b) | interval (b) robust |",
        "|---|---|---|---|---|---|",
    ]
    for min_dt, max_dt, outliers in ((5, 30, 0.0), (60, 400, 0.0), (10, 300, 0.12)):
        series = synthetic_series(n=400, min_dt=min_dt, max_dt=max_dt, outliers=outliers, seed=4)
        errors = [
            rmse_to_truth(gp.regress_component(series, "v", gp.GPConfig(model=m, robust=r, step_days=5)))
            for m, r in (("midpoint", False), ("interval", False), ("interval", True))
        ]
        lines.append(
            f"| 400 | {min_dt}–{max_dt} | {outliers:.0%} | " + " | ".join(f"{e:.1f}" for e in errors) + " |"
        )
    series, _ = surge_series()
    errors = [
        rmse_to_truth(
            gp.regress_component(series, "v", gp.GPConfig(model=m, robust=r, step_days=2)),
            truth_fn=surge_truth,
        )
        for m, r in (("midpoint", False), ("interval", False), ("interval", True))
    ]
    lines.append(
        "| 600, + surge 1,200 m/yr (σ 30 d) | 6–60 | 10% (0–50, 500–1000 m/yr) | "
        + " | ".join(f"{e:.1f}" for e in errors)
        + " |"
    )
    publish("gp", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
