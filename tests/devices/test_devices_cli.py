"""The technician's printer and scanner commands, run as a technician runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devices.printer.render import find_cjk_font
from devices.printer.simulator import PrinterSimulator
from devices.scanner.simulator import ScannerSimulator

ROOT = Path(__file__).parent.parent.parent
requires_font = pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font (apt-get install fonts-wqy-zenhei)")


def kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "devices", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def test_print_test_and_samples_on_the_simulated_printer():
    for args in (["print-test"], ["print-sample", "receipt"], ["print-sample", "ticket"], ["print-sample", "notice"]):
        result = kiosk(*args, "--printer", "sim://")
        assert result.returncode == 0, result.stderr
        picture = Path(result.stdout.strip().split("：", 1)[1])
        assert picture.is_file() and picture.suffix == ".png"


@requires_font
def test_print_sample_over_tcp_in_raster_mode(tmp_path):
    sim = PrinterSimulator(58, find_cjk_font(), tmp_path).start()
    try:
        result = kiosk("print-sample", "receipt", "--printer", sim.uri, "--mode", "raster")
        assert result.returncode == 0, result.stderr
        (job,) = sim.jobs
        assert b"\x1dv0" in job.data and b"\x1c&" not in job.data
    finally:
        sim.stop()


def test_printer_status_exit_codes(tmp_path):
    sim = PrinterSimulator(58, None, tmp_path).start()
    try:
        ok = kiosk("printer-status", "--printer", sim.uri, "--json")
        assert ok.returncode == 0 and json.loads(ok.stdout)["paper"] == "ok"
        sim.paper = "out"
        out = kiosk("printer-status", "--printer", sim.uri)
        assert out.returncode == 1 and "缺纸" in out.stdout
    finally:
        sim.stop()
    gone = kiosk("printer-status", "--printer", sim.uri)
    assert gone.returncode == 2 and gone.stderr.count("\n") == 1 and "无法连接" in gone.stderr


def test_scan_prints_one_code_and_times_out_without_one():
    sim = ScannerSimulator().start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "devices", "scan", "--port", sim.port, "--json", "--timeout", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(100):  # keep scanning until the command has opened the port and hears one
            sim.scan("预约码 APPT-0042")
            try:
                out, err = process.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        assert process.returncode == 0, err
        assert json.loads(out) == {"code": "预约码 APPT-0042"}
        silent = kiosk("scan", "--port", sim.port, "--timeout", "1")
        assert silent.returncode == 1 and "没有扫到码" in silent.stderr
    finally:
        sim.stop()
    missing = kiosk("scan", "--port", "/dev/ttyNOPE", "--timeout", "5")
    assert missing.returncode == 2


def test_staff_reprint_a_saved_receipt(tmp_path, services):
    from devices.samples import WANG_XIUYING
    from kiosk.application import Applicant, Application

    application = Application(services.catalog["MZ0001"], Applicant.from_card(WANG_XIUYING))
    application.set_values({"phone": "13800001234"}, services.today())
    saved = services.submit(application)
    printer = PrinterSimulator(58, None, tmp_path / "paper").start()
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[storage]\ndata_dir = "{services.data_dir}"\n[devices]\nprinter = "{printer.uri}"\n', encoding="utf-8"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "reprint", saved.serial],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        (job,) = printer.jobs
        assert saved.serial.encode() in job.data and "王秀英".encode("gb18030") not in job.data
        unknown = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "reprint", "DEMO01-261123-0009-" + "X"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert unknown.returncode == 2 and "流水号" in unknown.stderr
    finally:
        printer.stop()


@requires_font
def test_previews_need_no_printer(tmp_path):
    from PIL import Image

    for kind in ("receipt", "ticket", "notice"):
        result = kiosk("print-sample", kind, "--preview", str(tmp_path / f"{kind}.png"))
        assert result.returncode == 0, result.stderr
        assert Image.open(tmp_path / f"{kind}.png").width == 384
