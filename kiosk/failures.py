"""What the log keeps of a failure in our own code: the traceback, with nothing of the person in front of the
screen, and the note that makes the next start tell the next person what happened.

A traceback's frames (file, line, function, source line) come from our code; only the exception's message
may carry data (a name in a ``KeyError``, a number in a ``ValueError``), so its Chinese text and any run of four
or more digits are blanked out.

    >>> log_failure(log, "unhandled exception", error)       # ERROR with the redacted traceback
    >>> note_crash(data_dir, "en"); take_crash_note(data_dir)
    'en'
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
from pathlib import Path

CRASH_NOTE = "crashed.json"
NOTE_FRESH_SECONDS = 300  # a note older than this is from another day's trouble: the next visitor saw nothing

_DIGITS = re.compile(r"[0-9]{4,}[0-9Xx]?")
_CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def redact(text: str) -> str:
    """``text`` without Chinese text or long numbers: ``KeyError: '王秀英'`` → ``KeyError: '〔3〕'``."""
    text = _DIGITS.sub(lambda m: "#" * len(m.group()), text)
    return _CHINESE.sub(lambda m: f"〔{len(m.group())}〕", text)


def redacted_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and of the exceptions it was raised from, each message redacted."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for exc in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{type(exc).__qualname__}: {redact(str(exc))}")
    return "\n\nwhich led to:\n\n".join(parts)


def log_failure(log: logging.Logger, what: str, error: BaseException) -> None:
    log.error("%s: %s\n%s", what, type(error).__qualname__, redacted_traceback(error))


def note_crash(data_dir: Path, language: str) -> None:
    """Leave word for the kiosk's next start (in this process or the next) to tell the next person, in the
    language of the visit that was cut short, that the machine restarted."""
    try:
        (data_dir / CRASH_NOTE).write_text(json.dumps({"language": language, "at": time.time()}), "utf-8")
    except OSError:
        pass  # a full disk must not stop the restart; the next person then sees the welcome screen


def take_crash_note(data_dir: Path) -> str | None:
    """The language of a visit that a crash cut short a moment ago, once; None if there was none."""
    path = data_dir / CRASH_NOTE
    try:
        note = json.loads(path.read_text("utf-8"))
        path.unlink()
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or time.time() - float(note.get("at", 0)) > NOTE_FRESH_SECONDS:
        return None
    return str(note.get("language", ""))
