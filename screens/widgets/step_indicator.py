from __future__ import annotations

from textual.widgets import Static


class StepIndicator(Static):
    """「第 2 步，共 4 步 · 填写信息」 in elderly mode; hidden otherwise (``screens/elderly.tcss`` shows it)."""

    DEFAULT_CSS = """
    StepIndicator {
        display: none;
        width: 100%;
        height: auto;
        text-style: bold;
        content-align: center middle;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", markup=False, id=id, classes=classes)

    def set_step(self, current: int, total: int, words: str) -> None:
        """``words`` says the step in the visit's language: 「第 2 步，共 4 步 · 填写信息」."""
        self.update(step_text(current, total, words))


def step_text(current: int, total: int, words: str) -> str:
    """The step in words, with a bar of filled and open squares that says the same without reading."""
    bar = " ".join("■" if n <= current else "□" for n in range(1, total + 1))
    return f"{words}\n{bar}"
