"""Build the device back-ends the settings ask for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import AccessibilitySettings, DeviceSettings
from devices.base import (
    CardPlaced,
    CardReader,
    DeviceEvent,
    EventCallback,
    PrinterError,
    PrinterStatus,
    ReaderConnected,
    ReaderFault,
    ReceiptPrinter,
    Scanner,
    ScannerConnected,
    ScannerFault,
)
from devices.document import PrintDocument
from devices.health import DeviceHealth
from devices.idcard.photo import PhotoDecoder
from devices.idcard.reader import SerialCardReader
from devices.printer.escpos_printer import EscposPrinter
from devices.printer.render import PaperSettings, find_cjk_font
from devices.scanner.serial_scanner import SerialScanner
from devices.speaker import NullSpeaker, Speaker, make_speaker, voice_status

if TYPE_CHECKING:  # the simulators (the printer's draws with Pillow) are loaded only when the settings ask for one
    from devices.idcard.simulator import CardReaderSimulator
    from devices.printer.simulator import PrinterSimulator
    from devices.scanner.simulator import ScannerSimulator


@dataclass(frozen=True, slots=True)
class Devices:
    """The kiosk's devices, and the record of how each last was (:attr:`health`). Printing and the printer's
    status go through here so the record stays true; reader and scanner events pass through :meth:`start`."""

    reader: CardReader
    printer: ReceiptPrinter
    scanner: Scanner
    speaker: Speaker = field(default_factory=NullSpeaker)
    health: DeviceHealth = field(default_factory=DeviceHealth)
    card_simulator: CardReaderSimulator | None = None
    """The simulated reader behind ``reader`` when the settings ask for one; the demo keys place cards on it."""
    printer_simulator: PrinterSimulator | None = None
    """The simulated printer behind ``printer`` for ``sim://``."""
    scanner_simulator: ScannerSimulator | None = None
    """The simulated scanner behind ``scanner``; the demo keys scan codes with it."""

    def start(self, on_event: EventCallback) -> None:
        """Start the reader and the scanner; their events are recorded, then handed to ``on_event`` (from
        their threads)."""

        def recorded(event: DeviceEvent) -> None:
            self._record(event)
            on_event(event)

        self.reader.start(recorded)
        self.scanner.start(recorded)

    def _record(self, event: DeviceEvent) -> None:
        match event:
            case ReaderConnected(description) | ScannerConnected(description):
                self.health.report("reader" if isinstance(event, ReaderConnected) else "scanner", "ok", description)
            case ReaderFault(reason) | ScannerFault(reason):
                self.health.report("reader" if isinstance(event, ReaderFault) else "scanner", "fault", reason)
            case CardPlaced():
                self.health.report("reader", "ok", "read a card")

    def print(self, document: PrintDocument) -> str:
        """Print ``document``; return where it went. Raises :class:`PrinterError` (recorded as the printer's
        fault) when it did not print."""
        try:
            where = self.printer.print_document(document)
        except PrinterError as exc:
            self.health.report("printer", "fault", str(exc))
            raise
        self.health.report("printer", "ok", f"printed {document.name}")
        return where

    def printer_status(self) -> PrinterStatus:
        """Ask the printer for paper and on-line state. Raises :class:`PrinterError`, recorded as a fault."""
        try:
            status = self.printer.status()
        except PrinterError as exc:
            self.health.report("printer", "fault", str(exc))
            raise
        self.health.report(
            "printer", "ok" if status.online is not False and status.paper != "out" else "fault", status.text
        )
        return status

    def close(self) -> None:
        self.reader.stop()
        self.scanner.stop()
        self.speaker.close()
        for simulator in (self.card_simulator, self.printer_simulator, self.scanner_simulator):
            if simulator is not None:
                simulator.stop()


def paper_settings(settings: DeviceSettings) -> PaperSettings:
    return PaperSettings(
        width_mm=settings.paper_width_mm,
        mode=settings.print_mode,
        native_qr=settings.native_qr,
        encoding=settings.printer_encoding,
        font_path=settings.font_path or find_cjk_font(),
    )


def build_devices(
    settings: DeviceSettings, data_dir: Path, accessibility: AccessibilitySettings | None = None
) -> Devices:
    """The back-ends named in ``settings`` (and the speaker, from ``accessibility``). Raises ``DeviceError`` for a
    photo decoder that will not load."""
    card_simulator = printer_simulator = None
    decoder = PhotoDecoder(settings.photo_decoder) if settings.photo_decoder else None
    if settings.card_reader == "simulator":
        from devices.idcard.simulator import CardReaderSimulator

        card_simulator = CardReaderSimulator().start()
        port = card_simulator.port
    else:
        port = settings.card_reader_port
    reader = SerialCardReader(port, settings.card_reader_baud, photo_decoder=decoder)

    paper = paper_settings(settings)
    uri = settings.printer
    if uri.startswith("sim://"):
        from devices.printer.simulator import PrinterSimulator

        printer_simulator = PrinterSimulator(paper.width_mm, paper.font_path, data_dir / "receipts").start()
        uri = printer_simulator.uri
    scanner_simulator = None
    scanner_port = settings.scanner_port
    if settings.scanner == "simulator":
        from devices.scanner.simulator import ScannerSimulator

        scanner_simulator = ScannerSimulator().start()
        scanner_port = scanner_simulator.port
    scanner = SerialScanner(scanner_port, settings.scanner_baud, prefix=settings.scanner_prefix)
    accessibility = accessibility or AccessibilitySettings()
    health = DeviceHealth()
    health.report("voice", *voice_status(accessibility))
    return Devices(
        reader,
        EscposPrinter(uri, paper),
        scanner,
        make_speaker(accessibility),
        health,
        card_simulator,
        printer_simulator,
        scanner_simulator,
    )
