"""The ``kiosk`` command: run the kiosk, run the demo, inspect the catalog.

    kiosk demo                       start with demo devices and a throw-away data folder
    kiosk run [--config PATH]        start with the configured devices and data folder
    kiosk reprint SERIAL             staff: print a saved receipt again (from its masked copy)
    kiosk catalog list [--json]      list every service item
    kiosk catalog search QUERY       search by Chinese text, pinyin initials or item code
    kiosk catalog validate PATH      check a catalog folder or file and report every problem
    kiosk devices ports [--json]     list this machine's serial ports
    kiosk devices read-card --port PORT [--baud B] [--timeout S] [--json] [--unmasked]
                                     wait for an ID card on the reader and print what it holds
    kiosk devices print-test --printer URI [--mode native|raster]
    kiosk devices print-sample receipt|ticket|notice --printer URI [--mode native|raster]
    kiosk devices printer-status --printer URI [--json]
    kiosk devices scan --port PORT [--baud B] [--timeout S] [--json]
                                     wait for one scan and print the code
    kiosk enroll | sync now | sync status | simulate    the hall connection (see kiosk/sync_commands.py)
    kiosk pin technician | pin staff ID NAME [--badge CODE]   set PINs, kept as scrypt hashes (kiosk/pin_commands.py)
    kiosk hall serve | enroll-code | cases | advance ...  the reference central hall (see kiosk/hall/cli.py)
    kiosk i18n update | check        keep the translation catalogs in step with the code (kiosk/i18n_commands.py)

Exit codes: 0 done, 1 nothing found (no match, no card before the timeout), 2 bad settings, data, arguments
or a device error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import queue
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from config.settings import (
    Settings,
    SettingsError,
    StaffMember,
    default_config_path,
    find_config_file,
    load_settings,
)
from devices import DeviceError, IdentityCard
from kiosk import i18n_commands, pin_commands, sync_commands
from kiosk.catalog import CatalogError, ServiceItem, load_catalog
from kiosk.demo import DEMO_STAFF, DEMO_TECHNICIAN_PIN
from kiosk.hall import cli as hall_cli
from kiosk.identity import mask_id_number, mask_name
from offline_cache import CacheError, Store
from offline_cache.envelope import EnvelopeError
from offline_cache.hall_client import SyncError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # a technician's command answers in one line; the kiosk logs to a file
    try:
        return args.handler(args)
    except (SyncError, EnvelopeError):
        raise  # CacheErrors too, but one that reaches here is a bug (a command catches its own): the traceback
    except (SettingsError, CatalogError, CacheError, DeviceError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="政务服务自助终端 (government service kiosk)")
    parser.add_argument(
        "--config",
        type=Path,
        help="settings file (default: $KIOSK_CONFIG, then the platform config folder's kiosk.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the kiosk with the configured devices and data folder")
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="start with demo devices and a throw-away data folder")
    demo.add_argument("--data-dir", type=Path, help="keep the demo's data here instead of a new temporary folder")
    demo.set_defaults(handler=_demo)

    reprint = commands.add_parser("reprint", help="staff: print a saved receipt again, from its masked copy")
    reprint.add_argument("serial", help="the serial number (流水号) on the resident's screen or old receipt")
    reprint.set_defaults(handler=_reprint)

    catalog = commands.add_parser("catalog", help="list, search and validate the service catalog")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    listing = catalog_commands.add_parser("list", help="every item of the configured catalog")
    listing.add_argument("--json", action="store_true", help="print a JSON list of item objects")
    listing.set_defaults(handler=_catalog_list)
    search = catalog_commands.add_parser("search", help="search by Chinese text, pinyin initials or code")
    search.add_argument("query")
    search.add_argument("--json", action="store_true", help="print a JSON list of item objects")
    search.set_defaults(handler=_catalog_search)
    validate = catalog_commands.add_parser("validate", help="check a catalog folder or file")
    validate.add_argument("path", type=Path)
    validate.set_defaults(handler=_catalog_validate)
    devices = commands.add_parser("devices", help="find and test the attached hardware")
    device_commands = devices.add_subparsers(dest="device_command", required=True)
    ports = device_commands.add_parser("ports", help="list serial ports: device, description, VID:PID")
    ports.add_argument("--json", action="store_true")
    ports.set_defaults(handler=_devices_ports)
    read_card = device_commands.add_parser("read-card", help="wait for an ID card and print the record")
    read_card.add_argument("--port", required=True, help="serial port of the reader, e.g. /dev/ttyUSB0")
    read_card.add_argument("--baud", type=int, default=115200)
    read_card.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card (default 30)")
    read_card.add_argument("--json", action="store_true")
    read_card.add_argument("--unmasked", action="store_true", help="print names and numbers in full")
    read_card.add_argument("--photo-decoder", type=Path, help="a licensed WLT decoder library (libwlt2bmp.so)")
    read_card.set_defaults(handler=_devices_read_card)

    def printer_args(command: argparse.ArgumentParser) -> None:
        target = command.add_mutually_exclusive_group(required=True)
        target.add_argument("--preview", type=Path, help="write a PNG of the paper instead of printing")
        target.add_argument(
            "--printer",
            help="usb://VID:PID, serial:///dev/ttyS0?baudrate=9600, tcp://HOST:9100, file:///dev/usb/lp0 or sim://",
        )
        command.add_argument("--mode", choices=["native", "raster"], help="default: the settings' print_mode")

    print_test = device_commands.add_parser("print-test", help="print the technician's test page")
    printer_args(print_test)
    print_test.set_defaults(handler=_devices_print, kind="test")
    print_sample = device_commands.add_parser("print-sample", help="print a sample receipt, ticket or notice")
    print_sample.add_argument("kind", choices=["receipt", "ticket", "notice"])
    printer_args(print_sample)
    print_sample.set_defaults(handler=_devices_print)
    status = device_commands.add_parser("printer-status", help="ask the printer whether it is on line and has paper")
    status.add_argument("--printer", required=True)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_devices_printer_status)
    scan = device_commands.add_parser("scan", help="wait for one scan on a serial scanner and print the code")
    scan.add_argument("--port", required=True)
    scan.add_argument("--baud", type=int, default=9600)
    scan.add_argument("--timeout", type=float, default=30.0)
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(handler=_devices_scan)
    sync_commands.register(commands)
    pin_commands.register(commands)
    i18n_commands.register(commands)
    hall_cli.register(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    config_path = find_config_file(args.config, os.environ) or default_config_path()
    return _start(load_settings(args.config), demo=False, config_path=config_path)


def demo_settings(data_dir: Path) -> Settings:
    """Simulated devices, a sync that notices the local hall come and go within seconds, a demo technician PIN
    and one demo member of staff."""
    from kiosk.pin import hash_secret

    defaults = Settings().simulated(data_dir)
    staff_id, staff_name, staff_pin, staff_badge = DEMO_STAFF
    staff = StaffMember(
        id=staff_id, name=staff_name, pin_hash=hash_secret(staff_pin), badge_hash=hash_secret(staff_badge)
    )
    return defaults.model_copy(
        update={
            "access": defaults.access.model_copy(
                update={"technician_pin_hash": hash_secret(DEMO_TECHNICIAN_PIN), "staff": [staff]}
            ),
            "sync": defaults.sync.model_copy(
                update={
                    "backoff_base_seconds": 0.5,
                    "backoff_cap_seconds": 5.0,
                    "idle_poll_seconds": 5.0,
                    "case_status_seconds": 5.0,
                    "heartbeat_seconds": 30.0,
                }
            ),
        }
    )


def _demo(args: argparse.Namespace) -> int:
    from kiosk.hall.runner import HallServer
    from kiosk.sync_commands import enrol

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    settings = demo_settings(data_dir)
    _log_to(data_dir)
    hall = HallServer(data_dir / "hall.db")  # a local hall on a free loopback port
    hall.start()
    try:
        store = Store(data_dir / "kiosk.db")
        try:
            enrolment = store.enrolment()
            if enrolment is None or enrolment.url != hall.url:
                enrol(store, settings, hall.url, hall.storage.new_enrolment_code())
        finally:
            store.close()
        return _start(settings, demo=True, config_path=data_dir / "kiosk.toml", demo_hall=hall)
    finally:
        hall.stop()


def _log_to(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        force=True,
        filename=data_dir / "kiosk.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


RESTARTS_ALLOWED = 5
RESTART_WINDOW_SECONDS = 600.0


def _start(settings: Settings, demo: bool, config_path: Path, demo_hall=None) -> int:
    """Run the kiosk's UI; after a failure of its own (exit status ``CRASH_EXIT``) start it again in this
    process, with fresh services and devices, showing the next person a calm notice. More than
    ``RESTARTS_ALLOWED`` failures within ``RESTART_WINDOW_SECONDS`` end the process with ``CRASH_EXIT``, for the
    supervisor (systemd) to restart it or a technician to look."""
    from kiosk.app import CRASH_EXIT, make_app  # Textual is imported only when a screen is about to be shown
    from kiosk.services import build_services

    log = logging.getLogger("kiosk")
    failures: list[float] = []
    while True:
        services = build_services(settings)
        services.config_path = config_path
        _log_to(services.data_dir)
        try:
            app = make_app(services, demo=demo, demo_hall=demo_hall)
            app.run()
        finally:
            services.close()
        if app.return_code != CRASH_EXIT:
            break
        now = time.monotonic()
        failures = [t for t in failures if now - t < RESTART_WINDOW_SECONDS] + [now]
        if len(failures) > RESTARTS_ALLOWED:
            log.critical(
                "%d failures within %.0f s: stopping for the supervisor", len(failures), RESTART_WINDOW_SECONDS
            )
            print("kiosk: 反复出错，已停止；详情见日志", services.data_dir / "kiosk.log", file=sys.stderr)
            return CRASH_EXIT
        log.warning(
            "starting the kiosk's UI again after a failure (%d in the last %.0f s)",
            len(failures),
            RESTART_WINDOW_SECONDS,
        )
    if demo:
        print(f"演示数据保存在 {services.data_dir}，打印出的回执图片在 {services.data_dir / 'receipts'}")
    return 0


def _reprint(args: argparse.Namespace) -> int:
    from kiosk.serial_number import SerialNumberError
    from kiosk.services import build_services

    services = build_services(load_settings(args.config))
    try:
        outcome = services.reprint_receipt(args.serial)
    except SerialNumberError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    finally:
        services.devices.close()
        services.store.close()
    if not outcome.printed:
        print(f"kiosk: {outcome.message}", file=sys.stderr)
        return 1
    print(f"已补打回执 {args.serial}")
    return 0


def _print_items(items: list[ServiceItem], as_json: bool) -> None:
    if as_json:
        print(json.dumps([item.summary() for item in items], ensure_ascii=False, indent=2))
        return
    for item in items:
        print(f"{item.code}  {item.kind.value}  {item.time_limit_label:<8}  {item.department}  {item.name}")


def _catalog_list(args: argparse.Namespace) -> int:
    _print_items(list(load_catalog(load_settings(args.config).catalog.path)), args.json)
    return 0


def _catalog_search(args: argparse.Namespace) -> int:
    found = load_catalog(load_settings(args.config).catalog.path).search(args.query)
    _print_items(found, args.json)
    if not found and not args.json:
        print(f"没有找到与“{args.query}”相关的事项", file=sys.stderr)
    return 0 if found else 1


def _catalog_validate(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.path)
    print(f"{args.path}: {len(catalog)} items from {len(catalog.departments)} departments, all valid")
    return 0


def _devices_ports(args: argparse.Namespace) -> int:
    from kiosk.technician import serial_ports

    found = serial_ports()
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif not found:
        print("没有找到串口。USB 读卡器请检查连线，并用 dmesg 查看是否识别。", file=sys.stderr)
    for port in [] if args.json else found:
        print(f"{port['device']:<16} {port['vid_pid'] or '-':<10} {port['description']}")
    return 0 if found else 1


def _devices_read_card(args: argparse.Namespace) -> int:
    from devices import CardPlaced, CardReadFailed, ReaderConnected, ReaderFault
    from devices.idcard.photo import PhotoDecoder
    from devices.idcard.reader import SerialCardReader

    decoder = PhotoDecoder(args.photo_decoder) if args.photo_decoder else None
    reader = SerialCardReader(args.port, args.baud, poll_interval=0.1, photo_decoder=decoder)
    with contextlib.closing(_events_within(reader, args.timeout)) as events:
        for event in events:
            match event:
                case ReaderConnected() if not args.json:
                    print(f"读卡器已连接（{args.port}），请放卡…", file=sys.stderr)
                case ReaderFault(reason):
                    print(f"kiosk: {reason}", file=sys.stderr)
                    return 2
                case CardReadFailed(reason):
                    print(f"kiosk: 读卡失败：{reason}", file=sys.stderr)
                    return 2
                case CardPlaced(card):
                    _print_card(card_record(card, masked=not args.unmasked), args.json)
                    return 0
    print(f"kiosk: {args.timeout:g} 秒内没有读到卡", file=sys.stderr)
    return 1


def _events_within(device, timeout: float):
    """Start a device, yield its events for ``timeout`` seconds, stop it (also when the caller stops early)."""
    events: queue.Queue = queue.Queue()
    device.start(events.put)
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                yield events.get(timeout=left)
            except queue.Empty:
                return
    finally:
        device.stop()


def card_record(card: IdentityCard, masked: bool) -> dict[str, str]:
    """The card as the technician CLI prints it; masked for screen and paper unless asked otherwise."""
    record = {
        "type": card.card_type,
        "name": mask_name(card.name) if masked else card.name,
        "sex": card.sex,
        "ethnicity": card.ethnicity,
        "birth_date": f"{card.birth_date:%Y}-**-**" if masked else card.birth_date.isoformat(),
        "address": (card.address[:6] + "****" if card.address else "") if masked else card.address,
        "id_number": mask_id_number(card.id_number) if masked else card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from.isoformat(),
        "valid_to": card.valid_to.isoformat() if card.valid_to else "长期",
        "photo": "decoded 102x126 BMP" if card.portrait else ("raw WLT, no decoder" if card.photo else "none"),
    }
    if card.card_type == "hmt_permit":
        record["pass_number"] = mask_id_number(card.pass_number) if masked else card.pass_number
        record["issue_count"] = card.issue_count
    if card.card_type in ("foreign_old", "foreign_2023"):
        record["english_name"] = mask_name(card.english_name) if masked else card.english_name
        record["nationality"] = card.nationality
    return record


def _print_card(record: dict[str, str], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        for key, value in record.items():
            print(f"{key:<12} {value}")


def _printer(args: argparse.Namespace):
    """The printer the arguments name, and the simulator behind it for ``sim://``."""
    from devices.factory import paper_settings
    from devices.printer.escpos_printer import EscposPrinter
    from devices.printer.simulator import PrinterSimulator

    devices = load_settings(args.config).devices
    if getattr(args, "mode", None):
        devices = devices.model_copy(update={"print_mode": args.mode})
    paper = paper_settings(devices)
    if args.printer.startswith("sim://"):
        simulator = PrinterSimulator(paper.width_mm, paper.font_path).start()
        return EscposPrinter(simulator.uri, paper), simulator
    return EscposPrinter(args.printer, paper), None


