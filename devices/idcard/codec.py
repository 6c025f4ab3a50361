"""Frames of the second-generation ID-card reader's SAM protocol (GA 467 family), as pure functions.

A frame is ``AA AA AA 96 69``, a big-endian length, the body, and an XOR check over the length and body::

    >>> request(FIND_CARD).hex(" ")
    'aa aa aa 96 69 00 03 20 01 22'

Requests carry ``CMD Para Data``; responses carry ``SW1 SW2 SW3 Data`` where SW3 is the status.
:class:`FrameDecoder` takes bytes as they arrive, skips garbage up to the next preamble, drops any frame whose
check fails, and gives up a frame cut short as soon as a complete one follows it; it never raises on input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from config.i18n import _

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_LEN = len(PREAMBLE) + 2
MAX_BODY = 0x2000  # far above the largest response (text + photo + fingerprint); a bigger length is garbage


@dataclass(frozen=True, slots=True)
class Command:
    cmd: int
    para: int
    data: bytes = b""


RESET_SAM = Command(0x10, 0xFF)
SAM_STATUS = Command(0x11, 0xFF)
READ_SAM_ID = Command(0x12, 0xFF)
FIND_CARD = Command(0x20, 0x01)
SELECT_CARD = Command(0x20, 0x02)
READ_TEXT_PHOTO = Command(0x30, 0x01)
READ_ADDITIONAL_ADDRESS = Command(0x30, 0x03)
READ_TEXT_PHOTO_FINGERPRINT = Command(0x30, 0x10)
SET_MAX_RF_BYTES = Command(0x61, 0xFF, b"\x50")


class Status(IntEnum):
    """SW3, the status byte of a response."""

    SUCCESS = 0x90
    FIND_OK = 0x9F
    NO_CARD = 0x80
    SELECT_FAILED = 0x81
    READ_FAILED = 0x41
    UNKNOWN_CARD = 0x40
    BAD_CHECKSUM = 0x10
    BAD_LENGTH = 0x11
    BAD_PARAMETER = 0x21
    NOT_ALLOWED = 0x23
    UNKNOWN_ERROR = 0x24
    AUTH_CARD = 0x31
    AUTH_SAM = 0x32
    VERIFY_FAILED = 0x33
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST = 0x60
    SAM_NOT_AUTHORISED = 0x66
    NO_CONTENT = 0x91


STATUS_TEXT = {
    Status.READ_FAILED: _("读卡失败，请重新放卡"),
    Status.UNKNOWN_CARD: _("无法识别的卡片类型"),
    Status.BAD_CHECKSUM: _("读卡器收到的命令校验错误"),
    Status.BAD_LENGTH: _("读卡器收到的命令长度错误"),
    Status.BAD_PARAMETER: _("命令参数错误"),
    Status.NOT_ALLOWED: _("读卡器不允许此操作"),
    Status.UNKNOWN_ERROR: _("读卡器未知错误"),
    Status.AUTH_CARD: _("卡片认证失败"),
    Status.AUTH_SAM: _("安全模块认证失败"),
    Status.VERIFY_FAILED: _("信息验证失败"),
    Status.RANDOM_FAILED: _("随机数生成失败"),
    Status.SAM_SELF_TEST: _("安全模块自检失败"),
    Status.SAM_NOT_AUTHORISED: _("安全模块未授权"),
}


def checksum(body: bytes) -> int:
    """XOR of every byte from the first length byte to the last data byte."""
    result = 0
    for byte in body:
        result ^= byte
    return result


def _frame(payload: bytes) -> bytes:
    length = (len(payload) + 1).to_bytes(2, "big")
    return PREAMBLE + length + payload + bytes([checksum(length + payload)])


def request(command: Command) -> bytes:
    """The complete request frame of ``command``."""
    return _frame(bytes([command.cmd, command.para]) + command.data)


def response(status: int, data: bytes = b"") -> bytes:
    """A complete response frame (what a reader sends; the simulator uses it)."""
    return _frame(bytes([0x00, 0x00, status]) + data)


@dataclass(frozen=True, slots=True)
class Frame:
    """The body of a frame whose check verified: everything between the length and the check byte."""

    body: bytes

    @property
    def status(self) -> int:
        """SW3 of a response frame."""
        return self.body[2] if len(self.body) >= 3 else -1

    @property
    def data(self) -> bytes:
        """The data after SW1 SW2 SW3 of a response frame."""
        return self.body[3:]

    @property
    def is_response(self) -> bool:
        """SW1 and SW2 are zero, as in every answer a reader sends. One frame of noise in 256 passes the one-byte
        check by chance; this keeps all but one in 65,536 of those from passing for an answer."""
        return self.body[:2] == b"\x00\x00" and len(self.body) >= 3

    def as_command(self) -> Command | None:
        """The request this frame carries, or None if it is too short to be one."""
        if len(self.body) < 2:
            return None
        return Command(self.body[0], self.body[1], bytes(self.body[2:]))


class FrameDecoder:
    """Turns a byte stream into frames. Counts what it had to throw away, for diagnostics."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.skipped_bytes = 0
        self.bad_frames = 0
        self.cut_frames = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every complete, verified frame now available."""
        self._buffer += data
        frames: list[Frame] = []
        while True:
            start = self._buffer.find(PREAMBLE)
            if start < 0:
                # Keep a tail that may be the start of a preamble split across reads.
                keep = len(PREAMBLE) - 1
                self.skipped_bytes += max(len(self._buffer) - keep, 0)
                del self._buffer[: max(len(self._buffer) - keep, 0)]
                return frames
            if start:
                self.skipped_bytes += start
                del self._buffer[:start]
            if len(self._buffer) < HEADER_LEN:
                return frames
            length = int.from_bytes(self._buffer[5:7], "big")
            if length < 1 or length > MAX_BODY:
                self._drop_preamble()
                continue
            end = HEADER_LEN + length
            if len(self._buffer) < end:
                if self._resync():
                    continue
                return frames
            covered = bytes(self._buffer[5 : end - 1])
            if checksum(covered) == self._buffer[end - 1]:
                frames.append(Frame(covered[2:]))
                del self._buffer[:end]
            else:
                self.bad_frames += 1
                self._drop_preamble()

    def _resync(self) -> bool:
        """Give up the frame in hand when a complete frame whose check verifies starts inside it: the frame in
        hand was cut short (a card lifted mid-read), and waiting for the length it declared would only end in a
        timeout while good frames went by unread."""
        start = self._buffer.find(PREAMBLE, 1)
        while start > 0:
            if self._verified_at(start):
                self.cut_frames += 1
                self.skipped_bytes += start
                del self._buffer[:start]
                return True
            start = self._buffer.find(PREAMBLE, start + 1)
        return False

    def _verified_at(self, start: int) -> bool:
        """Whether a complete frame whose check verifies starts at ``start``."""
        header_end = start + HEADER_LEN
        if len(self._buffer) < header_end:
            return False
        length = int.from_bytes(self._buffer[header_end - 2 : header_end], "big")
        end = header_end + length
        if not 1 <= length <= MAX_BODY or len(self._buffer) < end:
            return False
        return checksum(self._buffer[header_end - 2 : end - 1]) == self._buffer[end - 1]

    def _drop_preamble(self) -> None:
        """Skip past this preamble only: a real frame may start inside what looked like its body."""
        self.skipped_bytes += 1
        del self._buffer[:1]

    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buffer)

    def begun(self) -> bool:
        """Whether the bytes held are the start of a frame (a preamble, or the first bytes of one): an answer
        that began and has not ended."""
        held = bytes(self._buffer[: len(PREAMBLE)])
        return bool(held) and PREAMBLE.startswith(held)

    def wanted(self) -> int:
        """How many more bytes the frame in hand needs (at least one): the header until its length is known,
        then the rest of the body. A read of this size returns the moment the frame is complete."""
        if len(self._buffer) < HEADER_LEN:
            return HEADER_LEN - len(self._buffer)
        return HEADER_LEN + int.from_bytes(self._buffer[5:7], "big") - len(self._buffer)

    def clear(self) -> None:
        self._buffer.clear()
