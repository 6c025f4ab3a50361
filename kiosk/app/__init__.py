"""The kiosk's Textual app, the one place that wires services and devices to the screens, and its factory.

>>> make_app(build_services(settings)).run()
"""

from kiosk.app.kiosk_app import CRASH_EXIT, KioskApp, make_app

__all__ = ["CRASH_EXIT", "KioskApp", "make_app"]