def _devices_print(args: argparse.Namespace) -> int:
    from devices import PrinterError
    from devices.factory import paper_settings
    from devices.printer.render import draw
    from kiosk.paper import printer_test_page

    settings = load_settings(args.config)
    devices = settings.devices.model_copy(update={"print_mode": args.mode}) if args.mode else settings.devices
    paper = paper_settings(devices)
    now = datetime.now()
    if args.kind == "test":
        qr = "打印机绘制" if paper.native_qr else "图像"
        target = args.printer or "preview"
        document = printer_test_page(settings.station.name, target, f"{paper.width_mm}mm · {paper.mode} · QR {qr}", now)
    else:
        document = _sample(args.kind, settings, now)
    if args.preview:
        draw(document, paper).save(args.preview)
        print(f"预览图：{args.preview}")
        return 0
    printer, simulator = _printer(args)
    try:
        printer.print_document(document)
    except PrinterError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    finally:
        if simulator is not None:
            simulator.stop()
    if simulator is not None:
        print(f"已打印到模拟打印机：{simulator.jobs[-1].picture if simulator.jobs else '（无）'}")
    else:
        print(f"已发送到 {args.printer}")
    return 0


def _sample(kind: str, settings: Settings, now: datetime):
    from devices.samples import WANG_XIUYING
    from kiosk.paper import application_receipt, one_time_notice, queue_ticket
    from kiosk.queue import CATEGORIES, QueueTicket
    from kiosk.serial_number import SerialNumber
    from offline_cache import StoredSubmission

    station = settings.station
    catalog = load_catalog(settings.catalog.path)
    if kind == "ticket":
        return queue_ticket(QueueTicket(CATEGORIES[0], 1, now, priority=True), 0, station.name)
    if kind == "notice":
        item = catalog["MZ0001"]
        return one_time_notice(item, catalog.members_of(item), station.name, station.hotline)
    facts = {
        "item_code": "MZ0001",
        "item_name": catalog["MZ0001"].name,
        "applicant": mask_name(WANG_XIUYING.name),
        "number": mask_id_number(WANG_XIUYING.id_number),
        "materials": ["居民身份证"],
        "delivery": "window",
        "promised_days": 0,
        "expected": now.date().isoformat(),
        "expected_is_estimate": False,
        "decision": "样例回执，非真实业务",
    }
    serial = str(SerialNumber.issue(station.id, now.date(), 1))
    return application_receipt(
        StoredSubmission("sample", serial, "MZ0001", "", now, "sample", facts), station.name, station.hotline
    )


