"""What a desktop user sees in the algorithm dialogs and the toolbox."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingParameterDefinition


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


@pytest.fixture
def burst_zips(tmp_path) -> list[str]:
    from surface_motion.core.synthetic.egms import generate

    paths, _ = generate(tmp_path / "bursts", n_per_burst=20, n_epochs=10)
    return [str(p) for p in paths]


@pytest.fixture
def message_log():
    """The messages QGIS logs (the Log Messages panel) while the test runs: [(tag, message)]."""
    messages: list[tuple[str, str]] = []

    def record(message, tag, level):
        messages.append((tag, message))

    QgsApplication.messageLog().messageReceived.connect(record)
    yield messages
    QgsApplication.messageLog().messageReceived.disconnect(record)


def test_dialog_prefilled_from_python(plugin, burst_zips, message_log):
    import processing

    dialog = processing.createAlgorithmDialog(
        "surfacemotion:egms_l3_ortho", {"INPUTS": burst_zips, "SPACING": 200}
    )
    values = dialog.mainWidget().createProcessingParameters()
    assert values["INPUTS"] == burst_zips and values["SPACING"] == 200
    # QGIS 3.22's layer widget opened each ZIP as a layer: "Cannot open /vsizip/…" once per file and provider
    assert not [m for m in message_log if "Cannot open" in m[1] or "Invalid data provider" in m[1]], (
        message_log
    )
    dialog.deleteLater()


def test_choosing_burst_zips_keeps_them_quietly(plugin, burst_zips, message_log):
    import processing
    from processing.gui.AlgorithmDialogBase import AlgorithmDialogBase
    from qgis.gui import QgsFileWidget

    dialog = processing.createAlgorithmDialog("surfacemotion:egms_l3_ortho")
    with pytest.raises(AlgorithmDialogBase.InvalidParameterValue):  # nothing chosen: the dialog flags INPUTS
        dialog.mainWidget().createProcessingParameters()
    picker = dialog.mainWidget().wrappers["INPUTS"].widget
    assert isinstance(picker, QgsFileWidget) and picker.storageMode() == QgsFileWidget.GetMultipleFiles
    assert "*.zip" in picker.filter()
    # what the file dialog writes back for several files: each path quoted
    picker.setFilePath(" ".join(f'"{path}"' for path in burst_zips))
    parameters = dialog.mainWidget().createProcessingParameters()
    assert parameters["INPUTS"] == burst_zips
    assert dialog.algorithm().checkParameterValues(parameters, QgsProcessingContext())[0]
    assert not [m for m in message_log if "Cannot open" in m[1]], message_log
    dialog.deleteLater()


def test_modeler_links_inputs_to_a_model_input(plugin):
    from processing.modeler.ModelerParametersDialog import ModelerParametersDialog
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelParameter,
        QgsProcessingParameterMultipleLayers,
    )
    from qgis.gui import QgsProcessingModelerParameterWidget

    model = QgsProcessingModelAlgorithm("bursts to L3")
    model.addModelParameter(
        QgsProcessingParameterMultipleLayers("bursts", "Bursts", QgsProcessing.TypeFile),
        QgsProcessingModelParameter("bursts"),
    )
    algorithm = QgsApplication.processingRegistry().algorithmById("surfacemotion:egms_l3_ortho")
    dialog = ModelerParametersDialog(algorithm, model)
    wrapper = dialog.widget.widget.wrappers["INPUTS"]
    assert isinstance(wrapper, QgsProcessingModelerParameterWidget)  # QGIS's own: static value or model input
    wrapper.setWidgetValue(QgsProcessingModelChildParameterSource.fromModelParameter("bursts"))
    child = dialog.createAlgorithm()
    assert [source.parameterName() for source in child.parameterSources()["INPUTS"]] == ["bursts"]
    dialog.deleteLater()
