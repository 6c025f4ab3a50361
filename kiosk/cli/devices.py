"""``kiosk devices …`` and ``kiosk reprint``: a technician's checks of the reader, printer and scanner, each in
one line of output and an exit code, and staff reprinting a saved receipt."""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import sys
import time
from datetime import datetime
from pathlib import Path

from config.settings import Settings, load_settings
from devices import IdentityCard
from kiosk.catalog import load_catalog
from kiosk.identity import mask_id_number, mask_name


def register(commands: argparse._SubParsersAction) -> None:
    reprint = commands.add_parser("reprint", help="staff: print a saved receipt again, from its masked copy")
    reprint.add_argument("serial", help="the serial number (流水号) on the resident's screen or old receipt")
    reprint.set_defaults(handler=_reprint)

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
    _register_printer(device_commands)
    scan = device_commands.add_parser("scan", help="wait for one scan on a serial scanner and print the code")
    scan.add_argument("--port", required=True)
    scan.add_argument("--baud", type=int, default=9600)
    scan.add_argument("--timeout", type=float, default=30.0)
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(handler=_devices_scan)


def _register_printer(device_commands: argparse._SubParsersAction) -> None:
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
    reader = SerialCardReader(args.port, args.baud, photo_decoder=decoder)
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
