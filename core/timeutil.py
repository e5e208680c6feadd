"""Dates given by users (parameters, CLI options, NetCDF attributes): one parser, one error message.

Light to import (pandas is imported on the first call): the Processing algorithms read the
configurations that use it inside QGIS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd


def parse_date(value: object, key: str) -> pd.Timestamp | None:
    """``value`` as a timezone-naive pandas Timestamp; None when it is None or blank text.

    Takes text (``YYYY-MM-DD``, ``YYYYMMDD``, ISO date-times; a time zone is converted to UTC), ``date``,
    ``datetime``, ``numpy.datetime64`` and ``Timestamp``. Raises :class:`ParameterError` naming the
    parameter ``key`` for anything else.
    """
    import pandas as pd

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)):  # pandas would read a number as nanoseconds since 1970
        raise ParameterError(key, f"{value!r} is not a date; use YYYY-MM-DD")
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ParameterError(key, f"'{value}' is not a date; use YYYY-MM-DD") from exc
    if stamp is pd.NaT:
        raise ParameterError(key, f"'{value}' is not a date; use YYYY-MM-DD")
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp
