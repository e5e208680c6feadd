"""Compute backends: the Dask distributed client and the torch device.

Scale-out always goes through Dask distributed (a LocalCluster when no scheduler address is
given); there is no home-made pool here.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .errors import ParameterError
from .progress import Progress

if TYPE_CHECKING:
    from distributed import Client, Future

#: what a remote worker needs, named in the errors of :func:`check_workers`
WORKER_SETUP = (
    "install this package and its requirements in the workers' Python (`pip install .` in the "
    "checkout, or an image built that way) and restart the workers"
)
#: the modules whose functions run as Dask tasks (a worker must import them to deserialise a task)
TASK_MODULES = ("core.egms.pipeline", "core.itslive.pipeline")


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


def check_scheduler_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise :class:`ParameterError` when nothing answers at the scheduler ``address`` (``tcp://host:port``)
    within ``timeout`` seconds (instead of distributed's own 30 s wait and traceback)."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme not in ("tcp", "tls") or not parsed.hostname:
        raise ParameterError(
            "SCHEDULER",
            f"'{address}' is not a scheduler address; write tcp://host:8786, 'local' or leave it empty",
        )
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 8786), timeout=timeout):
            pass
    except OSError as exc:
        raise ParameterError(
            "SCHEDULER",
            f"no Dask scheduler answers at {address} ({exc.strerror or exc}); start "
            "one (`dask scheduler`) or check the address, or leave SCHEDULER empty to "
            "run here",
        ) from exc


def check_workers(
    client: Client, address: str, shared_paths: Iterable[str | Path] = (), timeout: float = 10.0
) -> None:
    """Check a remote cluster before any task goes to it: at least one worker, every worker can import the
    task modules of this package, and sees ``shared_paths`` (inputs, output folder). Raises
    :class:`ParameterError` naming the worker and what to do."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as exc:
        raise ParameterError(
            "SCHEDULER",
            f"no worker is connected to the scheduler at {address}; start workers "
            f"(`dask worker {address}`); they need: {WORKER_SETUP}",
        ) from exc
    root = __package__.split(".")[0]
    for module in TASK_MODULES:
        # eval is pickled by reference (a builtin), so the probe itself needs nothing from this package
        probe = f"__import__('importlib').import_module('{root}.{module}').__name__"
        for worker, answer in client.run(eval, probe, on_error="return").items():
            if isinstance(answer, BaseException):
                raise ParameterError(
                    "SCHEDULER",
                    f"worker {worker} cannot import {root}.{module} "
                    f"({type(answer).__name__}: {answer}); {WORKER_SETUP}",
                )
    for path in shared_paths:
        path = str(Path(path).absolute())
        for worker, seen in client.run(os.path.exists, path, on_error="return").items():
            if seen is not True:
                raise ParameterError(
                    "SCHEDULER",
                    f"worker {worker} cannot see {path}: inputs and outputs must be on "
                    "a file system shared with the workers (same path)",
                )


@contextmanager
def dask_client(
    scheduler: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str = "auto",
    shared_paths: Iterable[str | Path] = (),
) -> Iterator[Client]:
    """A ``distributed.Client``: connected to ``scheduler`` when it is an address, else to a fresh LocalCluster.

    ``scheduler`` is an address such as ``tcp://10.0.0.5:8786``; it is checked first (reachable, workers
    able to run this package's tasks and to see ``shared_paths``, see :func:`check_workers`). ``"local"``,
    an empty string or None starts a local cluster of ``n_workers`` processes (default: one per core) that
    is closed on exit.
    """
    from distributed import Client, LocalCluster

    if scheduler and scheduler.strip().lower() != "local":
        check_scheduler_reachable(scheduler)
        client = Client(scheduler, timeout=15)
        try:
            check_workers(client, scheduler, shared_paths)
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


#: how often :func:`gather` checks for cancellation while it waits (seconds)
GATHER_POLL_S = 0.25


def gather(
    client: Client,
    futures: Sequence[Future],
    progress: Progress,
    message: str = "",
    on_result: Callable[[int, Any], None] | None = None,
    also_cancel: Sequence[Future] = (),
) -> list:
    """The results of ``futures`` in their order, taken as they complete.

    Reports the fraction done on ``progress`` (with ``message``, from 0) and calls ``on_result(index, result)`` for
    each future as it completes. Checks ``progress`` for cancellation at least every
    :data:`GATHER_POLL_S` seconds, also inside long tasks. On cancellation, on a failed task (its exception
    is re-raised here) or on any other interruption, every future still running and ``also_cancel`` (e.g.
    the inputs of these tasks) are cancelled.
    """
    from distributed import wait

    index = {f: i for i, f in enumerate(futures)}  # a Future hashes by identity
    results: list = [None] * len(futures)
    pending, n_done = set(futures), 0
    progress.report(0.0, message)
    try:
        while pending:
            progress.check()
            try:
                done, pending = wait(pending, timeout=GATHER_POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in done:
                i = index[future]
                results[i] = future.result()  # re-raises the task's exception (InputError …) here
                n_done += 1
                progress.report(n_done / len(futures), message)
                if on_result is not None:
                    on_result(i, results[i])
    except BaseException:
        client.cancel([*futures, *also_cancel])
        raise
    return results


def torch_device(name: str = "auto") -> str:
    """Resolve ``auto``/``cpu``/``cuda`` to a torch device string; ``auto`` picks CUDA when present.

    Raises :class:`ParameterError` (DEVICE) for ``cuda`` when no CUDA device is available.
    """
    import torch

    name = (name or "auto").lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(
            "DEVICE",
            "cuda: torch sees no CUDA device on this machine (no GPU, or a CPU-only torch build); "
            "choose auto or cpu",
        )
    return name
