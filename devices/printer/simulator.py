"""A network receipt printer on a loopback port that keeps every job and draws what it would have printed.

It speaks what the kiosk sends (ESC/POS text with Chinese mode, raster images, native QR, cuts) and answers the
status queries ``DLE EOT 1`` and ``DLE EOT 4``. A job is everything one connection sent; its picture is written
as ``job-N.png`` into :attr:`PrinterSimulator.folder`::

    >>> sim = PrinterSimulator(width_mm=58, font_path=FONT).start()
    >>> sim.paper = "out"                  # answers paper-out, prints nothing
    >>> sim.drop_connections = True        # closes every connection at once, like a printer losing power
    >>> sim.drop_after = 300               # resets the next job's connection once it has sent 300 bytes
    >>> sim.drop_every_time = True         # ... and every job's, until drop_after is None again

A job cut short is printed as far as it came (a half receipt, :attr:`Job.cut_short`). The pictures are the
simulator's own business: one that cannot be written (a full disk) is logged, and the job still counts as
printed, since the printer took its bytes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont

from devices.document import display_width
from devices.printer.render import DOTS
from devices.simulation import SimulatorLoop

log = logging.getLogger(__name__)

PAPER_ANSWER = {"ok": 0x12, "near_end": 0x1E, "out": 0x72}
ONLINE, OFFLINE = 0x12, 0x1A  # bit 3 set: off line


@dataclass(frozen=True, slots=True)
class Job:
    data: bytes
    printed: bool
    picture: Path | None
    """The paper as drawn; None when nothing printed, or its picture could not be written."""
    cut_short: bool = False
    """The connection was reset mid-job (:attr:`PrinterSimulator.drop_after`): ``data`` is what came before."""


class PrinterSimulator(SimulatorLoop):
    thread_name = "printer-simulator"

    def __init__(self, width_mm: Literal[58, 80] = 58, font_path: Path | None = None, folder: Path | None = None):
        super().__init__()
        self.width_mm = width_mm
        self.font_path = font_path
        self.folder = folder or Path(tempfile.mkdtemp(prefix="printer-sim-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.paper: Literal["ok", "near_end", "out"] = "ok"
        self.online = True
        self.drop_connections = False
        self.drop_after: int | None = None
        """Reset the next job's connection once the printer has taken this many bytes of it (0: at its first
        byte); back to None after that job unless :attr:`drop_every_time`."""
        self.drop_every_time = False
        self.jobs: list[Job] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _close(self) -> None:
        self._server.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                if self.drop_connections:
                    continue
                self._job(conn)

    def _job(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        data = bytearray()
        cut_short = False
        while True:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            after = self.drop_after
            end = None if after is None else _cut(bytes(data + chunk), after)
            if end is not None:
                chunk = chunk[: end - len(data)]
            data += chunk
            self._answer_queries(conn, chunk)
            if end is not None:
                cut_short = True
                self.drop_after = after if self.drop_every_time else None
                # Linger 0: the close resets the connection, as a printer losing power does, rather than ending it.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
        job = _without_queries(bytes(data))
        if not job:
            return
        printed = self.online and self.paper != "out"
        picture = self._draw(job) if printed else None
        self.jobs.append(Job(job, printed, picture, cut_short))

    def _draw(self, job: bytes) -> Path | None:
        """Save the picture of a printed job; None when the folder will not take it (the disk is full)."""
        picture = self.folder / f"job-{len(self.jobs) + 1}.png"
        try:
            interpret(job, DOTS[self.width_mm], self.font_path).save(picture)
        except OSError as exc:
            log.warning("printer simulator: job %d printed, its picture not saved: %s", len(self.jobs) + 1, exc)
            return None
        return picture

    def _answer_queries(self, conn: socket.socket, chunk: bytes) -> None:
        for i in range(len(chunk) - 2):
            if chunk[i : i + 2] == b"\x10\x04":
                kind = chunk[i + 2]
                answer = PAPER_ANSWER[self.paper] if kind == 4 else (ONLINE if self.online else OFFLINE)
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([answer]))


def _cut(data: bytes, after: int) -> int | None:
    """Where a printer that takes ``after`` bytes of a job stops reading what a connection sent: just past the
    job's ``after``-th byte (status queries are not the job), at its first byte for 0; None while it is shorter."""
    taken, i = 0, 0
    while i < len(data):
        if data[i : i + 2] == b"\x10\x04" and i + 2 < len(data):
            i += 3
            continue
        if taken == after:
            return i
        taken, i = taken + 1, i + 1
        if taken == after:
            return i
    return None


