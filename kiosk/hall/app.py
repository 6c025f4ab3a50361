"""The hall's HTTP API (FastAPI): the sync contract kiosks speak, published at ``/openapi.json``.

The endpoints only check, open envelopes and translate; everything kept goes through :class:`HallStorage`. They
live in three rooms, one router each: :mod:`kiosk.hall.api_public`, :mod:`kiosk.hall.api_kiosk` and
:mod:`kiosk.hall.api_staff`; who may enter which is :mod:`kiosk.hall.auth`.

    >>> app = create_app(SqliteHallStorage(tmp_path / "hall.db"))

No ``from __future__ import annotations`` in the modules whose endpoints FastAPI reads (the routers and
:mod:`kiosk.hall.auth`): FastAPI reads the endpoints' annotations at run time, and they name dependencies local
to the functions that build the routers.
"""

import os
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from kiosk.hall.api_kiosk import kiosk_router
from kiosk.hall.api_public import public_router
from kiosk.hall.api_queue import queue_router
from kiosk.hall.api_resident import resident_router
from kiosk.hall.api_staff import staff_router
from kiosk.hall.auth import bearer_auth
from kiosk.hall.backends import DB_VARIABLE, KEYS_VARIABLE, SILENT_VARIABLE, open_storage
from kiosk.hall.console.router import SILENT_MINUTES, install_console
from kiosk.hall.intake import field_errors
from kiosk.hall.storage import (
    CaseFinished,
    EnrolmentRefused,
    HallError,
    HallStorage,
    NotFound,
    QueueConflict,
    Rejected,
)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
_STATUS = {EnrolmentRefused: 403, Rejected: 422, NotFound: 404, CaseFinished: 409, QueueConflict: 409}


def app_from_environment() -> FastAPI:
    """The API of one worker process of ``kiosk hall serve --workers N``, over the storage its parent named in
    ``KIOSK_HALL_DB`` and ``KIOSK_HALL_KEYS_FILE`` (the parent made and seeded it; the keys file exists)."""
    keys = os.environ.get(KEYS_VARIABLE, "")
    silent = float(os.environ.get(SILENT_VARIABLE, SILENT_MINUTES))
    return create_app(open_storage(os.environ[DB_VARIABLE], Path(keys) if keys else None), silent)


def create_app(storage: HallStorage, silent_minutes: float = SILENT_MINUTES) -> FastAPI:
    """The hall's API over ``storage``, and its staff console (which flags a kiosk silent for ``silent_minutes``)."""
    app = FastAPI(
        title="Kiosk central hall",
        version="1",
        description="The sync API of the government-service kiosks: enrolment, submissions (idempotent per id), "
        "case progress, evaluations, heartbeats and the service catalog. Kiosks and staff authenticate with "
        "`Authorization: Bearer <token>`.",
    )

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_errors(list(exc.errors()))}, status_code=422)

    @app.exception_handler(HallError)
    def _refused(request: Request, exc: HallError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names the methods of the first route whose path matched, not of every route at this path.
            exc = HTTPException(405, exc.detail, headers={"Allow": ", ".join(_methods_at(app, request))})
        return await http_exception_handler(request, exc)

    auth = bearer_auth(storage)
    for router in (public_router, kiosk_router, staff_router, resident_router, queue_router):
        app.include_router(router(storage, auth), dependencies=[Depends(_each_query_parameter_once)])
    install_console(app, storage, silent_minutes)
    return app


def _each_query_parameter_once(request: Request) -> None:
    """A 422 for a query parameter of the route given twice: none of the API's takes a list, and FastAPI would
    quietly use the last value (``?since=5&since=0`` as ``since=0``)."""
    query, route = request.query_params, request.scope["route"]
    declared = {parameter.alias for parameter in route.dependant.query_params}
    repeated = sorted({name for name in query if name in declared and len(query.getlist(name)) > 1})
    if repeated:
        raise RequestValidationError(
            [{"type": "repeated", "loc": ("query", name), "msg": "given more than once"} for name in repeated]
        )


def _methods_at(app: FastAPI, request: Request) -> list[str]:
    """The methods ``app`` answers at ``request``'s path, as its router finds them: what a 405's ``Allow`` lists."""
    return [
        method
        for method in _METHODS
        if any(route.matches(request.scope | {"method": method})[0] is Match.FULL for route in app.router.routes)
    ]
