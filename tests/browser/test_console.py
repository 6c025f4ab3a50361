"""The staff console in Debian's Chromium, on both back-ends: a member of staff signs in, finds a case filed at a
kiosk, moves it to 发证, sees the overdue case in red and follows a bad rating up."""

from __future__ import annotations

import pytest

from kiosk.hall.console.accounts import add_account
from tests.hall.test_console import backdate, file
from tests.hall.test_hall import enrol

pytestmark = pytest.mark.xdist_group("browser")

PASSWORD = "console passphrase"
RED_ROW = "rgb(255, 235, 238)"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_staff_move_a_case_to_its_last_stage_see_the_overdue_in_red_and_follow_a_bad_rating_up(any_hall, page):
    hall = any_hall
    add_account(hall.storage, "li.ming", "李明", "supervisor", PASSWORD)
    kiosk = enrol(hall)
    serial = file(kiosk, "DEMO01-261202-0001-X", "王秀英", "MZ0003")["serial"]
    overdue = file(kiosk, "DEMO01-261020-0002-X", "李建国", "MZ0003")["serial"]
    backdate(hall, overdue, 40)
    [row] = [c for c in hall.storage.cases() if c["serial"] == serial]
    rating = {
        "submission_id": row["submission_id"],
        "level": 2,
        "created_at": "2026-12-02T10:00:00",
        "reason": "态度不好",
    }
    assert kiosk.call("POST", "/v1/evaluations/batch", json={"items": [rating]}).status_code == 200

    page.goto(hall.url + "/console/cases")
    assert page.url.startswith(hall.url + "/console/login")
    page.get_by_label("用户名").fill("li.ming")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(hall.url + "/console/cases")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kiosk_console"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/console")

    page.get_by_label("流水号或受理编号").fill(serial)
    page.get_by_role("button", name="查询").click()
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name=serial).click()
    assert "王**" in page.locator(".facts").inner_text()
    for stage in ("受理", "审核", "审批", "发证"):
        page.get_by_role("button", name=f"推进到「{stage}」").click()
        assert page.get_by_role("status").inner_text() == f"已推进到「{stage}」。"
    assert page.locator('.stages [aria-current="step"]').inner_text() == "发证"
    assert page.get_by_role("button", name="退回补正").count() == 0
    history = page.locator("table").last.inner_text()
    assert history.count("李明") == 4 and "终端提交" in history

    page.get_by_role("link", name="时限监察").click()
    first = page.locator("tbody tr").first
    assert overdue in first.inner_text() and "超时" in first.inner_text()
    assert first.evaluate("row => getComputedStyle(row).backgroundColor") == RED_ROW
    assert serial not in page.locator("tbody").inner_text()  # issued: no deadline left to watch

    page.get_by_role("link", name="好差评").click()
    bad = page.locator(f"#r-{row['submission_id']}")
    assert "态度不好" in bad.inner_text() and "不满意" in bad.inner_text()
    bad.get_by_label("整改情况").fill("已电话回访致歉，窗口人员已培训")
    bad.get_by_role("button", name="保存整改情况").click()
    assert page.get_by_role("status").inner_text() == "整改情况已保存。"
    assert "已电话回访致歉，窗口人员已培训" in page.locator(f"#r-{row['submission_id']}").inner_text()
    assert hall.storage.evaluations()[0]["followup_by"] == "李明"

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(hall.url + "/console/login")
    page.goto(hall.url + "/console/ratings")
    assert page.url.startswith(hall.url + "/console/login")  # the session ended with the sign-out
