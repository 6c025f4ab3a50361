"""The reference central hall that kiosks sync to: FastAPI on uvicorn over a :class:`HallStorage`.

- :mod:`kiosk.hall.models`: the request and response bodies (the OpenAPI contract)
- :mod:`kiosk.hall.storage`: the :class:`HallStorage` interface, its errors, and what every back-end shares
- :mod:`kiosk.hall.sqlite_storage`: :class:`SqlHallStorage`, the queries both back-ends run (written in SQLite's
  SQL), with a mixin a concern (``sqlite_enrolment``, ``sqlite_catalog``, ``sqlite_holidays``, ``sqlite_resident``,
  ``sqlite_queue``), and :class:`SqliteHallStorage`, the hall in one SQLite file
- :mod:`kiosk.hall.schema`: the tables, their versioned migrations, and what a back-end's database must offer
- :mod:`kiosk.hall.sqlite_db`: the SQLite file: its mode, pragmas, connection and transactions
- :mod:`kiosk.hall.postgres_db`: the PostgreSQL back-end (a psycopg pool, the SQL adapter, one write lock)
- :mod:`kiosk.hall.backends`: what ``--db`` names (a file or a ``postgresql://`` URL)
- :mod:`kiosk.hall.keyfile`: the hall's keys, from the environment or a 0600 file, never the database
- :mod:`kiosk.hall.app`: the API, ``create_app(storage)``: the app, its error handlers and its rooms' routers
- :mod:`kiosk.hall.api_public`: health, enrolment, a case by serial number (any known token)
- :mod:`kiosk.hall.api_kiosk`: what kiosks hand over and pull: submissions, lookup, cases, ratings, heartbeats,
  catalog
- :mod:`kiosk.hall.api_staff`: advancing a case, the fleet, editing the catalog
- :mod:`kiosk.hall.auth`: bearer token → :class:`Principal`, kiosk-only and staff-only
- :mod:`kiosk.hall.intake`: opening and accepting submissions and ratings; validation errors without values
- :mod:`kiosk.hall.rules`: the hall's own decision on an instant grant
- :mod:`kiosk.hall.runner`: :class:`HallServer`, a hall on a thread for tests and the demo
- :mod:`kiosk.cli.hall`: ``kiosk hall serve | enroll-code | staff-token | cases | advance | fleet``
"""
