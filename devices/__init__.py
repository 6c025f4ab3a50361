"""Device drivers: ID-card reader, receipt printer and scanner, each behind one interface."""

from devices.base import (
    CardPlaced,
    CardReader,
    CardReadFailed,
    CardRemoved,
    DeviceError,
    DeviceEvent,
    IdentityCard,
    PrinterError,
    ReaderConnected,
    ReaderFault,
    ReceiptPrinter,
    Scanner,
    ScannerConnected,
    ScannerFault,
    ScanReceived,
)

__all__ = [
    "CardPlaced",
    "CardReadFailed",
    "CardReader",
    "CardRemoved",
    "DeviceError",
    "DeviceEvent",
    "IdentityCard",
    "PrinterError",
    "ReaderConnected",
    "ReaderFault",
    "ReceiptPrinter",
    "ScanReceived",
    "Scanner",
    "ScannerConnected",
    "ScannerFault",
]
