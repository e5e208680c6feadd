"""Where a run computes: the options every pipeline with a Dask mode shares (no numpy: the algorithms
read it inside QGIS)."""

from __future__ import annotations

from dataclasses import dataclass

from .params import param


@dataclass(kw_only=True)
class ComputeOptions:
    """Mixed into the EGMS and ITS_LIVE run configs (keyword-only, after their own fields).

    ``scheduler``: None runs in this process; ``"local"`` starts a Dask LocalCluster of ``n_workers``
    processes (default: one per core); an address (``tcp://host:8786``) uses that scheduler.
    """

    scheduler: str | None = param(
        None, "Dask scheduler: empty runs in this process, 'local' starts a local cluster, or tcp://host:port"
    )
    n_workers: int | None = param(
        None,
        "worker processes of the local cluster (default: one per core)",
        flags=("--n-workers", "--workers"),
    )
