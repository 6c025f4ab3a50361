"""The reference central hall that kiosks sync to: FastAPI on uvicorn over a :class:`HallStorage`.

- :mod:`kiosk.hall.models`: the request and response bodies (the OpenAPI contract)
- :mod:`kiosk.hall.storage`: :class:`HallStorage` and its SQLite implementation
- :mod:`kiosk.hall.app`: the API, ``create_app(storage)``
- :mod:`kiosk.hall.runner`: :class:`HallServer`, a hall on a thread for tests and the demo
- :mod:`kiosk.hall.cli`: ``kiosk hall serve | enroll-code | staff-token | cases | advance | fleet``
"""
