"""What a desktop user sees in the algorithm dialogs and the toolbox."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication, QgsProcessingParameterDefinition


@pytest.fixture(scope="module")
def algorithms(plugin):
    return plugin.provider.algorithms()


def test_help_renders_as_written_and_optional_is_said_once(algorithms):
    for alg in algorithms:
        # the dialog makes a paragraph of every line of shortHelpString
        assert "\n" not in alg.shortHelpString(), alg.id()
        for param in alg.parameterDefinitions():
            if param.flags() & QgsProcessingParameterDefinition.FlagOptional:
                assert "optional" not in param.description().lower(), (alg.id(), param.name())


def test_shipped_model_is_in_the_toolbox_with_icons(algorithms):
    model = QgsApplication.processingRegistry().algorithmById("surfacemotion:itslive_glacier_profile")
    assert model is not None and model.displayName().startswith("ITS_LIVE glacier profile")
    assert not model.icon().isNull()
    for child in model.childAlgorithms().values():  # the modeler draws each box's own icon
        assert child.algorithm().svgIconPath().endswith(f"{child.algorithm().name()}.svg")


@pytest.mark.xfail(strict=True, reason="QGIS 3.22's multiple-layer widget resolves file inputs as layers "
                   "(QgsProcessingParameters::parameterAsLayerList): burst ZIPs are dropped, GDAL logs "
                   "'Cannot open /vsizip/…'; needs a file-list widget of our own")
def test_dialog_prefilled_from_python(plugin, tmp_path):
    import processing

    zips = [str(tmp_path / "a.zip"), str(tmp_path / "b.zip")]
    for path in zips:
        open(path, "wb").close()
    dialog = processing.createAlgorithmDialog("surfacemotion:egms_l3_ortho", {"INPUTS": zips, "SPACING": 200})
    values = dialog.mainWidget().createProcessingParameters()
    assert values["INPUTS"] == zips and values["SPACING"] == 200
    dialog.deleteLater()
