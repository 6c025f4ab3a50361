"""Browser mode as a resident meets it: ``kiosk serve --demo`` in Debian's Chromium on a 1920 x 1080 touch screen.

One page drives the kiosk through the module, as on a real kiosk (a new page starts a new kiosk process); each
test starts and ends on the welcome screen.
"""

from __future__ import annotations

import os
import signal
import time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.kiosk_page import KioskPage

pytestmark = pytest.mark.xdist_group("browser")  # one server, one browser, one page: the tests take turns

WELCOME = "您好，请选择要办理的业务"
SCREEN = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def session(served, browser):
    """The touch screen's page, opened once; ``requests`` collects every address it asked for."""
    context = browser.new_context(viewport=SCREEN, has_touch=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    kiosk = KioskPage(page)
    kiosk.requests = requests
    page.goto(served.url.replace("127.0.0.1", "localhost"))  # the other tests' pages take 127.0.0.1
    yield kiosk
    context.close()


@pytest.fixture
def kiosk(session):
    """The page on the welcome screen (after a failed test, a new visit)."""
    if WELCOME not in session.text():
        session.page.reload()
    session.wait_for(WELCOME, timeout=60)
    session.wait_for("办事指南")  # the whole menu is drawn
    return session


def back_to_welcome(kiosk: KioskPage) -> None:
    """From a guide: 返回 to the list of items, 返回 to the welcome screen."""
    kiosk.tap("返回")
    kiosk.wait_for("选择事项")
    kiosk.tap("返回")
    kiosk.wait_for(WELCOME)


def picture(page) -> Image.Image:
    return Image.open(BytesIO(page.screenshot())).convert("RGB")


def test_the_welcome_screen_is_drawn_in_local_fonts_on_a_grid_the_kiosk_fits(kiosk, tmp_path):
    columns, rows = kiosk.grid
    assert columns >= 100 and rows >= 35, "the page chose a font that leaves fewer cells than the kiosk needs"
    assert kiosk.page.evaluate("document.fonts.check('24px \"Roboto Mono\"', '办事指南')"), "no CJK face loaded"
    kiosk.page.screenshot(path=tmp_path / "welcome.png")
    shown = picture(kiosk.page)
    x, y = kiosk.point_of("申请办理业务")
    red, _green, blue = shown.getpixel((int(x), int(y) - 30))
    assert blue > red + 80, "the 办事 tile is not drawn in the primary colour"
    label = shown.crop((int(x) - 60, int(y) - 10, int(x) + 60, int(y) + 10))
    assert len(label.getcolors(4096) or []) > 8, "no characters drawn on the 办事 tile"
    outside = [url for url in kiosk.requests if not url.startswith(("http://localhost:", "ws://localhost:"))]
    assert outside == [], "the page asked the internet for something (a kiosk is offline)"


def test_a_tap_finds_a_guide_by_search(kiosk):
    kiosk.tap("材料、流程、时限")
    kiosk.tap("搜索：输入事项名称")
    kiosk.page.keyboard.type("身份证")
    kiosk.wait_for("“身份证”的搜索结果")
    kiosk.tap("居民身份证补领")
    kiosk.wait_for("【申请材料】")
    back_to_welcome(kiosk)


def test_a_long_guide_turns_its_pages_by_the_page_buttons(kiosk):
    kiosk.tap("材料、流程、时限")
    kiosk.wait_for("选择事项")
    kiosk.tap("多部门联办")
    kiosk.wait_for("多部门联办（")  # the list's heading names the department
    kiosk.tap("新生儿出生一件事")
    kiosk.wait_for("【申请对象】")
    assert "【设定依据】" not in kiosk.text()
    kiosk.tap("下一页")
    kiosk.wait_until_gone("【申请对象】")
    kiosk.tap("下一页")
    kiosk.wait_for("【设定依据】")
    for _ in range(3):  # the guide is a little over two pages long here
        kiosk.tap("上一页")
        kiosk.page.wait_for_timeout(300)
    kiosk.wait_for("【申请对象】")
    back_to_welcome(kiosk)


@pytest.mark.parametrize(
    ("button", "screen", "way_back"),
    [
        ("申请办理业务", "身份识别", "返回"),
        ("窗口排队", "取号", "返回"),
        ("输入或扫描流水号", "查询进度", "返回"),
        ("材料、流程、时限", "选择事项", "返回"),
        ("对办理服务打分", "查询进度", "返回"),
        ("工作人员代办", "请输入代办员密码", "取消"),
        ("繁體中文", "您好，請選擇要辦理的業務", "简体中文"),
        ("English", "Hello", "简体中文"),
    ],
)
def test_every_welcome_button_answers_a_tap(kiosk, button, screen, way_back):
    kiosk.tap(button)
    kiosk.wait_for(screen)
    kiosk.tap(way_back)
    kiosk.wait_for(WELCOME)


def test_a_second_page_is_told_the_kiosk_is_in_use_and_takes_over_when_the_first_leaves(kiosk, served, browser):
    second = browser.new_page(viewport=SCREEN)
    try:
        answer = second.goto(served.url)
        assert answer is not None and answer.status == 409
        assert "正在另一个窗口中使用" in second.inner_text("body")
        taking_over = KioskPage(second)
        kiosk.page.goto("about:blank")  # the first page leaves
        taking_over.wait_for(WELCOME, timeout=60)  # the in-use page reloads itself once the kiosk is free
    finally:
        second.close()
        kiosk.page.goto(served.url.replace("127.0.0.1", "localhost"))
        kiosk.wait_for(WELCOME, timeout=60)


def test_the_page_comes_back_by_itself_when_the_kiosk_process_dies(kiosk, served):
    kiosk.tap("窗口排队")
    kiosk.wait_for("取号")
    sockets = kiosk.sockets
    os.kill(_kiosk_process(served.data_dir), signal.SIGKILL)
    kiosk.page.wait_for_selector("#reconnecting", state="visible", timeout=15_000)
    kiosk.wait_for(WELCOME, timeout=60)
    assert kiosk.sockets == sockets + 1


def test_high_contrast_and_elderly_mode_answer_a_tap(kiosk):
    x, y = kiosk.point_of("您好")
    before = picture(kiosk.page).getpixel((int(x) - 40, int(y)))
    kiosk.tap("高对比度")
    for _ in range(20):  # the repaint crosses the socket and the browser: under load it takes a while
        kiosk.page.wait_for_timeout(500)
        if picture(kiosk.page).getpixel((int(x) - 40, int(y))) != before:
            break
    else:
        raise AssertionError("the screen's colours did not change in 10 s")
    kiosk.tap("长辈模式")
    kiosk.wait_until_gone("材料、流程、时限")  # elderly mode keeps the four big tiles only
    kiosk.page.reload()  # the next visit
    kiosk.wait_for(WELCOME, timeout=60)


def _kiosk_process(data_dir: Path) -> int:
    """The kiosk process ``kiosk serve`` started for the page (``… kiosk demo --data-dir DIR``)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, ValueError):
                continue
            if b"demo" in arguments and str(data_dir).encode() in arguments and b"-c" not in arguments:
                return int(entry.name)
        time.sleep(0.1)
    raise AssertionError("no kiosk process found")
