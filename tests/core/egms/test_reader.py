"""Reader: both schemas, ZIP/CSV/CSV.gz, the area filter, and a specific error for each bad input."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from surface_motion.core.egms.reader import read_burst, read_header, read_metadata
from surface_motion.core.errors import InputError

from tests.conftest import shared_fixture
from tests.core.egms.conftest import csv_text, rezip

STEM = "EGMS_L2b_117_0100_IW2_VV_2020_2024_1"


def test_fixture_burst_columns_geometry_and_xml():
    path = shared_fixture("egms_E45N17", "input", "EGMS_L2b_117_0227_IW2_VV_2020_2024_1.zip")
    b = read_burst(path)
    assert len(b) == b.total_points == 11759
    assert b.geometry == "ascending" and b.level == "L2b" and b.release == "2020_2024_1"
    assert b.series.dtype == np.float32 and b.series.shape == (11759, 207)
    assert str(b.dates[0]) == "2020-01-03" and str(b.dates[-1]) == "2024-12-31"
    assert b.metadata["track"] == "117" and b.metadata["gnss/version"] == "2.0"
    assert b.pid[0] == "1WBfX4cr1r" and b.los_east[0] == pytest.approx(-0.621)


@pytest.mark.parametrize("stream", [False, True])
def test_area_filter_keeps_only_points_inside(small_bursts, monkeypatch, stream):
    from surface_motion.core.egms import reader

    if stream:  # small blocks streamed one by one, as for files above reader.STREAM_ABOVE
        monkeypatch.setattr(reader, "STREAM_ABOVE", 0)
    paths, _ = small_bursts
    full = read_burst(paths[0])
    part = read_burst(paths[0], bounds=(4_500_000, 1_700_000, 4_501_000, 1_701_000), block_size=4096)
    inside = ((full.easting <= 4_501_000) & (full.northing <= 1_701_000)).sum()
    assert len(part) == inside and 0 < inside < len(full)
    assert part.total_points == len(full)
    np.testing.assert_array_equal(
        part.series, full.series[(full.easting <= 4_501_000) & (full.northing <= 1_701_000)]
    )


def test_bare_csv_gz_and_legacy_schema(small_bursts, tmp_path):
    paths, _ = small_bursts
    text = csv_text(paths[1])
    legacy = (
        text.replace("height_ortho", "height", 1)
        .replace("height_ellipse", "height_wgs84", 1)
        .replace("rmse_ts", "rmse", 1)
        .replace(",gnss_velocity", "", 1)
    )
    header = legacy.split("\n", 1)[0].split(",")
    gi = text.split("\n", 1)[0].split(",").index("gnss_velocity")
    rows = [",".join(r.split(",")[:gi] + r.split(",")[gi + 1 :]) for r in text.strip().split("\n")[1:]]
    legacy = ",".join(header) + "\n" + "\n".join(rows) + "\n"
    gz = tmp_path / "EGMS_L2a_022_0200_IW2_VV.csv.gz"
    gz.write_bytes(gzip.compress(legacy.encode()))
    (tmp_path / "EGMS_L2a_022_0200_IW2_VV.xml").write_text(
        "<BURST><product_level>L2a</product_level></BURST>"
    )
    a, b = read_burst(paths[1]), read_burst(gz)
    assert b.level == "L2a" and b.release is None and b.geometry == "descending"
    np.testing.assert_array_equal(a.height, b.height)
    np.testing.assert_array_equal(a.series, b.series)
    assert read_metadata(gz)["product_level"] == "L2a"


@pytest.mark.parametrize(
    "case, words",
    [
        ("truncated", ["not a readable ZIP", "download"]),
        ("no_csv", ["holds no CSV"]),
        ("no_los", ["los_east", "missing"]),
        ("no_dates", ["YYYYMMDD"]),
        ("non_numeric", ["non-numeric", "20200109"]),
        ("duplicate", ["duplicate pid"]),
        ("l3", ["L3", "L2a/L2b"]),
        ("mixed_geometry", ["mixes ascending"]),
        ("empty", ["no rows"]),
    ],
)
def test_bad_inputs_raise_a_specific_error(small_bursts, tmp_path, case, words):
    paths, _ = small_bursts
    text = csv_text(paths[0])
    lines = text.strip().split("\n")
    header = lines[0].split(",")
    if case == "truncated":
        data = paths[0].read_bytes()
        bad = tmp_path / f"{STEM}.zip"
        bad.write_bytes(data[: len(data) // 2])
    elif case == "no_csv":
        bad = rezip(tmp_path, STEM, None)
    elif case == "no_los":
        i = header.index("los_east")
        bad = rezip(
            tmp_path,
            STEM,
            "\n".join(",".join(c for k, c in enumerate(r.split(",")) if k != i) for r in lines) + "\n",
        )
    elif case == "no_dates":
        n = header.index("gnss_velocity") + 1
        bad = rezip(tmp_path, STEM, "\n".join(",".join(r.split(",")[:n]) for r in lines) + "\n")
    elif case == "non_numeric":
        i = header.index("20200109")
        row = lines[5].split(",")
        row[i] = "abc"
        bad = rezip(tmp_path, STEM, "\n".join([*lines[:5], ",".join(row), *lines[6:]]) + "\n")
    elif case == "duplicate":
        bad = rezip(tmp_path, STEM, "\n".join([*lines, lines[3]]) + "\n")
    elif case == "l3":
        bad = rezip(tmp_path, "EGMS_L3_E45N17_100km_U_2020_2024_1", text)
    elif case == "mixed_geometry":
        i = header.index("los_east")
        row = lines[2].split(",")
        row[i] = "0.594"
        bad = rezip(tmp_path, STEM, "\n".join([*lines[:2], ",".join(row), *lines[3:]]) + "\n")
    else:
        bad = rezip(tmp_path, STEM, lines[0] + "\n")
    with pytest.raises(InputError) as err:
        read_burst(bad)
    message = str(err.value)
    assert bad.name in message
    for w in words:
        assert w in message, message


def test_header_of_missing_file_names_it(tmp_path):
    with pytest.raises(InputError, match=r"nothere\.zip: file not found"):
        read_header(tmp_path / "nothere.zip")
