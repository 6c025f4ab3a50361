"""``kiosk serve``: the kiosk in the browser on this machine's screen (browser mode, ``kiosk/browser``)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from config.settings import load_settings
from kiosk.cli.run import log_to
from kiosk.display import kiosk_command


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="offer the kiosk to the browser on this machine's screen (one page at a time)"
    )
    serve.add_argument("--port", type=int, help="port to listen on (default: [display] port, 8765)")
    serve.add_argument("--address", help="address to listen on (default: [display] address, 127.0.0.1)")
    serve.add_argument("--demo", action="store_true", help="serve the demo: simulated devices and a local hall")
    serve.add_argument("--data-dir", type=Path, help="with --demo: keep the demo's data here")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from kiosk.browser import AddressRefused, KioskServer, check_address  # aiohttp loads only here

    settings = load_settings(args.config)
    display = settings.display
    address = args.address or display.address
    try:
        check_address(address, display.allow_remote)
    except AddressRefused as refused:
        print(f"kiosk: {refused}", file=sys.stderr)
        return 2
    demo_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))) if args.demo else None
    log_to(demo_dir or settings.storage.resolved_data_dir())
    server = KioskServer(
        kiosk_command(args.config, demo_dir),
        address=address,
        port=args.port or display.port,
        font_px=display.font_px,
        cjk_font=settings.devices.font_path,
    )
    server.serve()
    return 0
