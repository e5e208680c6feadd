"""Where benchmark tables go: ``benchmarks/results/<name>.md``, also printed."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def publish(name: str, lines: list[str]) -> Path:
    """Write ``lines`` as ``results/<name>.md`` and print them; returns the path."""
    out = RESULTS / f"{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return out
