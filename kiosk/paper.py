"""Every piece of paper the kiosk prints, laid out once as a device-independent :class:`PrintDocument`.

The printer back-ends turn a document into ESC/POS (native or raster), plain text or a PNG preview:

- :func:`application_receipt` — 回执: serial number and its QR, item, masked applicant, materials, delivery,
  promised limit with the expected date in working days, hotline; a second or later copy is marked 补打 at its
  top (and so is the :func:`mailing_slip` that follows it);
- :func:`queue_ticket` — 排队号: number, category, people ahead, time, QR;
- :func:`one_time_notice` — 一次性告知单: the whole guide of an item, so nobody has to come twice;
- :func:`printer_test_page` — the technician's printer test.

:func:`guide_sections` is the guide's content, shared by the guide screen and the notice; :func:`qr_rows`
draws on screen the same QR the paper carries.
"""

from __future__ import annotations

from datetime import date, datetime

from config.i18n import SOURCE_LANGUAGE, Translator, _, translator
from devices.document import Block, PrintDocument, Qr, Rule, Text, qr_rows
from kiosk.application import DELIVERY_LABELS
from kiosk.catalog import ServiceItem, working_days
from kiosk.queue import PeopleAhead, QueueTicket
from offline_cache import StoredSubmission

__all__ = [
    "application_receipt",
    "copy_mark",
    "guide_sections",
    "one_time_notice",
    "printer_test_page",
    "qr_rows",
    "queue_ticket",
]


def guide_sections(
    item: ServiceItem, members: list[ServiceItem], tr: Translator | None = None
) -> list[tuple[str, list[str]]]:
    """Every element of an item's guide (办事指南), as headed sections of plain lines, in ``tr``'s language
    (paper is printed in Simplified Chinese, the source language)."""
    tr = tr or translator(SOURCE_LANGUAGE)
    content = tr.content
    who = _("个人") if item.applicant == "person" else _("单位")
    head = [
        tr(_("事项编码 {code}　办理类型 {kind}　申请主体 {who}", code=item.code, kind=item.kind.value, who=who)),
        tr(_("实施部门 {department}", department=item.department)),
    ]
    if members:
        head.append(tr(_("一件事包含：{items}", items=tr.join(content(m.name) for m in members))))
    materials = []
    for n, m in enumerate(item.materials, 1):
        if m.copies > 1:
            line = _(
                "{n}. {name}（{form} {copies}份，{reuse}）",
                n=n,
                name=m.name,
                form=m.form,
                copies=m.copies,
                reuse=m.reuse.label,
            )
        else:
            line = _("{n}. {name}（{form}，{reuse}）", n=n, name=m.name, form=m.form, reuse=m.reuse.label)
        materials.append(tr(line) + (f" {content(m.note)}" if m.note else ""))
    limits = _(
        "承诺时限：{promised}　法定时限：{legal}", promised=item.time_limit_label, legal=working_days(item.legal_days)
    )
    sections = [
        ("", head),
        (_("申请对象"), [content(item.who_may_apply)]),
        (_("受理条件"), [f"{n}. {content(c)}" for n, c in enumerate(item.conditions, 1)]),
        (_("申请材料"), materials or [tr(_("无需提交材料"))]),
        (_("办理流程"), [" → ".join(content(step) for step in item.procedure)]),
        (_("办理时限"), [tr(limits)]),
        (_("收费"), [tr(_("{amount}（依据：{basis}）", amount=item.fee.amount, basis=item.fee.basis))]),
        (_("设定依据"), [content(basis) for basis in item.legal_basis]),
        (_("办理地点与时间"), [content(item.place), content(item.hours)]),
        (_("结果领取"), [tr.join(tr(DELIVERY_LABELS[d]) for d in item.delivery)]),
        (
            _("咨询与投诉"),
            [tr(_("咨询电话：{phone}　投诉电话：{complaint}", phone=item.phone, complaint=item.complaint_phone))],
        ),
    ]
    if item.online_url:
        sections.append((_("网上办理"), [item.online_url]))
    return [(tr(heading) if heading else "", lines) for heading, lines in sections]


def copy_mark(copy: int) -> list[Block]:
    """补打（第N份） for the ``copy``-th copy of a receipt, nothing for the first: when an earlier copy may be on
    paper, perhaps only half printed, the two must not both pass for the receipt."""
    return [Text(f"补打（第{copy}份）", align="center", large=True, bold=True)] if copy > 1 else []


