"""Turning what a scanner sends into codes: serial byte lines and keyboard-wedge key bursts. No I/O here.

A serial scanner sends each code as a line of bytes ended by CR, LF or CRLF, sometimes behind a configured
prefix and an AIM symbology identifier (``]Q1`` for QR, ``]C0`` for Code 128). :class:`ScanFramer` cuts the
stream into clean codes, whatever the chunking.

A keyboard-wedge scanner types the code as keystrokes, much faster than a person does. :class:`WedgeDetector`
holds back fast printable keys until it knows whether they are a scan or typing, so a scan never lands in a
text field and typing is never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERMINATOR = re.compile(rb"[\r\n]")
_AIM = re.compile(r"\][A-Za-z][0-9]")
_ASCII_CONTROLS = dict.fromkeys([*range(0x20), 0x7F])
"""For ``str.translate``: delete C0 controls and DEL. CR and LF never get this far: they end a line."""


class ScanFramer:
    """Cut a serial scanner's byte stream into codes. Feed it whatever arrives; it never raises.

    - A code ends at CR, LF or CRLF; empty lines are skipped, so a CRLF split across two reads (or any run of
      terminators) gives no empty code.
    - ``prefix`` (the scanner's programmed prefix, e.g. ``"]Q1"``) is removed when a code starts with it; with
      ``strip_aim`` one AIM identifier (``]`` + letter + digit) at the start is removed as well, unless the
      prefix already was one. At most one AIM identifier is ever removed, so content that itself begins with
      ``]X9`` survives behind an AIM prefix.
    - Text is UTF-8, or GB18030 when it is not valid UTF-8 (scanners in serial mode often send Chinese QR
      content in the Windows code page). Bytes valid in neither become U+FFFD, so the app can say "garbled"
      instead of showing mojibake or nothing.
    - Other ASCII control characters (STX/ETX framing, NUL noise, even the GS of GS1 codes) are removed.
    - More than ``max_length`` bytes without a terminator is line noise or a misconfigured suffix: those bytes,
      up to and including the next terminator, are dropped and counted in :attr:`discarded`, so the buffer
      stays bounded.
    """

    def __init__(self, prefix: str = "", strip_aim: bool = True, max_length: int = 4096) -> None:
        self.prefix = prefix
        self.strip_aim = strip_aim
        self.max_length = max_length
        self.discarded = 0
        """How many over-long runs were thrown away since this framer was made."""
        self._buffer = bytearray()
        self._discarding = False
        self._prefix_is_aim = bool(_AIM.fullmatch(prefix))

    @property
    def pending(self) -> int:
        """Bytes held for a code whose terminator has not arrived yet."""
        return len(self._buffer)

    def clear(self) -> None:
        """Forget a partial code, e.g. after the port was reopened."""
        self._buffer.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[str]:
        """Add ``data`` and return the codes it completed, in order."""
        codes: list[str] = []
        data = bytes(data)
        start = 0
        for match in _TERMINATOR.finditer(data):
            piece, start = data[start : match.start()], match.end()
            if self._discarding:  # the tail of an over-long run ends here
                self._discarding = False
                continue
            line = bytes(self._buffer) + piece
            self._buffer.clear()
            if len(line) > self.max_length:
                self.discarded += 1
                continue
            code = self._code(line)
            if code:
                codes.append(code)
        if not self._discarding:
            self._buffer += data[start:]
            if len(self._buffer) > self.max_length:
                self._buffer.clear()
                self._discarding = True
                self.discarded += 1
        return codes

    def _code(self, line: bytes) -> str:
        text = _decode(line).translate(_ASCII_CONTROLS)
        aim_removed = False
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix) :]
            aim_removed = self._prefix_is_aim
        if self.strip_aim and not aim_removed and _AIM.match(text):
            text = text[3:]
        return text


def _decode(line: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class WedgeDecision:
    """What the app does with a key after asking :class:`WedgeDetector`.

    - ``hold``: the key is held back; do not deliver it now. From :meth:`WedgeDetector.flush`: keys are still
      held, so keep the flush timer running.
    - ``scan``: a complete scan; the held keys and this Enter are swallowed.
    - ``release``: held keys that turned out to be typing, as ``(character, key)`` pairs, to be re-delivered in
      this order. When it is not empty and the current key is not held, the current key is its last entry.

    When :attr:`passthrough` is true (nothing held, nothing released, no scan) the app lets the key through
    untouched; otherwise it stops the key and acts on the decision.
    """

    hold: bool = False
    scan: str | None = None
    release: tuple[tuple[str | None, str], ...] = ()

    @property
    def passthrough(self) -> bool:
        return not self.hold and self.scan is None and not self.release


class WedgeDetector:
    """Tell a keyboard-wedge scanner's burst of keys from a person typing, by the time between keys.

    Scanners type a key every 7–16 ms; people rarely manage 50 ms. A run of printable keys each at most
    ``max_gap`` seconds after the previous one, ended by Enter within ``max_gap`` after at least ``min_length``
    keys, is a scan. Anything else is typing and is given back unchanged and in order.

    The price is latency: every printable key a person types is held until the next key or until the app's
    timer calls :meth:`flush`, so typing is delayed by one ``max_gap`` (30 ms by default, plus the timer's
    own period), which nobody notices. Non-printable keys (Tab, Backspace, arrows) pass at once when nothing is
    held. Timestamps come from the app (``time.monotonic()`` on the key event), so the logic is deterministic.
    """

    def __init__(self, max_gap: float = 0.03, min_length: int = 4) -> None:
        self.max_gap = max_gap
        self.min_length = min_length
        self._held: list[tuple[str | None, str]] = []
        self._last = 0.0

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def key(self, character: str | None, key: str, timestamp: float) -> WedgeDecision:
        """Decide about one key: ``key`` is the Textual key name, ``character`` its printable text or None."""
        fast = bool(self._held) and timestamp - self._last <= self.max_gap
        if key == "enter":
            if fast and len(self._held) >= self.min_length:
                code = "".join(character or "" for character, _ in self._held)
                self._held.clear()
                return WedgeDecision(scan=code)
            return self._release((character, key))
        if _printable(character):
            released = () if fast else self._take()
            self._held.append((character, key))
            self._last = timestamp
            return WedgeDecision(hold=True, release=released)
        return self._release((character, key))

    def flush(self, timestamp: float) -> WedgeDecision:
        """Release held keys once ``max_gap`` has passed without another key: the burst was typing after all."""
        if self._held and timestamp - self._last > self.max_gap:
            return WedgeDecision(release=self._take())
        return WedgeDecision(hold=bool(self._held))

    def _release(self, current: tuple[str | None, str]) -> WedgeDecision:
        if not self._held:
            return WedgeDecision()  # passthrough: nothing to reorder against
        return WedgeDecision(release=(*self._take(), current))

    def _take(self) -> tuple[tuple[str | None, str], ...]:
        held = tuple(self._held)
        self._held.clear()
        return held


def _printable(character: str | None) -> bool:
    return character is not None and len(character) == 1 and character.isprintable()
