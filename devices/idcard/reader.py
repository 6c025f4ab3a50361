"""The ID-card reader driver: pyserial, a polling thread, and the events the app listens to.

The thread opens the port, checks the SAM, then polls find-card. A 9F after a run of 80s is a new card: select,
read text and photo, parse, emit :class:`CardPlaced`. While a read card rests on the reader find-card answers
80, so a select-card probe tells whether it is still there (:class:`CardRemoved` when it is not). Every command
has a deadline; a frame whose check fails is dropped and the command sent again; an unplugged reader is
reported once and re-opened with growing pauses until it answers again. A noisy line is logged once when it
starts and once when it has calmed down, never a line per bad frame; a card lifted while its record was on the
wire is a read that failed (:class:`CardReadFailed`), never half a record.
"""

from __future__ import annotations

import contextlib
import logging
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import serial

from config.i18n import _
from devices.base import (
    CardPlaced,
    CardReader,
    CardReadFailed,
    CardRemoved,
    DeviceError,
    EventCallback,
    IdentityCard,
    ReaderConnected,
    ReaderFault,
)
from devices.idcard import codec
from devices.idcard.codec import STATUS_TEXT, Command, Frame, FrameDecoder, Status
from devices.idcard.photo import PhotoDecoder
from devices.idcard.records import RecordError, parse_text

log = logging.getLogger(__name__)


class ReaderTimeout(DeviceError):
    """The reader did not answer a command in time."""


class ReaderLink:
    """One open serial port and the request / response exchange over it. Not thread-safe: one owner."""

    def __init__(self, port: serial.SerialBase, retries: int = 3) -> None:
        self.port = port
        self.retries = retries
        self.decoder = FrameDecoder()
        self.bytes_exchanged = 0
        self.retried = False
        """Whether the last command had to be sent more than once."""
        self.cut = False
        """Whether an answer to the last command began and stopped part-way (a card lifted mid-read)."""

    def transact(self, command: Command, timeout: float = 1.0) -> Frame:
        """Send ``command`` and return the verified response. A corrupt answer makes it ask again at once, as
        often as ``timeout`` allows, so that a noisy line is not taken for a silent reader; no answer in
        ``timeout`` makes it ask again, ``retries`` times in all."""
        self.cut, sent = False, 0
        for _attempt in range(self.retries):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self.retried = sent > 0
                self.port.reset_input_buffer()  # a late answer to an earlier command must not pass for this one
                self.decoder.clear()
                frame_out = codec.request(command)
                self.port.write(frame_out)
                self.bytes_exchanged += len(frame_out)
                sent += 1
                frame = self._receive(deadline)
                if frame is not None:
                    return frame
        raise ReaderTimeout(f"no valid answer to command {command.cmd:02X} {command.para:02X}")

    def _receive(self, deadline: float) -> Frame | None:
        bad_before, cut_before = self.decoder.bad_frames, self.decoder.cut_frames
        while time.monotonic() < deadline:
            # Ask for what the frame in hand still lacks: the read returns as its last byte lands, one wake-up a
            # frame rather than one for every few bytes the line delivers. The port's short timeout keeps the
            # deadline in view.
            data = self.port.read(self.decoder.wanted())
            self.bytes_exchanged += len(data)
            answers = [frame for frame in self.decoder.feed(data) if frame.is_response]
            self.cut |= self.decoder.cut_frames != cut_before
            if answers:
                return answers[0]
            if self.decoder.bad_frames != bad_before:
                return None  # the answer came but its check failed: ask again at once
        self.cut |= self.decoder.begun()
        return None

    def read_card(self) -> IdentityCard:
        """Select and read the card that find-card just reported."""
        selected = self.transact(codec.SELECT_CARD)
        if selected.status != Status.SUCCESS:
            raise RecordError(STATUS_TEXT.get(selected.status, _("选卡失败，请重新放卡")))
        answer = self.transact(codec.READ_TEXT_PHOTO, timeout=3.0)
        if answer.status != Status.SUCCESS and self.cut:
            # An answer began and stopped, and then the reader could not read: the card left while on the wire.
            log.warning("card read interrupted: the reader's answer stopped part-way, then the card was gone")
            raise RecordError(_("读卡中断，请把身份证放稳后重试"))
        if answer.status != Status.SUCCESS:
            code = format(answer.status, "02X")
            raise RecordError(STATUS_TEXT.get(answer.status, _("读卡失败（状态 {status}）", status=code)))
        data = answer.data
        if len(data) < 4:
            raise RecordError(_("读卡器返回的数据不完整"))
        text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
        if len(data) < 4 + text_len + photo_len:
            raise RecordError(_("读卡器返回的数据不完整"))
        text = data[4 : 4 + text_len]
        photo = data[4 + text_len : 4 + text_len + photo_len]
        return parse_text(text, photo)

    def close(self) -> None:
        self.port.close()


class LineNoise:
    """Tells the technician of a noisy line in two log lines however long it lasts: a warning when frames start
    failing their check, and how many did once none has for ``calm_after`` seconds. A line per bad frame would
    be hundreds a second in a burst of noise, and would bury everything else in the log."""

    def __init__(self, calm_after: float) -> None:
        self.calm_after = calm_after
        self.bad_frames = 0
        """Frames that failed their check since the line turned noisy; 0 while it is calm."""
        self._began = self._last = 0.0

    def note(self, bad_frames: int, now: float) -> None:
        """Count ``bad_frames`` more frames that failed their check; none is news too, the line may be calm."""
        if bad_frames:
            if not self.bad_frames:
                self._began = now
                log.warning(
                    "card reader line is noisy: frames fail their check; check the cable and what runs beside it"
                )
            self.bad_frames += bad_frames
            self._last = now
        elif self.bad_frames and now - self._last >= self.calm_after:
            log.info(
                "card reader line calm again: %d frames failed their check over %.1f s",
                self.bad_frames,
                self._last - self._began,
            )
            self.bad_frames = 0


