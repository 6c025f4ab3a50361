"""The serial scanner driver against the simulated scanner over a real pseudo-terminal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devices import CodeScanned
from devices.scanner.serial_scanner import ScannerConnected, ScannerFault, SerialScanner
from devices.scanner.simulator import ScannerSimulator
from tests.devices.conftest import Events


@pytest.fixture
def simulator(tmp_path):
    sim = ScannerSimulator(tmp_path).start()
    yield sim
    sim.stop()


@pytest.fixture
def events(simulator):
    received = Events()
    scanner = SerialScanner(simulator.port, prefix="]Q1", backoff=(0.05, 0.2))
    scanner.start(received)
    received.next(ScannerConnected)
    yield received
    scanner.stop()


def test_a_scan_arrives_without_its_prefix(simulator, events):
    simulator.scan("BJ20261123-0042")
    assert events.next(CodeScanned).code == "BJ20261123-0042"


def test_codes_arrive_in_order(simulator, events):
    for code in ["A001", "A002", "A003"]:
        simulator.scan(code)
    assert [events.next(CodeScanned).code for _ in range(3)] == ["A001", "A002", "A003"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chinese_content(simulator, events, encoding):
    text = "预约码：20261123-08 王秀英"
    simulator.scan(text, encoding=encoding)
    assert events.next(CodeScanned).code == text


@pytest.mark.parametrize("chunk_size", [1, 4])
def test_a_code_in_pieces_arrives_whole(simulator, events, chunk_size):
    simulator.faults.chunk_size, simulator.faults.chunk_delay = chunk_size, 0.003
    simulator.scan("办件编号BJ-0042", terminator=b"\r\n")
    simulator.scan("A0043", terminator=b"\r")
    assert events.next(CodeScanned).code == "办件编号BJ-0042"
    assert events.next(CodeScanned).code == "A0043"
    time.sleep(0.05)  # a split CRLF must not leave an empty code behind
    assert not any(isinstance(e, CodeScanned) for e in list(events.queue.queue))


def test_a_garbled_scan_arrives_with_replacement_characters(simulator, events):
    simulator.send_raw(b"]Q1\xff\xfe\x80\x81 \r\n")
    assert "\ufffd" in events.next(CodeScanned).code


def test_unplug_is_reported_once_and_replug_reconnects(simulator, events):
    simulator.scan("A001")
    events.next(CodeScanned)
    simulator.unplug()
    fault = events.next(ScannerFault)
    assert "扫码枪" in fault.reason and simulator.port in fault.reason
    time.sleep(0.4)  # the driver retries against a missing port meanwhile, several times
    simulator.replug()
    events.next(ScannerConnected)
    simulator.scan("A002")
    assert events.next(CodeScanned).code == "A002"
    assert sum(isinstance(e, ScannerFault) for e in events.seen) == 1


def test_a_missing_port_is_reported_once_and_retried(tmp_path):
    received = Events()
    scanner = SerialScanner(str(tmp_path / "ttyNONE"), backoff=(0.02, 0.05))
    scanner.start(received)
    try:
        assert "未连接" in received.next(ScannerFault).reason
        time.sleep(0.2)
        assert sum(isinstance(e, ScannerFault) for e in received.seen) == 1
    finally:
        scanner.stop()


def test_a_scanner_plugged_in_late_is_picked_up(tmp_path):
    simulator = ScannerSimulator(tmp_path)
    simulator.unplug()
    received = Events()
    scanner = SerialScanner(simulator.port, backoff=(0.02, 0.05))
    scanner.start(received)
    try:
        received.next(ScannerFault)
        simulator.replug()
        simulator.start()
        received.next(ScannerConnected)
        simulator.scan("A001", prefix="]C0")
        assert received.next(CodeScanned).code == "A001"  # AIM stripped without a configured prefix
    finally:
        scanner.stop()
        simulator.stop()


def test_stop_ends_the_thread_promptly(simulator):
    scanner = SerialScanner(simulator.port)
    received = Events()
    scanner.start(received)
    received.next(ScannerConnected)
    thread = scanner._thread
    start = time.monotonic()
    scanner.stop()
    assert thread is not None and not thread.is_alive()
    assert time.monotonic() - start < 1.0


def test_the_simulator_removes_its_own_folder():
    simulator = ScannerSimulator().start()
    folder = Path(simulator.port).parent
    assert folder.exists()
    simulator.stop()
    assert not folder.exists()
