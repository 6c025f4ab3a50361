"""PINs and badge codes: stored only as salted scrypt hashes, guessed at most ``max_tries`` times in a row.

>>> stored = hash_secret("246810")            # 'scrypt$16384$8$1$<salt>$<key>' for kiosk.toml
>>> verify_secret("246810", stored)
True
>>> gate = PinGate(max_tries=5, lockout_seconds=300, clock=time.monotonic)
>>> gate.attempt(lambda: verify_secret(typed, stored))   # None when right, else the message to show
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import time
from collections.abc import Callable
from typing import Protocol

from config.i18n import _

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms per check on the kiosk's CPU, 16 MiB of memory


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    key = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches ``stored``; a malformed or empty hash matches nothing."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


class GateRecord(Protocol):
    """Where a gate keeps its count and its lock, so that pulling the plug does not reset them."""

    def load(self) -> tuple[int, float]:
        """Wrong tries in a row, and the Unix time the lock ends (0 if none)."""

    def save(self, failures: int, locked_until: float) -> None: ...


class PinGate:
    """Counts wrong tries in a row; after ``max_tries`` the gate stays shut for ``lockout_seconds``. A wrong try
    must wait ``pause_seconds`` before the next is checked, so PINs cannot be tried as fast as a script types.
    With a ``record``, the count and the lock survive a restart (the lock's end is kept as wall time)."""

    def __init__(
        self,
        max_tries: int,
        lockout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        record: GateRecord | None = None,
        pause_seconds: float = 1.0,
    ) -> None:
        self.max_tries = max_tries
        self.lockout_seconds = lockout_seconds
        self.pause_seconds = pause_seconds
        self.clock = clock
        self.record = record
        self.failures = 0
        self.locked_until = 0.0
        self.last_failure = -math.inf
        if record is not None:
            self.failures, until = record.load()
            self.locked_until = clock() + max(0.0, until - time.time())

    def locked_for(self) -> float:
        """Seconds until the gate opens again; 0 when it is open."""
        return max(0.0, self.locked_until - self.clock())

    def attempt(self, check: Callable[[], bool]) -> str | None:
        """Run ``check`` unless locked or too soon after a wrong try; None when it passed, else what to tell the
        person."""
        if (left := self.locked_for()) > 0:
            return _("输错次数过多，已锁定，请 {n} 分钟后再试", n=math.ceil(left / 60))
        if self.clock() - self.last_failure < self.pause_seconds:
            return _("请稍等一秒再输入")
        if check():
            self.failures = 0
            self._save()
            return None
        self.failures += 1
        self.last_failure = self.clock()
        if self.failures >= self.max_tries:
            self.failures = 0
            self.locked_until = self.clock() + self.lockout_seconds
            self._save()
            return _("输错 {tries} 次，已锁定 {n} 分钟", tries=self.max_tries, n=math.ceil(self.lockout_seconds / 60))
        self._save()
        return _("密码不对，还可以再试 {n} 次", n=self.max_tries - self.failures)

    def _save(self) -> None:
        if self.record is not None:
            self.record.save(self.failures, time.time() + self.locked_for() if self.locked_for() else 0.0)
