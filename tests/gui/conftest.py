"""The desktop tier: the plugin loaded with pytest-qgis's ``qgis_iface`` (a real map canvas, offscreen),
on layers made by the project's own algorithms from generated data."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def iface(qgis_iface):
    """pytest-qgis's interface, with the removal calls a plugin's ``unload`` makes (no-ops there too)."""
    from qgis.gui import QgsBrowserGuiModel

    for name in ("removePluginMenu", "removeDockWidget"):
        if not hasattr(qgis_iface, name):
            setattr(qgis_iface, name, lambda *args: None)
    if not hasattr(qgis_iface, "browserModel"):  # the Processing dialog asks for it
        browser = QgsBrowserGuiModel()
        qgis_iface.browserModel = lambda: browser
    return qgis_iface


@pytest.fixture(scope="session")
def plugin(iface, qgis_processing):
    """The plugin as QGIS loads it in the desktop: classFactory(iface), initGui()."""
    import surface_motion

    loaded = surface_motion.classFactory(iface)
    loaded.initGui()
    yield loaded
    loaded.unload()


@pytest.fixture(scope="session")
def run_algorithm(plugin):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def run(name: str, parameters: dict) -> dict:
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        return processing.run(
            f"surfacemotion:{name}", parameters, context=context, feedback=QgsProcessingFeedback()
        )

    return run


@pytest.fixture(scope="session")
def egms_products(run_algorithm, tmp_path_factory) -> dict[str, str]:
    """L3 Ortho east/up GeoPackages of generated bursts: {"E": path, "U": path}."""
    from surface_motion.core.synthetic.egms import generate

    folder = tmp_path_factory.mktemp("egms")
    paths, _ = generate(
        folder / "bursts", n_per_burst=300, n_epochs=80, bounds=(4_500_000, 1_700_000, 4_502_000, 1_702_000)
    )
    result = run_algorithm(
        "egms_l3_ortho", {"INPUTS": [str(p) for p in paths], "OUTPUT_FOLDER": str(folder / "l3")}
    )
    return {"E": result["OUTPUT_EAST"], "U": result["OUTPUT_UP"]}


@pytest.fixture(scope="session")
def inversion(run_algorithm, tmp_path_factory) -> str:
    """An itslive_invert NetCDF (robust) of a generated cube; the cube stays reachable at its path."""
    from surface_motion.core.synthetic.itslive import write_synthetic_cube

    folder = tmp_path_factory.mktemp("itslive")
    truth = write_synthetic_cube(folder / "cube.zarr", nx=24, ny=24, n_pairs=220, seed=3)
    glaciers = folder / "glaciers.gpkg"
    truth.glaciers.to_file(glaciers)
    out = folder / "velocity.nc"
    run_algorithm(
        "itslive_invert",
        {
            "GLACIERS": str(glaciers),
            "CUBES": str(folder / "cube.zarr"),
            "INTERVAL_DAYS": 24,
            "ROBUST": True,
            "DEVICE": 1,
            "OUTPUT": str(out),
        },
    )
    return str(out)
