"""EGMS point layers as time series: the displacement of one measurement point or L3 cell.

Works on any point layer whose fields include dates named ``YYYYMMDD`` (also ``DYYYYMMDD`` and
``D_YYYYMMDD``, as InSAR Explorer reads them): the L3 Ortho GeoPackage/GeoParquet/CSV products and the
L2a/L2b burst CSVs loaded as layers. Only the QGIS API and numpy: this runs inside QGIS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ..core.egms.stats import designs, years_since_start

DATE_FIELD = re.compile(r"^D?_?(\d{4})(\d{2})(\d{2})$")
#: PD statistics shown in the legend: field → (label, unit)
STATISTICS = {"mean_velocity": ("v", "mm/yr"), "acceleration": ("a", "mm/yr²"), "seasonality": ("s", "mm")}
#: an L3 product (``EGMS_L3_E45N17_100km_U_2020_2024_1``) or the layer name the algorithm gives it
_COMPONENT = (re.compile(r"EGMS_L3_(E\d+N\d+)_\d+km_([EU])(?:_|$)"), re.compile(r"EGMS L3 ([EU]) (E\d+N\d+)"))
MIN_DATES = 3


@dataclass
class PointSeries:
    """One point's displacement series (mm) with the PD statistics found on it."""

    layer_name: str
    component: str  # "E", "U" or "LOS"
    point_id: str
    x: float
    y: float
    dates: np.ndarray  # datetime64[D]
    values: np.ndarray  # mm, NaN where empty
    statistics: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.component} {self.point_id}" if self.component != "LOS" else f"LOS {self.point_id}"


def date_fields(layer: QgsVectorLayer) -> list[tuple[int, np.datetime64]]:
    """(field index, date) of the displacement fields, in field order."""
    out = []
    for i, f in enumerate(layer.fields()):
        m = DATE_FIELD.match(f.name())
        if m:
            try:
                out.append((i, np.datetime64(f"{m[1]}-{m[2]}-{m[3]}", "D")))
            except ValueError:
                continue
    return out


def is_egms_layer(layer) -> bool:
    """A point layer with at least a few ``YYYYMMDD`` fields."""
    return (
        isinstance(layer, QgsVectorLayer)
        and layer.isValid()
        and QgsWkbTypes.geometryType(layer.wkbType()) == QgsWkbTypes.PointGeometry
        and len(date_fields(layer)) >= MIN_DATES
    )


def component_and_tile(layer: QgsVectorLayer) -> tuple[str, str | None]:
    """("E" or "U", tile) for an L3 Ortho layer, ("LOS", None) for anything else (L2a/L2b bursts)."""
    text = f"{layer.name()} {layer.source()}"
    m = _COMPONENT[0].search(text)
    if m:
        return m[2], m[1]
    m = _COMPONENT[1].search(text)
    if m:
        return m[1], m[2]
    return "LOS", None


def nearest_feature(layer: QgsVectorLayer, point: QgsPointXY, tolerance: float):
    """The feature nearest ``point`` (layer CRS) within ``tolerance`` (layer units), or None.

    A rectangle request uses the provider's spatial index (GeoPackage R-tree), so no index is built.
    """
    rect = QgsRectangle(
        point.x() - tolerance, point.y() - tolerance, point.x() + tolerance, point.y() + tolerance
    )
    best, best_d = None, tolerance**2
    for feature in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect)):
        geom = feature.geometry()
        if geom is None or geom.isEmpty():
            continue
        d = (
            geom.asPoint().sqrDist(point)
            if not geom.isMultipart()
            else geom.centroid().asPoint().sqrDist(point)
        )
        if d <= best_d:
            best, best_d = feature, d
    return best


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def series_of(layer: QgsVectorLayer, feature) -> PointSeries:
    """The feature's displacement series and PD statistics."""
    fields = date_fields(layer)
    attributes = feature.attributes()
    names = layer.fields().names()
    values = np.array([_number(attributes[i]) for i, _ in fields])
    stats = {}
    for name in (*STATISTICS, "mean_velocity_std"):
        if name in names:
            stats[name] = _number(attributes[names.index(name)])
    pid = str(attributes[names.index("pid")]) if "pid" in names else str(feature.id())
    point = feature.geometry().centroid().asPoint()
    component, _ = component_and_tile(layer)
    return PointSeries(
        layer.name(), component, pid, point.x(), point.y(), np.array([d for _, d in fields]), values, stats
    )


def feature_at(layer: QgsVectorLayer, map_point: QgsPointXY, map_crs, tolerance_map_units: float):
    """:func:`nearest_feature` for a point in the map CRS."""
    transform = QgsCoordinateTransform(map_crs, layer.crs(), QgsProject.instance())
    point = transform.transform(map_point)
    corner = transform.transform(QgsPointXY(map_point.x() + tolerance_map_units, map_point.y()))
    tolerance = max(abs(corner.x() - point.x()), abs(corner.y() - point.y()), 1e-9)
    return nearest_feature(layer, point, tolerance)


def partner_layers(layer: QgsVectorLayer) -> list[QgsVectorLayer]:
    """The project's L3 layers of the other component (E ↔ U) and the same tile."""
    component, tile = component_and_tile(layer)
    if component == "LOS":
        return []
    other = {"E": "U", "U": "E"}[component]
    return [
        candidate
        for candidate in QgsProject.instance().mapLayers().values()
        if candidate is not layer
        and is_egms_layer(candidate)
        and component_and_tile(candidate) == (other, tile)
    ]


def partner_series(series: PointSeries, layer: QgsVectorLayer) -> PointSeries | None:
    """The other component's series of the same L3 cell (same pid, else the same cell centre)."""
    for partner in partner_layers(layer):
        request = QgsFeatureRequest()
        if "pid" in partner.fields().names():
            request.setFilterExpression(f"\"pid\" = '{series.point_id}'")
        else:
            request.setFilterRect(QgsRectangle(series.x - 1, series.y - 1, series.x + 1, series.y + 1))
        for feature in partner.getFeatures(request):
            return series_of(partner, feature)
    return None


@dataclass
class SeriesModel:
    """The PD model of a series: quadratic trend + annual term, fitted by least squares (PD Table 14)."""

    dates: np.ndarray
    values: np.ndarray
    velocity: float
    acceleration: float
    seasonality: float


def fit_model(series: PointSeries) -> SeriesModel | None:
    """Fit ``[t, t², cos(2πt)−1, sin(2πt), 1]`` (the PD's acceleration fit, t in years / 365 days) to the
    series; None with fewer valid epochs than parameters."""
    ok = np.isfinite(series.values)
    design = designs(years_since_start(series.dates))["quadratic"]
    if ok.sum() <= design.shape[1]:
        return None
    coef, *_ = np.linalg.lstsq(design[ok], series.values[ok], rcond=None)
    return SeriesModel(
        series.dates, design @ coef, float(coef[0]), float(2 * coef[1]), float(np.hypot(coef[2], coef[3]))
    )


def legend_text(series: PointSeries, model: SeriesModel | None) -> str:
    """``v = … mm/yr, a = …, s = …``: the layer's PD statistics where it has them, else the fit's."""
    fitted = (
        {
            "mean_velocity": model.velocity,
            "acceleration": model.acceleration,
            "seasonality": model.seasonality,
        }
        if model
        else {}
    )
    parts = []
    for name, (symbol, unit) in STATISTICS.items():
        value = series.statistics.get(name, fitted.get(name, float("nan")))
        if np.isfinite(value):
            decimals = 2 if name == "acceleration" else 1
            parts.append(f"{symbol} = {value:.{decimals}f} {unit}")
    return ", ".join(parts)
