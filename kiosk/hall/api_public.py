"""The hall's public room: health and enrolment for anyone, a case's progress for any known token.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to :func:`public_router`.
"""

from datetime import UTC, datetime

from fastapi import APIRouter

from kiosk.hall.auth import UNAUTHORISED, Auth
from kiosk.hall.intake import MALFORMED
from kiosk.hall.models import CaseView, EnrollIn, Enrolment, Health, Problem
from kiosk.hall.storage import HallStorage, NotFound


def public_router(storage: HallStorage, auth: Auth) -> APIRouter:
    """``GET /v1/health``, ``POST /v1/enroll`` and ``GET /v1/cases/{serial}``."""
    router = APIRouter()
    Anyone = auth.anyone

    @router.get("/v1/health", response_model=Health)
    def health() -> Health:
        """Is this the hall? Kiosks check ``service == "kiosk-hall"`` to tell it from a captive portal."""
        return Health(time=datetime.now(UTC).isoformat(timespec="seconds"))

    @router.post(
        "/v1/enroll",
        status_code=201,
        response_model=Enrolment,
        responses={**MALFORMED, 403: {"model": Problem, "description": "the code is unknown or spent"}},
    )
    def enroll(body: EnrollIn) -> Enrolment:
        """Enrol a kiosk with a single-use code from the hall's staff. Enrolling a station again (a kiosk
        re-installed) revokes the station's earlier tokens."""
        return storage.enroll(body.code, body.station_id, body.name)

    @router.get("/v1/cases/{serial}", response_model=CaseView, responses={**UNAUTHORISED, 404: {"model": Problem}})
    def case(serial: str, who: Anyone) -> CaseView:
        """The progress of one case by the serial number on the resident's receipt."""
        found = storage.case(serial)
        if found is None:
            raise NotFound(f"大厅没有流水号为 {serial} 的申请")
        return found

    return router
