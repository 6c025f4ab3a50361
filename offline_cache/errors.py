"""What can go wrong in ``offline_cache``: one root, :class:`CacheError`, and a branch for each part.

    CacheError            this machine's store or its hall connection failed; the message says what to do
    ├── AlreadyRated      the store: one rating per transaction
    ├── NotEnrolled       the store: no hall key yet, nothing can be sealed
    ├── EnvelopeError     sealing: a malformed key or envelope (a ValueError too, as bad input)
    └── SyncError         the hall connection, sorted by what the sync engine must do about it
        ├── HallUnreachable   wait and probe
        ├── NotTheHall        wait and probe (a captive portal, a proxy's page)
        │   └── HallNotTrusted    wait and probe: its TLS certificate fails, or is not the one seen at enrolment
        ├── HallBusy          wait as long as the hall says
        ├── HallRefused       stop and call a technician
        └── HallRejected      set the request aside

Each class is also importable from the module that raises it (``offline_cache.hall_client.HallRefused``,
``offline_cache.envelope.EnvelopeError``) and the store's from the package (``offline_cache.CacheError``).

    >>> try:
    ...     store.add_submission(new, make_serial)
    ... except CacheError as exc:
    ...     show(str(exc))  # the message is for the person at the screen
"""

from __future__ import annotations


class CacheError(Exception):
    """Something about this machine's store or its hall connection went wrong; the message tells a technician or a
    resident what to do."""


class AlreadyRated(CacheError):
    """This transaction has been rated already: one rating per transaction."""


class NotEnrolled(CacheError):
    """The kiosk has no hall key yet, so it cannot seal a submission."""


class EnvelopeError(CacheError, ValueError):
    """An envelope or key that is malformed, or that does not open with this key and associated data."""


class SyncError(CacheError):
    """Talking to the hall failed; the message says why, for the technician's status line."""


class HallUnreachable(SyncError):
    """No answer: refused, reset, timed out, no route."""


class NotTheHall(SyncError):
    """Something answered that is not the hall: a captive portal, a proxy's error page."""


class HallNotTrusted(NotTheHall):
    """The hall's TLS certificate does not verify (unknown CA, another host's name, expired), or is not the one it
    presented at enrolment: an impostor, or a hall whose certificate changed. Nothing is sent to it; the sync engine
    waits and probes as for any other answer that is not the hall's, and carries on when the right one is back."""


class HallBusy(SyncError):
    """The hall answered 5xx or 429; ``retry_after`` is its Retry-After in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HallRefused(SyncError):
    """401 or 403: this kiosk's credentials are not (or no longer) accepted. A technician must re-enrol it."""


class HallRejected(SyncError):
    """The hall refused the request itself as invalid (4xx other than 401 and 403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
