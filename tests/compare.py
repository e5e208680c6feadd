"""Comparisons shared by tests that run the same products two ways (in process, on Dask)."""

from __future__ import annotations

import zipfile


def assert_same_egms_products(first: dict, second: dict) -> None:
    """Two runs' products of one tile ({key: path}) hold the same data: the CSV inside each ZIP
    (the archive's timestamps differ) and every other file byte for byte."""
    for key, path in first.items():
        other = second[key]
        if key.endswith("zip"):
            with zipfile.ZipFile(path) as a, zipfile.ZipFile(other) as b:
                name = next(n for n in a.namelist() if n.endswith(".csv"))
                assert a.read(name) == b.read(name)
        else:
            assert path.read_bytes() == other.read_bytes()
