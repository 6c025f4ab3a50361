"""The technician mode (behind a PIN): devices and their tests, the hall connection and enrolment, the settings
editor, the log and the diagnostics bundle."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Log, Select, Static, Switch, TabbedContent, TabPane

from config import faults
from config.editor import FieldInfo, InvalidSetting, backup_path, editable_fields, save_settings
from config.i18n import _
from config.settings import Settings, SettingsError
from kiosk.enrolment import EnrolmentFailed, enrol_with_hall
from kiosk.identity import mask_id_number, mask_name
from kiosk.services import SyncStatus
from kiosk.technician import device_rows, diagnostics_bundle, printer_paper_status, recent_log, serial_ports
from screens.base import KioskScreen
from screens.messages import CardRead, CardUnreadable, ReaderStatus, ScanReceived, SyncStatusChanged
from screens.widgets.status_bar import age_text

SECTION_TITLES = {
    "station": _("本机 [station]"),
    "session": _("会话 [session]"),
    "queue": _("排队 [queue]"),
    "devices": _("设备 [devices]"),
    "sync": _("上传 [sync]"),
    "accessibility": _("长辈模式与无障碍 [accessibility]"),
}


class TechnicianScreen(KioskScreen):
    """For the technician: devices and tests, the hall connection, the settings, the log."""

    TITLE = _("技术员模式")

    def __init__(self) -> None:
        super().__init__()
        self.awaiting: str | None = None  # "card" or "scan" while a reader or scanner test waits
        self.fields: list[FieldInfo] = []

    def compose_body(self) -> ComposeResult:
        self.fields = editable_fields(self.services.settings)
        with TabbedContent(id="technician-tabs"):
            with TabPane(self._("设备"), id="tab-devices"), VerticalScroll():
                yield Static(id="devices", markup=False)
                with Horizontal(classes="tech-buttons"):
                    yield Button(self._("读卡测试"), id="test-reader")
                    yield Button(self._("打印测试页"), id="test-print")
                    yield Button(self._("纸张状态"), id="test-paper")
                    yield Button(self._("扫码测试"), id="test-scanner")
                    yield Button(self._("查找串口"), id="find-ports")
                yield Static(id="device-result", classes="tech-result", markup=False)
            with TabPane(self._("上传"), id="tab-sync"), VerticalScroll():
                yield Static(id="sync", markup=False)
                yield Static(self._("登记到政务服务大厅（登记码向大厅工作人员索取，只能用一次）"), classes="section")
                with Horizontal(id="enrol-form"):
                    yield Input(placeholder=self._("大厅地址，如 http://hall.example:8700"), id="hall-url")
                    yield Input(placeholder=self._("登记码"), id="enrol-code")
                    yield Button(self._("登记"), id="enrol", classes="primary")
                yield Static(id="enrol-result", classes="tech-result", markup=False)
            with TabPane(self._("设置"), id="tab-settings"):
                with VerticalScroll(id="settings-form"):
                    yield from self._settings_form()
                with Horizontal(classes="tech-buttons"):
                    yield Button(self._("保存"), id="save-settings", classes="primary")
                yield Static(id="settings-result", classes="tech-result", markup=False)
            with TabPane(self._("日志"), id="tab-log"):
                yield Log(id="log", max_lines=1000)
                with Horizontal(classes="tech-buttons"):
                    yield Button(self._("刷新日志"), id="reload-log")
                    yield Button(self._("导出诊断包"), id="export", classes="primary")
                yield Static(id="export-result", classes="tech-result", markup=False)
        with Horizontal(classes="actions"):  # on every tab: "sync now" is what a technician reaches for first
            yield Button(self._("退出技术员模式"), id="home", classes="back")
            yield Button(self._("立即同步"), id="sync-now", classes="primary")

    def _settings_form(self) -> ComposeResult:
        section = ""
        for field in self.fields:
            if field.section != section:
                section = field.section
                yield Static(self._(SECTION_TITLES[section]), classes="section", markup=False)
            with Vertical(classes="setting"):
                with Horizontal(classes="setting-row"):
                    with Vertical(classes="setting-label"):
                        yield Static(field.name, classes="setting-name", markup=False)
                        yield Static(field.doc, classes="setting-doc", markup=False)
                    yield _editor(field, self._("（不设置，用默认）"))
                yield Static(id=f"error-{field.section}-{field.name}", classes="setting-error error", markup=False)

    def on_mount(self) -> None:
        self.show_devices()
        self.set_interval(2, self.show_devices)
        self.load_log()

    # Devices -----------------------------------------------------------------------------------------------

    def show_devices(self) -> None:
        rows = device_rows(self.services)
        self.query_one("#devices", Static).update("\n".join(self._(row.line) for row in rows))

    def job_failed(self, group: str) -> bool:
        text = self._("⚠ 没有完成：出了程序错误，详情见下方日志。")
        if group == "device-test":
            self._result(text)
        elif group in ("sync-now", "enrol"):
            self.query_one("#sync-now", Button).disabled = self.query_one("#enrol", Button).disabled = False
            self.query_one("#enrol-result", Static).update(text)
        elif group == "settings":
            self._settings_result(text, True)
        self.load_log()
        return True  # the technician reads the log; the screen stays usable

    def _result(self, text: str) -> None:
        self.query_one("#device-result", Static).update(text)

    @on(Button.Pressed, "#test-reader")
    def test_reader(self) -> None:
        self.awaiting = "card"
        self._result(self._("读卡测试：请把一张身份证放到读卡器上…"))

    @on(Button.Pressed, "#test-scanner")
    def test_scanner(self) -> None:
        self.awaiting = "scan"
        self._result(self._("扫码测试：请扫一个条码或二维码…"))

    def on_card_read(self, message: CardRead) -> None:
        if self.awaiting == "card":
            self.awaiting = None
            applicant = message.applicant
            self._result(
                self._(
                    "读卡成功：{name}  {number}",
                    name=mask_name(applicant.name),
                    number=mask_id_number(applicant.number),
                )
            )

    def on_card_unreadable(self, message: CardUnreadable) -> None:
        if self.awaiting == "card":
            self._result(self._("读卡失败：{problem}", problem=message.text))

    def on_scan_received(self, message: ScanReceived) -> None:
        if self.awaiting == "scan":
            self.awaiting = None
            self._result(self._("扫码成功：{code}", code=message.code))

    def on_reader_status(self, _: ReaderStatus) -> None:
        self.show_devices()

    @on(Button.Pressed, "#test-print")
    def test_print(self) -> None:
        self._result(self._("正在打印测试页…"))
        self._device_job("print")

    @on(Button.Pressed, "#test-paper")
    def test_paper(self) -> None:
        self._result(self._("正在询问打印机…"))
        self._device_job("paper")

    @on(Button.Pressed, "#find-ports")
    def find_ports(self) -> None:
        self._result(self._("正在查找串口…"))
        self._device_job("ports")

    @work(thread=True, exclusive=True, group="device-test", exit_on_error=False)
    def _device_job(self, job: str) -> None:
        faults.inject("device-test")
        if job == "print":
            outcome = self.services.print_test_page()
            text = self._("测试页已打印，请检查纸上的内容") if outcome.printed else self._(outcome.message)
        elif job == "paper":
            text = self._("纸张状态：{status}", status=printer_paper_status(self.services))
        else:
            ports = serial_ports()
            lines = [f"{p['device']:<16} {p['vid_pid'] or '-':<10} {p['description']}" for p in ports]
            text = "\n".join([self._("找到的串口："), *lines]) if ports else self._("没有找到串口。USB 设备请检查连线")
        self.app.call_from_thread(self._result, text)
        self.app.call_from_thread(self.show_devices)

    # The hall ----------------------------------------------------------------------------------------------

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        super().on_sync_status_changed(message)
        self.query_one("#sync", Static).update("\n".join(self._(line) for line in sync_lines(message.status)))
        url = self.query_one("#hall-url", Input)
        if not url.value and message.status.hall_url:
            url.value = message.status.hall_url

    @on(Button.Pressed, "#sync-now")
    def sync_now(self) -> None:
        self.query_one("#sync-now", Button).disabled = True
        self.notify(self._("正在同步…"), timeout=3)
        self._sync_now()

    @work(thread=True, exclusive=True, group="sync-now", exit_on_error=False)
    def _sync_now(self) -> None:
        self.services.sync_now()
        self.app.call_from_thread(self._synced)

    def _synced(self) -> None:
        self.query_one("#sync-now", Button).disabled = False

    @on(Button.Pressed, "#enrol")
    @on(Input.Submitted, "#enrol-code")
    def enrol(self) -> None:
        self.query_one("#enrol", Button).disabled = True
        self.query_one("#enrol-result", Static).update(self._("正在连接大厅…"))
        self._enrol(self.query_one("#hall-url", Input).value, self.query_one("#enrol-code", Input).value)

    @work(thread=True, exclusive=True, group="enrol", exit_on_error=False)
    def _enrol(self, url: str, code: str) -> None:
        try:
            enrolment = enrol_with_hall(self.services, url, code)
        except EnrolmentFailed as exc:
            text = f"⚠ {self._(exc)}"
        else:
            text = self._(
                "已登记到 {url}，本机编号 {kiosk}（站点 {station}）",
                url=enrolment.url,
                kiosk=enrolment.kiosk_id,
                station=enrolment.station_id,
            )
            self.post_message(SyncStatusChanged(self.services.sync_status()))
        self.app.call_from_thread(self._enrolled, text)

    def _enrolled(self, text: str) -> None:
        self.query_one("#enrol-result", Static).update(text)
        self.query_one("#enrol", Button).disabled = False
        if not text.startswith("⚠"):
            self.query_one("#enrol-code", Input).value = ""

    # Settings ----------------------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.services.config_path or self.services.data_dir / "kiosk.toml"

    def _changes(self) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        for field in self.fields:
            widget = self.query_one(f"#set-{field.section}-{field.name}")
            if isinstance(widget, Input):
                new, old = widget.value, field.text
            else:
                new, old = widget.value, field.value
            if new != old:
                changes.setdefault(field.section, {})[field.name] = new
        return changes

    @on(Button.Pressed, "#save-settings")
    def save(self) -> None:
        for error in self.query(".setting-error"):
            error.display = False
        for widget in self.query(".invalid"):
            widget.remove_class("invalid")
        changes = self._changes()
        if not changes:
            self._settings_result(self._("没有改动"))
            return
        self.query_one("#save-settings", Button).disabled = True
        self._settings_result(self._("正在检查并保存…"))
        self._save(changes)

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False)
    def _save(self, changes: dict[str, dict[str, Any]]) -> None:
        path = self.config_path
        existed = path.exists()
        try:
            saved = save_settings(path, changes)
        except SettingsError as exc:
            self.app.call_from_thread(self._refused, exc)
        except OSError as exc:
            self.app.call_from_thread(
                self._settings_result, self._("⚠ 无法写入 {path}：{problem}", path=str(path), problem=str(exc)), True
            )
        else:
            self.app.call_from_thread(self._saved, saved, changes, path, existed)

    def _refused(self, exc: SettingsError) -> None:
        text = str(exc).removeprefix(f"{self.config_path}: ")
        self._settings_result(self._("⚠ 没有保存：{problem}", problem=text), True)
        if isinstance(exc, InvalidSetting) and exc.name:
            error = self.query(f"#error-{exc.section}-{exc.name}")
            widget = self.query(f"#set-{exc.section}-{exc.name}")
            if error and widget:
                error.first(Static).update(f"⚠ {text}")
                error.first().display = True
                widget.first().add_class("invalid")
                widget.first().scroll_visible()

    def _saved(self, saved: Settings, changes: dict[str, dict[str, Any]], path: Path, existed: bool) -> None:
        # What the form compares with from now on: the fields just saved as the file has them, and the others as
        # this kiosk runs (a demo's simulated devices, a variable's override), which were not written.
        now = {(field.section, field.name): field for field in editable_fields(saved)}
        self.fields = [
            now[field.section, field.name] if field.name in changes.get(field.section, {}) else field
            for field in self.fields
        ]
        if existed:
            self._settings_result(
                self._(
                    "已保存，重启后生效（已备份原文件）\n{path}（备份 {backup}）",
                    path=str(path),
                    backup=backup_path(path).name,
                )
            )
        else:
            self._settings_result(self._("已保存，重启后生效（新建了设置文件）\n{path}", path=str(path)))

    def _settings_result(self, text: str, error: bool = False) -> None:
        result = self.query_one("#settings-result", Static)
        result.update(text)
        result.set_class(error, "error")
        self.query_one("#save-settings", Button).disabled = False

    # The log -----------------------------------------------------------------------------------------------

    @on(Button.Pressed, "#reload-log")
    def reload_log(self) -> None:
        self.load_log()

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def load_log(self) -> None:
        lines = recent_log(self.services.data_dir) or [self._("（还没有日志）")]
        self.app.call_from_thread(self._show_log, lines)

    def _show_log(self, lines: list[str]) -> None:
        log = self.query_one("#log", Log)
        log.clear()
        log.write_lines(lines)

    @on(Button.Pressed, "#export")
    def export(self) -> None:
        self.query_one("#export-result", Static).update(self._("正在导出…"))
        self._export()

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self) -> None:
        try:
            path = diagnostics_bundle(self.services, self.services.data_dir, self.services.now())
        except OSError as exc:
            text = self._("⚠ 导出失败：{problem}", problem=str(exc))
        else:
            text = self._("诊断包已导出：{path}", path=str(path))
        self.app.call_from_thread(self.update_text, "#export-result", text)

    @on(Button.Pressed, "#home")
    def home(self) -> None:
        self.go_home()


def _editor(field: FieldInfo, unset: str) -> Widget:
    """The input for one setting: a switch for yes/no, a list for fixed choices, else a text field (showing
    ``unset`` when an optional setting is empty)."""
    id = f"set-{field.section}-{field.name}"
    if field.type == "bool":
        return Switch(value=bool(field.value), id=id)
    if field.type == "choice":
        return Select([(str(choice), choice) for choice in field.choices], value=field.value, allow_blank=False, id=id)
    kind = {"int": "integer", "float": "number"}.get(field.type, "text")
    placeholder = unset if field.optional else ""
    return Input(value=field.text, type=kind, placeholder=placeholder, id=id)


def sync_lines(status: SyncStatus) -> list[str]:
    """The hall connection, line by line, for the technician."""
    if not status.enrolled:
        return [_("本机尚未登记到大厅：在下面填写大厅地址和登记码，按「登记」")]
    if status.paused:
        connection = _("已暂停：大厅拒绝了本机凭证，请重新登记")
    else:
        connection = _("在线") if status.online else _("离线")
    contact = (
        datetime.fromtimestamp(status.last_contact).strftime("%m-%d %H:%M:%S") if status.last_contact else _("从未")
    )
    if status.pending:
        waiting = _("待上传      {n} 件（最早{age}）", n=status.pending, age=age_text(status.oldest_pending_age_s))
    else:
        waiting = _("待上传      {n} 件", n=status.pending)
    lines = [
        _("大厅地址    {url}", url=status.hall_url),
        _("连接        {connection}", connection=connection),
        waiting,
        _("大厅已收到  {n} 件", n=status.acknowledged),
        _("被退回      {n} 件（请把数据库交技术支持处理）", n=status.quarantined)
        if status.quarantined
        else _("被退回      {n} 件", n=0),
        _("待上传评价  {n} 条", n=status.pending_evaluations),
        _("最近联系    {time}", time=contact),
    ]
    if status.last_error:
        lines.append(_("最近的错误  {problem}", problem=status.last_error))
    return lines
