"""The machine's screen: the programs ``kiosk display`` runs in the configured mode, the terminal's CJK font, and
in browser mode the unit's drop-in that lets Chromium run."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from config.i18n import _
from config.settings import DisplaySettings
from kiosk.display import TERMINAL_FONTS
from kiosk.doctor.check import Check

UNITS = Path("/etc/systemd/system")


def fontconfig_families() -> set[str] | None:
    """Every font family fontconfig knows (each of its names), or None when it cannot be asked."""
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    return {name.strip() for line in listing.splitlines() for name in line.split(",")}


def display_check(
    display: DisplaySettings,
    which: Callable[[str], str | None] = shutil.which,
    families: Callable[[], set[str] | None] = fontconfig_families,
    units: Path = UNITS,
) -> Check:
    programs = ("cage", "foot") if display.mode == "terminal" else ("cage", "chromium")
    missing = [program for program in programs if which(program) is None]
    if missing:
        mode = _("终端") if display.mode == "terminal" else _("浏览器")
        detail = _("{mode}模式要用的 {programs} 没有安装", mode=mode, programs="、".join(missing))
        return Check("display", "fail", detail, f"sudo apt-get install {' '.join(missing)}")
    if display.mode == "browser":
        if (units / "kiosk.service").exists() and not (units / "kiosk.service.d" / "browser.conf").exists():
            detail = _("浏览器模式，但 kiosk.service 没有装浏览器所需的补充设置，Chromium 会启动失败")
            return Check("display", "fail", detail, "sudo deploy/install.sh --browser")
        return Check("display", "ok", _("浏览器模式：cage + Chromium，字 {px} 像素", px=display.font_px))
    known = families()
    if known is None:
        return Check(
            "display",
            "warn",
            _("终端模式：cage + foot；没有 fc-list，中文字体未检查"),
            "sudo apt-get install fontconfig",
        )
    family = next((family for family in TERMINAL_FONTS[:-1] if family in known), None)
    if family is None:
        detail = _("终端模式的 foot 找不到中文等宽字体（{fonts}）", fonts="、".join(TERMINAL_FONTS[:-1]))
        return Check("display", "fail", detail, "sudo apt-get install fonts-wqy-zenhei")
    return Check("display", "ok", _("终端模式：cage + foot，{font} {px} 像素", font=family, px=display.font_px))
