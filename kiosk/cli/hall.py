"""The ``kiosk hall`` commands: run the reference central hall and do its staff's work from a shell.

    kiosk hall serve --db PATH|URL [--keys FILE] [--host 127.0.0.1] [--port 8700] [--catalog DIR] [--workers N]
                     [--silent-minutes 15] [--tls-cert FILE [--tls-key FILE]]
    kiosk hall enroll-code --db PATH            a single-use code for a technician's ``kiosk enroll``
    kiosk hall staff-token --db PATH            a bearer token for the staff endpoints
    kiosk hall staff-account USER --name NAME [--role window|supervisor] [--password-stdin] --db PATH
                                                a sign-in for the staff console at /console
    kiosk hall cases --db PATH [--json]         every case, newest first
    kiosk hall advance SERIAL --db PATH [--note TEXT]
    kiosk hall fleet --db PATH [--json]         the enrolled kiosks and their latest heartbeat
    kiosk hall holidays import FILE | list      the holiday table (kiosk.cli.hall_holidays)
    kiosk hall call | queue | recall | skip | hold | resume | board-token | queue-rule   (kiosk.cli.hall_queue)

``--db`` is a SQLite file or a ``postgresql://`` URL; ``--keys`` the hall's key file (beside a SQLite file unless
given; with PostgreSQL it or ``KIOSK_HALL_KEYS`` is required). The database and its folders are made on first use.
Exit codes: 0 done, 1 no such case, 2 the case is at its last stage already, or the database or port cannot be
used.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import ssl
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from kiosk.cli import hall_holidays, hall_queue, hall_services
from kiosk.hall.backends import DB_VARIABLE, KEYS_VARIABLE, SILENT_VARIABLE, open_storage, shown
from kiosk.hall.sqlite_storage import SqlHallStorage
from kiosk.hall.storage import CaseFinished, HallError, NotFound, clock_note


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``hall`` and its subcommands to the ``kiosk`` command's subparsers."""
    hall = commands.add_parser("hall", help="the reference central hall that kiosks sync to")
    hall_commands = hall.add_subparsers(dest="hall_command", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace], int], summary: str) -> argparse.ArgumentParser:
        parser = hall_commands.add_parser(name, help=summary)
        add_database_options(parser)
        parser.set_defaults(handler=handler)
        return parser

    serve = command("serve", _serve, "serve the hall's API until Ctrl+C")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8700, help="port to listen on (default 8700)")
    serve.add_argument("--catalog", type=Path, help="catalog folder for a new hall (default: the shipped sample)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes on one database (default 1; several: PostgreSQL)"
    )
    serve.add_argument(
        "--silent-minutes",
        type=float,
        default=15.0,
        help="the console flags a kiosk not heard from for this long (default 15; heartbeats come every 5)",
    )
    serve.add_argument(
        "--tls-cert",
        type=Path,
        help="serve https with this certificate (PEM, the chain after it; the key too, unless --tls-key): kiosks"
        " verify it against their sync.ca_file and keep to the one they enrolled with, so re-enrol them after"
        " changing it",
    )
    serve.add_argument("--tls-key", type=Path, help="the private key of --tls-cert (PEM), if not in its file")
    command("enroll-code", _enroll_code, "print a new single-use enrolment code")
    command("staff-token", _staff_token, "print a new staff token")
    account = command("staff-account", _staff_account, "add a console account, or reset one's password and role")
    account.add_argument("username", help="lower-case letters, digits and . _ -")
    account.add_argument("--name", required=True, help="the person's name, shown in case histories")
    account.add_argument("--role", choices=("window", "supervisor"), default="window", help="default: window")
    account.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cases = command("cases", _cases, "list every case, newest first")
    cases.add_argument("--json", action="store_true", help="print a JSON list of case objects")
    advance = command("advance", _advance, "move a case to its next stage (申请 → 受理 → 审核 → 审批 → 发证)")
    advance.add_argument("serial", help="the serial number (流水号) on the resident's receipt")
    advance.add_argument("--note", default="", help="a note for the case's history")
    fleet = command("fleet", _fleet, "list the enrolled kiosks and their latest heartbeat")
    fleet.add_argument("--json", action="store_true", help="print a JSON list of kiosk objects")
    hall_services.register(command)
    hall_queue.register(command, open_hall)
    hall_holidays.register(hall_commands)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", required=True, help="the hall's database: a SQLite file (made on first use) or a postgresql:// URL"
    )
    parser.add_argument(
        "--keys",
        type=Path,
        help="the hall's key file (made on first use; default: beside a SQLite file; required with PostgreSQL"
        " unless KIOSK_HALL_KEYS is set)",
    )


