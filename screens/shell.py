"""What a screen may ask of the kiosk's app: the one door from ``screens/`` to ``kiosk/app/``.

Screens call Textual's own app API (``push_screen``, ``call_from_thread`` …) on ``self.app`` and everything
of the kiosk through ``self.kiosk``, typed by :class:`KioskShell`; ``KioskApp`` implements it (a test checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.worker import Worker

    from config.i18n import Translator
    from kiosk.application import Visit
    from kiosk.services import KioskServices
    from kiosk.staff import Agent
    from screens.messages import ReaderStatus, SyncStatusChanged


@runtime_checkable
class KioskShell(Protocol):
    services: KioskServices
    visit: Visit
    """The person in front of the kiosk: wiped whole when the visit ends."""
    staff: Agent | None
    """Agency staff signed in to file for others, if any."""
    sync_status: SyncStatusChanged
    reader_state: ReaderStatus
    demo_note: str

    @property
    def translator(self) -> Translator:
        """The visit's language."""

    def say(self, prompt: str) -> None:
        """Speak a fixed prompt in the visit's language."""

    def set_language(self, language: str) -> None: ...

    def enter_elderly_mode(self) -> None: ...

    def toggle_high_contrast(self) -> None: ...

    def sign_in_staff(self) -> None: ...

    def staff_signed_in(self, agent: Agent) -> None: ...

    def sign_out_staff(self) -> None: ...

    def refresh_sync_status(self) -> None: ...

    def show_notices(self) -> None: ...

    def job_failed(self, where: str, worker: Worker) -> None:
        """Log a background job's unexpected failure."""

    def crash(self, error: BaseException, what: str = ...) -> None:
        """Log, wipe the visit and stop the UI to be started again."""
