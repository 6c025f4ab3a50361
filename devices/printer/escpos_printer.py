"""An ESC/POS receipt printer reached through python-escpos, named by a URI.

    usb://04B8:0202                 vendor and product id (hex)
    serial:///dev/ttyS0?baudrate=9600&dsrdtr=0
    tcp://192.0.2.10:9100           a network printer (port 9100 by default)
    file:///dev/usb/lp0             a character device; it cannot report status

Before each job the printer is asked for its status (``DLE EOT 1`` on line, ``DLE EOT 4`` paper) after stale
input is flushed; a printer that is off line or out of paper gets no job, and the caller hears why.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from config.i18n import _
from devices.base import DeviceError, PaperState, PrinterError, PrinterStatus, ReceiptPrinter
from devices.document import PrintDocument
from devices.printer.render import PaperSettings, to_escpos

if TYPE_CHECKING:  # python-escpos loads its printer database when imported: only when a printer is opened
    from escpos.escpos import Escpos

log = logging.getLogger(__name__)


def open_connection(uri: str) -> Escpos:
    """A python-escpos printer for ``uri``, not yet opened. Raises :class:`DeviceError` for a bad URI."""
    from escpos.printer import File, Network, Serial, Usb

    parts = urlsplit(uri)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        match parts.scheme:
            case "usb":
                vendor, product = parts.netloc.split(":")
                return Usb(int(vendor, 16), int(product, 16))
            case "serial":
                return Serial(
                    devfile=parts.path,
                    baudrate=int(query.get("baudrate", 9600)),
                    dsrdtr=query.get("dsrdtr", "0") not in ("0", "false", "no"),
                    timeout=1,
                )
            case "tcp":
                return Network(parts.hostname or "", parts.port or 9100, timeout=5)
            case "file":
                return File(devfile=parts.path)
    except ValueError:
        pass
    raise DeviceError(
        f"打印机地址 {uri!r} 无法识别：请用 usb://VID:PID、serial:///dev/ttyS0?baudrate=9600、"
        "tcp://HOST:9100 或 file:///dev/usb/lp0"
    )


def _drain(printer: Escpos) -> None:
    """Throw away bytes a printer sent earlier, so an old answer is not read as the new one."""
    device = getattr(printer, "device", None)
    if isinstance(device, socket.socket):
        device.setblocking(False)
        with contextlib.suppress(BlockingIOError, OSError):
            while device.recv(64):
                pass
        device.settimeout(getattr(printer, "timeout", 5))
    elif hasattr(device, "reset_input_buffer"):
        device.reset_input_buffer()


def query_status(printer: Escpos) -> PrinterStatus:
    from escpos.printer import File

    if isinstance(printer, File):
        return PrinterStatus(None, "unknown")
    _drain(printer)
    printer._raw(b"\x10\x04\x01")
    online = printer._read()
    printer._raw(b"\x10\x04\x04")
    paper = printer._read()
    if not online or not paper:
        return PrinterStatus(None, "unknown")
    paper_byte = paper[0]
    state: PaperState = "out" if paper_byte & 0x60 == 0x60 else "near_end" if paper_byte & 0x0C == 0x0C else "ok"
    return PrinterStatus(not online[0] & 0x08, state)


class EscposPrinter(ReceiptPrinter):
    def __init__(self, uri: str, paper: PaperSettings, connect: Callable[[str], Escpos] = open_connection) -> None:
        self.uri = uri
        self.paper = paper
        self._connect = connect

    @contextlib.contextmanager
    def _opened(self) -> Iterator[Escpos]:
        """The printer, open for one job or question; a connection failure becomes :class:`PrinterError`."""
        from escpos.exceptions import Error as EscposError

        printer = self._connect(self.uri)
        try:
            printer.open()
            yield printer
        except (OSError, EscposError, ValueError) as exc:
            log.warning("printer %s unreachable: %s", self.uri, exc)
            raise PrinterError(_("打印机无法连接，请检查电源和连线")) from exc
        finally:
            with contextlib.suppress(Exception):
                printer.close()

    def status(self) -> PrinterStatus:
        """Ask the printer. Raises :class:`PrinterError` when it cannot be reached."""
        with self._opened() as printer:
            return query_status(printer)

    def print_document(self, document: PrintDocument) -> str:
        try:
            data = to_escpos(document, self.paper)
        except DeviceError as exc:
            raise PrinterError(str(exc)) from exc
        with self._opened() as printer:
            status = query_status(printer)
            if status.online is False or status.paper == "out":
                raise PrinterError(status.text)
            printer._raw(data)
        return self.uri
