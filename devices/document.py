"""A printed document independent of the printer: blocks of text, QR codes and rules.

The kiosk domain lays out receipts as a :class:`PrintDocument`; each printer back-end renders it its own way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    align: Literal["left", "center"] = "left"
    large: bool = False
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Qr:
    data: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal separator line."""


Block = Text | Qr | Rule


@dataclass(frozen=True, slots=True)
class PrintDocument:
    """A document to print; ``name`` is a short file-safe label (``receipt-HT01-261122-0007-K``)."""

    name: str
    blocks: tuple[Block, ...]


def display_width(text: str) -> int:
    """Columns ``text`` takes on a receipt or terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def qr_rows(data: str) -> list[str]:
    """The QR code of ``data`` drawn with half-block characters, two modules per character cell."""
    import qrcode  # with Pillow behind it: when a code is drawn, not when the kiosk starts

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    glyphs = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return [
        "".join(glyphs[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[::2], matrix[1::2], strict=True)
    ]


def render_text(document: PrintDocument, columns: int = 32) -> str:
    """The document as plain text ``columns`` wide (32 for 58 mm paper, 48 for 80 mm)."""
    lines: list[str] = []
    for block in document.blocks:
        if isinstance(block, Rule):
            lines.append("-" * columns)
        elif isinstance(block, Qr):
            lines.extend(_center(row, columns) for row in qr_rows(block.data))
        else:
            for line in _wrap(block.text, columns):
                lines.append(_center(line, columns) if block.align == "center" else line)
    return "\n".join(lines) + "\n"


def _center(line: str, columns: int) -> str:
    return " " * max((columns - display_width(line)) // 2, 0) + line


def _wrap(text: str, columns: int) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        line, width = "", 0
        for char in paragraph:
            w = display_width(char)
            if width + w > columns:
                out.append(line)
                line, width = "", 0
            line += char
            width += w
        out.append(line)
    return out
