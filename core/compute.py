"""Compute backends: the Dask distributed client and the torch device.

Scale-out always goes through Dask distributed (a LocalCluster when no scheduler address is
given); there is no home-made pool here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def python_executable() -> str:
    """The real Python interpreter of this environment.

    Inside ``qgis_process`` ``sys.executable`` can be another interpreter and inside QGIS
    desktop it is the QGIS binary, so worker processes must be started with the Python that
    belongs to ``sys.base_prefix`` (checked on Debian and OSGeo4W layouts).
    """
    exe = Path(sys.executable)
    if exe.name.lower().startswith("python"):
        return str(exe)
    candidates = [
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}",
        Path(sys.base_prefix) / "bin" / "python3",
        Path(sys.base_prefix) / "python.exe",
        Path(sys.base_prefix) / "python3.exe",
        Path("/usr/bin") / f"python{sys.version_info.major}.{sys.version_info.minor}",
    ]
    for c in candidates:
        if c.exists():
            return str(c)
    return str(exe)


def _in_worker_environment() -> None:
    """Make spawned worker processes find the same packages and interpreter as this one."""
    multiprocessing.set_executable(python_executable())
    paths = [p for p in sys.path if p]
    current = os.environ.get("PYTHONPATH", "")
    merged = os.pathsep.join(dict.fromkeys(paths + ([current] if current else [])))
    os.environ["PYTHONPATH"] = merged


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None,
                threads_per_worker: int = 1, memory_limit: str = "auto") -> Iterator[object]:
    """A ``distributed.Client``: connected to ``scheduler`` when given, else to a fresh LocalCluster.

    ``scheduler`` is an address such as ``tcp://10.0.0.5:8786``; an empty string or None starts a
    local cluster of ``n_workers`` processes (default: one per core) that is closed on exit.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    _in_worker_environment()
    cluster = LocalCluster(
        n_workers=n_workers or max(1, os.cpu_count() or 1),
        threads_per_worker=threads_per_worker,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=None,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def torch_device(name: str = "auto") -> str:
    """Resolve ``auto``/``cpu``/``cuda`` to a torch device string; ``auto`` picks CUDA when present.

    Raises ValueError for ``cuda`` when no CUDA device is available.
    """
    import torch

    name = (name or "auto").lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device")
    return name
