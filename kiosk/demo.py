"""The demo (``kiosk demo``): its settings, the sample staff and technician PIN it publishes in its help, the
local hall it enrols with, and what each of its keys does. The Textual key bindings are the app's
(``kiosk/app/``); everything they mean is here. Nothing of this is used outside the demo.

    >>> settings = demo_settings(data_dir)
    >>> hall = start_demo_hall(settings, data_dir)    # a hall on loopback, this kiosk enrolled with it, board.json
    >>> demo_board(data_dir)                          # what ``kiosk board --demo-dir`` reads: hall, token, station
    >>> [key.key for key in demo_keys(date.today())][:2]
    ['f1', 'f2']
"""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from config.i18n import _
from config.settings import Settings, StaffMember
from devices.samples import DEMO_CARDS
from kiosk.identity import age_on
from kiosk.pin import hash_secret

if TYPE_CHECKING:
    from kiosk.hall.runner import HallServer

DEMO_TECHNICIAN_PIN = "123456"
DEMO_STAFF = ("D001", "李代办", "2468", "STAFF-D001")  # id, name, PIN, badge code
DEMO_CONSOLE = ("demo", "演示科长", "demo-console")  # the demo hall's console: a supervisor's name and password
BOARD_FILE = "board.json"  # where the demo tells a display board its hall's address and a board token


def demo_settings(data_dir: Path) -> Settings:
    """Simulated devices, a sync that notices the local hall come and go within seconds, a demo technician PIN
    and one demo member of staff."""
    defaults = Settings().simulated(data_dir)
    staff_id, staff_name, staff_pin, staff_badge = DEMO_STAFF
    staff = StaffMember(
        id=staff_id, name=staff_name, pin_hash=hash_secret(staff_pin), badge_hash=hash_secret(staff_badge)
    )
    return defaults.model_copy(
        update={
            "access": defaults.access.model_copy(
                update={"technician_pin_hash": hash_secret(DEMO_TECHNICIAN_PIN), "staff": [staff]}
            ),
            "sync": defaults.sync.model_copy(
                update={
                    "backoff_base_seconds": 0.5,
                    "backoff_cap_seconds": 5.0,
                    "idle_poll_seconds": 5.0,
                    "case_status_seconds": 5.0,
                    "heartbeat_seconds": 30.0,
                }
            ),
        }
    )


def start_demo_hall(settings: Settings, data_dir: Path) -> HallServer:
    """Start a reference hall on a free loopback port with its data in ``data_dir``, and enrol this kiosk's
    database there with it (again, when the hall came up on another port). The caller stops the hall."""
    from kiosk.enrolment import enrol  # the hall server and the HTTP client load only for the demo
    from kiosk.hall.console.accounts import add_account
    from kiosk.hall.runner import HallServer
    from offline_cache import Store

    hall = HallServer(data_dir / "hall.db")
    hall.start()
    store = Store(data_dir / "kiosk.db")
    try:
        username, name, password = DEMO_CONSOLE
        if hall.storage.staff_account(username) is None:
            add_account(hall.storage, username, name, "supervisor", password)
        enrolment = store.enrolment()
        if enrolment is None or enrolment.url != hall.url:
            enrol(store, settings, hall.url, hall.storage.new_enrolment_code())
        _write_board_file(hall, data_dir, settings.station.id)
    except BaseException:
        hall.stop()
        raise
    finally:
        store.close()
    return hall


class DemoHall:
    """The demo's local hall, brought up by :meth:`start` on a thread after the kiosk's first frame (its server
    and FastAPI take a second to load, which the welcome screen does not wait for): until then :attr:`server` is
    None and the kiosk works as it does with its hall away. Started once, whatever the kiosk's restarts."""

    def __init__(self, settings: Settings, data_dir: Path) -> None:
        self._settings = settings
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self.server: HallServer | None = None

    def start(self) -> HallServer:
        with self._lock:
            if self.server is None:
                self.server = start_demo_hall(self._settings, self._data_dir)
            return self.server

    def stop(self) -> None:
        with self._lock:
            if self.server is not None:
                self.server.stop()


def _write_board_file(hall: HallServer, data_dir: Path, station: str) -> None:
    """Tell a display board in another terminal (``kiosk board --demo-dir DIR``) where the demo's hall is, with a
    board token of that hall's (kept while the hall knows it)."""
    path = data_dir / BOARD_FILE
    known = _read(path)
    token = known.get("token", "")
    if not token or not hall.storage.is_board_token(token):
        token = hall.storage.new_board_token()
    path.write_text(json.dumps({"hall": hall.url, "token": token, "station": station}), encoding="utf-8")


def demo_board(data_dir: Path | None) -> dict[str, str] | None:
    """The demo hall's address, board token and station as ``kiosk demo`` wrote them in ``data_dir`` (by default
    the newest demo folder in the temporary folder); None if there is none."""
    if data_dir is None:
        found = sorted(Path(tempfile.gettempdir()).glob(f"kiosk-demo-*/{BOARD_FILE}"), key=lambda p: p.stat().st_mtime)
        if not found:
            return None
        data_dir = found[-1].parent
    return _read(data_dir / BOARD_FILE) or None


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: str(value) for key, value in data.items()} if isinstance(data, dict) else {}


@dataclass(frozen=True, slots=True)
class DemoKey:
    key: str
    action: str
    """The app's action the key runs (``demo_card(0)`` …)."""
    description: str


def demo_keys(today: date) -> list[DemoKey]:
    """The demo's keys in the order its help lists them: cards by age, scans, the technician, the hall."""
    keys = [DemoKey("f1", "demo_help", _("显示本帮助"))]
    for n, card in enumerate(DEMO_CARDS):
        age = age_on(card.birth_date, today)
        keys.append(
            DemoKey(f"f{n + 2}", f"demo_card({n})", _("放上样例身份证：{name}（{age}岁）", name=card.name, age=age))
        )
    n = len(DEMO_CARDS) + 2
    keys += [
        DemoKey(f"f{n}", "demo_lift", _("拿走身份证")),
        DemoKey(f"f{n + 1}", "demo_scan", _("扫描最近一张回执的二维码")),
        DemoKey(f"f{n + 2}", "demo_scan_garbled", _("扫描一个无法识别的码")),
        DemoKey(f"f{n + 3}", "demo_technician", _("技术员模式（同 Ctrl+T、Ctrl+K；演示密码 123456）")),
        DemoKey(f"f{n + 4}", "demo_toggle_hall", _("停止 / 重新启动本地大厅（看离线与补传）")),
        DemoKey(f"f{n + 5}", "demo_advance_case", _("大厅工作人员把最近一件推进到下一步")),
        DemoKey(f"f{n + 6}", "demo_staff_badge", _("扫描代办员工牌（李代办；或点「工作人员代办」输入密码 2468）")),
        DemoKey("f12", "demo_appointment", _("大厅为王秀英预约老年人优待证（当前时段），扫描预约码签到")),
        DemoKey("ctrl+q", "quit", _("退出演示（正式运行时没有退出键）")),
    ]
    return keys


def demo_window(now: datetime) -> tuple[str, str]:
    """An appointment window around ``now`` that stays within the day, for the demo to check in at once."""
    start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0))
    end = min(start + timedelta(hours=1), now.replace(hour=23, minute=59))
    return f"{start:%H:%M}", f"{end:%H:%M}"


GARBLED_SCAN = b"]Q1\xff\xfe#@!\r\n"
"""What the demo's unreadable-code key sends down the scanner's line."""
