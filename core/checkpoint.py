"""What makes a checkpoint reusable, and one run at a time per output.

A resumed run may only reuse finished blocks when nothing that determines them changed: the
parameters and pair list (hashed by the pipeline) and the input DATA, hashed here from the store
listing of the variables read (name, size and modification time or ETag of every chunk object),
so that a cube rewritten in place invalidates the checkpoint without reading any chunk.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from .io import check_output_location, clean_leftovers, output_lock

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from .itslive.io.cube import Cube

P = ParamSpec("P")
R = TypeVar("R")

#: store entries outside the variables that also determine the values (zarr v2 metadata)
METADATA_NAMES = (".zmetadata", ".zgroup", ".zattrs")


def _local_listing(root: Path, variables: Iterable[str]) -> Iterable[str]:
    for name in METADATA_NAMES:
        path = root / name
        if path.is_file():
            st = path.stat()
            yield f"{name}:{st.st_size}:{st.st_mtime_ns}"
    for var in variables:
        folder = root / var
        for dirpath, _, filenames in sorted(os.walk(folder)):
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                st = path.stat()
                yield f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}"


def _find(fs: AbstractFileSystem, path: str, attempts: int = 6) -> dict:
    """``fs.find(path, detail=True)`` on zarr's async file system, retried like chunk reads."""
    from zarr.core.sync import sync

    from .itslive.io.s3 import _is_transient

    for attempt in range(1, attempts + 1):
        try:
            return (
                sync(fs._find(path, detail=True))
                if getattr(fs, "asynchronous", False)
                else fs.find(path, detail=True)
            )
        except (FileNotFoundError, NotImplementedError):
            return {}
        except Exception as exc:  # classified by the store's rule
            if attempt == attempts or not _is_transient(exc):
                raise
            time.sleep(0.1 * 2**attempt)
    return {}


def _remote_listing(fs: AbstractFileSystem, root: str, variables: Iterable[str]) -> Iterable[str]:
    """Listings of fsspec file systems (s3fs, http): size and ETag/LastModified when the server gives them."""
    for var in variables:
        found = _find(fs, f"{root}/{var}")
        for key in sorted(found):
            info = found[key]
            stamp = info.get("ETag") or info.get("LastModified") or info.get("mtime") or ""
            yield f"{key}:{info.get('size')}:{stamp}"


def data_fingerprint(cubes: Iterable[Cube], variables: tuple[str, ...] = ("vx", "vy")) -> str:
    """A hash of the stored objects of ``variables`` (and the metadata) of every cube (``cube.Cube``)."""
    h = hashlib.sha256()
    for cube in cubes:
        h.update(cube.url.encode())
        inner = getattr(cube.store, "_store", cube.store)
        if hasattr(inner, "root"):  # zarr LocalStore
            entries = _local_listing(Path(inner.root), variables)
        elif hasattr(inner, "fs"):  # zarr FsspecStore
            entries = _remote_listing(inner.fs, inner.path.rstrip("/"), variables)
        else:
            entries = ()
        for entry in entries:
            h.update(entry.encode())
    return h.hexdigest()


def guarded_outputs(
    outputs_of: Callable[..., dict[str, Path | None]],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a run function: before it starts, check that every output ``outputs_of(*args, **kwargs)``
    (parameter name → path or None) can be written and remove the leftovers of killed runs there; hold
    :func:`~.io.output_lock` on the first output while it runs (a second run on it is refused)."""

    def decorate(run: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(run)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            outputs = {name: Path(p) for name, p in outputs_of(*args, **kwargs).items() if p}
            for name, path in outputs.items():
                check_output_location(path, name, "file")
            with ExitStack() as stack:
                name, first = next(iter(outputs.items()))
                stack.enter_context(output_lock(first, name))
                for path in outputs.values():
                    clean_leftovers(path.parent)
                return run(*args, **kwargs)

        return guarded

    return decorate
