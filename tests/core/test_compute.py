"""``core/compute.py``: the cancellable Dask gatherer both pipelines use, and the scheduler address check."""

from __future__ import annotations

import time

import pytest
from surface_motion.core.compute import check_scheduler_reachable, gather
from surface_motion.core.errors import CancelledError, InputError, ParameterError
from surface_motion.core.progress import Progress


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=4, dashboard_address=None) as c:
        yield c


def slow(value, seconds):
    time.sleep(seconds)
    return value


def fail(seconds):
    time.sleep(seconds)
    raise InputError("burst.zip", "column 'pid' missing")


def test_results_in_order_reported_as_they_complete(client):
    futures = [client.submit(slow, v, s, pure=False) for v, s in (("a", 0.6), ("b", 0.0), ("c", 0.3))]
    fractions, seen = [], []
    progress = Progress(on_progress=lambda f, m: fractions.append((f, m)))
    out = gather(client, futures, progress, "Reading", on_result=lambda i, r: seen.append((i, r)))
    assert out == ["a", "b", "c"]
    assert seen == [(1, "b"), (2, "c"), (0, "a")]
    assert fractions == [(0.0, "Reading"), (1 / 3, "Reading"), (2 / 3, "Reading"), (1.0, "Reading")]


def test_cancel_is_noticed_while_a_task_runs_and_cancels_the_rest(client):
    long = client.submit(slow, "x", 4, pure=False)
    upstream = client.submit(slow, "y", 4, pure=False)
    t0 = time.monotonic()
    progress = Progress(is_cancelled=lambda: time.monotonic() - t0 > 0.3)
    with pytest.raises(CancelledError):
        gather(client, [long], progress, also_cancel=[upstream])
    assert time.monotonic() - t0 < 2.0  # within a poll of the request, not at the end of the task
    time.sleep(0.2)
    assert long.status == "cancelled" and upstream.status == "cancelled"


def test_a_failed_task_raises_its_error_and_cancels_the_others(client):
    bad = client.submit(fail, 0.1, pure=False)
    other = client.submit(slow, "z", 4, pure=False)
    with pytest.raises(InputError, match="column 'pid' missing"):
        gather(client, [other, bad], Progress())
    time.sleep(0.2)
    assert other.status == "cancelled"


def test_no_future_is_no_wait(client):
    assert gather(client, [], Progress(is_cancelled=lambda: True)) == []


@pytest.mark.parametrize("address", ["http://host:8786", "tcp://"])
def test_a_scheduler_that_is_not_an_address_is_named(address):
    with pytest.raises(ParameterError, match=r"SCHEDULER: .* is not a scheduler address"):
        check_scheduler_reachable(address)


def test_no_scheduler_listening_is_reported_quickly():
    t0 = time.monotonic()
    with pytest.raises(ParameterError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:1"):
        check_scheduler_reachable("tcp://127.0.0.1:1", timeout=1)
    assert time.monotonic() - t0 < 3
