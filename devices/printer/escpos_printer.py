"""An ESC/POS receipt printer reached through python-escpos, named by a URI.

    usb://04B8:0202                 vendor and product id (hex)
    serial:///dev/ttyS0?baudrate=9600&dsrdtr=0
    tcp://192.0.2.10:9100           a network printer (port 9100 by default)
    file:///dev/usb/lp0             a character device; it cannot report status

Before each job the printer is asked for its status (``DLE EOT 1`` on line, ``DLE EOT 4`` paper) after stale
input is flushed; a printer that is off line or out of paper gets no job, and the caller hears why. A printer that
answered is asked again once the job has gone out, as drivers confirm a job was taken: on loopback a send succeeds
into socket buffers even when the printer has hung up, so only its answer says the job arrived. A job lost on the
way raises :class:`~devices.base.PrintInterrupted` (part of it may be on paper), anything earlier plain
:class:`~devices.base.PrinterError` (nothing is).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import termios
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from config.i18n import _
from devices.base import DeviceError, PaperState, PrinterError, PrinterStatus, PrintInterrupted, ReceiptPrinter
from devices.document import PrintDocument
from devices.printer.render import INIT, PaperSettings, to_escpos

if TYPE_CHECKING:  # python-escpos loads its printer database when imported: only when a printer is opened
    from escpos.escpos import Escpos

log = logging.getLogger(__name__)

INTERRUPTED = _("打印中途断开，纸上可能只打出一部分，请检查打印机和连线")


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
        try:
            device.reset_input_buffer()
        except termios.error as exc:  # pyserial lets the terminal's error through when the cable has gone
            raise OSError(*exc.args) from exc


def _answer(printer: Escpos) -> bytes:
    """The printer's one-byte answer to a status query: empty when a serial printer stays silent, but a network
    printer's empty read is the end of the connection, an error like any other lost connection."""
    device = getattr(printer, "device", None)
    if hasattr(device, "reset_input_buffer"):  # pyserial: python-escpos's read(16) would wait out the timeout
        return device.read(1)
    answer = printer._read()
    if not answer and isinstance(device, socket.socket):
        raise ConnectionResetError("the printer closed the connection")
    return answer


def query_status(printer: Escpos) -> PrinterStatus:
    from escpos.printer import File

    if isinstance(printer, File):
        return PrinterStatus(None, "unknown")
    _drain(printer)
    printer._raw(b"\x10\x04\x01")
    online = _answer(printer)
    printer._raw(b"\x10\x04\x04")
    paper = _answer(printer)
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
            try:
                printer.close()
            except Exception:
                printer.device = None  # gone mid-job, it cannot be flushed: not again when python-escpos is collected

    def status(self) -> PrinterStatus:
        """Ask the printer. Raises :class:`PrinterError` when it cannot be reached."""
        with self._opened() as printer:
            return query_status(printer)

    def print_document(self, document: PrintDocument) -> str:
        """Print ``document``. Raises :class:`PrintInterrupted` when the job was lost part of the way (some of
        it may be on paper), :class:`PrinterError` when nothing of it reached the printer."""
        try:
            data = to_escpos(document, self.paper)
        except DeviceError as exc:
            raise PrinterError(str(exc)) from exc
        with self._opened() as printer:
            status = query_status(printer)
            if status.online is False or status.paper == "out":
                raise PrinterError(status.text)
            self._send(printer, data, confirm=status.online is not None)
        return self.uri

    def _send(self, printer: Escpos, data: bytes, confirm: bool) -> None:
        """Send a job whose first command, ESC @, goes alone: it puts nothing on paper, so a printer that does not
        take it printed nothing. Once it is taken, a failure while the rest goes out may leave part of the job
        on paper, and so may a printer that then does not confirm it (asked when ``confirm``: it answered
        before the job), or says it went off line or ran out of paper on the way."""
        head, body = (INIT, data[len(INIT) :]) if data.startswith(INIT) else (b"", data)
        try:
            printer._raw(head)
        except OSError as exc:
            log.warning("printer %s took nothing of the job: %s", self.uri, exc)
            raise PrinterError(_("打印机不接收数据，请检查电源、纸张和连线")) from exc
        try:
            printer._raw(body)
            after = query_status(printer) if confirm else None
        except OSError as exc:
            log.warning("printer %s: connection lost during the job: %s", self.uri, exc)
            raise PrintInterrupted(INTERRUPTED) from exc
        if after is not None and (after.online is not True or after.paper == "out"):
            log.warning("printer %s did not confirm the job: %s", self.uri, after.text)
            raise PrintInterrupted(INTERRUPTED)