def _without_queries(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        if data[i : i + 2] == b"\x10\x04" and i + 2 < len(data):
            i += 3
            continue
        out.append(data[i])
        i += 1
    return bytes(out)


class _Paper:
    """The printed paper as it grows, one line or image at a time."""

    def __init__(self, dots: int, font_path: Path | None) -> None:
        self.dots = dots
        self.font_path = font_path
        self.pieces: list[Image.Image] = []
        self.reset()

    def reset(self) -> None:
        self.align, self.bold, self.wide, self.tall, self.chinese = 0, False, 1, 1, False

    def font(self, size: int) -> ImageFont.ImageFont:
        if self.font_path is None:
            return ImageFont.load_default(size)
        return ImageFont.truetype(str(self.font_path), size)

    def line(self, raw: bytes) -> None:
        """Print a line as a printer does: fixed cells (12 dots a Latin character, 24 a Chinese one, scaled by
        the size setting), wrapping at the edge of the paper."""
        text = raw.decode("gb18030" if self.chinese else "latin-1", errors="replace")
        font = self.font(24)
        cell_h = 24 * self.tall
        rows: list[Image.Image] = [Image.new("1", (self.dots, cell_h + 6), 1)]
        widths, x = [0], 0
        for char in text:
            cell_w = (24 if display_width(char) == 2 else 12) * self.wide
            if x + cell_w > self.dots:
                rows.append(Image.new("1", (self.dots, cell_h + 6), 1))
                widths.append(0)
                x = 0
            glyph = Image.new("1", (cell_w // self.wide, 26), 1)
            ImageDraw.Draw(glyph).text((0, 1), char, font=font, fill=0, stroke_width=int(self.bold), stroke_fill=0)
            rows[-1].paste(glyph.resize((cell_w, cell_h + 2)), (x, 2))
            x += cell_w
            widths[-1] = x
        for row, width in zip(rows, widths, strict=True):
            shift = {0: 0, 1: (self.dots - width) // 2, 2: self.dots - width}[self.align]
            aligned = Image.new("1", (self.dots, row.height), 1)
            aligned.paste(row.crop((0, 0, max(width, 1), row.height)), (shift, 0))
            self.pieces.append(aligned)

    def paste(self, image: Image.Image, onto: Image.Image | None = None) -> None:
        target = onto or Image.new("1", (self.dots, image.height), 1)
        x = {0: 0, 1: (self.dots - image.width) // 2, 2: self.dots - image.width}[self.align]
        target.paste(image, (max(x, 0), 0))
        if onto is None:
            self.pieces.append(target)

    def cut(self) -> None:
        piece = Image.new("1", (self.dots, 16), 1)
        ImageDraw.Draw(piece).line([(0, 8), (self.dots, 8)], fill=0, width=1)
        for x in range(0, self.dots, 12):
            ImageDraw.Draw(piece).line([(x + 6, 8), (x + 12, 8)], fill=1, width=1)
        self.pieces.append(piece)

    def image(self) -> Image.Image:
        height = sum(p.height for p in self.pieces) or 1
        paper = Image.new("1", (self.dots, height), 1)
        y = 0
        for piece in self.pieces:
            paper.paste(piece, (0, y))
            y += piece.height
        return paper


def interpret(data: bytes, dots: int, font_path: Path | None = None) -> Image.Image:
    """Draw the paper an ESC/POS job would print, for the commands this product sends.

    One loop over the byte stream with a branch per command, as a printer's firmware reads it: longer than our
    usual function, but split up it would pass the cursor and the command's arguments between pieces."""
    paper = _Paper(dots, font_path)
    line = bytearray()
    qr_data, qr_module = b"", 3
    i, n = 0, len(data)

    def arg(k: int) -> int:
        return data[i + k] if i + k < n else 0

    while i < n:
        byte = data[i]
        if byte == 0x0A:
            paper.line(bytes(line))
            line.clear()
            i += 1
        elif byte == 0x1B:  # ESC
            cmd = arg(1)
            if cmd == 0x40:
                paper.reset()
                i += 2
                continue
            if cmd == 0x21:
                paper.bold, paper.tall, paper.wide = (
                    bool(arg(2) & 0x08),
                    2 if arg(2) & 0x10 else 1,
                    2 if arg(2) & 0x20 else 1,
                )
            elif cmd == 0x45:
                paper.bold = bool(arg(2))
            elif cmd == 0x61:
                paper.align = arg(2) % 48 if arg(2) >= 48 else arg(2)
            elif cmd == 0x64:
                paper.pieces.extend(Image.new("1", (dots, 30), 1) for _ in range(arg(2)))
            i += 3
        elif byte == 0x1D:  # GS
            cmd = arg(1)
            if cmd == 0x21:
                paper.wide, paper.tall = (arg(2) >> 4) + 1, (arg(2) & 0x0F) + 1
                i += 3
            elif cmd == 0x56:
                paper.cut()
                i += 4 if arg(2) in (65, 66) else 3
            elif cmd == 0x76 and arg(2) == 0x30:  # GS v 0: raster bit image
                width, height = arg(4) + arg(5) * 256, arg(6) + arg(7) * 256
                bits = data[i + 8 : i + 8 + width * height]
                image = Image.frombytes("1", (width * 8, height), bytes(bits).ljust(width * height, b"\0"))
                paper.paste(Image.eval(image.convert("L"), lambda v: 255 - v).convert("1"))
                i += 8 + width * height
            elif cmd == 0x28 and arg(2) == 0x6B:  # GS ( k: QR code
                size = arg(3) + arg(4) * 256
                fn, body = arg(6), data[i + 7 : i + 5 + size]
                if fn == 0x43:
                    qr_module = body[0] if body else 3
                elif fn == 0x50:
                    qr_data = body[1:]
                elif fn == 0x51 and qr_data:
                    code = qrcode.QRCode(border=1, box_size=qr_module)
                    code.add_data(qr_data.decode("utf-8", errors="replace"))
                    paper.paste(code.make_image().get_image().convert("1"))
                i += 5 + size
            else:
                i += 3
        elif byte == 0x1C:  # FS
            cmd = arg(1)
            if cmd == 0x26:
                paper.chinese = True
                i += 2
            elif cmd == 0x2E:
                paper.chinese = False
                i += 2
            else:
                i += 3
        elif byte == 0x10 and arg(1) == 0x04:  # DLE EOT n: a status query, prints nothing
            i += 3
        else:
            line.append(byte)
            i += 1
    if line:
        paper.line(bytes(line))
    return paper.image()
