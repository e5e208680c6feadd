"""EGMS: L2a/L2b bursts → L3 Ortho (east/up) products, reproducing the official algorithm.

Entry point: :func:`surface_motion.core.egms.pipeline.run_egms_l3` with an
:class:`~surface_motion.core.egms.config.EgmsL3Config`.
"""
