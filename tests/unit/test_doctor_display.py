"""kiosk doctor's display line: the programs of the configured mode, foot's CJK font, browser mode's drop-in."""

from __future__ import annotations

import pytest

from config.settings import DisplaySettings
from kiosk.doctor.display import display_check, fontconfig_families


def installed(*programs: str):
    return lambda program: f"/usr/bin/{program}" if program in programs else None


@pytest.mark.parametrize(
    "mode, programs, missing",
    [("terminal", ("cage",), "foot"), ("terminal", ("foot",), "cage"), ("browser", ("cage", "foot"), "chromium")],
)
def test_a_program_the_mode_needs_is_missing(mode, programs, missing):
    check = display_check(DisplaySettings(mode=mode), which=installed(*programs))
    assert check.level == "fail" and missing in check.detail and check.fix == f"sudo apt-get install {missing}"


def test_terminal_mode_names_the_cjk_font_foot_draws_with_and_its_size():
    check = display_check(
        DisplaySettings(font_px=22), which=installed("cage", "foot"), families=lambda: {"DejaVu Sans", "HanaMinA"}
    )
    assert (check.level, check.detail) == ("ok", "终端模式：cage + foot，HanaMinA 22 像素")


def test_terminal_mode_without_a_cjk_font_fails_with_the_package_to_install():
    check = display_check(DisplaySettings(), which=installed("cage", "foot"), families=lambda: {"DejaVu Sans Mono"})
    assert check.level == "fail" and check.fix == "sudo apt-get install fonts-wqy-zenhei"


def test_fontconfig_knows_the_font_ci_installs():
    families = fontconfig_families()
    if families is None:
        pytest.skip("no fc-list here")
    assert "WenQuanYi Zen Hei Mono" in families


def test_browser_mode_on_an_installed_kiosk_needs_the_units_drop_in(tmp_path):
    browser = DisplaySettings(mode="browser")
    has = installed("cage", "chromium")
    assert display_check(browser, which=has, units=tmp_path).level == "ok"  # not installed as a service here
    (tmp_path / "kiosk.service").write_text("[Service]\n")
    missing = display_check(browser, which=has, units=tmp_path)
    assert missing.level == "fail" and missing.fix == "sudo deploy/install.sh --browser"
    (tmp_path / "kiosk.service.d").mkdir()
    (tmp_path / "kiosk.service.d/browser.conf").write_text("[Service]\n")
    assert display_check(browser, which=has, units=tmp_path).level == "ok"
