"""``kiosk display``: the kiosk on the machine's screen, as ``[display] mode`` says (``kiosk/display.py``); what
``deploy/kiosk.service`` runs inside the cage compositor."""

from __future__ import annotations

import argparse
import shlex
import tempfile
from pathlib import Path

from config.settings import load_settings
from kiosk import display
from kiosk.cli.run import log_to


def register(commands: argparse._SubParsersAction) -> None:
    show = commands.add_parser(
        "display", help="show the kiosk on this machine's screen: foot or Chromium, as [display] mode says"
    )
    show.add_argument("--mode", choices=["terminal", "browser"], help="override [display] mode")
    show.add_argument("--demo", action="store_true", help="show the demo: simulated devices and a local hall")
    show.add_argument("--data-dir", type=Path, help="with --demo: keep the demo's data here")
    show.add_argument("--dry-run", action="store_true", help="print the commands it would run, start nothing")
    show.set_defaults(handler=_display)


def _display(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    mode = args.mode or settings.display.mode
    demo_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))) if args.demo else None
    data_dir = demo_dir or settings.storage.resolved_data_dir()
    if mode == "terminal":
        commands = [display.terminal_command(settings.display, display.kiosk_argv(args.config, demo_dir))]
    else:
        profile = data_dir / "browser-profile"
        serve = display.serve_command(args.config, demo_dir)
        commands = [serve, display.browser_command(settings.display, profile)]
    if args.dry_run:
        for command in commands:
            print(shlex.join(command))
        return 0
    log_to(data_dir)
    if mode == "terminal":
        return display.run_terminal(commands[0])
    return display.run_browser(settings.display.port, *commands)