def open_hall(args: argparse.Namespace) -> SqlHallStorage:
    """The storage ``--db`` and ``--keys`` name, for one command to close. Raises :class:`HallError` saying why it
    cannot be opened (the command line prints it and exits 2)."""
    try:
        return open_storage(args.db, args.keys)
    except (sqlite3.Error, OSError) as exc:
        raise HallError(f"大厅数据库 {args.db} 无法使用：{exc}") from exc


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kiosk.catalog import load_catalog
    from kiosk.hall.app import create_app
    from kiosk.hall.holidays import seed_holidays
    from kiosk.hall.runner import listening_socket

    if problem := _tls_problem(args.tls_cert, args.tls_key):
        print(f"kiosk: {problem}", file=sys.stderr)
        return 2
    with closing(open_hall(args)) as storage:
        storage.seed_catalog(load_catalog(args.catalog))
        seed_holidays(storage)
        try:
            sock = listening_socket(args.host, args.port)
        except OSError as exc:
            print(f"kiosk: 无法在 {args.host}:{args.port} 监听：{exc.strerror}", file=sys.stderr)
            return 2
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        workers = f"，{args.workers} 个进程" if args.workers > 1 else ""
        scheme = "https" if args.tls_cert else "http"
        print(f"大厅已启动：{scheme}://{host}:{port}（数据库 {shown(args.db)}{workers}，Ctrl+C 结束）", flush=True)
        try:
            if args.workers > 1:
                _serve_workers(args, port, sock)
            else:
                app = create_app(storage, args.silent_minutes)
                config = uvicorn.Config(
                    app,
                    host=args.host,
                    port=port,
                    log_level="warning",
                    ssl_certfile=args.tls_cert,
                    ssl_keyfile=args.tls_key,
                )
                uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn shuts down gracefully, then raises the Ctrl+C again for its caller
            pass
        print("大厅已停止")
    return 0


def _serve_workers(args: argparse.Namespace, port: int, sock) -> None:
    """uvicorn's worker processes on the one listening socket, each opening the storage itself
    (:func:`kiosk.hall.app.app_from_environment`): nothing a request needs is kept in a worker's memory."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[DB_VARIABLE] = args.db
    os.environ[KEYS_VARIABLE] = str(args.keys or "")
    os.environ[SILENT_VARIABLE] = str(args.silent_minutes)
    factory = "kiosk.hall.app:app_from_environment"
    config = uvicorn.Config(
        factory,
        factory=True,
        host=args.host,
        port=port,
        workers=args.workers,
        log_level="warning",
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
    )
    Multiprocess(config, sockets=[sock]).run()


def _tls_problem(cert: Path | None, key: Path | None) -> str:
    """Why the certificate and key cannot be served (said before the hall starts, not in uvicorn's traceback)."""
    if cert is None:
        return "--tls-key 要和 --tls-cert 一起用" if key is not None else ""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return f"证书 {cert}{f' 或私钥 {key}' if key else ''} 无法使用：{exc}"
    return ""


def _enroll_code(args: argparse.Namespace) -> int:
    with closing(open_hall(args)) as storage:
        print(storage.new_enrolment_code())
    return 0


def _staff_token(args: argparse.Namespace) -> int:
    with closing(open_hall(args)) as storage:
        print(storage.new_staff_token())
    return 0


def _staff_account(args: argparse.Namespace) -> int:
    from kiosk.hall.console.accounts import add_account

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输一遍：") != password:
            print("kiosk: 两次输入的密码不一样", file=sys.stderr)
            return 2
    with closing(open_hall(args)) as storage:
        added = add_account(storage, args.username, args.name, args.role, password)
    print(f"{'已添加' if added else '已更新'}工作台账号 {args.username}：在大厅地址后加 /console 登录")
    return 0


def _cases(args: argparse.Namespace) -> int:
    with closing(open_hall(args)) as storage:
        cases = storage.cases()
    if args.json:
        print(json.dumps(cases, ensure_ascii=False, indent=2))
    elif not cases:
        print("大厅还没有收到申请")
    for case in [] if args.json else cases:
        print(
            f"{case['case_number']}  {case['serial']:<22}  {case['stage']}  {case['kiosk']:<8}  "
            f"{case['received_at']}  {case['item']} {case['item_name']}"
        )
    return 0


def _advance(args: argparse.Namespace) -> int:
    with closing(open_hall(args)) as storage:
        try:
            case = storage.advance(args.serial, args.note, by="命令行")
        except NotFound as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 1
        except CaseFinished as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
    print(f"{case.serial}（{case.case_number}）已推进到「{case.stage}」")
    return 0


def _fleet(args: argparse.Namespace) -> int:
    with closing(open_hall(args)) as storage:
        kiosks = storage.fleet()
    if args.json:
        print(json.dumps(kiosks, ensure_ascii=False, indent=2))
    elif not kiosks:
        print("还没有登记的自助终端")
    for kiosk in [] if args.json else kiosks:
        beat = kiosk["heartbeat"]
        devices = ", ".join(f"{name} {d['state']}" for name, d in beat["devices"].items()) if beat else "无心跳"
        pending = f"待传 {beat['pending']}" if beat else ""
        seen = kiosk["last_seen"] or "从未"
        clock = clock_note(kiosk["clock_skew_seconds"])
        print(f"{kiosk['station_id']:<8}  {kiosk['name']}  最近联系 {seen}  {pending}  {devices}  {clock}".rstrip())
    return 0
