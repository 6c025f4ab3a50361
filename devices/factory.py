"""Build the device back-ends the settings ask for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.settings import DeviceSettings
from devices.base import CardReader, ReceiptPrinter, Scanner
from devices.demo import DemoScanner, TextFilePrinter
from devices.idcard.photo import PhotoDecoder
from devices.idcard.reader import SerialCardReader
from devices.idcard.simulator import CardReaderSimulator


@dataclass(frozen=True, slots=True)
class Devices:
    reader: CardReader
    printer: ReceiptPrinter
    scanner: Scanner
    card_simulator: CardReaderSimulator | None = None
    """The simulated reader behind ``reader`` when the settings ask for one; the demo keys place cards on it."""

    def close(self) -> None:
        self.reader.stop()
        self.scanner.stop()
        if self.card_simulator is not None:
            self.card_simulator.stop()


def build_devices(settings: DeviceSettings, data_dir: Path) -> Devices:
    """The back-ends named in ``settings``; the demo printer writes into ``data_dir/receipts``."""
    simulator = None
    decoder = PhotoDecoder(settings.photo_decoder) if settings.photo_decoder else None
    if settings.card_reader == "simulator":
        simulator = CardReaderSimulator().start()
        port = simulator.port
    else:
        port = settings.card_reader_port
    reader = SerialCardReader(port, settings.card_reader_baud, photo_decoder=decoder)
    printers = {"demo": lambda: TextFilePrinter(data_dir / "receipts")}
    scanners = {"demo": DemoScanner}
    return Devices(reader, printers[settings.printer](), scanners[settings.scanner](), simulator)