def _devices_printer_status(args: argparse.Namespace) -> int:
    from devices import PrinterError

    printer, simulator = _printer(args)
    try:
        status = printer.status()
    except PrinterError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    finally:
        if simulator is not None:
            simulator.stop()
    if args.json:
        print(json.dumps({"online": status.online, "paper": status.paper, "text": status.text}, ensure_ascii=False))
    else:
        print(status.text)
    return 0 if status.online is not False and status.paper not in ("out",) else 1


def _devices_scan(args: argparse.Namespace) -> int:
    from devices import CodeScanned, ScannerConnected, ScannerFault
    from devices.scanner.serial_scanner import SerialScanner

    with contextlib.closing(_events_within(SerialScanner(args.port, args.baud), args.timeout)) as events:
        for event in events:
            match event:
                case ScannerConnected() if not args.json:
                    print(f"扫码枪已连接（{args.port}），请扫码…", file=sys.stderr)
                case ScannerFault(reason):
                    print(f"kiosk: {reason}", file=sys.stderr)
                    return 2
                case CodeScanned(code):
                    print(json.dumps({"code": code}, ensure_ascii=False) if args.json else code)
                    return 0
    print(f"kiosk: {args.timeout:g} 秒内没有扫到码", file=sys.stderr)
    return 1
