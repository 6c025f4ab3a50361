"""A :class:`PrintDocument` as ESC/POS bytes (native or raster text) and as an image of the printed paper.

Native mode puts the printer in Chinese mode (``FS &``) and sends the text in GB18030 (or a configured
encoding): small and fast, but only as good as the printer's font. Raster mode draws the whole document with
Pillow in a CJK font and sends it as one bitmap: larger and slower, but every printer prints it the same and
rare characters in names (生僻字) come out. :func:`draw` is also the PNG preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from devices.base import DeviceError
from devices.document import PrintDocument, Qr, Rule, Text, display_width

if TYPE_CHECKING:  # each loaded when a receipt is drawn, not when the kiosk starts
    from escpos.escpos import Escpos
    from PIL import Image, ImageFont

INIT = b"\x1b@"  # ESC @: every job starts by resetting the printer, which puts nothing on paper
CHINESE_ON = b"\x1c\x26"  # FS &
CHINESE_OFF = b"\x1c\x2e"  # FS .
DOTS = {58: 384, 80: 576}
COLUMNS = {58: 32, 80: 48}  # font A is 12 dots wide, a Chinese character 24
LINE_DOTS = 30  # 24-dot characters and the printer's default line spacing


KNOWN_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def find_cjk_font() -> Path | None:
    """The first usual Debian CJK font present on this machine."""
    return next((Path(p) for p in KNOWN_CJK_FONTS if Path(p).is_file()), None)


@dataclass(frozen=True, slots=True)
class PaperSettings:
    width_mm: Literal[58, 80] = 58
    mode: Literal["native", "raster"] = "native"
    native_qr: bool = True
    encoding: str = "gb18030"
    font_path: Path | None = None

    @property
    def dots(self) -> int:
        return DOTS[self.width_mm]

    @property
    def columns(self) -> int:
        return COLUMNS[self.width_mm]


def to_escpos(document: PrintDocument, paper: PaperSettings) -> bytes:
    """The bytes a printer needs to print ``document`` and cut the paper, starting with :data:`INIT`."""
    from escpos.printer import Dummy  # python-escpos loads its printer database: only when a receipt is printed

    out = Dummy()
    out.profile.profile_data["media"]["width"]["pixels"] = paper.dots  # the generic profile knows no paper
    out._raw(INIT)
    if paper.mode == "raster":
        out.image(draw(document, paper), impl="bitImageRaster", center=False)
    else:
        _native(out, document, paper)
    out.cut(mode="PART")
    return out.output


def _native(out: Escpos, document: PrintDocument, paper: PaperSettings) -> None:
    out._raw(CHINESE_ON)
    for block in document.blocks:
        match block:
            case Text(text, align, large, bold):
                wide = large and display_width(text) * 2 <= paper.columns  # a serial number must not wrap
                out.set(align=align, bold=bold, double_width=wide, double_height=large, normal_textsize=not large)
                try:
                    encoded = text.encode(paper.encoding)
                except UnicodeEncodeError as exc:
                    bad = text[exc.start : exc.end]
                    raise DeviceError(f"“{bad}”无法用 {paper.encoding} 打印，请把打印机改为 raster 模式") from None
                out._raw(encoded + b"\n")
            case Rule():
                out.set_with_default()
                out._raw(b"-" * paper.columns + b"\n")
            case Qr(data):
                out.set_with_default(align="center")
                if paper.native_qr:
                    out.qr(data, size=6, native=True, center=False)
                else:
                    out.image(_centred(_qr_image(data, 6), paper.dots), impl="bitImageRaster")
    out.set_with_default()
    out._raw(CHINESE_OFF)


def _qr_image(data: str, module_dots: int) -> Image.Image:
    import qrcode

    code = qrcode.QRCode(border=1, box_size=module_dots, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("1")


def _centred(image: Image.Image, dots: int) -> Image.Image:
    from PIL import Image

    piece = Image.new("1", (dots, image.height), 1)
    piece.paste(image, ((dots - image.width) // 2, 0))
    return piece


@lru_cache(maxsize=16)
def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    if path is None:
        raise DeviceError(
            "raster 模式需要中文字体：请在设置中填写 font_path（如 /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc）"
        )
    try:
        return ImageFont.truetype(path, size)
    except OSError as exc:
        raise DeviceError(f"无法打开中文字体 {path}：{exc}") from exc


def draw(document: PrintDocument, paper: PaperSettings) -> Image.Image:
    """The paper as a 1-bit image ``paper.dots`` wide: the raster print job and the PNG preview."""
    from PIL import Image, ImageDraw

    font_path = str(paper.font_path) if paper.font_path else None
    pieces: list[Image.Image] = []
    for block in document.blocks:
        match block:
            case Text(text, align, large, bold):
                size = 24
                if large:  # as large as fits on one line, up to double height
                    size = 48
                    while size > 24 and _font(font_path, size).getlength(text) > paper.dots:
                        size -= 4
                font = _font(font_path, size)
                for line in _wrap(text, paper.dots, font):
                    piece = Image.new("1", (paper.dots, size + 6), 1)
                    pen = ImageDraw.Draw(piece)
                    width = pen.textlength(line, font=font)
                    x = (paper.dots - width) / 2 if align == "center" else 0
                    pen.text((x, 2), line, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
                    pieces.append(piece)
            case Rule():
                piece = Image.new("1", (paper.dots, 12), 1)
                ImageDraw.Draw(piece).line([(0, 6), (paper.dots, 6)], fill=0, width=2)
                pieces.append(piece)
            case Qr(data):
                pieces.append(_centred(_qr_image(data, 6), paper.dots))
    height = sum(p.height for p in pieces) or 1
    paper_image = Image.new("1", (paper.dots, height), 1)
    y = 0
    for piece in pieces:
        paper_image.paste(piece, (0, y))
        y += piece.height
    return paper_image


def _wrap(text: str, dots: int, font: ImageFont.FreeTypeFont) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if line and font.getlength(line + char) > dots:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


__all__ = ["COLUMNS", "DOTS", "INIT", "PaperSettings", "draw", "find_cjk_font", "to_escpos"]
