"""What the resident and the technician see of the upload: a real hall on loopback that goes away and comes back."""

from __future__ import annotations

from textual.widgets import Static

from devices.samples import WANG_XIUYING
from kiosk.app import make_app
from kiosk.application import Applicant, Application
from kiosk.pin import hash_secret
from screens.done import DoneScreen
from screens.technician import TechnicianScreen
from screens.widgets.status_bar import StatusBar
from tests.conftest import FakeClock, wait_until

SIZE = (100, 35)


def badge(app) -> str:
    return str(app.screen.query_one(StatusBar).query_one("#badge", Static).render())


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_a_submission_made_offline_shows_waiting_then_received_when_the_hall_returns(online_services, hall):
    hall.stop()
    app = make_app(online_services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        item = online_services.catalog["MZ0001"]
        application = Application(item, Applicant.from_card(WANG_XIUYING))
        application.set_values({"phone": "13800001234"}, online_services.today())
        application.set_delivery("window", "")
        app.visit.saved = online_services.submit(application)
        await app.push_screen(DoneScreen())
        await wait_until(pilot, lambda: "离线 · 待上传1件" in badge(app))
        assert "已保存在本机" in text_of(app, "#upload-state")

        hall.start()
        await wait_until(pilot, lambda: "已全部上传" in badge(app))
        await wait_until(pilot, lambda: "受理号 SL" in text_of(app, "#upload-state"))
        assert len(hall.storage.cases()) == 1


async def test_the_technician_screen_shows_the_hall_connection_and_syncs_now(online_services, hall):
    online_services.settings.access.technician_pin_hash = hash_secret("123456")
    app = make_app(online_services, demo=False, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t", "ctrl+k", *"123456", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TechnicianScreen))
        await wait_until(pilot, lambda: "连接        在线" in text_of(app, "#sync"))
        assert hall.url in text_of(app, "#sync")
        await wait_until(pilot, lambda: "读卡器  正常  （模拟器）" in text_of(app, "#devices"))

        hall.stop()
        await pilot.click("#sync-now")
        await wait_until(pilot, lambda: "连接        离线" in text_of(app, "#sync"))
        assert "连不上大厅" in text_of(app, "#sync")
