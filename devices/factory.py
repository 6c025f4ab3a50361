"""Build the device back-ends the settings ask for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.settings import DeviceSettings
from devices.base import CardReader, ReceiptPrinter, Scanner
from devices.idcard.photo import PhotoDecoder
from devices.idcard.reader import SerialCardReader
from devices.idcard.simulator import CardReaderSimulator
from devices.printer.escpos_printer import EscposPrinter
from devices.printer.render import PaperSettings, find_cjk_font
from devices.printer.simulator import PrinterSimulator
from devices.scanner.serial_scanner import SerialScanner
from devices.scanner.simulator import ScannerSimulator


@dataclass(frozen=True, slots=True)
class Devices:
    reader: CardReader
    printer: ReceiptPrinter
    scanner: Scanner
    card_simulator: CardReaderSimulator | None = None
    """The simulated reader behind ``reader`` when the settings ask for one; the demo keys place cards on it."""
    printer_simulator: PrinterSimulator | None = None
    """The simulated printer behind ``printer`` for ``sim://``."""
    scanner_simulator: ScannerSimulator | None = None
    """The simulated scanner behind ``scanner``; the demo keys scan codes with it."""

    def close(self) -> None:
        self.reader.stop()
        self.scanner.stop()
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


def build_devices(settings: DeviceSettings, data_dir: Path) -> Devices:
    """The back-ends named in ``settings``. Raises ``DeviceError`` for a photo decoder that will not load."""
    card_simulator = printer_simulator = None
    decoder = PhotoDecoder(settings.photo_decoder) if settings.photo_decoder else None
    if settings.card_reader == "simulator":
        card_simulator = CardReaderSimulator().start()
        port = card_simulator.port
    else:
        port = settings.card_reader_port
    reader = SerialCardReader(port, settings.card_reader_baud, photo_decoder=decoder)

    paper = paper_settings(settings)
    uri = settings.printer
    if uri.startswith("sim://"):
        printer_simulator = PrinterSimulator(paper.width_mm, paper.font_path, data_dir / "receipts").start()
        uri = printer_simulator.uri
    scanner_simulator = None
    scanner_port = settings.scanner_port
    if settings.scanner == "simulator":
        scanner_simulator = ScannerSimulator().start()
        scanner_port = scanner_simulator.port
    scanner = SerialScanner(scanner_port, settings.scanner_baud, prefix=settings.scanner_prefix)
    return Devices(reader, EscposPrinter(uri, paper), scanner, card_simulator, printer_simulator, scanner_simulator)
