"""EGMS L3 Ortho: generated L2b bursts with known east/up motion → surfacemotion:egms_l3_ortho via qgis_process.

Writes four synthetic bursts (two ascending, two descending, 5,000 MPs each, 3 years every 6 days,
1 mm noise) across the E45N17/E46N17 tile boundary, runs the algorithm, and compares each cell's
recovered mean velocity with the true one.
"""

from __future__ import annotations

import numpy as np


def run(ctx) -> list[str]:
    from surface_motion.core.egms.reader import read_table
    from surface_motion.core.synthetic.egms import generate

    inputs, truth = generate(
        ctx.output / "egms" / "bursts",
        n_per_burst=5000,
        n_epochs=183,
        n_bursts_per_geometry=2,
        bounds=(4_596_000, 1_739_000, 4_604_000, 1_745_000),
    )
    out = ctx.output / "egms" / "L3"
    res = ctx.qgis_process("egms_l3_ortho", INPUTS=[str(p) for p in inputs], OUTPUT_FOLDER=str(out))
    lines = [
        f"{len(inputs)} bursts ({len(inputs) * 5000} MPs, 183 epochs) → {res['CELLS']} cells; "
        f"products in {out}"
    ]
    for comp, name in (("E", "east"), ("U", "up")):
        errors, truths = [], []
        for z in sorted(out.glob(f"EGMS_L3_*_100km_{comp}_*.zip")):
            tab = read_table(z)
            true = (truth.east if comp == "E" else truth.up)(
                tab["easting"].to_numpy(), tab["northing"].to_numpy()
            )
            errors.append(tab["mean_velocity"].to_numpy() - true)
            truths.append(true)
            lines.append(f"{z.name}: {len(tab)} cells")
        err, true = np.concatenate(errors), np.concatenate(truths)
        lines.append(
            f"{name} velocity, recovered − true: RMS {np.sqrt(np.mean(err**2)):.2f} mm/yr, "
            f"median |error| {np.median(np.abs(err)):.2f} mm/yr, max |error| {np.abs(err).max():.2f} mm/yr "
            f"(true range {true.min():.1f}…{true.max():.1f} mm/yr)"
        )
    lines.append(
        f"layers: {res['OUTPUT_EAST']} and {res['OUTPUT_UP']} (style resources/styles/egms_velocity.qml)"
    )
    return lines
