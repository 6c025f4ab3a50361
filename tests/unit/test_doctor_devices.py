"""The device checks of ``kiosk doctor`` against the simulators, each on its real transport: the reader on a
pseudo-terminal, the printer on a loopback socket."""

from __future__ import annotations

import grp
import json
import os
import pwd

import pytest

from config.settings import AccessibilitySettings
from devices.idcard.simulator import CardReaderSimulator
from devices.printer.escpos_printer import EscposPrinter
from devices.printer.render import PaperSettings
from devices.printer.simulator import PrinterSimulator
from kiosk.doctor import ports
from kiosk.doctor.devices import photo_decoder_check, printer_check, reader_check, voice_check
from kiosk.doctor.ports import port_check, printer_device, udev_check


@pytest.fixture
def reader():
    simulator = CardReaderSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def printer(tmp_path):
    simulator = PrinterSimulator(58, None, tmp_path).start()
    yield simulator
    simulator.stop()


def test_a_port_that_opens_passes(reader):
    check = port_check("reader", reader.port)
    assert check.name == "reader_port" and check.level == "ok" and reader.port in check.detail


def test_a_port_that_does_not_exist_fails_with_where_to_look():
    check = port_check("scanner", "/dev/ttyACM-no-such")
    assert check.level == "fail" and "不存在" in check.detail and "kiosk devices ports" in check.fix


def test_a_file_that_is_no_device_fails(tmp_path):
    plain = tmp_path / "ttyUSB0"
    plain.write_text("")
    assert port_check("reader", str(plain)).level == "fail"


def test_a_device_that_is_no_terminal_fails_as_a_serial_port_and_opens_as_a_printer():
    assert port_check("reader", "/dev/null").level == "fail"
    assert port_check("printer", "/dev/null", serial_port=False).level == "ok"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown the port and become nobody")
def test_a_user_outside_the_ports_group_is_told_to_join_it(reader):
    device = os.path.realpath(reader.port)  # the pty itself: nobody cannot enter the simulator's folder
    before = os.stat(device)
    os.chown(device, 0, grp.getgrnam("dialout").gr_gid)  # root:dialout 0660, as udev leaves a USB serial adapter
    os.chmod(device, 0o660)
    try:
        check = json.loads(as_nobody(lambda: json.dumps(port_check("reader", device).as_dict())))
    finally:
        os.chown(device, before.st_uid, before.st_gid)
        os.chmod(device, before.st_mode & 0o7777)
    assert check["level"] == "fail" and "没有权限" in check["detail"]
    assert "usermod -aG dialout nobody" in check["fix"]


def as_nobody(work) -> str:
    """What ``work()`` returns when run by a forked child that has become nobody, in no supplementary group."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.write(write_end, work().encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read().decode()
    os.waitpid(child, 0)
    return text


def test_udev_names_fail_only_when_the_settings_use_a_missing_one(tmp_path, reader, monkeypatch):
    names = {device: str(tmp_path / f"kiosk-{device}") for device in ("reader", "scanner", "printer")}
    monkeypatch.setattr(ports, "UDEV_NAMES", names)
    unused = udev_check({"reader": "/dev/ttyUSB0", "scanner": None, "printer": None})
    assert unused.level == "note" and "deploy/99-kiosk.rules" in unused.fix
    used = udev_check({"reader": names["reader"], "scanner": None, "printer": None})
    assert used.level == "fail" and names["reader"] in used.detail and names["scanner"] not in used.detail
    for name in names.values():
        os.symlink(os.path.realpath(reader.port), name)
    present = udev_check({"reader": names["reader"], "scanner": None, "printer": None})
    assert present.level == "ok" and os.path.realpath(reader.port) in present.detail


def test_printer_device_files_are_those_of_serial_and_file_printers():
    assert printer_device("serial:///dev/kiosk-printer?baudrate=9600") == "/dev/kiosk-printer"
    assert printer_device("file:///dev/usb/lp0") == "/dev/usb/lp0"
    assert printer_device("usb://0416:5011") is None and printer_device("tcp://192.0.2.10:9100") is None


def test_the_reader_answers_the_sam_status_command(reader):
    check = reader_check(reader.port, 115200)
    assert check.level == "ok"
    assert (reader.requests[-1].cmd, reader.requests[-1].para) == (0x11, 0xFF)


def test_a_reader_that_does_not_answer_fails(reader):
    reader.faults.silent = True
    check = reader_check(reader.port, 115200, timeout=0.2)
    assert check.level == "fail" and "没有应答" in check.detail and "card_reader_baud" in check.fix


def test_a_reader_whose_answers_arrive_corrupt_once_still_passes(reader):
    reader.faults.bad_checks = 1  # the codec drops the frame and the command is sent again
    assert reader_check(reader.port, 115200).level == "ok"


def test_a_reader_port_that_does_not_open_fails():
    assert reader_check("/dev/ttyUSB-no-such", 115200).level == "fail"


def status_of(simulator: PrinterSimulator):
    return EscposPrinter(simulator.uri, PaperSettings()).status


def test_a_printer_on_line_with_paper_passes(printer):
    check = printer_check(status_of(printer), "tcp")
    assert check.level == "ok" and "正常" in check.detail


def test_a_printer_out_of_paper_fails(printer):
    printer.paper = "out"
    check = printer_check(status_of(printer), "tcp")
    assert check.level == "fail" and "缺纸" in check.detail and "纸卷" in check.fix


def test_a_printer_off_line_fails_and_one_nearly_out_warns(printer):
    printer.online = False
    assert printer_check(status_of(printer), "tcp").level == "fail"
    printer.online, printer.paper = True, "near_end"
    assert printer_check(status_of(printer), "tcp").level == "warn"


def test_a_printer_that_cannot_be_reached_fails(printer):
    printer.stop()
    check = printer_check(status_of(printer), "tcp")
    assert check.level == "fail" and "无法连接" in check.detail


def test_a_file_printer_cannot_report_its_state_and_warns(tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    check = printer_check(EscposPrinter(f"file://{device}", PaperSettings()).status, "file")
    assert check.level == "warn" and "usb://" in check.fix


def test_voice_on_with_the_program_installed_passes(tmp_path, monkeypatch):
    program = tmp_path / "espeak-ng"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    check = voice_check(AccessibilitySettings(voice=True))
    assert check.level == "ok" and str(program) in check.detail


def test_voice_on_with_the_program_missing_fails():
    check = voice_check(AccessibilitySettings(voice=True, voice_command="no-such-speech-program"))
    assert check.level == "fail" and "no-such-speech-program" in check.detail and "espeak-ng" in check.fix


def test_voice_off_is_a_note():
    assert voice_check(AccessibilitySettings(voice=False)).level == "note"


def test_a_photo_decoder_that_does_not_load_fails(tmp_path):
    library = tmp_path / "libwlt2bmp.so"
    library.write_bytes(b"not a library")
    check = photo_decoder_check(library)
    assert check.level == "fail" and "photo_decoder" in check.fix
