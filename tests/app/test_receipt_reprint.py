"""A receipt that broke off mid-print is printed again marked 补打（第N份）, and so is every later copy (its mailing
slip and staff reprints too); a print that reached nothing is not counted; the done screen offers to print again.
The demo's printer is the simulator, over TCP: what it received and drew is what a resident would hold."""

from __future__ import annotations

import errno
import logging
import time
from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import Button

from devices.document import PrintDocument, Text
from devices.factory import paper_settings
from devices.printer.render import to_escpos
from devices.printer.simulator import Job, interpret
from devices.samples import WANG_XIUYING
from kiosk.application import Applicant, Application
from kiosk.paper import application_receipt, mailing_slip
from kiosk.services import RECEIPT_FAILED, RECEIPT_INTERRUPTED, KioskServices, build_services
from offline_cache import StoredSubmission
from screens.done import DoneScreen
from screens.widgets.qr_code import QrCode
from tests.app.walk import SIZE, file_item, screen_text, tap
from tests.conftest import FIXED_NOW, enrol
from tests.conftest import wait_until as wait_in_app

CUT_AT = 400  # bytes of the job the printer takes before the connection goes: past the header, short of the end


def filed(services: KioskServices, code: str = "GA0002", post: bool = False) -> StoredSubmission:
    application = Application(services.catalog[code], Applicant.from_card(WANG_XIUYING), post_materials=post)
    return services.submit(application)


def receipt(services: KioskServices, saved: StoredSubmission, copy: int) -> PrintDocument:
    station = services.settings.station
    return application_receipt(saved, station.name, station.hotline, services.payment_url(saved), copy)


def escpos(services: KioskServices, document: PrintDocument) -> bytes:
    return to_escpos(document, paper_settings(services.settings.devices))


def jobs(services: KioskServices, count: int) -> list[Job]:
    """The simulator's jobs once there are ``count`` (it records a job when its connection has ended)."""
    printed = services.devices.printer_simulator.jobs
    deadline = time.monotonic() + 10
    while len(printed) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(printed) == count, printed
    return list(printed)


def text(job: Job) -> str:
    return job.data.decode("gb18030", errors="replace")


def copies(services: KioskServices, saved: StoredSubmission) -> int:
    with services.store.database.locked() as db:
        return db.execute("SELECT receipt_copies FROM submissions WHERE id = ?", [saved.id]).fetchone()[0]


def test_a_receipt_cut_short_is_printed_again_marked_as_the_second_copy(services):
    saved = filed(services)
    services.devices.printer_simulator.drop_after = CUT_AT
    broken = services.print_receipt(saved)
    assert (broken.printed, broken.interrupted, broken.message) == (False, True, RECEIPT_INTERRUPTED)
    assert copies(services, saved) == 1  # half a receipt may be in the tray
    assert services.print_receipt(saved).printed
    assert copies(services, saved) == 2

    first, marked = receipt(services, saved, 1), receipt(services, saved, 2)
    assert marked.blocks[0] == Text("补打（第2份）", align="center", large=True, bold=True)
    assert marked.blocks[1:] == first.blocks and not any("补打" in getattr(b, "text", "") for b in first.blocks)
    cut, again = jobs(services, 2)
    assert cut.cut_short and cut.data == escpos(services, first)[:CUT_AT]
    assert not again.cut_short and again.data == escpos(services, marked)

    # On paper: the whole first copy, under a band of ink that is the mark.
    paper = paper_settings(services.settings.devices)
    whole = interpret(escpos(services, first), paper.dots, paper.font_path)
    picture = Image.open(again.picture)
    band = picture.height - whole.height
    assert band >= 48  # a double-height line
    assert picture.crop((0, band, paper.dots, picture.height)).tobytes() == whole.tobytes()
    assert picture.crop((0, 0, paper.dots, band)).convert("L").getextrema()[0] == 0


def test_a_printer_that_was_unreachable_then_prints_gives_an_unmarked_first_copy(services):
    saved = filed(services)
    simulator = services.devices.printer_simulator
    simulator.drop_connections = True
    failed = services.print_receipt(saved)
    assert not failed.printed and not failed.interrupted
    assert failed.message.startswith(RECEIPT_FAILED) and "无法连接" in failed.message
    assert copies(services, saved) == 0 and simulator.jobs == []
    simulator.drop_connections = False
    assert services.print_receipt(saved).printed
    (job,) = jobs(services, 1)
    assert job.data == escpos(services, receipt(services, saved, 1)) and "补打" not in text(job)
    assert copies(services, saved) == 1


def test_every_reprint_after_a_whole_receipt_says_which_copy_it_is(services):
    saved = filed(services)
    assert services.print_receipt(saved).printed
    assert services.reprint_receipt(saved.serial).printed  # staff, from the desk or `kiosk reprint`
    assert services.reprint_receipt(saved.serial).printed
    first, second, third = (text(job) for job in jobs(services, 3))
    assert "补打" not in first and "补打（第2份）" in second and "补打（第3份）" in third
    assert copies(services, saved) == 3


