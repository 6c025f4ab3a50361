"""Receipt printing: the ESC/POS bytes of every layout, the simulated network printer, status and paper-out."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import pytest
from PIL import Image

from devices import DeviceError, PrinterError
from devices.document import PrintDocument, Text
from devices.printer.escpos_printer import EscposPrinter, PrinterStatus, open_connection
from devices.printer.render import PaperSettings, find_cjk_font, to_escpos
from devices.printer.simulator import PrinterSimulator
from kiosk.catalog import load_catalog
from kiosk.paper import application_receipt, one_time_notice, printer_test_page, queue_ticket
from kiosk.queue import CATEGORIES, QueueTicket
from offline_cache import StoredSubmission

FONT = find_cjk_font()
NATIVE = PaperSettings(58, "native", font_path=FONT)
RASTER = PaperSettings(58, "raster", font_path=FONT)
SERIAL = "HT01-261123-0001-M"
GS_V0 = b"\x1dv0"


def _receipt() -> PrintDocument:
    facts = {
        "item_code": "MZ0001",
        "item_name": "老年人优待证办理",
        "applicant": "王**",
        "number": "5304**********0025",
        "materials": ["居民身份证"],
        "delivery": "window",
        "promised_days": 0,
        "expected": "2026-11-23",
        "expected_is_estimate": False,
        "decision": "",
    }
    saved = StoredSubmission(
        "id-1", SERIAL, "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 9, 30), "pending", facts
    )
    return application_receipt(saved, "红塔区政务服务中心", "12345")


def _layouts() -> list[PrintDocument]:
    catalog = load_catalog()
    ticket = QueueTicket(CATEGORIES[0], 7, datetime(2026, 11, 23, 9, 30), priority=True)
    item = catalog["YJ0001"]
    return [
        _receipt(),
        queue_ticket(ticket, 3, "红塔区政务服务中心"),
        one_time_notice(item, catalog.members_of(item), "红塔区政务服务中心", "12345"),
        printer_test_page("红塔区政务服务中心", "tcp://127.0.0.1:9100", "58mm native", datetime(2026, 11, 23, 9, 30)),
    ]


requires_font = pytest.mark.skipif(FONT is None, reason="no CJK font installed (apt-get install fonts-wqy-zenhei)")


def test_native_receipt_is_chinese_mode_gb18030_with_the_serial_in_its_qr_and_a_cut():
    data = to_escpos(_receipt(), NATIVE)
    assert data.startswith(b"\x1b@\x1c&")  # initialise, Chinese mode on
    assert "办 事 回 执".encode("gb18030") in data and "王**".encode("gb18030") in data
    qr_store = b"\x1d(k" + (len(SERIAL) + 3).to_bytes(2, "little") + b"1P0" + SERIAL.encode()
    assert qr_store in data and b"\x1d(k\x03\x001Q0" in data  # store the serial, then print it
    assert b"\x1c." in data and data.endswith(b"\x1dV\x01")  # Chinese mode off, partial cut


def test_native_text_uses_the_configured_encoding_and_says_when_it_cannot():
    utf8 = to_escpos(_receipt(), replace(NATIVE, encoding="utf-8"))
    assert "老年人优待证办理".encode() in utf8
    rare = PrintDocument("rare", (Text("申请人：𠀾"),))
    with pytest.raises(DeviceError, match="raster"):
        to_escpos(rare, replace(NATIVE, encoding="gbk"))


def test_printers_without_native_qr_get_the_code_as_an_image():
    data = to_escpos(_receipt(), replace(NATIVE, native_qr=False))
    assert b"\x1d(k" not in data and GS_V0 in data


@requires_font
@pytest.mark.parametrize(("width", "row_bytes"), [(58, 48), (80, 72)])
def test_raster_receipt_is_one_image_as_wide_as_the_paper(width, row_bytes):
    data = to_escpos(_receipt(), replace(RASTER, width_mm=width))
    assert GS_V0 + b"\x00" + row_bytes.to_bytes(2, "little") in data
    assert b"\x1c&" not in data and "流水号".encode("gb18030") not in data
    assert data.endswith(b"\x1dV\x01")


@requires_font
@pytest.mark.parametrize("mode", ["native", "raster"])
def test_every_layout_renders_in_both_modes(mode):
    for document in _layouts():
        data = to_escpos(document, replace(NATIVE, mode=mode))
        assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x01"), document.name


def test_raster_mode_without_a_font_says_what_to_install():
    with pytest.raises(DeviceError, match="font_path"):
        to_escpos(_receipt(), replace(RASTER, font_path=None))


@pytest.mark.parametrize(
    ("uri", "kind", "attrs"),
    [
        ("usb://04B8:0202", "Usb", {"usb_args": {"idVendor": 0x04B8, "idProduct": 0x0202}}),
        ("serial:///dev/ttyS0?baudrate=19200", "Serial", {"devfile": "/dev/ttyS0", "baudrate": 19200}),
        ("tcp://192.0.2.10", "Network", {"host": "192.0.2.10", "port": 9100}),
        ("file:///dev/usb/lp0", "File", {"devfile": "/dev/usb/lp0"}),
    ],
)
def test_printer_uris(uri, kind, attrs):
    printer = open_connection(uri)
    assert type(printer).__name__ == kind
    for name, value in attrs.items():
        assert getattr(printer, name) == value


@pytest.mark.parametrize("uri", ["lpt://1", "usb://nothex:1", "serial:///dev/ttyS0?baudrate=fast"])
def test_bad_printer_uris_name_the_accepted_forms(uri):
    with pytest.raises(DeviceError, match="tcp://HOST:9100"):
        open_connection(uri)


@pytest.fixture
def simulator(tmp_path):
    sim = PrinterSimulator(58, FONT, tmp_path).start()
    yield sim
    sim.stop()


def _wait_for_jobs(sim: PrinterSimulator, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(sim.jobs) < count and time.monotonic() < deadline:
        time.sleep(0.02)


@requires_font
@pytest.mark.parametrize("mode", ["native", "raster"])
def test_a_receipt_goes_over_tcp_and_comes_out_as_a_picture(simulator, mode):
    paper = replace(NATIVE, mode=mode)
    EscposPrinter(simulator.uri, paper).print_document(_receipt())
    _wait_for_jobs(simulator, 1)
    (job,) = simulator.jobs
    assert job.printed and job.data == to_escpos(_receipt(), paper)
    picture = Image.open(job.picture)
    assert picture.width == 384 and picture.height > 400
    assert picture.convert("L").getextrema()[0] == 0  # there is ink on it


@pytest.mark.parametrize(
    ("paper", "online", "expected"),
    [
        ("ok", True, PrinterStatus(True, "ok")),
        ("near_end", True, PrinterStatus(True, "near_end")),
        ("out", True, PrinterStatus(True, "out")),
        ("ok", False, PrinterStatus(False, "ok")),
    ],
)
def test_status_answers(simulator, paper, online, expected):
    simulator.paper, simulator.online = paper, online
    assert EscposPrinter(simulator.uri, NATIVE).status() == expected


def test_paper_out_and_off_line_printers_get_no_job(simulator):
    printer = EscposPrinter(simulator.uri, NATIVE)
    simulator.paper = "out"
    with pytest.raises(PrinterError, match="缺纸"):
        printer.print_document(_receipt())
    simulator.paper, simulator.online = "ok", False
    with pytest.raises(PrinterError, match="离线"):
        printer.print_document(_receipt())
    assert simulator.jobs == []


def test_a_dropped_connection_and_a_missing_printer_are_printer_errors(simulator):
    simulator.drop_connections = True
    with pytest.raises(PrinterError, match="无法连接"):
        EscposPrinter(simulator.uri, NATIVE).print_document(_receipt())
    simulator.stop()
    with pytest.raises(PrinterError, match="无法连接"):
        EscposPrinter(simulator.uri, NATIVE).status()


def test_a_file_printer_cannot_report_status(tmp_path):
    target = tmp_path / "lp0"
    printer = EscposPrinter(f"file://{target}", NATIVE)
    assert printer.status().online is None
    printer.print_document(_receipt())
    assert target.read_bytes() == to_escpos(_receipt(), NATIVE)
