"""File helpers: outputs that appear all at once or not at all, whatever happens.

- Products are written under hidden temporary names in their final folder (same file system, so a
  rename is atomic) and committed together: the files they replace are first moved aside, and a
  journal next to them records the commit. A failure during the renames rolls back at once; a
  process killed in the middle is rolled back by the next run that writes into that folder. So an
  output folder always holds either the complete new set or the previous one.
- Temporary names carry the host and process id, so the next run removes the leftovers of killed
  runs without touching the files of a run still going on.
- :func:`output_lock` refuses a second run on the same output while the first one works.
- :func:`check_output_location` fails before any computation when an output cannot be written.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, ParameterError

#: a hidden temporary name: ``.<stem>.partial-<host>-<pid>-<random><suffix>``
_PARTIAL = re.compile(r"^\..*\.partial-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]{8}")
_BACKUP = ".replaced"
_JOURNAL_PREFIX = ".surface-motion-commit-"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:32] or "host"


def _run_tag() -> str:
    return f"{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def temporary_sibling(final: str | Path) -> Path:
    """A unique hidden name in the same folder as ``final`` (same filesystem, so rename is atomic).

    The suffix is kept so that writers that pick a format from the extension still work.
    """
    final = Path(final)
    return final.with_name(f".{final.stem}.partial-{_run_tag()}{final.suffix}")


def run_folder(parent: str | Path, label: str) -> Path:
    """A hidden, not yet created folder in ``parent`` for the files of one run (cleaned like partial files)."""
    return Path(parent) / f".{label}.partial-{_run_tag()}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _is_stale(host: str, pid: int) -> bool:
    """True when ``host``/``pid`` names a process of this machine that no longer runs."""
    return host == _host() and pid != os.getpid() and not _process_alive(pid)


def clean_leftovers(folder: str | Path) -> list[str]:
    """Finish or undo the interrupted commits in ``folder`` and remove the temporary files and folders of
    killed runs on this machine (a live run's files are kept). Returns the names removed or restored."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    done = _recover_commits(folder)
    for path in folder.iterdir():
        m = _PARTIAL.match(path.name)
        if m and _is_stale(m["host"], int(m["pid"])):
            _remove(path)
            done.append(path.name)
    return done


# ------------------------------------------------------------------------------------------------
# commit of a set of files


def _journal_path(folder: Path) -> Path:
    return folder / f"{_JOURNAL_PREFIX}{_run_tag()}.json"


def _write_journal(path: Path, state: str, entries: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump({"state": state, "entries": entries}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _roll_back(entries: list[dict]) -> None:
    """Put the replaced files back and remove the new ones (each entry: final, tmp, backup or None)."""
    for e in entries:
        final, tmp = Path(e["final"]), Path(e["tmp"])
        backup = Path(e["backup"]) if e["backup"] else None
        if backup is not None and (backup.exists() or backup.is_symlink()):
            if final.is_dir() and not final.is_symlink():
                _remove(final)
            os.replace(backup, final)
        elif backup is None and not tmp.exists() and final.exists():
            _remove(final)  # it was moved in by this commit: there was no previous file
        _remove(tmp)


def _recover_commits(folder: Path) -> list[str]:
    restored = []
    for journal in sorted(folder.glob(f"{_JOURNAL_PREFIX}*.json")):
        m = re.match(rf"^{re.escape(_JOURNAL_PREFIX)}(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-", journal.name)
        if not m or not _is_stale(m["host"], int(m["pid"])):
            continue
        try:
            record = json.loads(journal.read_text())
        except (OSError, ValueError):
            record = {"state": "unknown", "entries": []}
        if record["state"] == "done":  # every new file is in place: only the old ones are left to drop
            for e in record["entries"]:
                if e["backup"]:
                    _remove(Path(e["backup"]))
        else:
            _roll_back(record["entries"])
        restored += [Path(e["final"]).name for e in record["entries"]]
        journal.unlink()
    return restored


def commit(pairs: list[tuple[Path, Path]]) -> None:
    """Move every ``(tmp, final)`` into place as one change: all new files, or (on any failure, also a
    kill, undone by the next run in that folder) all previous ones."""
    if not pairs:
        return
    entries = [
        {
            "final": str(final),
            "tmp": str(tmp),
            "backup": str(final.with_name(f".{final.name}{_BACKUP}-{_run_tag()}"))
            if (final.exists() or final.is_symlink())
            else None,
        }
        for tmp, final in pairs
    ]
    journal = _journal_path(pairs[0][1].parent)
    _write_journal(journal, "committing", entries)
    try:
        for e in entries:
            if e["backup"]:
                os.replace(e["final"], e["backup"])
            os.replace(e["tmp"], e["final"])
    except BaseException:
        _roll_back(entries)
        journal.unlink(missing_ok=True)
        raise
    _write_journal(journal, "done", entries)
    for e in entries:
        if e["backup"]:
            _remove(Path(e["backup"]))
    journal.unlink(missing_ok=True)


@contextmanager
def atomic_output(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write ``final`` to; move it into place only on success.

    On any exception (including cancellation) the temporary file or folder is removed and an
    existing ``final`` is left untouched. Works for files and for folders (e.g. zarr stores).
    """
    with atomic_outputs([final]) as tmps:
        yield tmps[0]


@contextmanager
def atomic_outputs(finals: list[str | Path]) -> Iterator[list[Path]]:
    """Like :func:`atomic_output` for a set of files that belong together (e.g. ZIP + TIFF + MD5):
    nothing is moved until every temporary file is written, then :func:`commit` moves them together."""
    finals = [Path(f) for f in finals]
    for folder in dict.fromkeys(f.parent for f in finals):
        folder.mkdir(parents=True, exist_ok=True)
        clean_leftovers(folder)
    tmps = [temporary_sibling(f) for f in finals]
    try:
        yield tmps
        for tmp, final in zip(tmps, finals, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(f"{final.name}: the writer produced no output")
        commit(list(zip(tmps, finals, strict=True)))
    except BaseException:
        for tmp in tmps:
            _remove(tmp)
        raise


# ------------------------------------------------------------------------------------------------
# checks before a run


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def check_output_location(path: str | Path, name: str, kind: str = "file", need_bytes: int = 0) -> None:
    """Raise :class:`ParameterError` naming ``name`` when ``path`` (a ``file`` or a ``folder``) cannot be
    written: a file where a folder is wanted or the reverse, a read-only or missing location, or less free
    space than ``need_bytes``. Creates nothing except a probe file that it removes at once."""
    path = Path(path).expanduser()
    if kind == "folder" and path.exists() and not path.is_dir():
        raise ParameterError(name, f"{path} is a file, not a folder; choose a folder for the products")
    if kind == "file" and path.is_dir():
        raise ParameterError(name, f"{path} is a folder; give a file name")
    base = _existing_ancestor(path if kind == "folder" else path.parent)
    if not base.is_dir():
        raise ParameterError(name, f"{base} is a file, so {path} cannot be created; choose another location")
    try:
        with tempfile.NamedTemporaryFile(dir=base, prefix=".surface-motion-probe-"):
            pass
    except OSError as exc:
        raise ParameterError(
            name, f"cannot write in {base} ({exc.strerror or exc}); choose a location you can write to"
        ) from exc
    if need_bytes:
        free = shutil.disk_usage(base).free
        if need_bytes > free:
            raise ParameterError(
                name,
                f"the output needs about {format_bytes(need_bytes)} but {base} has "
                f"{format_bytes(free)} free; free space or choose another location",
            )


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} TB"


@contextmanager
def output_lock(target: str | Path, name: str = "OUTPUT") -> Iterator[None]:
    """Hold an exclusive lock on ``target`` (a file or folder) for the duration of a run.

    A second run on the same target fails at once with :class:`InputError` naming the process that holds
    it. The lock is an OS file lock on ``.<name>.lock`` next to the target, so a killed run releases it.
    """
    target = Path(target).expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise InputError(
                name,
                f"another run is writing {target} ({holder}); wait for it to finish or choose another output",
            )
        try:  # the file may have been removed by the previous holder between our open and lock
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}".encode())
        yield
    finally:
        try:  # while still locked: a waiting process re-checks the inode
            path.unlink(missing_ok=True)
        except OSError:  # Windows cannot remove an open file; the lock itself is released below
            pass
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True
