"""pandas tables into QGIS sinks, styling post-processors, output paths; shared by the algorithms.

Imported lazily inside ``run()`` (it imports pandas), so the provider loads without it. No shapely or
pyproj here (see ``worker.py``): geometries arrive as WKB.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsVectorLayerTemporalProperties,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QVariant


def fields_for(frame: pd.DataFrame, date_columns: tuple[str, ...] = ()) -> QgsFields:
    """QgsFields matching the DataFrame's columns (``date_columns``: datetime columns stored as dates)."""
    fields = QgsFields()
    for column, dtype in frame.dtypes.items():
        if column == "geometry":
            continue
        if column in date_columns:
            kind = QVariant.Date
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = QVariant.DateTime
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            kind = QVariant.LongLong
        elif pd.api.types.is_float_dtype(dtype):
            kind = QVariant.Double
        else:
            kind = QVariant.String
        fields.append(QgsField(str(column), kind))
    return fields


def _converters(frame: pd.DataFrame, fields: QgsFields):
    def as_datetime(v):
        return (
            None if pd.isna(v) else QDateTime.fromMSecsSinceEpoch(int(pd.Timestamp(v).value // 10**6), Qt.UTC)
        )

    def as_date(v):
        return None if pd.isna(v) else QDate(v.year, v.month, v.day)

    def as_float(v):
        return None if not np.isfinite(v) else float(v)

    def as_int(v):
        return None if pd.isna(v) else int(v)

    def as_str(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    by_type = {
        QVariant.DateTime: as_datetime,
        QVariant.Date: as_date,
        QVariant.Double: as_float,
        QVariant.LongLong: as_int,
        QVariant.String: as_str,
    }
    return [by_type[fields.field(i).type()] for i in range(fields.count())]


def write_frame(sink, frame: pd.DataFrame, fields: QgsFields, geometries=None, feedback=None) -> None:
    """Add one feature per row (attributes in ``fields`` order; ``geometries``: WKB bytes per row or None)."""
    convert = _converters(frame, fields)
    names = [fields.field(i).name() for i in range(fields.count())]
    columns = [frame[n].to_numpy(dtype=object) for n in names]
    wkbs = geometries
    for i in range(len(frame)):
        if feedback is not None and i % 2000 == 0 and feedback.isCanceled():
            raise QgsProcessingException("cancelled by the user")
        feature = QgsFeature(fields)
        feature.setAttributes([conv(col[i]) for conv, col in zip(convert, columns, strict=True)])
        if wkbs is not None:
            geom = QgsGeometry()
            geom.fromWkb(wkbs[i])
            feature.setGeometry(geom)
        sink.addFeature(feature)


class LayerStyler(QgsProcessingLayerPostProcessorInterface):
    """Styles a layer loaded on completion (main thread): a QML from resources/styles and, optionally,
    feature time from a date field (``QgsVectorLayerTemporalProperties``) and a layer-tree group
    (``LayerDetails.groupName`` arrives only in QGIS 3.30) with the layer checked or not."""

    _alive: ClassVar[list] = []  # Processing keeps only a C++ pointer: hold the Python objects

    def __init__(
        self,
        qml: str | None = None,
        time_field: str | None = None,
        group: str | None = None,
        visible: bool = True,
    ):
        super().__init__()
        self.qml = qml
        self.time_field = time_field
        self.group = group
        self.visible = visible

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if self.qml:
            layer.loadNamedStyle(self.qml)
        if self.time_field:
            set_time_field(layer, self.time_field)
        if self.group:
            move_to_group(layer, context.project(), self.group, self.visible)
        layer.triggerRepaint()

    @classmethod
    def attach(
        cls,
        context,
        dest: str,
        qml: str | None = None,
        time_field: str | None = None,
        group: str | None = None,
        visible: bool = True,
    ) -> None:
        if context.willLoadLayerOnCompletion(dest):
            styler = cls(qml, time_field, group, visible)
            cls._alive.append(styler)
            context.layerToLoadOnCompletionDetails(dest).setPostProcessor(styler)


def move_to_group(layer, project, group_name: str, visible: bool) -> None:
    """Move the layer's tree node into the top-level group ``group_name`` (created first), checked or not."""
    if project is None:
        return
    root = project.layerTreeRoot()
    node = root.findLayer(layer.id())
    if node is None:
        return
    group = root.findGroup(group_name) or root.insertGroup(0, group_name)
    moved = node.clone()
    moved.setItemVisibilityChecked(visible)
    group.addChildNode(moved)
    node.parent().removeChildNode(node)


def set_time_field(layer, field: str) -> None:
    """Make a vector layer temporal: one instant per feature, read from ``field``."""
    props = layer.temporalProperties()
    props.setIsActive(True)
    props.setMode(QgsVectorLayerTemporalProperties.ModeFeatureDateTimeInstantFromField)
    props.setStartField(field)


def file_next_to(dest: str, suffix: str, context) -> str:
    """A file path beside a sink's destination (``<stem><suffix>``); for a memory/temporary layer, a
    file in the Processing temporary folder."""
    from pathlib import Path

    from qgis.core import QgsProcessingUtils

    path = Path(str(dest).split("|", 1)[0])
    if path.suffix and path.parent.is_dir():
        return str(path.with_name(path.stem + suffix))
    return QgsProcessingUtils.generateTempFilename(f"output{suffix}")


def write_gp_outputs(
    alg, parameters, context, feedback, table: pd.DataFrame, plot_tmp: str | None, output_key: str, fmt: str
) -> tuple[str, str | None]:
    """Write the GP table into the ``output_key`` sink of ``alg`` and move the plot (written by the
    worker to a temporary file) next to it; returns (dest, plot path)."""
    import shutil

    from qgis.core import QgsCoordinateReferenceSystem, QgsWkbTypes

    from ..core.io import atomic_output

    fields = fields_for(table, date_columns=("date",))
    sink, dest = alg.parameterAsSink(
        parameters, output_key, context, fields, QgsWkbTypes.NoGeometry, QgsCoordinateReferenceSystem()
    )
    write_frame(sink, table, fields, feedback=feedback)
    del sink  # flush a file output
    if not plot_tmp:
        return dest, None
    plot = file_next_to(dest, f"_gp.{fmt}", context)
    with atomic_output(plot) as tmp:
        shutil.copyfile(plot_tmp, tmp)
    return dest, plot


def ramp_stops(lo: float, hi: float, classes: int = 6) -> list[float]:
    """Stops covering [lo, hi] on a round step (1, 2, 2.5 or 5 × 10ⁿ m/yr, about ``classes`` classes),
    from the step below ``lo`` to the first one at or above ``hi``."""
    import math

    lo = max(lo, 0.0) if math.isfinite(lo) else 0.0
    hi = hi if math.isfinite(hi) and hi > lo else lo + 1.0
    raw = (hi - lo) / classes
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    return [round(start + k * step, 6) for k in range(math.ceil(round((hi - start) / step, 9)) + 1)]
