"""The waiting area's display board (``kiosk board``): the tickets called and their windows, in large type.

:mod:`kiosk.board.hall` reads the hall's board endpoint on a thread of its own (no Textual); :mod:`kiosk.board.app`
is the board's Textual app, whose screen is :mod:`screens.board`. Nothing is imported here, so the screen can
import the board's data without importing the app.
"""
