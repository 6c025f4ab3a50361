"""The hall's staff console at ``/console``: server-rendered pages (Jinja2, plain forms) in Simplified Chinese.

Window staff and supervisors sign in with a password (scrypt, memory-hard); a session is a random token in an
``HttpOnly``, ``SameSite=Strict`` cookie, kept in the database so every worker of the hall knows it; every form
carries the session's CSRF token. What a page shows comes from :class:`~kiosk.hall.storage.HallStorage`:

- :mod:`.storage`: what the console asks of a back-end (accounts, sessions, case decisions, follow-ups);
- :mod:`.accounts`: passwords, lock-out and roles;
- :mod:`.supervision`: each open case's deadline in working days and how urgent it is (电子监察);
- :mod:`.router`: the pages.
"""
