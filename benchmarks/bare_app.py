"""The start-up baseline: a Textual app that shows one word, and nothing else."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Static("您好")


if __name__ == "__main__":
    Bare().run()