def test_the_mailing_slip_after_a_reprinted_receipt_carries_its_mark(services):
    saved = filed(services, "YB0003", post=True)
    assert saved.masked["materials_by_post"]
    services.devices.printer_simulator.drop_after = CUT_AT
    assert services.print_receipt(saved).interrupted  # the receipt broke off: no slip followed it
    assert services.print_receipt(saved).printed
    _cut, again, slip = jobs(services, 3)
    station = services.settings.station
    assert "补打（第2份）" in text(again)
    assert slip.data == escpos(services, mailing_slip(saved, station.name, station.materials_address, 2))
    assert "补打（第2份）" in text(slip) and "材 料 邮 寄 单" in text(slip)


@pytest.fixture
def full_printer(settings):
    """Services whose printer is ``file:///dev/full``: a device that fails every write with ENOSPC."""
    devices = settings.devices.model_copy(update={"printer": "file:///dev/full"})
    settings = settings.model_copy(update={"devices": devices})
    services = build_services(settings, now=lambda: FIXED_NOW)
    enrol(services.store)
    yield services
    services.close()


def test_a_printer_that_refuses_every_write_leaves_the_submission_as_it_was(full_printer):
    """Its first write (ESC @, which prints nothing) failed, so nothing is on paper: not interrupted, not a copy."""
    saved = filed(full_printer)
    with full_printer.store.database.locked() as db:
        before = [
            db.execute(f"SELECT * FROM {t} WHERE id = ?", [saved.id]).fetchall() for t in ("submissions", "outbox")
        ]
    outcome = full_printer.print_receipt(saved)
    assert not outcome.printed and not outcome.interrupted
    assert outcome.message.startswith(RECEIPT_FAILED) and "不接收数据" in outcome.message
    with full_printer.store.database.locked() as db:
        after = [
            db.execute(f"SELECT * FROM {t} WHERE id = ?", [saved.id]).fetchall() for t in ("submissions", "outbox")
        ]
    assert after == before and copies(full_printer, saved) == 0


def test_a_full_disk_under_the_simulators_pictures_still_counts_as_printed(services, monkeypatch, caplog):
    """The simulator is the printer, its disk is not the kiosk's: the printer took the bytes, the receipt printed."""
    simulator = services.devices.printer_simulator
    real_save = Image.Image.save

    def save(image, fp, *args, **kwargs):
        if Path(fp).parent == simulator.folder:
            raise OSError(errno.ENOSPC, "No space left on device", str(fp))
        return real_save(image, fp, *args, **kwargs)

    saved = filed(services)
    with monkeypatch.context() as full, caplog.at_level(logging.WARNING):
        full.setattr(Image.Image, "save", save)
        assert services.print_receipt(saved).printed
        (job,) = jobs(services, 1)
    assert job.printed and job.picture is None and copies(services, saved) == 1
    (line,) = [r for r in caplog.records if r.name == "devices.printer.simulator"]
    assert "picture not saved" in line.getMessage()
    assert services.reprint_receipt(saved.serial).printed  # the simulator's thread lives on
    assert jobs(services, 2)[1].picture.is_file()


async def test_the_done_screen_prints_again_after_the_receipt_broke_off(app, services):
    simulator = services.devices.printer_simulator
    simulator.drop_after, simulator.drop_every_time = CUT_AT, True
    async with app.run_test(size=SIZE) as pilot:
        serial = await file_item(pilot, services.catalog["MZ0001"])
        assert isinstance(app.screen, DoneScreen)
        button = app.screen.query_one("#reprint", Button)
        await wait_in_app(pilot, lambda: "回执没有打印完整" in screen_text(app))
        assert button.display and str(button.label) == "重新打印回执"
        assert serial in screen_text(app) and app.screen.query_one("#qr", QrCode).data == serial

        await tap(pilot, button)  # the printer drops this one too: the button comes back
        await wait_in_app(pilot, lambda: len(simulator.jobs) == 2 and button.display)
        assert "回执没有打印完整" in screen_text(app)

        simulator.drop_after = None
        await tap(pilot, button)
        await wait_in_app(pilot, lambda: "回执已打印" in screen_text(app))
        assert not button.display and "没有打印完整" not in screen_text(app)
        assert serial in screen_text(app) and app.screen.query_one("#qr", QrCode).data == serial
    cut, cut_again, whole = jobs(services, 3)
    assert cut.cut_short and cut_again.cut_short and not whole.cut_short
    assert "补打" not in text(cut) and "补打（第2份）" in text(cut_again) and "补打（第3份）" in text(whole)


async def test_a_receipt_that_printed_offers_no_reprint(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await file_item(pilot, services.catalog["MZ0001"])
        await wait_in_app(pilot, lambda: "回执已打印" in screen_text(app))
        assert not app.screen.query_one("#reprint", Button).display
