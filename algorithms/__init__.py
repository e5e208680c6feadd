"""QGIS Processing algorithms of Surface Motion: one algorithm per module, thin wrappers over core."""
