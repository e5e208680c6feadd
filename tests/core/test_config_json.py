"""``core/config_json.py``: configuration dataclasses to JSON and back, types restored by the class."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import shapely
from shapely.geometry import box
from surface_motion.core.config_json import config_from_json, config_to_json


@dataclass
class Run:
    inputs: list[Path]
    start: dt.date | None = None
    aoi: dict | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.inputs = [Path(p) for p in self.inputs]
        if isinstance(self.start, str):
            self.start = dt.date.fromisoformat(self.start)


def test_paths_dates_and_wkb_survive_the_round_trip():
    wkb = shapely.to_wkb(box(0, 0, 1, 2))
    run = Run([Path("/data/a.zip"), Path("b.csv")], dt.date(2020, 2, 29), {"wkb": [wkb], "crs": "EPSG:3035"})
    text = config_to_json(run)
    assert json.loads(text)["start"] == "2020-02-29" and json.loads(text)["aoi"]["wkb"] == [wkb.hex()]
    back = config_from_json(Run, text)
    assert back.inputs == run.inputs and back.start == run.start
    assert shapely.from_wkb(back.aoi["wkb"][0]).equals(box(0, 0, 1, 2))  # hex WKB reads as WKB


def test_overrides_replace_fields():
    text = config_to_json(Run(["a.zip"], extra={"k": 1}), inputs=["other.zip"], extra={})
    assert config_from_json(Run, text) == Run(["other.zip"])


def test_a_value_json_cannot_hold_is_named():
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        config_to_json(Run(["a.zip"], extra={"k": {1, 2}}))
