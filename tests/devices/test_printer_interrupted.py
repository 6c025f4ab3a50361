"""A printer that loses the connection mid-job, and a disk that will not take the simulator's pictures.

The simulator resets the connection after N bytes of a job and keeps what came as a picture (a half receipt). The
driver tells "part of it may be on paper" (:class:`PrintInterrupted`) from "nothing reached the printer" (plain
:class:`PrinterError`): over TCP, over a serial cable, and on a device that refuses every write (``/dev/full``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import tty
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from devices import PrinterError
from devices.base import PrintInterrupted
from devices.printer.escpos_printer import EscposPrinter
from devices.printer.render import CHINESE_ON, to_escpos
from devices.printer.simulator import PrinterSimulator
from tests.devices.test_printer import FONT, GS_V0, NATIVE, _receipt, _wait_for_jobs, requires_font

# Where in a job the connection goes: byte counts of the job as the printer takes it.
CUTS: dict[str, Callable[[bytes], int]] = {
    "inside ESC @": lambda data: 1,
    "inside the header": lambda data: data.index(GS_V0) + 4 if GS_V0 in data else data.index(CHINESE_ON) + 1,
    "half way": lambda data: len(data) // 2,  # in raster mode, mid-image
    "one byte short": lambda data: len(data) - 1,  # the cut command incomplete
    "at the very end": lambda data: len(data),  # all taken, then gone before confirming it
}


@pytest.fixture
def simulator(tmp_path):
    sim = PrinterSimulator(58, FONT, tmp_path).start()
    yield sim
    sim.stop()


def nothing_on_paper(call: Callable[[], object]) -> PrinterError:
    """The :class:`PrinterError` ``call`` raises, which must not say that part of the job may be on paper."""
    with pytest.raises(PrinterError) as caught:
        call()
    assert not isinstance(caught.value, PrintInterrupted), caught.value
    return caught.value


@requires_font
@pytest.mark.parametrize("mode", ["native", "raster"])
@pytest.mark.parametrize("cut", CUTS)
def test_a_connection_dropped_mid_job_is_interrupted_and_what_came_is_printed(simulator, mode, cut):
    paper = replace(NATIVE, mode=mode)
    data = to_escpos(_receipt(), paper)
    after = CUTS[cut](data)
    if mode == "raster" and cut == "half way":
        assert data.index(GS_V0) + 8 < after < len(data) - 4  # inside the image's bits
    simulator.drop_after = after
    with pytest.raises(PrintInterrupted, match="可能只打出一部分"):
        EscposPrinter(simulator.uri, paper).print_document(_receipt())
    _wait_for_jobs(simulator, 1)
    (job,) = simulator.jobs
    assert job.cut_short and job.printed and job.data == data[:after]
    assert Image.open(job.picture).width == 384
    assert simulator.drop_after is None  # once: the next job is not cut


@requires_font
def test_the_half_receipt_is_the_top_of_the_whole_one(simulator):
    printer = EscposPrinter(simulator.uri, NATIVE)
    printer.print_document(_receipt())
    simulator.drop_after = len(to_escpos(_receipt(), NATIVE)) // 2
    with pytest.raises(PrintInterrupted):
        printer.print_document(_receipt())
    _wait_for_jobs(simulator, 2)
    whole, half = (Image.open(job.picture).convert("L") for job in simulator.jobs)
    assert 200 < half.height < whole.height - 200
    top = (0, 0, 384, half.height - 60)  # the line the cut went through came out in part
    assert half.crop(top).tobytes() == whole.crop(top).tobytes()
    assert half.getextrema()[0] == 0  # ink


@requires_font
def test_the_drop_comes_once_or_every_time(simulator):
    printer = EscposPrinter(simulator.uri, NATIVE)
    simulator.drop_after = 100
    with pytest.raises(PrintInterrupted):
        printer.print_document(_receipt())
    printer.print_document(_receipt())
    simulator.drop_after, simulator.drop_every_time = 100, True
    for _ in range(2):
        with pytest.raises(PrintInterrupted):
            printer.print_document(_receipt())
    simulator.drop_after = None
    printer.print_document(_receipt())
    _wait_for_jobs(simulator, 5)
    assert [job.cut_short for job in simulator.jobs] == [True, False, True, True, False]
    assert [len(job.data) for job in simulator.jobs if job.cut_short] == [100, 100, 100]


def test_a_printer_that_hangs_up_as_the_job_starts_may_have_printed_for_all_the_kiosk_knows(simulator):
    """Its ESC @ went into the socket before the reset: the kiosk cannot tell nothing printed, and says the
    safe thing (at worst, the next copy is marked 补打 once too often)."""
    simulator.drop_after = 0
    with pytest.raises(PrintInterrupted):
        EscposPrinter(simulator.uri, NATIVE).print_document(_receipt())
    assert simulator.jobs == []


def test_a_printer_out_of_paper_off_line_or_unreachable_printed_nothing(simulator):
    printer = EscposPrinter(simulator.uri, NATIVE)
    simulator.paper = "out"
    assert "缺纸" in str(nothing_on_paper(lambda: printer.print_document(_receipt())))
    simulator.paper, simulator.online = "ok", False
    assert "离线" in str(nothing_on_paper(lambda: printer.print_document(_receipt())))
    simulator.online, simulator.drop_connections = True, True  # hangs up before the status is asked
    assert "无法连接" in str(nothing_on_paper(lambda: printer.print_document(_receipt())))
    simulator.stop()
    assert "无法连接" in str(nothing_on_paper(lambda: printer.print_document(_receipt())))
    assert simulator.jobs == []


class PtyPrinter:
    """A serial printer at the far end of a pseudo-terminal: it answers ``DLE EOT`` (on line, paper) and, with
    ``hang_up_after``, closes its end once it has taken that many bytes of the job, as a cable pulled out."""

    def __init__(self, hang_up_after: int | None = None) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.uri = f"serial://{os.ttyname(self._slave)}?baudrate=115200"
        self.taken = bytearray()
        self._hang_up_after = hang_up_after
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            i = 0
            while i < len(chunk):
                if chunk[i : i + 2] == b"\x10\x04":
                    os.write(self._master, b"\x12")
                    i += 3
                    continue
                self.taken.append(chunk[i])
                i += 1
                if len(self.taken) == self._hang_up_after:
                    os.close(self._master)
                    return

    def close(self) -> None:
        os.close(self._slave)  # with the driver's end closed too, the printer's read ends
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):  # closed already if it hung up
            os.close(self._master)


@requires_font
@pytest.mark.parametrize("mode", ["native", "raster"])
@pytest.mark.parametrize("cut", ["inside ESC @", "half way", "at the very end"])
def test_a_serial_cable_pulled_mid_job_is_interrupted(mode, cut):
    paper = replace(NATIVE, mode=mode)
    data = to_escpos(_receipt(), paper)
    printer = PtyPrinter(hang_up_after=CUTS[cut](data))
    try:
        with pytest.raises(PrintInterrupted):
            EscposPrinter(printer.uri, paper).print_document(_receipt())
    finally:
        printer.close()
    assert bytes(printer.taken) == data[: CUTS[cut](data)]


def test_a_serial_printer_that_stays_connected_prints_and_confirms():
    printer = PtyPrinter()
    try:
        EscposPrinter(printer.uri, NATIVE).print_document(_receipt())
    finally:
        printer.close()
    assert bytes(printer.taken) == to_escpos(_receipt(), NATIVE)


def test_a_device_that_refuses_every_write_took_nothing():
    """``/dev/full`` fails every write with ENOSPC: the job's first command, ESC @, did not go, so nothing is on
    paper, and the error says so rather than that the job broke off."""
    error = nothing_on_paper(lambda: EscposPrinter("file:///dev/full", NATIVE).print_document(_receipt()))
    assert "不接收数据" in str(error)
    assert isinstance(error.__cause__, OSError) and error.__cause__.errno == errno.ENOSPC


@pytest.fixture
def full_disk(simulator, monkeypatch):
    """The simulator's picture folder on a full disk: Pillow's save into it fails as the disk would."""
    real_save = Image.Image.save

    def save(image, fp, *args, **kwargs):
        if Path(fp).parent == simulator.folder:
            raise OSError(errno.ENOSPC, "No space left on device", str(fp))
        return real_save(image, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)
    return monkeypatch


def test_a_full_disk_under_the_pictures_loses_the_picture_not_the_job_nor_the_printer(simulator, full_disk, caplog):
    printer = EscposPrinter(simulator.uri, NATIVE)
    with caplog.at_level(logging.WARNING, logger="devices.printer.simulator"):
        printer.print_document(_receipt())  # the printer took the bytes: for the kiosk, it printed
        _wait_for_jobs(simulator, 1)
    (job,) = simulator.jobs
    assert job.printed and job.picture is None and job.data == to_escpos(_receipt(), NATIVE)
    (line,) = [r for r in caplog.records if r.name == "devices.printer.simulator"]
    assert "picture not saved" in line.getMessage() and "No space left" in line.getMessage()
    full_disk.undo()  # room again: the same simulator thread prints on
    printer.print_document(_receipt())
    _wait_for_jobs(simulator, 2)
    assert simulator.jobs[1].picture is not None and simulator.jobs[1].picture.is_file()
