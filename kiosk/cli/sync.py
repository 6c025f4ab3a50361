"""``kiosk enroll | sync now | sync status | simulate``: the hall connection, for a technician.

    kiosk enroll URL CODE [--db PATH]     enrol this kiosk with a hall using a single-use code from its staff
    kiosk sync now [--db PATH] [--json]   send everything waiting now; exit 1 if something still waits
    kiosk sync status [--db PATH] [--json]
    kiosk simulate [--db PATH] --residents N [--seed S] [--jsonl]

``--db`` is the kiosk's database (default: ``kiosk.db`` in the configured data folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.settings import Settings, load_settings
from kiosk.enrolment import EnrolmentFailed, enrol_checked
from offline_cache import Store
from offline_cache.sync import SyncEngine, SyncStatus


def register(commands: argparse._SubParsersAction) -> None:
    def db_arg(command: argparse.ArgumentParser) -> None:
        command.add_argument("--db", type=Path, help="the kiosk's database (default: kiosk.db in the data folder)")

    enroll = commands.add_parser("enroll", help="enrol this kiosk with a hall (technician)")
    enroll.add_argument("url", help="the hall's address, e.g. http://hall.example:8700")
    enroll.add_argument("code", help="a single-use enrolment code from the hall's staff (kiosk hall enroll-code)")
    db_arg(enroll)
    enroll.set_defaults(handler=_enroll)

    sync = commands.add_parser("sync", help="the connection to the hall")
    sync_commands = sync.add_subparsers(dest="sync_command", required=True)
    now = sync_commands.add_parser("now", help="send everything waiting now; exit 1 if something still waits")
    status = sync_commands.add_parser("status", help="what waits for the hall and whether the hall answers")
    for command, handler in ((now, _sync_now), (status, _sync_status)):
        db_arg(command)
        command.add_argument("--json", action="store_true", help="print one JSON object")
        command.set_defaults(handler=handler)

    simulate = commands.add_parser("simulate", help="burn-in: simulated residents file while sync runs")
    db_arg(simulate)
    simulate.add_argument("--residents", type=int, required=True, help="how many residents to run through")
    simulate.add_argument("--seed", type=int, help="random seed, for a repeatable run")
    simulate.add_argument("--jsonl", action="store_true", help="one JSON line per committed submission")
    simulate.add_argument("--drain-seconds", type=float, default=60.0, help="how long to wait for the upload")
    simulate.set_defaults(handler=_simulate)


def _db(args: argparse.Namespace, settings: Settings) -> Path:
    return args.db or settings.storage.resolved_data_dir() / "kiosk.db"


def _enroll(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = Store(_db(args, settings))
    try:
        enrolment = enrol_checked(store, settings, args.url, args.code)
    except EnrolmentFailed as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"已登记到 {enrolment.url}，本机编号 {enrolment.kiosk_id}（站点 {enrolment.station_id}）")
    if enrolment.hall_certificate_sha256:  # for the technician to hold against the hall's certificate file
        print(f"大厅证书的 SHA-256 指纹：{enrolment.hall_certificate_sha256}（大厅换证书后须重新登记本机）")
    return 0


def _print_status(status: SyncStatus, as_json: bool) -> None:
    if as_json:
        print(json.dumps(status.as_dict(), ensure_ascii=False))
        return
    if not status.enrolled:
        print("本机尚未登记到大厅（kiosk enroll URL CODE）")
        return
    age = f"，最早的已等 {status.oldest_pending_age_s:.0f} 秒" if status.oldest_pending_age_s is not None else ""
    connection = "已暂停，需重新登记" if status.paused else "在线" if status.online else "离线"
    print(f"大厅 {status.hall_url}：{connection}")
    print(f"待上传 {status.pending} 件{age}；大厅已收到 {status.acknowledged} 件；被退回 {status.quarantined} 件")
    if status.pending_evaluations:
        print(f"待上传评价 {status.pending_evaluations} 条")
    if status.last_error:
        print(f"最近的错误：{status.last_error}")


def _sync_now(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = Store(_db(args, settings))
    try:
        if store.enrolment() is None:
            print("kiosk: 本机尚未登记到大厅（kiosk enroll URL CODE）", file=sys.stderr)
            return 2
        store.outbox.release(datetime.now(UTC).timestamp())  # a technician's "now" overrides every backoff
        status = SyncEngine(store, settings.sync).sync_once()
    finally:
        store.close()
    _print_status(status, args.json)
    if status.paused:
        return 2
    return 0 if status.pending == 0 and status.pending_evaluations == 0 else 1


def _sync_status(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = Store(_db(args, settings))
    try:
        status = SyncEngine(store, settings.sync).probe()
    finally:
        store.close()
    _print_status(status, args.json)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from kiosk.burnin import Simulation
    from kiosk.services import build_services

    if args.residents < 0:
        print("kiosk: --residents must be 0 or more", file=sys.stderr)
        return 2
    settings = load_settings(args.config)
    db = _db(args, settings)
    services = build_services(settings.simulated(db.parent), db_path=db)
    try:
        if services.store.enrolment() is None:
            print("kiosk: 本机尚未登记到大厅（kiosk enroll URL CODE --db ...）", file=sys.stderr)
            return 2
        summary = Simulation(services, args.seed, sys.stdout, args.jsonl).run(args.residents, args.drain_seconds)
    finally:
        services.close()
    print(json.dumps(summary, ensure_ascii=False) if args.jsonl else _summary_text(summary), flush=True)
    return 0 if summary["drained"] else 1


def _summary_text(summary: dict) -> str:
    return (
        f"提交 {summary['submitted']} 件，打印 {summary['printed']} 张，评价 {summary['rated']} 条；"
        f"大厅已收到 {summary['acknowledged']} 件，待上传 {summary['pending']} 件，被退回 {summary['quarantined']} 件"
    )