def application_receipt(
    saved: StoredSubmission, station_name: str, hotline: str, payment_url: str = "", copy: int = 1
) -> PrintDocument:
    """The receipt of a saved submission, from its masked facts only, so a reprint needs nothing personal. With a
    fee to pay online, ``payment_url`` is printed as the payment QR; ``copy`` counts the copies that may be on
    paper with this one (see :func:`copy_mark`)."""
    m = saved.masked
    if m["promised_days"] == 0:
        expected = "当场办结"
    else:
        expected = f"{m['promised_days']}个工作日，预计 {date.fromisoformat(m['expected']):%Y年%m月%d日}"
        if m["expected_is_estimate"]:
            expected += "（按周末估算，以窗口通知为准）"
    blocks = [
        *copy_mark(copy),
        Text(station_name, align="center"),
        Text("办 事 回 执", align="center", large=True, bold=True),
        Rule(),
        Text("流水号", align="center"),
        Text(saved.serial, align="center", large=True, bold=True),
        Qr(saved.serial),
        Rule(),
        Text(f"事项：{m['item_name']}（{m['item_code']}）"),
        Text(f"申请人：{m['applicant']}  {m['number']}"),
        Text(f"已交材料：{'、'.join(m['materials']) or '无'}"),
    ]
    if reused := m.get("reused_materials"):
        blocks.append(Text(f"已存档复用：{'、'.join(reused)}（无需再交）"))
    if missing := m.get("missing_materials"):  # told at once, on paper too: nobody comes twice to learn it
        blocks.append(Text(f"待补材料：{'、'.join(missing)}（补齐后交窗口）", bold=True))
    if posted := m.get("materials_by_post"):
        blocks.append(Text(f"邮寄材料：{'、'.join(posted)}（随邮寄单免费寄出）", bold=True))
    blocks.append(Text(f"取件方式：{DELIVERY_LABELS.get(m['delivery'], m['delivery'])}"))
    if mail_to := m.get("mail_to"):
        blocks.append(Text(f"邮寄到：{mail_to['address']}（{mail_to['phone']}）"))
    blocks.append(Text(f"办理时限：{expected}"))
    if fee := m.get("fee"):
        blocks.append(Text(f"收费：{fee}"))
        if m.get("fee_cents") and payment_url:
            blocks += [Qr(payment_url), Text("扫码缴费（或到窗口缴费）", align="center")]
    if m["decision"]:
        blocks.append(Text(f"办理结果：{m['decision']}"))
    if agent := m.get("agent"):
        blocks += [Text(f"代办人：{agent['name']}（工号 {agent['id']}）"), Text(agent["consent"])]
    blocks += [
        Text(f"提交时间：{saved.created_at:%Y-%m-%d %H:%M}"),
        Rule(),
        Text("凭流水号可在自助机或窗口查询进度", align="center"),
        Text(f"咨询投诉热线：{hotline}", align="center"),
    ]
    return PrintDocument(name=f"receipt-{saved.serial}", blocks=tuple(blocks))


def mailing_slip(saved: StoredSubmission, station_name: str, address: str, copy: int = 1) -> PrintDocument:
    """邮寄单: cut out and post with the materials, free of charge; the serial and its QR tell the hall whose
    materials they are. It follows the receipt's ``copy`` and carries its mark."""
    m = saved.masked
    blocks = [
        *copy_mark(copy),
        Text("材 料 邮 寄 单", align="center", large=True, bold=True),
        Text("（邮费由政务服务中心承担）", align="center"),
        Rule(),
        Text("寄往：", bold=True),
        Text(address),
        Rule(),
        Text("流水号", align="center"),
        Text(saved.serial, align="center", large=True, bold=True),
        Qr(saved.serial),
        Text(f"事项：{m['item_name']}（{m['item_code']}）"),
        Text(f"申请人：{m['applicant']}"),
        Text("随单寄出：", bold=True),
        *[Text(f"  □ {name}") for name in m.get("materials_by_post", [])],
        Rule(),
        Text(f"{station_name} · {saved.created_at:%Y-%m-%d %H:%M}", align="center"),
    ]
    return PrintDocument(name=f"slip-{saved.serial}", blocks=tuple(blocks))


def queue_ticket(ticket: QueueTicket, people_ahead: int, station_name: str) -> PrintDocument:
    """排队号; an appointment's check-in is marked 预约, and a count made offline says it is this kiosk's."""
    marks = [mark for mark, wanted in (("预约", ticket.appointment), ("优先窗口", ticket.priority)) if wanted]
    lane = f"（{'，'.join(marks)}）" if marks else ""
    if isinstance(people_ahead, PeopleAhead) and not people_ahead.from_hall:
        ahead = f"前面约有 {people_ahead} 人（本机统计）"
    else:
        ahead = f"前面还有 {people_ahead} 人"
    return PrintDocument(
        name=f"ticket-{ticket.code}",
        blocks=(
            Text(station_name, align="center"),
            Text("排 队 号", align="center"),
            Text(ticket.code, align="center", large=True, bold=True),
            Text(f"{ticket.category.name}{lane}", align="center"),
            Text(ahead, align="center", bold=True),
            Rule(),
            Qr(ticket.qr_data),
            Text(f"取号时间：{ticket.issued_at:%Y-%m-%d %H:%M}", align="center"),
            Text("请留意叫号，过号请重新取号", align="center"),
        ),
    )


def one_time_notice(item: ServiceItem, members: list[ServiceItem], station_name: str, hotline: str) -> PrintDocument:
    """一次性告知单: what to bring and what happens, all at once, so nobody has to come twice."""
    blocks: list = [
        Text(station_name, align="center"),
        Text("一次性告知单", align="center", large=True, bold=True),
        Text(item.name, align="center", bold=True),
        Rule(),
    ]
    for heading, lines in guide_sections(item, members):
        if heading:
            blocks.append(Text(f"【{heading}】", bold=True))
        blocks += [Text(line) for line in lines]
    blocks += [Rule(), Text(f"服务热线：{hotline}", align="center")]
    return PrintDocument(name=f"notice-{item.code}", blocks=tuple(blocks))


def printer_test_page(station_name: str, printer: str, settings_line: str, now: datetime) -> PrintDocument:
    """What a technician prints to check a printer: sizes, Chinese text, rare characters, width, QR, cut."""
    return PrintDocument(
        name="test-page",
        blocks=(
            Text("打印测试页", align="center", large=True, bold=True),
            Text(station_name, align="center"),
            Rule(),
            Text(f"打印机：{printer}"),
            Text(settings_line),
            Text(f"时间：{now:%Y-%m-%d %H:%M:%S}"),
            Rule(),
            Text("中文：政务服务 一次办好"),
            Text("生僻字：䶮 堃 喆 玥 燚（native 模式可能缺字，raster 模式应完整）"),
            Text("粗体 Bold", bold=True),
            Text("0123456789" * 6),
            Qr("KIOSK PRINTER TEST"),
            Text("以上二维码可扫出 KIOSK PRINTER TEST", align="center"),
        ),
    )
