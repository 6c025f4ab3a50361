"""What the staff console asks of a hall back-end, beside :class:`~kiosk.hall.storage.HallStorage`'s own."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.hall.models import CaseView
from kiosk.identity import mask_name

Role = Literal["window", "supervisor"]
ROLES: dict[str, str] = {"window": "窗口人员", "supervisor": "科室负责人"}


def applicant_shown(payload: str) -> str:
    """Who filed a submission as staff may search and see it: a person's masked name (``王**``), an
    organisation's name in full; empty if the payload does not say."""
    try:
        applicant = json.loads(payload).get("applicant")
    except (ValueError, AttributeError):
        return ""
    if not isinstance(applicant, dict) or not isinstance(applicant.get("name"), str):
        return ""
    name = applicant["name"].strip()
    return name if applicant.get("kind") == "organisation" else mask_name(name)


@dataclass(frozen=True, slots=True)
class StaffAccount:
    username: str
    name: str
    role: Role
    password_hash: str
    failures: int
    locked_until: str | None
    """ISO time until which sign-in is refused after too many wrong passwords; None if not locked."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    username: str
    name: str
    role: Role
    csrf: str


class ConsoleStorage(ABC):
    """Accounts, sessions, case decisions and rating follow-ups. Times are ISO strings in UTC."""

    # Accounts and sessions

    @abstractmethod
    def put_staff_account(self, username: str, name: str, role: Role, password_hash: str) -> bool:
        """Add an account, or replace the name, role and password of one (unlocking it); True if added."""

    @abstractmethod
    def staff_account(self, username: str) -> StaffAccount | None: ...

    @abstractmethod
    def sign_in_failed(self, username: str, max_failures: int, locked_until: str) -> int:
        """Count a wrong password; at ``max_failures`` in a row lock the account until ``locked_until`` and start
        counting again. Returns the failures counted so far (0 when this one locked it)."""

    @abstractmethod
    def open_session(self, username: str, token_hash: str, csrf: str, expires_at: str) -> None:
        """A signed-in session: the account's failures forgiven, expired sessions swept away."""

    @abstractmethod
    def console_session(self, token_hash: str, now: str) -> ConsoleSession | None:
        """The session of a cookie's token if it has not expired and its account still exists."""

    @abstractmethod
    def close_session(self, token_hash: str) -> None: ...

    # Cases

    @abstractmethod
    def find_cases(
        self, *, serial: str = "", applicant: str = "", item: str = "", day: str = "", limit: int = 200
    ) -> list[dict[str, Any]]:
        """Cases newest first, filtered by serial or case number (a prefix), masked applicant (``王*`` or ``王``),
        item code or name (a part) and the day received (``YYYY-MM-DD``, China time); keys as
        :meth:`~kiosk.hall.storage.HallStorage.cases` gives them."""

    @abstractmethod
    def open_cases(self) -> list[dict[str, Any]]:
        """Cases short of the last stage, neither returned for materials nor refused, with ``promised_days`` (None
        if the item is no longer in the catalog) and the keys of :meth:`find_cases`."""

    @abstractmethod
    def case_history(self, serial: str) -> list[dict[str, str]]:
        """Each change of a case, oldest first: ``stage``, ``at``, ``note``, ``by`` (who made it; empty for the
        kiosk's filing)."""

    @abstractmethod
    def return_case(self, serial: str, missing: list[str], note: str, by: str) -> CaseView:
        """Send a case back for ``missing`` materials and what ``note`` adds (退回补正), which the resident is told
        as the case's ``outcome_note`` (``户口簿、照片（白底）``); its next advance resumes it. :class:`NotFound`;
        :class:`CaseFinished` if it is at the last stage or refused."""

    @abstractmethod
    def refuse_case(self, serial: str, reason: str, by: str) -> CaseView:
        """Close a case as 不予受理 with ``reason``. :class:`NotFound`; :class:`CaseFinished` if finished or
        refused already."""

    # Ratings

    @abstractmethod
    def follow_up(self, submission_id: str, action: str, by: str) -> None:
        """Record what was done about a rating (整改情况), replacing what was written before. :class:`NotFound`
        if there is no such rating."""
