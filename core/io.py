"""File helpers: atomic outputs that never leave a half-written product behind."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(final: str | Path) -> Path:
    """A unique hidden name in the same folder as ``final`` (same filesystem, so rename is atomic).

    The suffix is kept so that writers that pick a format from the extension still work.
    """
    final = Path(final)
    return final.with_name(f".{final.stem}.partial-{uuid.uuid4().hex[:8]}{final.suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def atomic_output(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write ``final`` to; rename it into place only on success.

    On any exception (including cancellation) the temporary file or folder is removed and an
    existing ``final`` is left untouched. Works for files and for folders (e.g. zarr stores).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(final)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{final.name}: the writer produced no output")
        if final.is_dir() and not final.is_symlink():
            # os.replace cannot replace a non-empty folder: move the old one aside first.
            old = temporary_sibling(final)
            os.replace(final, old)
            os.replace(tmp, final)
            _remove(old)
        else:
            os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise


@contextmanager
def atomic_outputs(finals: list[str | Path]) -> Iterator[list[Path]]:
    """Like :func:`atomic_output` for a set of files that belong together (e.g. ZIP + TIFF + MD5).

    Nothing is renamed until every temporary file has been written, so a failure leaves none
    of the new products in place.
    """
    finals = [Path(f) for f in finals]
    for f in finals:
        f.parent.mkdir(parents=True, exist_ok=True)
    tmps = [temporary_sibling(f) for f in finals]
    try:
        yield tmps
        for tmp, final in zip(tmps, finals, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(f"{final.name}: the writer produced no output")
        for tmp, final in zip(tmps, finals, strict=True):
            os.replace(tmp, final)
    except BaseException:
        for tmp in tmps:
            _remove(tmp)
        raise
