"""The technician mode: the PIN and its lock-out, device tests, enrolment, the settings editor, the log and the
diagnostics bundle, clicked through as a technician would."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from textual.widgets import Input, Log, Static

from config import shipped_settings_path
from config.editor import backup_path
from config.settings import Settings, StaffMember, load_settings
from devices.samples import WANG_XIUYING
from kiosk.enrolment import EnrolmentFailed, enrol_with_hall
from kiosk.identity import mask_id_number, mask_name
from kiosk.pin import PinGate, hash_secret
from kiosk.technician import diagnostics_bundle, technician_check
from screens.pin_prompt import PinPrompt
from screens.technician import TechnicianScreen
from screens.welcome import WelcomeScreen
from tests.conftest import FIXED_NOW, FakeClock, wait_until

SIZE = (100, 35)
TECHNICIAN_PIN = "123456"
TECHNICIAN_HASH = hash_secret(TECHNICIAN_PIN)
STAFF = StaffMember(id="D001", name="李代办", pin_hash=hash_secret("2468"), badge_hash=hash_secret("STAFF-D001"))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    access = settings.access.model_copy(update={"technician_pin_hash": TECHNICIAN_HASH, "staff": [STAFF]})
    return settings.model_copy(update={"access": access})


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# The PIN ------------------------------------------------------------------------------------------------------


async def _type_pin(pilot, pin: str) -> None:
    for digit in pin:
        await pilot.click(f"#key-{digit}")
    await pilot.click("#key-ok")


async def _error_becomes(pilot, expected: str) -> None:
    await wait_until(pilot, lambda: expected in text_of(pilot.app, "#pin-error"))


async def test_the_right_pin_opens_five_wrong_lock_and_the_lock_lifts_after_its_time(app, services):
    gate_clock = FakeClock()  # the gate's own clock: the app's idle clock stays still
    access = services.settings.access
    gate = PinGate(access.max_tries, access.lockout_seconds, gate_clock)
    results: list[bool | None] = []
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(PinPrompt("技术员登录", technician_check(access, gate)), results.append)
        await pilot.pause()
        await _type_pin(pilot, "654321")
        await _error_becomes(pilot, "密码不对，还可以再试 4 次")
        assert app.screen.query_one("#pin-input", Input).value == ""
        await _type_pin(pilot, TECHNICIAN_PIN)  # right, but typed within a second of a wrong one: not even checked
        await _error_becomes(pilot, "请稍等一秒再输入")
        assert results == []
        for left in (3, 2, 1):
            gate_clock.advance(1)
            await _type_pin(pilot, "0000")
            await _error_becomes(pilot, f"还可以再试 {left} 次")
        gate_clock.advance(1)
        await pilot.press(*"9999", "enter")  # the keyboard works as well as the keypad
        await _error_becomes(pilot, "输错 5 次，已锁定 5 分钟")
        await _type_pin(pilot, TECHNICIAN_PIN)  # right, but locked
        await _error_becomes(pilot, "输错次数过多，已锁定")
        assert isinstance(app.screen, PinPrompt)
        assert results == []

        gate_clock.advance(access.lockout_seconds + 1)
        await _type_pin(pilot, TECHNICIAN_PIN)
        await wait_until(pilot, lambda: results == [True])
        assert isinstance(app.screen, WelcomeScreen)


async def test_the_pin_prompt_cancels_and_deletes(app, services):
    results: list[bool | None] = []
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(
            PinPrompt("技术员登录", technician_check(services.settings.access, PinGate(5, 300))), results.append
        )
        await pilot.pause()
        for key in ("1", "2", "3", "delete"):
            await pilot.click(f"#key-{key}")
        assert app.screen.query_one("#pin-input", Input).value == "12"
        await pilot.click("#pin-cancel")
        await wait_until(pilot, lambda: results == [False])


async def test_the_chord_opens_a_session_of_its_own_in_the_standard_look(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#elderly")
        await pilot.click("#apply")
        services.devices.card_simulator.present(WANG_XIUYING)
        await wait_until(pilot, lambda: app.visit.applicant is not None)
        await pilot.press("ctrl+t", "ctrl+k", *TECHNICIAN_PIN, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TechnicianScreen))
        assert app.visit.applicant is None and not app.visit.elderly  # the resident's visit is over
        assert not app.has_class("elderly")
        assert app.screen.query_one("#test-reader").outer_size.height == 3


def test_without_a_technician_pin_the_mode_cannot_open():
    gate = PinGate(5, 300)
    check = technician_check(Settings().access, gate)
    assert "kiosk pin technician" in check("")
    assert gate.failures == 0


# Devices ------------------------------------------------------------------------------------------------------


async def test_device_tests_print_read_and_scan(app, services):
    jobs = services.devices.printer_simulator.jobs
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(TechnicianScreen())
        await wait_until(pilot, lambda: "读卡器  正常  （模拟器）" in text_of(app, "#devices"))

        await pilot.click("#test-print")
        await wait_until(pilot, lambda: "测试页已打印" in text_of(app, "#device-result"))
        assert len(jobs) == 1
        assert "打印机  正常" in text_of(app, "#devices")

        await pilot.click("#test-paper")
        await wait_until(pilot, lambda: "纸张状态：正常" in text_of(app, "#device-result"))

        await pilot.click("#test-reader")
        assert "请把一张身份证放到读卡器上" in text_of(app, "#device-result")
        services.devices.card_simulator.present(WANG_XIUYING)
        shown = f"读卡成功：{mask_name(WANG_XIUYING.name)}  {mask_id_number(WANG_XIUYING.id_number)}"
        await wait_until(pilot, lambda: shown in text_of(app, "#device-result"))
        assert WANG_XIUYING.name not in text_of(app, "#device-result")
        assert app.visit.applicant is None  # a test read is no visit

        await pilot.click("#test-scanner")
        services.devices.scanner_simulator.scan("KIOSK-TEST-42")
        await wait_until(pilot, lambda: "扫码成功：KIOSK-TEST-42" in text_of(app, "#device-result"))

        await pilot.click("#find-ports")
        await wait_until(pilot, lambda: "串口" in text_of(app, "#device-result"))

        await pilot.click("#home")
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))


# Settings -----------------------------------------------------------------------------------------------------


async def test_a_settings_edit_is_validated_then_saved_with_a_backup(app, services, tmp_path):
    path = tmp_path / "kiosk.toml"
    shutil.copy(shipped_settings_path(), path)
    original = path.read_text(encoding="utf-8")
    services.config_path = path
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(TechnicianScreen())
        await pilot.click("#--content-tab-tab-settings")
        name = app.screen.query_one("#set-station-name", Input)
        idle = app.screen.query_one("#set-session-idle_timeout_seconds", Input)
        assert (name.value, idle.value) == ("政务服务自助终端", "120")
        name.value = "城关镇便民服务中心"
        idle.value = "5"
        await pilot.click("#save-settings")
        await wait_until(pilot, lambda: "没有保存" in text_of(app, "#settings-result"))
        assert "[session] idle_timeout_seconds" in text_of(app, "#settings-result")
        error = app.screen.query_one("#error-session-idle_timeout_seconds", Static)
        assert error.display
        assert "greater than or equal to 15" in str(error.render())
        assert idle.has_class("invalid")
        assert path.read_text(encoding="utf-8") == original
        assert not backup_path(path).exists()

        idle.value = "300"
        await pilot.click("#save-settings")
        await wait_until(pilot, lambda: "已保存，重启后生效（已备份原文件）" in text_of(app, "#settings-result"))
        assert not error.display
        assert not idle.has_class("invalid")

        await pilot.click("#save-settings")  # again: what the form shows is what the file now holds
        await wait_until(pilot, lambda: "没有改动" in text_of(app, "#settings-result"))
    assert backup_path(path).read_text(encoding="utf-8") == original
    text = path.read_text(encoding="utf-8")
    assert "# The name shown on the welcome screen and printed on receipts." in text
    loaded = load_settings(path)
    assert loaded.station.name == "城关镇便民服务中心"
    assert loaded.session.idle_timeout_seconds == 300
    assert loaded.devices == Settings().devices  # only what was changed


# The hall -----------------------------------------------------------------------------------------------------


@pytest.fixture
def captive_portal():
    """A network's login page: answers every address with HTML, as a hotel or village Wi-Fi does."""

    class LoginPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = "<html><body>请先登录 Wi-Fi</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_enrolment_from_the_screen_then_a_used_code_is_refused(app, services, hall):
    code = hall.storage.new_enrolment_code()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(TechnicianScreen())
        await pilot.click("#--content-tab-tab-sync")
        app.screen.query_one("#hall-url", Input).value = hall.url
        app.screen.query_one("#enrol-code", Input).value = code
        await pilot.click("#enrol")
        await wait_until(pilot, lambda: "已登记到" in text_of(app, "#enrol-result"), timeout=15)
        assert services.store.enrolment().url == hall.url
        await wait_until(pilot, lambda: hall.url in text_of(app, "#sync"))

        app.screen.query_one("#enrol-code", Input).value = code
        await pilot.click("#enrol")
        await wait_until(pilot, lambda: "登记码无效或已使用过" in text_of(app, "#enrol-result"), timeout=15)


