"""The few QGIS API spellings that moved between 3.22 and current releases."""

from qgis.core import Qgis, QgsProcessingAlgorithm, QgsProcessingParameterDefinition

try:  # QGIS >= 3.36
    FLAG_ADVANCED = Qgis.ProcessingParameterFlag.Advanced
    FLAG_NO_THREADING = Qgis.ProcessingAlgorithmFlag.NoThreading
except AttributeError:  # QGIS 3.22 – 3.34
    FLAG_ADVANCED = QgsProcessingParameterDefinition.FlagAdvanced
    FLAG_NO_THREADING = QgsProcessingAlgorithm.FlagNoThreading


def set_advanced(param):
    """Mark a parameter as advanced, on any supported QGIS version."""
    param.setFlags(param.flags() | FLAG_ADVANCED)
    return param
