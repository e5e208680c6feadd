"""Where ITS_LIVE cubes live: URL normalisation, anonymous stores and resilient chunk reads.

Cubes are zarr (format 2) stores on S3 (``s3://its-live-data/...``), behind the catalog's
``http://its-live-data.s3.amazonaws.com/...`` URLs, on other https servers or on a local disk.
Every read goes through :class:`ResilientStore`, which retries transient failures with bounded
exponential backoff and records the chunk keys that do not exist (so callers can mask them).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zarr.storage import FsspecStore, LocalStore, WrapperStore

from ...errors import InputError

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest, Store
    from zarr.core.buffer import Buffer, BufferPrototype

#: Environment variable naming a custom S3 endpoint (e.g. a local moto server in tests).
S3_ENDPOINT_ENV = "SURFACE_MOTION_S3_ENDPOINT"
#: Environment variable overriding the number of attempts per object read.
RETRIES_ENV = "SURFACE_MOTION_S3_ATTEMPTS"
DEFAULT_ATTEMPTS = 6
BASE_DELAY_S = 0.1
MAX_DELAY_S = 5.0

_VIRTUAL_HOSTED = re.compile(
    r"^https?://(?P<bucket>[^/]+?)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<key>.+)$"
)
_PATH_STYLE = re.compile(r"^https?://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<bucket>[^/]+)/(?P<key>.+)$")


def normalise_url(url: str) -> str:
    """``s3://bucket/key`` for any AWS S3 URL form, the URL itself for other https, an absolute local path.

    ``http://its-live-data.s3.amazonaws.com/datacubes/v2/…zarr`` (the catalog's form) and the
    path-style ``https://s3.us-west-2.amazonaws.com/its-live-data/…`` both become
    ``s3://its-live-data/datacubes/v2/…zarr``.
    """
    url = str(url).strip()
    if not url:
        raise InputError(None, "empty cube URL")
    for pattern in (_VIRTUAL_HOSTED, _PATH_STYLE):
        m = pattern.match(url)
        if m:
            return f"s3://{m['bucket']}/{m['key'].rstrip('/')}"
    if "://" in url:
        return url.rstrip("/")
    return str(Path(url).expanduser().resolve())


def is_remote(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


def s3_storage_options(storage_options: dict | None = None) -> dict:
    """Anonymous s3fs options, pointed at ``$SURFACE_MOTION_S3_ENDPOINT`` when set; user options win.

    botocore's own retries are switched off: :class:`ResilientStore` retries every read with one
    bounded policy, so the total wait stays predictable. ``max_concurrency=1`` makes s3fs fetch a
    chunk with one GET instead of a HEAD (for its size) followed by a GET.
    """
    opts: dict[str, Any] = {
        "anon": True,
        "max_concurrency": 1,
        "config_kwargs": {"retries": {"max_attempts": 1, "mode": "standard"}},
    }
    client_kwargs: dict[str, Any] = {"region_name": "us-west-2"}
    endpoint = os.environ.get(S3_ENDPOINT_ENV, "").strip()
    if endpoint:
        client_kwargs["endpoint_url"] = endpoint
    user = dict(storage_options or {})
    client_kwargs.update(user.pop("client_kwargs", {}) or {})
    opts.update(user)
    opts["client_kwargs"] = client_kwargs
    return opts


def _attempts() -> int:
    try:
        return max(1, int(os.environ.get(RETRIES_ENV, DEFAULT_ATTEMPTS)))
    except ValueError:
        return DEFAULT_ATTEMPTS


def _is_transient(exc: BaseException) -> bool:
    """Server errors, throttling, timeouts and dropped connections; not 'missing' or 'forbidden'."""
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return False
    if isinstance(exc, (OSError, asyncio.TimeoutError, TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    return module.startswith(("aiohttp", "botocore", "aiobotocore")) or name in {
        "ClientError",
        "EndpointConnectionError",
    }


def open_store(url: str, storage_options: dict | None = None, attempts: int | None = None) -> ResilientStore:
    """A read-only zarr store for ``url`` (normalised), wrapped in a :class:`ResilientStore`."""
    url = normalise_url(url)
    if not is_remote(url):
        path = Path(url.removeprefix("file://"))
        if not path.is_dir():
            raise InputError(url, "not a zarr store (no such folder)")
        inner = LocalStore(path, read_only=True)
    else:
        opts = s3_storage_options(storage_options) if url.startswith("s3://") else dict(storage_options or {})
        inner = FsspecStore.from_url(url, storage_options=opts, read_only=True)
    return ResilientStore(inner, url=url, attempts=attempts or _attempts())


class ResilientStore(WrapperStore):
    """A zarr store wrapper: bounded retries with exponential backoff, and a record of missing keys.

    zarr fills a chunk that does not exist with the array's ``fill_value`` without telling
    anyone; ITS_LIVE's fill_value is not its missing value, so the keys are recorded in
    :attr:`missing` and the reader masks those chunks itself.
    """

    def __init__(self, store: Store, url: str = "", attempts: int = DEFAULT_ATTEMPTS) -> None:
        super().__init__(store)
        self.url = url
        self.attempts = attempts
        self.missing: set[str] = set()

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        delay = BASE_DELAY_S
        for attempt in range(1, self.attempts + 1):
            try:
                value = await self._store.get(key, prototype, byte_range)
            except Exception as exc:  # classified just below
                if not _is_transient(exc):
                    raise
                if attempt == self.attempts:
                    raise InputError(
                        self.url,
                        f"reading '{key}' failed after {self.attempts} attempts "
                        f"({type(exc).__name__}: {exc}); check the network or retry later",
                    ) from exc
                await asyncio.sleep(min(delay, MAX_DELAY_S) * (0.5 + random.random()))
                delay *= 2
                continue
            if value is None:
                self.missing.add(key)
            return value
        raise AssertionError("unreachable")
