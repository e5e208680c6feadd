"""The reliability matrix through ``qgis_process`` (a representative part of ``tests/core/test_bad_inputs.py``):
each case exits non-zero with the message naming the parameter, input or range, no Python traceback,
and the output location unchanged."""

from __future__ import annotations

import re

import pytest

from tests.core.test_bad_inputs import snapshot, world  # noqa: F401  (world: the shared inputs fixture)

EGMS = {"INPUTS": ["{asc}", "{desc}"], "OUTPUT_FOLDER": "{out}"}
INVERT = {
    "GLACIERS": "{glaciers}",
    "CUBES": "{cube}",
    "OUTPUT": "{out}/velocity.nc",
    "DEVICE": 1,
    "BLOCK_SIZE": 10,
}
SERIES = {"POINTS": "{points}", "CUBES": "{cube}", "OUTPUT": "{out}/series.csv"}
GP = {"INPUT": "{series}", "OUTPUT": "{out}/gp.csv", "STEP_DAYS": 10}
LINE = {
    "LINES": "{lines}",
    "INVERSION": "{inversion}",
    "OUTPUT": "{out}/profile.gpkg",
    "HEATMAP": "{out}/h.png",
}
FIND = {"AOI": "{glaciers}", "CATALOG": "{catalog}", "OUTPUT": "{out}/cubes.geojson"}

CASES = [
    ("egms_l3_ortho", EGMS, {"INPUTS": ["{truncated}", "{desc}"]}, r"900_0001.*not a readable ZIP archive"),
    ("egms_l3_ortho", EGMS, {"INPUTS": ["{asc}", "{desc}", "{renamed_copy}"]}, r"holds the same burst as"),
    ("egms_l3_ortho", EGMS, {"SPACING": 0.5}, r"SPACING: 0.5 is outside the allowed range 10…100,000 m"),
    (
        "egms_l3_ortho",
        EGMS,
        {"MIN_MP_COUNT": 0},
        r"MIN_MP_COUNT: 0 is outside the allowed range 2…10,000 MPs",
    ),
    (
        "egms_l3_ortho",
        EGMS,
        {"START_DATE": "2030-01-01", "END_DATE": "2031-01-01"},
        r"the period 2030-01-01…2031-01-01 reaches beyond the inputs' dates",
    ),
    (
        "egms_l3_ortho",
        EGMS,
        {"OUTPUT_FOLDER": "{a_file}"},
        r"OUTPUT_FOLDER: .*a_file.txt is a file, not a folder",
    ),
    ("egms_l3_ortho", EGMS, {"SCHEDULER": "tcp://127.0.0.1:9"}, r"SCHEDULER: no Dask scheduler answers"),
    (
        "egms_l3_ortho",
        EGMS,
        {"AOI": "{aoi_no_crs}"},
        r"AOI: (the layer has no valid CRS|its CRS .* cannot be transformed)",
    ),
    ("itslive_invert", INVERT, {"LAMBDA": -1}, r"LAMBDA: -1 is outside the allowed range 0…10 yr"),
    ("itslive_invert", INVERT, {"DERIVATIVE": 3}, r"DERIVATIVE: 3 is outside the allowed range 1…2"),
    (
        "itslive_invert",
        INVERT,
        {"INTERVAL_DAYS": 0},
        r"INTERVAL_DAYS: 0 is outside the allowed range 1…3,650 days",
    ),
    (
        "itslive_invert",
        INVERT,
        {"DEVICE": "cuda"},
        r"DEVICE: 'cuda' is not an option index; give 0 \(auto\), 1 \(cpu\)",
    ),
    ("itslive_invert", INVERT, {"CUBES": "{no_vx}"}, r"column 'vx'.*variable missing"),
    ("itslive_invert", INVERT, {"MIN_OBSERVATIONS": 100000}, r"none of the .* glacier pixels got a value"),
    ("itslive_invert", INVERT, {"OUTPUT": "{a_file}/velocity.nc"}, r"OUTPUT: .*a_file.txt is a file"),
    ("itslive_find_cubes", FIND, {"CATALOG": "{catalog_not_json}"}, r"not a GeoJSON catalog"),
    (
        "itslive_point_series",
        SERIES,
        {"POINT_ID": "nope"},
        r"POINTS: the layer has no field 'nope' \(fields: .*point_id",
    ),
    (
        "itslive_point_series",
        SERIES,
        {"POINTS": "{points_far}"},
        r"POINTS: no point lies inside the given cubes",
    ),
    ("itslive_gp_regression", GP, {"INPUT": "{series_inf}"}, r"column 'v': 1 infinite values"),
    ("itslive_gp_regression", GP, {"START_DATE": "2015-01-01"}, r"would be extrapolated .*EXTRAPOLATE"),
    (
        "itslive_centerline_profile",
        LINE,
        {"SPACING": 0.001},
        r"SPACING: 0.001 is outside the allowed range 1…100,000 m",
    ),
    ("itslive_centerline_profile", LINE, {"INVERSION": "{not_netcdf}"}, r"not_netcdf.nc: not a NetCDF file"),
]


def fill(value, paths: dict):
    if isinstance(value, list):
        return [fill(v, paths) for v in value]
    return value.format(**paths) if isinstance(value, str) else value


@pytest.mark.parametrize(
    "alg, base, change, message",
    CASES,
    ids=[f"{c[0]}:{'+'.join(c[2])}={next(iter(c[2].values()))}" for c in CASES],
)
def test_bad_input_through_qgis_process(qgis_process, world, tmp_path, alg, base, change, message):  # noqa: F811
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous_product.gpkg").write_bytes(b"a previous product")
    before = snapshot(out)
    params = {key: fill(value, {**world, "out": out}) for key, value in {**base, **change}.items()}
    result = qgis_process(alg, timeout=300, expect_failure=True, **params)
    output = result["stdout"] + result["stderr"]
    assert re.search(message, output), output[-3000:]
    assert "Traceback" not in output
    assert snapshot(out) == before
