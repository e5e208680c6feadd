"""``surface-motion``: the command line for HPC users without QGIS.

Each domain module listed in SUBCOMMAND_MODULES exposes ``add_subcommands(subparsers)``; every
subcommand it adds calls ``parser.set_defaults(func=handler)`` where ``handler(args) -> int`` builds
the same configuration dataclass the Processing algorithm builds and calls the same core entry
point, reporting through :func:`console_progress`. Messages and warnings reach the console (and
``--log-file``) through :mod:`logging` (see :mod:`.progress`), at ``--log-level``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import SurfaceMotionError, describe_unexpected
from .progress import LOGGER_NAME, Progress

SUBCOMMAND_MODULES = ("egms.cli", "itslive.cli", "itslive.analysis_cli")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def console_progress(quiet: bool = False) -> Progress:
    """A Progress that draws percent and the current step on stderr; quiet: none (Ctrl-C cancels through
    KeyboardInterrupt). Its messages reach the console through logging (see :func:`logging_to`)."""
    state = {"percent": -1, "message": ""}

    def on_progress(fraction: float, message: str) -> None:
        percent = int(fraction * 100)
        if percent != state["percent"] or (message and message != state["message"]):
            state.update(percent=percent, message=message or state["message"])
            print(f"\r[{percent:3d}%] {state['message'][:70]:<70}", end="", file=sys.stderr, flush=True)

    return Progress() if quiet else Progress(on_progress=on_progress)


class _ConsoleFormatter(logging.Formatter):
    """A message on a line of its own below the progress bar; a warning says it is one (an error's
    message says it itself)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"\nWARNING: {text}" if record.levelno == logging.WARNING else f"\n{text}"


@contextmanager
def logging_to(level: str, log_file: Path | None = None, quiet: bool = False) -> Iterator[None]:
    """Send the package's log records at ``level`` and above to stderr (warnings and above only when
    ``quiet``) and to ``log_file`` (with time and level) for the duration of one command."""
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(_ConsoleFormatter())
    console.setLevel(max(logging.WARNING, getattr(logging, level)) if quiet else getattr(logging, level))
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter(LOG_FILE_FORMAT))
        handlers.append(to_file)
    logger = logging.getLogger(LOGGER_NAME)
    previous = logger.level
    logger.setLevel(getattr(logging, level))
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(previous)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surface-motion",
        description="EGMS L3 Ortho from L2a/L2b bursts and ITS_LIVE glacier velocity tools "
        "(the same pipelines as the QGIS Processing algorithms).",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an unexpected error"
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="the least important messages shown: DEBUG (also every progress step), INFO (default), "
        "WARNING, ERROR",
    )
    parser.add_argument(
        "--log-file", type=Path, help="also write the messages to this file, with time and level"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f".{name}", __package__).add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with logging_to(args.log_level, args.log_file, getattr(args, "quiet", False)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the subcommand; a failure is one ERROR line (on the console and in the log file) and exit code 2
    (130 when interrupted)."""
    log = logging.getLogger(LOGGER_NAME)
    try:
        return int(args.func(args) or 0)
    except SurfaceMotionError as exc:
        log.error("surface-motion %s: error: %s", args.command, exc)
        return 2
    except KeyboardInterrupt:
        log.error("surface-motion %s: interrupted", args.command)
        return 130
    except Exception as exc:  # one line for the user; --debug (or the log file) has the traceback
        if args.debug:
            raise
        log.error("surface-motion %s: error: %s", args.command, describe_unexpected(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
