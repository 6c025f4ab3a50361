"""Device drivers: ID-card reader, receipt printer and scanner, each behind one interface."""

from devices.base import (
    CardPlaced,
    CardReader,
    CardReadFailed,
    CardRemoved,
    CodeScanned,
    DeviceError,
    DeviceEvent,
    IdentityCard,
    PrinterError,
    PrinterStatus,
    ReaderConnected,
    ReaderFault,
    ReceiptPrinter,
    Scanner,
    ScannerConnected,
    ScannerFault,
)

__all__ = [
    "CardPlaced",
    "CardReadFailed",
    "CardReader",
    "CardRemoved",
    "CodeScanned",
    "DeviceError",
    "DeviceEvent",
    "IdentityCard",
    "PrinterError",
    "PrinterStatus",
    "ReaderConnected",
    "ReaderFault",
    "ReceiptPrinter",
    "Scanner",
    "ScannerConnected",
    "ScannerFault",
]
