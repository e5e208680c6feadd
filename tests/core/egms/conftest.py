"""Small generated EGMS inputs shared by the EGMS core tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_bursts(tmp_path_factory) -> tuple[list[Path], object]:
    """One ascending and one descending synthetic L2b burst ZIP (600 MPs each, 60 epochs, 2 × 2 km)."""
    from surface_motion.core.synthetic.egms import generate

    return generate(
        tmp_path_factory.mktemp("egms_small"),
        n_per_burst=600,
        n_epochs=60,
        bounds=(4_500_000, 1_700_000, 4_502_000, 1_702_000),
    )


def csv_text(zip_path: Path) -> str:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith(".csv"))).decode()


def rezip(folder: Path, stem: str, csv: str | None, xml: str | None = "<BURST/>") -> Path:
    """A ZIP named ``stem.zip`` holding the given CSV text and XML."""
    out = folder / f"{stem}.zip"
    with zipfile.ZipFile(out, "w") as zf:
        if xml is not None:
            zf.writestr(f"{stem}.xml", xml)
        if csv is not None:
            zf.writestr(f"{stem}.csv", csv)
    return out
