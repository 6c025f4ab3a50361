"""The font checks of ``kiosk doctor`` against real TrueType files: tiny ones made here with exactly the glyphs a
test needs, and the machine's own Debian fonts where installed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from config.settings import DeviceSettings
from kiosk.doctor.fonts import CJK_SAMPLE, EXTENSION_B_SAMPLE, extension_b_check, font_check, missing_glyphs

WQY_ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
HANAZONO_A = Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf")


def truetype(characters: str) -> bytes:
    """A TrueType font whose one glyph, a filled square, stands for each of ``characters``; its .notdef is empty.
    Only the tables FreeType needs: head, hhea, maxp, hmtx, loca, glyf, a format-12 cmap, name and post."""
    square = struct.pack(">hhhhh", 1, 100, 0, 900, 800) + struct.pack(">HH", 3, 0) + bytes([1] * 4)
    square += struct.pack(">4h", 100, 0, 800, 0) + struct.pack(">4h", 0, 800, 0, -800)
    square += b"\0" * (-len(square) % 4)
    codes = sorted({ord(char) for char in characters})
    groups = b"".join(struct.pack(">III", code, code, 1) for code in codes)
    name = "Doctor Test".encode("utf-16-be")
    tables = {
        b"cmap": struct.pack(">HHHHI", 0, 1, 3, 10, 12)
        + struct.pack(">HHIII", 12, 0, 16 + len(groups), 0, len(codes))
        + groups,
        b"glyf": square,
        b"head": struct.pack(
            ">IIIIHHqqhhhhHHhhh", 0x10000, 0x10000, 0, 0x5F0F3CF5, 0x000B, 1000, 0, 0, 0, 0, 1000, 1000, 0, 8, 2, 0, 0
        ),
        b"hhea": struct.pack(">IhhhHhhhhhhhhhhhH", 0x10000, 880, -120, 0, 1000, 0, 0, 1000, 1, 0, 0, 0, 0, 0, 0, 0, 2),
        b"hmtx": struct.pack(">HhHh", 1000, 0, 1000, 100),
        b"loca": struct.pack(">HHH", 0, 0, len(square) // 2),
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x10000, 2, 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": struct.pack(">HHH", 0, 1, 18) + struct.pack(">HHHHHH", 3, 1, 0x409, 1, len(name), 0) + name,
        b"post": struct.pack(">IIhhIIIII", 0x30000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    offset = 12 + 16 * len(tables)
    directory, data = b"", b""
    for tag, table in sorted(tables.items()):
        directory += struct.pack(">4sIII", tag, 0, offset + len(data), len(table))
        data += table + b"\0" * (-len(table) % 4)
    return struct.pack(">IHHHH", 0x10000, len(tables), 128, 3, len(tables) * 16 - 128) + directory + data


@pytest.fixture
def basic_font(tmp_path) -> Path:
    path = tmp_path / "basic.ttf"
    path.write_bytes(truetype(CJK_SAMPLE))
    return path


@pytest.fixture
def extension_b_font(tmp_path) -> Path:
    path = tmp_path / "extension-b.ttf"
    path.write_bytes(truetype(CJK_SAMPLE + EXTENSION_B_SAMPLE))
    return path


def raster(font: Path | None) -> DeviceSettings:
    return DeviceSettings(print_mode="raster", font_path=font)


def test_missing_glyphs_tells_drawn_characters_from_the_notdef_glyph(basic_font, extension_b_font):
    assert missing_glyphs(basic_font, CJK_SAMPLE) == ""
    assert missing_glyphs(basic_font, EXTENSION_B_SAMPLE) == EXTENSION_B_SAMPLE
    assert missing_glyphs(extension_b_font, "政𠀀x𪚥") == "x"


def test_a_font_with_chinese_glyphs_passes(basic_font):
    check = font_check(raster(basic_font))
    assert check.level == "ok" and str(basic_font) in check.detail and CJK_SAMPLE in check.detail


def test_raster_mode_without_chinese_glyphs_fails_and_native_mode_warns(tmp_path):
    latin = tmp_path / "latin.ttf"
    latin.write_bytes(truetype("ABC"))
    check = font_check(raster(latin))
    assert check.level == "fail" and "政务服务" in check.detail and "fonts-wqy-zenhei" in check.fix
    assert font_check(DeviceSettings(print_mode="native", font_path=latin)).level == "warn"


def test_a_font_file_that_does_not_open_fails(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    check = font_check(raster(broken))
    assert check.level == "fail" and "打不开" in check.detail


def test_extension_b_covered_passes(extension_b_font):
    check = extension_b_check(raster(extension_b_font))
    assert check.level == "ok" and "U+20000" in check.detail and "U+2A6A5" in check.detail


def test_extension_b_missing_warns_in_raster_mode_and_notes_in_native_mode(basic_font):
    check = extension_b_check(raster(basic_font))
    assert check.level == "warn" and "𠀀" in check.detail and "fonts-hanazono" in check.fix
    assert extension_b_check(DeviceSettings(print_mode="native", font_path=basic_font)).level == "note"


@pytest.mark.skipif(not WQY_ZENHEI.is_file(), reason="fonts-wqy-zenhei is not installed")
def test_wqy_zenhei_has_chinese_but_not_extension_b():
    assert font_check(raster(WQY_ZENHEI)).level == "ok"
    assert extension_b_check(raster(WQY_ZENHEI)).level == "warn"


@pytest.mark.skipif(not HANAZONO_A.is_file(), reason="fonts-hanazono is not installed")
def test_hanazono_has_extension_b():
    assert font_check(raster(HANAZONO_A)).level == "ok"
    assert extension_b_check(raster(HANAZONO_A)).level == "ok"