def open_port(port: str, baud: int) -> serial.SerialBase:
    return serial.serial_for_url(port, baudrate=baud, bytesize=8, parity="N", stopbits=1, timeout=0.02)


class SerialCardReader(CardReader):
    """The reader on a serial port (or USB presenting one), supervised by its own thread.

    ``poll_interval``: seconds between find-card polls while the reader is empty. A placed card waits half of it
    on average before its read starts, beside the 118 ms the read itself takes on a 115,200-baud line; each poll
    moves 21 bytes (a 10-byte request, an 11-byte "no card"), so 0.04 s costs 525 bytes/s, under 5 % of what the
    line carries. ``removal_interval``: seconds between the checks that a read card still rests on the reader
    (find and select, 50 bytes each time). ``calm_after``: seconds without a bad frame before a noisy line is
    logged as calm again.
    """

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        poll_interval: float = 0.04,
        backoff: tuple[float, float] = (0.5, 8.0),
        opener: Callable[[str, int], serial.SerialBase] = open_port,
        photo_decoder: PhotoDecoder | None = None,
        removal_interval: float = 0.1,
        calm_after: float = 10.0,
    ) -> None:
        self.photo_decoder = photo_decoder
        self.port_name = port
        self.baud = baud
        self.poll_interval = poll_interval
        self.removal_interval = removal_interval
        self.backoff = backoff
        self._opener = opener
        self._noise = LineNoise(calm_after)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_event: EventCallback) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(on_event,), name="idcard-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _run(self, on_event: EventCallback) -> None:
        pause = self.backoff[0]
        reported = ""
        while not self._stop.is_set():
            try:
                link = ReaderLink(self._opener(self.port_name, self.baud))
            except (serial.SerialException, OSError, ValueError) as exc:
                reported = _report(on_event, reported, f"读卡器未连接（{self.port_name}）：{_reason(exc)}")
                self._stop.wait(pause)
                pause = min(pause * 2, self.backoff[1])
                continue
            try:
                sam = link.transact(codec.SAM_STATUS)
                if sam.status != Status.SUCCESS:
                    raise DeviceError(STATUS_TEXT.get(sam.status, f"安全模块状态 {sam.status:02X}"))
                on_event(ReaderConnected(f"{self.port_name} @ {self.baud}"))
                reported, pause = "", self.backoff[0]
                self._poll(link, on_event)
            except ReaderTimeout:
                reported = _report(on_event, reported, f"读卡器无应答（{self.port_name}），请检查电源和连线")
            except (serial.SerialException, OSError, termios.error) as exc:
                reported = _report(on_event, reported, f"读卡器连接中断（{self.port_name}）：{_reason(exc)}")
            except DeviceError as exc:
                reported = _report(on_event, reported, f"读卡器故障：{exc}")
            except Exception as exc:  # a reader thread that dies silently leaves the kiosk deaf: report, go on
                reported = _report(on_event, reported, f"读卡器驱动异常：{type(exc).__name__}: {_reason(exc)}")
            finally:
                with contextlib.suppress(Exception):
                    link.close()
            self._stop.wait(pause)
            pause = min(pause * 2, self.backoff[1])

    def _poll(self, link: ReaderLink, on_event: EventCallback) -> None:
        card_on_reader = False
        probe = True  # a card already in the field when we (re)connect never answers find-card with 9F
        noted = 0  # the link's bad frames already counted
        while not self._stop.is_set():
            began = time.monotonic()
            found = link.transact(codec.FIND_CARD)
            # A reader reports a card once: if that 9F arrived corrupt, the retry says 80. Ask select instead.
            probe = (probe or link.retried) and not card_on_reader
            if found.status == Status.FIND_OK or (probe and link.transact(codec.SELECT_CARD).status == Status.SUCCESS):
                card_on_reader = True
                try:
                    on_event(CardPlaced(self._with_portrait(link.read_card())))
                except RecordError as exc:
                    on_event(
                        CardReadFailed(exc.args[0] if exc.args else str(exc))
                    )  # a phrase, said in the visit's language
            elif card_on_reader and link.transact(codec.SELECT_CARD).status != Status.SUCCESS:
                card_on_reader = False
                on_event(CardRemoved())
            probe = False
            self._noise.note(link.decoder.bad_frames - noted, time.monotonic())
            noted = link.decoder.bad_frames
            # Timed from the poll's start, so the exchange does not stretch the beat the line load is set by.
            interval = self.removal_interval if card_on_reader else self.poll_interval
            self._stop.wait(max(0.0, began + interval - time.monotonic()))

    def _with_portrait(self, card: IdentityCard) -> IdentityCard:
        if self.photo_decoder is None or not card.photo:
            return card
        try:
            return replace(card, portrait=self.photo_decoder.decode(card.photo))
        except DeviceError:
            return card  # a photo that does not decode is no reason to refuse the card


def _report(on_event: EventCallback, reported: str, reason: str) -> str:
    """Report a fault once per outage, not at every retry."""
    if reason != reported:
        on_event(ReaderFault(reason))
    return reason


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]