def test_enrolment_says_what_is_wrong_with_the_network(services, captive_portal):
    with pytest.raises(EnrolmentFailed, match=r"不是政务服务大厅.*网络可能要先登录"):
        enrol_with_hall(services, captive_portal, "K7QH-M2XD")
    with pytest.raises(EnrolmentFailed, match=r"连不上大厅.*请检查大厅地址和网络"):
        enrol_with_hall(services, "http://127.0.0.1:9", "K7QH-M2XD")
    with pytest.raises(EnrolmentFailed, match="请填写大厅地址"):
        enrol_with_hall(services, "hall.example", "K7QH-M2XD")
    assert services.store.enrolment().token == "test-token"  # the earlier enrolment stands


# Log and diagnostics ------------------------------------------------------------------------------------------


def test_the_diagnostics_bundle_has_five_parts_and_no_secret(services, tmp_path):
    (services.data_dir / "kiosk.log").write_text(
        "".join(f"2026-11-23 09:00:{n:02d} INFO kiosk: line {n}\n" for n in range(600))
        + "2026-11-23 09:10:00 WARNING kiosk: a careless line with test-token in it\n",
        encoding="utf-8",
    )
    services.devices.health.report("printer", "fault", "缺纸，请换纸")
    services.devices.health.report("reader", "ok", "/dev/pts/3 @ 115200")
    path = diagnostics_bundle(services, tmp_path / "out", FIXED_NOW)
    assert path.name == "diagnostics-20261123-093000.zip"
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["devices.json", "kiosk.log", "settings.json", "sync.json", "versions.json"]
        everything = b"".join(bundle.read(name) for name in bundle.namelist()).decode("utf-8")
        settings = json.loads(bundle.read("settings.json"))
        versions = json.loads(bundle.read("versions.json"))
        devices = json.loads(bundle.read("devices.json"))
        sync = json.loads(bundle.read("sync.json"))
        log = bundle.read("kiosk.log").decode("utf-8").splitlines()
    for secret in (TECHNICIAN_HASH, STAFF.pin_hash, STAFF.badge_hash, "test-token"):
        assert secret not in everything
    assert "scrypt$" not in everything
    assert settings["access"]["technician_pin_hash"] == "***"
    assert settings["access"]["staff"][0] == {"id": "D001", "name": "李代办", "pin_hash": "***", "badge_hash": "***"}
    assert settings["station"]["id"] == "DEMO01"
    assert {"python", "platform", "kiosk", "textual", "pyserial", "python-escpos", "sqlite"} <= set(versions)
    assert {"device": "printer", "where": "模拟器", "state": "fault", "detail": "缺纸，请换纸"} in devices["devices"]
    assert devices["health"]["reader"] == {"state": "ok", "detail": "/dev/pts/3 @ 115200"}
    assert sync["enrolled"] is True
    assert len(log) == 500
    assert log[-1].endswith("a careless line with *** in it")


async def test_the_log_tab_shows_the_log_and_exports_the_bundle(app, services):
    (services.data_dir / "kiosk.log").write_text("09:00 INFO kiosk: started\n09:01 INFO kiosk: ready\n", "utf-8")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(TechnicianScreen())
        await pilot.click("#--content-tab-tab-log")
        log = app.screen.query_one("#log", Log)
        await wait_until(pilot, lambda: "09:01 INFO kiosk: ready" in log.lines)
        await pilot.click("#export")
        await wait_until(pilot, lambda: "诊断包已导出" in text_of(app, "#export-result"))
        shown = text_of(app, "#export-result")
    bundles = list(services.data_dir.glob("diagnostics-*.zip"))
    assert len(bundles) == 1
    assert str(bundles[0]) in shown
