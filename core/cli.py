"""``surface-motion``: the command line for HPC users without QGIS.

Each domain module listed in SUBCOMMAND_MODULES exposes ``add_subcommands(subparsers)``; every
subcommand it adds calls ``parser.set_defaults(func=handler)`` where ``handler(args) -> int`` builds
the same configuration dataclass the Processing algorithm builds and calls the same core entry
point, reporting through :func:`console_progress`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import SurfaceMotionError, describe_unexpected
from .progress import Progress

SUBCOMMAND_MODULES = ("egms.cli", "itslive.cli", "itslive.analysis_cli")


def console_progress(quiet: bool = False) -> Progress:
    """A Progress that prints percent and messages to stderr (Ctrl-C cancels through KeyboardInterrupt)."""
    state = {"percent": -1, "message": ""}

    def on_progress(fraction: float, message: str) -> None:
        percent = int(fraction * 100)
        if percent != state["percent"] or (message and message != state["message"]):
            state.update(percent=percent, message=message or state["message"])
            print(f"\r[{percent:3d}%] {state['message'][:70]:<70}", end="", file=sys.stderr, flush=True)

    def on_info(message: str) -> None:
        print(f"\n{message}", file=sys.stderr, flush=True)

    if quiet:
        return Progress()
    return Progress(on_progress=on_progress, on_info=on_info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surface-motion",
        description="EGMS L3 Ortho from L2a/L2b bursts and ITS_LIVE glacier velocity tools "
        "(the same pipelines as the QGIS Processing algorithms).",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f".{name}", __package__).add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SurfaceMotionError as exc:
        print(f"\nsurface-motion {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nsurface-motion {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user; --debug (or the log file) has the traceback
        if args.debug:
            raise
        print(f"\nsurface-motion {args.command}: error: {describe_unexpected(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
