"""The queue-ticket / QR scanner: line framing and wedge detection (pure), a serial driver and a pty simulator.

Serial mode is the one that carries Chinese QR content; keyboard-wedge mode is handled in the app with
:class:`devices.scanner.framing.WedgeDetector`, which needs no driver thread.
"""
