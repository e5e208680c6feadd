"""Background work of the inspector: a task of the worker entry (``core/worker.py``) in a QgsTask.

Reading a cube and re-inverting or regressing a pixel take seconds and need zarr/netCDF4/scipy,
which stay out of the QGIS process: the task starts the same worker process as the Processing
algorithms (``algorithms/worker.run_task``) and relays its progress; cancelling the QgsTask
terminates the worker. ``run()`` touches no layer or widget (it runs in a thread); the result
goes back through ``finished`` in the main thread.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsApplication, QgsProcessingFeedback, QgsTask


class WorkerTask(QgsTask):
    """Run ``TASKS[name](**kwargs)`` in a worker process; call ``on_done(result, error)`` when finished."""

    def __init__(
        self, description: str, name: str, kwargs: dict, on_done: Callable[[dict | None, str | None], None]
    ):
        super().__init__(description, QgsTask.CanCancel)
        self.name = name
        self.kwargs = kwargs
        self.on_done = on_done
        self.result: dict | None = None
        self.error: str | None = None
        self.feedback = QgsProcessingFeedback()
        self.feedback.progressChanged.connect(self.setProgress)

    def run(self) -> bool:
        from ..algorithms.worker import run_task

        try:
            self.result = run_task(self.name, self.kwargs, self.feedback)
        except Exception as exc:  # noqa: BLE001 - any failure is shown to the user in the dock
            self.error = str(exc) or type(exc).__name__
            return False
        return True

    def cancel(self) -> None:
        self.feedback.cancel()
        super().cancel()

    def finished(self, ok: bool) -> None:  # QgsTask API
        self.on_done(self.result if ok else None, None if ok else (self.error or "cancelled"))


def start(task: WorkerTask) -> WorkerTask:
    """Hand the task to QGIS's task manager (it shows in the status bar with a cancel button)."""
    QgsApplication.taskManager().addTask(task)
    return task
