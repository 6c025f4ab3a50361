"""Who may do more than a resident: agency staff signing in to file for others, and the technician's mode behind
its key chord and PIN. A part of :class:`kiosk.app.KioskApp`, which provides ``services``, ``visit``, ``staff``,
``clock``, the PIN gates and ``end_visit``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from config.i18n import _

if TYPE_CHECKING:
    from kiosk.app.kiosk_app import KioskApp
    from kiosk.staff import Agent

# The screens here are imported when first shown, not with the app: the welcome frame does not wait for them.

log = logging.getLogger(__name__)


class StaffAndTechnician:
    """Staff sign-in and out; the technician's chord: Ctrl+T then Ctrl+K within :attr:`CHORD_SECONDS`, then a
    PIN. A touch screen cannot type the chord."""

    CHORD_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "chord_start", show=False, priority=True),
        Binding("ctrl+k", "chord_end", show=False, priority=True),
    ]
    CHORD_SECONDS = 2.0
    _chord_started: float | None = None

    # Technician mode -------------------------------------------------------------------------------------

    def action_chord_start(self: KioskApp) -> None:
        self._chord_started = self.clock()

    def action_chord_end(self: KioskApp) -> None:
        started, self._chord_started = self._chord_started, None
        if started is not None and self.clock() - started <= self.CHORD_SECONDS:
            self.open_technician_mode()

    def open_technician_mode(self: KioskApp) -> None:
        from kiosk.technician import technician_check
        from screens.pin_prompt import PinPrompt
        from screens.technician import TechnicianScreen

        if isinstance(self.screen, TechnicianScreen | PinPrompt):
            return
        access = self.services.settings.access
        if not access.technician_pin_hash:
            self.notify(self._("未设置技术员密码：请在本机运行 kiosk pin technician"), severity="warning", timeout=10)
            return

        def opened(ok: bool | None) -> None:
            if ok:
                log.info("technician mode opened")
                self.end_visit(keep_language=True)  # a session of its own, in the standard look
                self.push_screen(TechnicianScreen())

        check = technician_check(access, self.technician_gate)
        self.push_screen(PinPrompt(_("技术员登录：请输入技术员密码"), check), opened)

    # Staff-assisted filing ------------------------------------------------------------------------------

    def sign_in_staff(self: KioskApp) -> None:
        """Ask for a staff PIN (a scanned staff badge signs in too, from the welcome screen)."""
        from screens.pin_prompt import PinPrompt

        found: list[Agent] = []

        def check(pin: str) -> str | None:  # run by the prompt off the UI thread: scrypt takes a moment
            def matches() -> bool:
                if agent := self.services.staff_by_pin(pin):
                    found.append(agent)
                return agent is not None

            return self.staff_gate.attempt(matches)

        def done(ok: bool | None) -> None:
            if ok and found:
                self.staff_signed_in(found[-1])

        self.push_screen(PinPrompt(_("工作人员登录：请输入代办员密码"), check), done)

    def staff_signed_in(self: KioskApp, agent: Agent) -> None:
        log.info("staff %s signed in", agent.id)
        self.staff = agent
        self._last_activity = self.clock()
        self.notify(self._("{agent} 已登录代办", agent=agent.label), timeout=5)
        from screens.staff_desk import StaffDesk

        self.push_screen(StaffDesk())

    def sign_out_staff(self: KioskApp) -> None:
        if self.staff is not None:
            log.info("staff %s signed out", self.staff.id)
        self.staff = None
        self.end_visit()
