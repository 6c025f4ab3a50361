"""What every benchmark reports to ``python -m benchmarks``: figures, each measured against a baseline taken in
the same run, with its goal and whether it is met.

    >>> Figure("launch → welcome frame, kiosk run", 0.62, 0.41, "s", "bare Textual app", "≤ 1.5×", 0.62 / 0.41 <= 1.5)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One row of the benchmark table."""

    what: str  # the figure, as a reader would name it
    value: float
    baseline: float  # the same measure of the baseline, in the same unit, from the same run
    unit: str  # "s", "ms", "MB", "/s", "×" …
    baseline_name: str  # what the baseline is
    goal: str  # as the issue states it: "≤ 1.5×", "p99 ≤ 5 ms", "≥ 0.5×"
    met: bool
    note: str = ""  # what bounds it, when the goal is not met; or how it was measured

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")
