"""The CJK font of raster printing and receipt pictures, and whether it has the rare characters of names.

A glyph is there when the font draws the character differently from a code point no font maps (which draws the
font's .notdef glyph, a box or nothing): Pillow alone, no reading of font tables.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from config.i18n import _
from config.settings import DeviceSettings
from devices.printer.render import find_cjk_font
from kiosk.doctor.check import Check, Level

CJK_SAMPLE = "政务服务"
EXTENSION_B_SAMPLE = "\U00020000\U0002a6a5"
"""𠀀 (U+20000, the block's first) and 𪚥 (U+2A6A5, near its end): a font made for the block has both, one that
picked a few of its characters seldom does."""
NO_SUCH_CHARACTER = "\U0010ffff"  # a noncharacter: no font maps it


def missing_glyphs(font_path: Path, characters: str) -> str:
    """Those of ``characters`` the font does not have. Raises ``OSError`` for a font Pillow cannot open."""
    font = ImageFont.truetype(str(font_path), 48)
    notdef = _drawn(font, NO_SUCH_CHARACTER)
    return "".join(char for char in characters if _drawn(font, char) == notdef)


def _drawn(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    picture = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(picture).text((16, 16), char, font=font, fill=255)
    return picture.tobytes()


def font_check(devices: DeviceSettings) -> Check:
    """A font with Chinese glyphs: raster mode prints with it (a failure without); native mode only draws
    previews and the simulated printer's pictures with it (a warning)."""
    level: Level = "fail" if devices.print_mode == "raster" else "warn"
    path = devices.font_path or find_cjk_font()
    install = _("sudo apt-get install fonts-wqy-zenhei，或在 devices.font_path 填一个中文字体")
    if path is None:
        return Check("font", level, _("没有中文字体（raster 打印和回执预览要用）"), install)
    try:
        missing = missing_glyphs(path, CJK_SAMPLE)
    except OSError as exc:
        return Check("font", level, _("字体 {path} 打不开：{error}", path=str(path), error=str(exc)), install)
    if missing:
        return Check("font", level, _("字体 {path} 没有中文字形（缺 {chars}）", path=str(path), chars=missing), install)
    return Check("font", "ok", _("中文字体 {path}（试了 {chars}）", path=str(path), chars=CJK_SAMPLE))


def extension_b_check(devices: DeviceSettings) -> Check:
    """Whether the font has CJK Extension B, where many rare characters of names (生僻字) are."""
    path = devices.font_path or find_cjk_font()
    tested = ", ".join(f"{char} U+{ord(char):04X}" for char in EXTENSION_B_SAMPLE)
    try:
        missing = missing_glyphs(path, EXTENSION_B_SAMPLE) if path else None
    except OSError:
        missing = None
    if missing is None:
        return Check("font_extension_b", "note", _("没有可用的中文字体，没有检查扩展B汉字"))
    if not missing:
        return Check(
            "font_extension_b", "ok", _("字体 {path} 有扩展B汉字（试了 {tested}）", path=str(path), tested=tested)
        )
    detail = _("字体 {path} 没有扩展B汉字（试了 {tested}）：姓名里这类生僻字印不出", path=str(path), tested=tested)
    fix = _(
        "sudo apt-get install fonts-hanazono，并设置"
        ' devices.font_path = "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"'
    )
    if devices.print_mode == "raster":
        return Check("font_extension_b", "warn", detail, fix)
    return Check("font_extension_b", "note", _("{detail}（native 模式由打印机字库打印）", detail=detail), fix)
