"""Every benchmark, one table: each figure against its baseline from the same run, its goal, met or not.

    uv run python -m benchmarks [--quick] [--only startup search ...] [--markdown]

``--quick`` runs each with fewer rounds (a minute or two in all, for CI: the table shows the benchmarks still
run; the figures of a quick run are rough). The fleet's reconnect (``benchmarks/fleet.py``, minutes, PostgreSQL)
and the receipt's render time (``benchmarks/receipt_render.py``) have tables of their own. The exit status is 0
whatever the figures: a goal missed is reported, not a failure of the run.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time

from benchmarks.figures import Figure

BENCHMARKS = ("startup", "search", "idcard_read", "sync_throughput", "soak")


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "–"
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    digits = 0 if abs(value) >= 100 or unit == "" else 2 if abs(value) < 10 else 1
    return f"{value:,.{digits}f} {unit}".strip()


def table(figures: list[Figure], markdown: bool) -> str:
    rows = [("figure", "measured", "baseline", "ratio", "goal", "")]
    for f in figures:
        rows.append(
            (
                f.what,
                _number(f.value, f.unit),
                f"{_number(f.baseline, f.unit)} ({f.baseline_name})",
                f"{f.ratio:.2f}×",
                f.goal,
                "met" if f.met else "NOT met",
            )
        )
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: that each benchmark runs, roughly")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown (for the README)")
    args = parser.parse_args()
    figures: list[Figure] = []
    for name in args.only:
        start = time.perf_counter()
        print(f"{name} …", file=sys.stderr, flush=True)
        figures.extend(importlib.import_module(f"benchmarks.{name}").figures(args.quick))
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(table(figures, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
