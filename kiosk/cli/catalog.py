"""``kiosk catalog list | search | validate | pinyin``: the service catalog, for staff and whoever maintains it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config.settings import load_settings
from kiosk.catalog import ServiceItem, load_catalog, write_readings


def register(commands: argparse._SubParsersAction) -> None:
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
    readings = catalog_commands.add_parser(
        "pinyin", help="work out the pinyin keys of a catalog's names into its pinyin.json (after changing names)"
    )
    readings.add_argument("path", type=Path, nargs="?", help="a catalog folder or file (default: the configured one)")
    readings.set_defaults(handler=_catalog_pinyin)


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


def _catalog_pinyin(args: argparse.Namespace) -> int:
    written = write_readings(args.path or load_settings(args.config).catalog.path)
    print(f"wrote {written}")
    return 0
