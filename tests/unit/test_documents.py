from datetime import datetime

from devices.document import render_text
from kiosk.paper import application_receipt
from offline_cache import StoredSubmission


def _saved(**masked) -> StoredSubmission:
    facts = {
        "item_code": "MZ0001",
        "item_name": "老年人优待证办理",
        "applicant": "王**",
        "number": "5304**********0025",
        "materials": ["居民身份证"],
        "delivery": "mail",
        "promised_days": 5,
        "expected": "2026-11-30",
        "expected_is_estimate": False,
        "decision": "",
    }
    facts.update(masked)
    return StoredSubmission(
        "id-1", "HT01-261123-0001-M", "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 9, 30), "pending", facts
    )


def test_receipt_carries_serial_qr_masked_applicant_and_expected_date():
    text = render_text(application_receipt(_saved(), "红塔区政务服务中心", "12345"), columns=32).replace("\n", "")
    assert "流水号" in text and "HT01-261123-0001-M" in text
    assert "王**" in text and "王秀英" not in text
    assert "5304**********0025" in text
    assert "免费邮寄到家" in text
    assert "2026年11月30日" in text
    assert "12345" in text
    assert "▀" in text or "▄" in text  # the QR code


def test_estimated_date_is_marked_on_the_receipt():
    text = render_text(application_receipt(_saved(expected_is_estimate=True), "站", "12345"), columns=48)
    assert "估算" in text
