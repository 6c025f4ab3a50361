"""The demo's keys (F1 to F11, Ctrl+Q), as the app's actions: what each one means is :mod:`kiosk.demo`. A part of
:class:`kiosk.app.KioskApp`, which binds the keys only when it runs as the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from config.i18n import _
from devices.samples import DEMO_CARDS
from kiosk.demo import DEMO_CONSOLE, DEMO_STAFF, GARBLED_SCAN, demo_keys, demo_window
from screens.demo_help import DemoHelp

if TYPE_CHECKING:
    from kiosk.app.kiosk_app import KioskApp
    from kiosk.hall.runner import HallServer


class DemoKeys:
    def _demo_hall_server(self: KioskApp) -> HallServer | None:
        """The demo's hall, once it is up (it starts after the first frame)."""
        return self.demo_hall.server if self.demo_hall is not None else None

    def action_demo_help(self: KioskApp) -> None:
        if not isinstance(self.screen, DemoHelp):
            keys = [(key.key.upper(), self._(key.description)) for key in demo_keys(self.services.today())]
            note = self._("数据和回执文件夹：{path}", path=str(self.services.data_dir))
            if (hall := self._demo_hall_server()) is not None:
                user, _name, password = DEMO_CONSOLE
                note += "\n" + self._(
                    "大厅工作台：{url}/console（用户名 {user}，密码 {password}）",
                    url=hall.url,
                    user=user,
                    password=password,
                )
            self.push_screen(DemoHelp(keys, note))

    def action_demo_card(self: KioskApp, index: int) -> None:
        if simulator := self.services.devices.card_simulator:
            simulator.present(DEMO_CARDS[index])

    def action_demo_lift(self: KioskApp) -> None:
        if simulator := self.services.devices.card_simulator:
            simulator.lift()

    def action_demo_scan(self: KioskApp) -> None:
        if simulator := self.services.devices.scanner_simulator:
            last = self.visit.saved.serial if self.visit.saved else self.services.store.last_serial()
            simulator.scan(last or "DEMO01-261122-0001-D")

    def action_demo_scan_garbled(self: KioskApp) -> None:
        if simulator := self.services.devices.scanner_simulator:
            simulator.send_raw(GARBLED_SCAN)

    def action_demo_technician(self: KioskApp) -> None:
        self.open_technician_mode()

    def action_demo_staff_badge(self: KioskApp) -> None:
        if simulator := self.services.devices.scanner_simulator:
            simulator.scan(DEMO_STAFF[3])

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def action_demo_toggle_hall(self: KioskApp) -> None:
        hall = self._demo_hall_server()
        if hall is None:
            return
        if hall.running:
            hall.stop()
            self.call_from_thread(self.notify, self._("本地大厅已停止：新的申请会保存在本机，等大厅恢复后自动补传"))
        else:
            hall.start()
            self.call_from_thread(self.notify, self._("本地大厅已重新启动：本机会在下次探测时自动补传"))

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def action_demo_advance_case(self: KioskApp) -> None:
        serial = self.services.store.last_serial()
        hall = self._demo_hall_server()
        if hall is None or serial is None:
            return
        try:
            case = hall.storage.advance(serial, "演示：工作人员办理", by="演示")
        except Exception as exc:  # not yet received, or already at the last stage: say so, keep the demo going
            self.call_from_thread(
                self.notify,
                self._("大厅未能推进 {serial}：{problem}", serial=serial, problem=str(exc)),
                severity="warning",
            )
            return
        self.call_from_thread(
            self.notify,
            self._("大厅已将 {serial} 推进到「{stage}」，本机稍后同步进度", serial=serial, stage=_(case.stage)),
        )

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def action_demo_appointment(self: KioskApp) -> None:
        """The hall books the current hour for 王秀英; the scanner reads the code, as if from her phone."""
        simulator = self.services.devices.scanner_simulator
        hall = self._demo_hall_server()
        if hall is None or simulator is None or not hall.running:
            self.call_from_thread(self.notify, self._("本地大厅已停止：请按 F9 重新启动后再预约"), severity="warning")
            return
        now = self.services.now()
        start, end = demo_window(now)
        issued = hall.storage.book_appointment("MZ0001", now.date(), start, end, "王秀英")
        simulator.scan(issued.code)
