"""Failures on purpose, for tests and for trying the crash path by hand: never set on a kiosk in service.

``KIOSK_TEST_FAULTS`` names the points that raise :class:`InjectedFault`, comma-separated::

    KIOSK_TEST_FAULTS=print uv run kiosk demo     # every receipt fails to print, as a bug in the printer code would

The points: ``welcome`` (the 办事 button's handler), ``save`` (after a submission is committed), ``print``
(before a job reaches the printer), ``sync`` (inside a sync cycle), ``device-test`` (the technician's tests),
``apply`` (the 我要办理 button's handler).
"""

from __future__ import annotations

import os

VARIABLE = "KIOSK_TEST_FAULTS"


class InjectedFault(RuntimeError):
    """A failure asked for by ``KIOSK_TEST_FAULTS``: it stands for a bug in our own code at that point."""


def inject(point: str) -> None:
    """Raise :class:`InjectedFault` if ``point`` is named in ``KIOSK_TEST_FAULTS``."""
    if point in os.environ.get(VARIABLE, "").split(","):
        raise InjectedFault(f"injected fault at {point!r} ({VARIABLE})")
