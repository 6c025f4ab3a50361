"""``kiosk hall call | queue | recall | skip | hold | resume | board-token | queue-rule``: the windows' work on the
queue from a shell, the display boards' tokens and the calling rule (registered by :mod:`kiosk.cli.hall`).

    kiosk hall call WINDOW [CATEGORY] --db PATH [--station S]     finish the window's ticket, call the next
    kiosk hall queue --db PATH [--station S] [--json]             today's line
    kiosk hall recall|skip|hold|resume CODE --db PATH [--station S]
    kiosk hall board-token --db PATH                              a token that reads the board and nothing else
    kiosk hall queue-rule --db PATH [--head-start MIN] [--max-wait MIN]

Exit codes: 0 done, 1 nobody waiting or no such ticket, 2 the ticket's status does not allow it, several stations
issue tickets (name one), or the database cannot be used.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from functools import partial

from kiosk.hall.queue_models import QueueRuleView, TicketView
from kiosk.hall.storage import HallStorage, NotFound, QueueConflict, Rejected
from kiosk.queue_rule import QueueRule

Command = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
Open = Callable[[argparse.Namespace], HallStorage]

_ACTIONS = {
    "recall": "call a called ticket again to its window",
    "skip": "the called ticket's holder did not come (过号)",
    "hold": "take a ticket out of the line for now (暂停)",
    "resume": "put a held ticket back into the line at its old place",
}
_WINDOW = re.compile(r"^[0-9A-Z]{1,4}$")
_CATEGORY = re.compile(r"^[A-Z]$")
_CODE = re.compile(r"^[A-Z][0-9]{3,4}$")
_STATUS = {"waiting": "等候", "called": "已叫号", "held": "暂停", "skipped": "过号", "done": "已办完"}


def register(command: Command, open_storage: Open) -> None:
    call = command("call", partial(_call, open_storage), "finish a window's ticket and call the next by the rule")
    call.add_argument("window", help="the window's number or short label, e.g. 5")
    call.add_argument("category", nargs="?", help="call only this category's tickets (A, B, C, D)")
    queue = command("queue", partial(_queue, open_storage), "today's queue: called, waiting in call order, held")
    queue.add_argument("--json", action="store_true", help="print the line as JSON")
    for parser in (call, queue):
        _station_option(parser)
    for action, summary in _ACTIONS.items():
        act = command(action, partial(_act, open_storage, action), summary)
        act.add_argument("code", help="the ticket's code, e.g. A003")
        _station_option(act)
    command("board-token", partial(_board_token, open_storage), "print a new token for a display board")
    rule = command("queue-rule", partial(_rule, open_storage), "show or set the calling rule's two numbers")
    rule.add_argument("--head-start", type=int, help="minutes a priority ticket counts as having waited longer")
    rule.add_argument("--max-wait", type=int, help="minutes after which nobody who came later is called first")


def _station_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--station", help="whose tickets (the issuing kiosk); needed when several issue today")


def _ticket(view: TicketView) -> str:
    marks = [mark for mark, wanted in (("预约", view.appointment), ("优先", view.priority)) if wanted]
    return view.code + (f"（{'，'.join(marks)}）" if marks else "")


def _run(open_storage: Open, args: argparse.Namespace, work: Callable[[HallStorage], int]) -> int:
    with closing(open_storage(args)) as storage:
        try:
            return work(storage)
        except NotFound as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 1
        except (QueueConflict, Rejected) as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2


def _call(open_storage: Open, args: argparse.Namespace) -> int:
    if not _WINDOW.match(args.window) or (args.category and not _CATEGORY.match(args.category)):
        print("kiosk: 窗口写成 1-4 位大写字母或数字（如 5、B2），类别写成一个大写字母（如 A）", file=sys.stderr)
        return 2

    def work(storage: HallStorage) -> int:
        answer = storage.call_next(args.window, args.category, args.station)
        if answer.finished is not None:
            print(f"{answer.finished.code} 已办完")
        if answer.ticket is None:
            print(f"没有人在等候{f'（{args.category} 类）' if args.category else ''}")
            return 1
        print(f"请 {_ticket(answer.ticket)} 到 {args.window} 号窗口（还有 {answer.waiting} 人等候）")
        return 0

    return _run(open_storage, args, work)


def _queue(open_storage: Open, args: argparse.Namespace) -> int:
    def work(storage: HallStorage) -> int:
        line = storage.queue_tickets(args.station)
        if args.json:
            print(json.dumps(line.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return 0
        rule = line.rule
        print(f"{line.station or '（今天还没有人取号）'}  {line.day}  {_rule_text(rule)}")
        for ticket in line.tickets:
            if ticket.status == "called":
                print(f"{ticket.window:>4} 号窗口  {_ticket(ticket)}  叫过 {ticket.calls} 次")
        for status in ("waiting", "held", "skipped"):
            tickets = [_ticket(t) for t in line.tickets if t.status == status]
            print(f"{_STATUS[status]} {len(tickets)}：{' '.join(tickets)}".rstrip("："))
        print(f"已办完 {sum(t.status == 'done' for t in line.tickets)}")
        return 0

    return _run(open_storage, args, work)


def _act(open_storage: Open, action: str, args: argparse.Namespace) -> int:
    if not _CODE.match(args.code):
        print(f"kiosk: {args.code} 不是排队号（应如 A003）", file=sys.stderr)
        return 2

    def work(storage: HallStorage) -> int:
        ticket = storage.ticket_action(action, args.code, args.station)  # type: ignore[arg-type]
        where = f"，{ticket.window} 号窗口" if ticket.status == "called" else ""
        print(f"{_ticket(ticket)}：{_STATUS[ticket.status]}{where}")
        return 0

    return _run(open_storage, args, work)


def _board_token(open_storage: Open, args: argparse.Namespace) -> int:
    def work(storage: HallStorage) -> int:
        print(storage.new_board_token())
        return 0

    return _run(open_storage, args, work)


def _rule(open_storage: Open, args: argparse.Namespace) -> int:
    def work(storage: HallStorage) -> int:
        rule = storage.queue_rule()
        if args.head_start is not None or args.max_wait is not None:
            changes = {"priority_head_start": args.head_start, "max_wait": args.max_wait}
            rule = replace(rule, **{k: v for k, v in changes.items() if v is not None})
            if not (0 <= rule.priority_head_start <= 240 and 0 <= rule.max_wait <= 600):
                print("kiosk: 优先提前 0-240 分钟，最长等候 0-600 分钟", file=sys.stderr)
                return 2
            storage.set_queue_rule(rule)
        print(_rule_text(rule))
        return 0

    return _run(open_storage, args, work)


def _rule_text(rule: QueueRule | QueueRuleView) -> str:
    return f"叫号规则：优先号提前 {rule.priority_head_start} 分钟；等满 {rule.max_wait} 分钟后不再被插队"
