"""The hall's staff room: moving a case on, the fleet, and editing the service catalog (staff tokens only).

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to :func:`staff_router`.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from kiosk.catalog import ServiceItem
from kiosk.hall.auth import STAFF_ONLY, Auth
from kiosk.hall.intake import INVALID, MALFORMED
from kiosk.hall.models import AdvanceIn, CaseView, CatalogVersion, Fleet, Problem, link
from kiosk.hall.storage import HallStorage


def _typed_as_json(value: Any) -> Any:
    # Pydantic's lax mode would take false for 0 and "5" for 5; in its JSON mode, strict, a number is a number.
    return ServiceItem.model_validate_json(json.dumps(value), strict=True) if isinstance(value, dict) else value


CatalogItem = Annotated[ServiceItem, BeforeValidator(_typed_as_json)]
"""A service item in a request: the published schema's types exactly, as :class:`ServiceItem` checks them."""


def staff_router(storage: HallStorage, auth: Auth) -> APIRouter:
    """``POST /v1/staff/cases/{serial}/advance``, ``GET /v1/fleet`` and ``PUT``/``DELETE``
    ``/v1/staff/catalog/items/{code}``."""
    router = APIRouter()
    Staff = auth.staff

    @router.post(
        "/v1/staff/cases/{serial}/advance",
        response_model=CaseView,
        responses={
            **MALFORMED,
            **STAFF_ONLY,
            404: {"model": Problem},
            409: {"model": Problem, "description": "at 发证 already, or refused"},
        },
    )
    def advance(serial: str, who: Staff, body: Annotated[AdvanceIn | None, Body()] = None) -> CaseView:
        """Staff: move a case to its next stage (申请 → 受理 → 审核 → 审批 → 发证), with an optional note."""
        return storage.advance(serial, body.note if body else "", by="员工令牌（接口）")

    @router.get("/v1/fleet", response_model=Fleet, responses=STAFF_ONLY)
    def fleet(who: Staff) -> Fleet:
        """Staff: every enrolled kiosk, when it was last heard from, its latest heartbeat and how far its clock was
        from the hall's then."""
        return Fleet.model_validate({"kiosks": storage.fleet()})

    @router.put(
        "/v1/staff/catalog/items/{code}",
        response_model=CatalogVersion,
        responses={
            200: {"links": {"remove": link("delete", "/v1/staff/catalog/items/{code}", code="$request.path.code")}},
            **MALFORMED,
            **STAFF_ONLY,
            **INVALID,
        },
    )
    def put_catalog_item(code: str, item: CatalogItem, who: Staff) -> Any:
        """Staff: add or replace a service item; the catalog's version goes up by one."""
        if item.code != code:
            return JSONResponse({"detail": "the code in the path differs from the item's code"}, status_code=422)
        return CatalogVersion(version=storage.put_catalog_item(item))

    @router.delete(
        "/v1/staff/catalog/items/{code}",
        response_model=CatalogVersion,
        responses={**STAFF_ONLY, 404: {"model": Problem}},
    )
    def remove_catalog_item(code: str, who: Staff) -> CatalogVersion:
        """Staff: remove a service item; the catalog's version goes up by one."""
        return CatalogVersion(version=storage.remove_catalog_item(code))

    return router
