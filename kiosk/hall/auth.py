"""Who is asking: the bearer-token dependencies of the hall's API, and the error answers they add to a route.

    >>> auth = bearer_auth(storage)
    >>> Kiosk = auth.kiosk                       # an endpoint's ``sender: Kiosk`` is an enrolled kiosk's Principal

No ``from __future__ import annotations`` here: FastAPI reads the dependencies' annotations at run time, and they
name dependencies local to :func:`bearer_auth`.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kiosk.hall.models import Problem
from kiosk.hall.storage import HallStorage, Principal

UNAUTHORISED = {401: {"model": Problem, "description": "no bearer token, or one the hall does not know"}}
KIOSK_ONLY = {**UNAUTHORISED, 403: {"model": Problem, "description": "not a kiosk's token"}}
STAFF_ONLY = {**UNAUTHORISED, 403: {"model": Problem, "description": "not a staff token"}}


@dataclass(frozen=True, slots=True)
class Auth:
    """Annotations for an endpoint's principal parameter: each is ``Annotated[Principal, Depends(...)]``."""

    anyone: Any  # any known token: a kiosk or a member of staff
    kiosk: Any  # an enrolled kiosk's token (403 for staff)
    staff: Any  # a staff token (403 for a kiosk)
    board: Any  # a display board's token (``kiosk hall board-token``), or any kiosk's or staff token


def bearer_auth(storage: HallStorage) -> Auth:
    """The dependencies that turn ``Authorization: Bearer <token>`` into a :class:`Principal` of ``storage``."""
    bearer = HTTPBearer(
        auto_error=False, description="a kiosk's token from enrolment, a staff token, or a display board's token"
    )

    def principal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        found = storage.authenticate(credentials.credentials)
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return found

    def kiosk(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "kiosk":
            raise HTTPException(403, "this endpoint is for enrolled kiosks")
        return who

    def staff(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "staff":
            raise HTTPException(403, "this endpoint is for the hall's staff")
        return who

    def board(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        # Only here is a board's token known: to every other endpoint it is an unknown token (401).
        if credentials is not None and storage.is_board_token(credentials.credentials):
            return Principal("board")
        return principal(credentials)

    return Auth(
        anyone=Annotated[Principal, Depends(principal)],
        kiosk=Annotated[Principal, Depends(kiosk)],
        staff=Annotated[Principal, Depends(staff)],
        board=Annotated[Principal, Depends(board)],
    )
