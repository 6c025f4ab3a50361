"""The scanner in serial mode (USB CDC-ACM or RS-232): pyserial, a reader thread, and the events it emits.

Serial mode is what carries Chinese QR content (wedge mode cannot type it). The scanner only talks: the thread
opens the port, reads whatever arrives into a :class:`ScanFramer` and emits :class:`CodeScanned` for every code.
An unplugged scanner is reported once per outage and the port reopened with growing pauses until it is back.
"""

from __future__ import annotations

import contextlib
import termios
import threading

import serial

from devices.base import CodeScanned, EventCallback, Scanner, ScannerConnected, ScannerFault
from devices.scanner.framing import ScanFramer


def open_port(port: str, baud: int) -> serial.SerialBase:
    """Short read timeout: the thread wakes often enough to notice :meth:`SerialScanner.stop`."""
    return serial.serial_for_url(port, baudrate=baud, timeout=0.05)


class SerialScanner(Scanner):
    """A scanner on a serial port, read by its own thread. Emits ScannerConnected, CodeScanned, ScannerFault."""

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        prefix: str = "",
        backoff: tuple[float, float] = (0.5, 8.0),
    ) -> None:
        self.port_name = port
        self.baud = baud
        self.prefix = prefix
        self.backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_event: EventCallback) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(on_event,), name="scanner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None

    def _run(self, on_event: EventCallback) -> None:
        pause = self.backoff[0]
        in_outage = False

        def fault(reason: str) -> None:
            # Once per outage: a pulled cable first fails a read, then every reopen; one message is enough.
            nonlocal in_outage
            if not in_outage:
                in_outage = True
                with contextlib.suppress(Exception):
                    on_event(ScannerFault(reason))

        while not self._stop.is_set():
            try:
                port = open_port(self.port_name, self.baud)
            except (serial.SerialException, OSError, ValueError, termios.error) as exc:
                fault(f"扫码枪未连接（{self.port_name}）：{_reason(exc)}，请检查数据线和串口设置")
                self._stop.wait(pause)
                pause = min(pause * 2, self.backoff[1])
                continue
            try:
                on_event(ScannerConnected(f"{self.port_name} @ {self.baud}"))
                in_outage, pause = False, self.backoff[0]
                self._read(port, on_event)
            except (serial.SerialException, OSError, termios.error) as exc:
                fault(f"扫码枪连接中断（{self.port_name}）：{_reason(exc)}，请检查数据线是否松动")
            except Exception as exc:  # a scanner thread that dies silently leaves the kiosk blind: report, go on
                fault(f"扫码枪驱动异常：{type(exc).__name__}: {_reason(exc)}")
            finally:
                with contextlib.suppress(Exception):
                    port.close()
            self._stop.wait(pause)
            pause = min(pause * 2, self.backoff[1])

    def _read(self, port: serial.SerialBase, on_event: EventCallback) -> None:
        framer = ScanFramer(prefix=self.prefix)  # a fresh one per connection: a code cut by the unplug is lost
        while not self._stop.is_set():
            data = port.read(max(1, min(port.in_waiting, 4096)))
            for code in framer.feed(data):
                on_event(CodeScanned(code))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]
