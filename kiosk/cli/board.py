"""``kiosk board``: the waiting area's display board, reading the hall's queue (the app is :mod:`kiosk.board`).

    kiosk board [--hall URL] [--token T] [--station S]     the [board] settings fill in what is not given
    kiosk board --demo-dir [DIR]                          the hall of a running ``kiosk demo`` (default: the newest)

Exit codes: 0 the board was closed (Ctrl+Q), 2 no hall or token to read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.settings import load_settings
from kiosk.demo import demo_board


def register(commands: argparse._SubParsersAction) -> None:
    board = commands.add_parser("board", help="the display board of the waiting area: tickets called, their windows")
    board.add_argument("--hall", help="the hall's address (default: [board] hall_url)")
    board.add_argument("--token", help="a board token from 'kiosk hall board-token' (default: [board] token)")
    board.add_argument("--station", help="whose tickets: the issuing kiosk's station id (default: [board] station)")
    board.add_argument(
        "--demo-dir",
        nargs="?",
        const="",
        type=str,
        help="read the hall of 'kiosk demo' from its data folder (no DIR: the newest demo's)",
    )
    board.set_defaults(handler=_board)


def _board(args: argparse.Namespace) -> int:
    all_settings = load_settings(args.config)
    settings = all_settings.board
    hall, token, station = settings.hall_url, settings.token, settings.station
    if args.demo_dir is not None:
        demo = demo_board(Path(args.demo_dir) if args.demo_dir else None)
        if demo is None:
            print("kiosk: 找不到正在运行的演示（先在另一个终端运行 kiosk demo）", file=sys.stderr)
            return 2
        hall, token, station = demo.get("hall", ""), demo.get("token", ""), demo.get("station", "")
    hall, token, station = args.hall or hall, args.token or token, args.station or station
    if not hall or not token:
        print("kiosk: 请给出大厅地址和看板令牌：--hall URL --token T，或在 [board] 中设置", file=sys.stderr)
        return 2
    from kiosk.board.app import make_board_app  # Textual loads only when the board is about to be shown
    from kiosk.board.hall import HallBoard

    board = HallBoard(hall, token, station, ca_file=all_settings.sync.ca_file)  # the city's CA, as the kiosks'
    make_board_app(board, settings.poll_seconds).run()
    return 0
