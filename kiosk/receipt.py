"""Paper the resident takes away: the application receipt (回执), laid out for any printer.

``qr_rows`` draws the same QR code on screen that the receipt carries.
"""

from __future__ import annotations

from datetime import date

from devices.document import PrintDocument, Qr, Rule, Text, qr_rows
from kiosk.session import DELIVERY_LABELS
from offline_cache import StoredSubmission


def application_receipt(saved: StoredSubmission, station_name: str, hotline: str) -> PrintDocument:
    """The receipt of a saved submission, from its masked facts only, so a reprint needs nothing personal."""
    m = saved.masked
    if m["promised_days"] == 0:
        expected = "当场办结"
    else:
        expected = f"{m['promised_days']}个工作日，预计 {date.fromisoformat(m['expected']):%Y年%m月%d日}"
        if m["expected_is_estimate"]:
            expected += "（按周末估算，以窗口通知为准）"
    materials = "、".join(m["materials"]) or "无"
    blocks = [
        Text(station_name, align="center"),
        Text("办 事 回 执", align="center", large=True, bold=True),
        Rule(),
        Text("流水号", align="center"),
        Text(saved.serial, align="center", large=True, bold=True),
        Qr(saved.serial),
        Rule(),
        Text(f"事项：{m['item_name']}（{m['item_code']}）"),
        Text(f"申请人：{m['applicant']}  {m['number']}"),
        Text(f"已交材料：{materials}"),
        Text(f"取件方式：{DELIVERY_LABELS.get(m['delivery'], m['delivery'])}"),
        Text(f"办理时限：{expected}"),
    ]
    if m["decision"]:
        blocks.append(Text(f"办理结果：{m['decision']}"))
    blocks += [
        Text(f"提交时间：{saved.created_at:%Y-%m-%d %H:%M}"),
        Rule(),
        Text("凭流水号可在自助机或窗口查询进度", align="center"),
        Text(f"咨询投诉热线：{hotline}", align="center"),
    ]
    return PrintDocument(name=f"receipt-{saved.serial}", blocks=tuple(blocks))


__all__ = ["application_receipt", "qr_rows"]
