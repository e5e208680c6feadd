"""Configuration dataclasses as JSON, for the worker processes the Processing algorithms start."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import PurePath
from typing import Any, TypeVar

T = TypeVar("T")


def config_to_json(config: Any, **overrides: Any) -> str:
    """``config`` (a dataclass) as a JSON object; ``overrides`` replace fields (e.g. a layer by its path).

    Paths become strings, dates ISO strings, bytes (WKB) hex strings (``shapely.from_wkb`` reads them).
    """
    return json.dumps({**asdict(config), **overrides}, default=_plain)


def config_from_json(cls: type[T], text: str) -> T:
    """The ``cls`` dataclass from :func:`config_to_json`'s text (its ``__post_init__`` restores the types)."""
    return cls(**json.loads(text))


def _plain(value: object) -> str:
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
