"""Qt-free science and I/O of Surface Motion.

Everything under ``core`` runs in a plain Python interpreter: no ``qgis`` or ``PyQt``
import is allowed here (a test enforces it). The QGIS Processing algorithms in
``algorithms/`` are thin wrappers that build the same configuration dataclasses and
call these functions.
"""
