"""The ``kiosk`` command: run the kiosk, run the demo, inspect the catalog.

    kiosk demo                       start with demo devices and a throw-away data folder
    kiosk run [--config PATH]        start with the configured devices and data folder
    kiosk catalog list [--json]      list every service item
    kiosk catalog search QUERY       search by Chinese text, pinyin initials or item code
    kiosk catalog validate PATH      check a catalog folder or file and report every problem

Exit codes: 0 done, 1 nothing found, 2 bad settings, data or arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from config.settings import Settings, SettingsError, StorageSettings, load_settings
from kiosk.catalog import CatalogError, ServiceItem, load_catalog
from offline_cache import CacheError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (SettingsError, CatalogError, CacheError) as exc:
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
    return parser


def _run(args: argparse.Namespace) -> int:
    return _start(load_settings(args.config), demo=False)


def _demo(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    settings = Settings().model_copy(update={"storage": StorageSettings(data_dir=data_dir)})
    return _start(settings, demo=True)


def _start(settings: Settings, demo: bool) -> int:
    from kiosk.app import make_app  # Textual is imported only when a screen is about to be shown
    from kiosk.services import build_services

    services = build_services(settings)
    logging.basicConfig(
        filename=services.data_dir / "kiosk.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    make_app(services, demo=demo).run()
    if demo:
        print(f"演示数据和回执保存在 {services.data_dir}")
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
