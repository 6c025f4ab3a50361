"""Build the device back-ends the settings ask for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.settings import DeviceSettings
from devices.base import CardReader, ReceiptPrinter, Scanner
from devices.demo import DemoCardReader, DemoScanner, TextFilePrinter


@dataclass(frozen=True, slots=True)
class Devices:
    reader: CardReader
    printer: ReceiptPrinter
    scanner: Scanner


def build_devices(settings: DeviceSettings, data_dir: Path) -> Devices:
    """The back-ends named in ``settings``; the demo printer writes into ``data_dir/receipts``."""
    readers = {"demo": DemoCardReader}
    printers = {"demo": lambda: TextFilePrinter(data_dir / "receipts")}
    scanners = {"demo": DemoScanner}
    return Devices(
        reader=readers[settings.card_reader](),
        printer=printers[settings.printer](),
        scanner=scanners[settings.scanner](),
    )
