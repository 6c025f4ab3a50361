"""The attached devices asked directly: the reader's SAM status, the printer's state, the photo decoder, voice."""

from __future__ import annotations

import shutil
import termios
from collections.abc import Callable, Iterator
from pathlib import Path

import serial

from config.i18n import _
from config.settings import AccessibilitySettings, Settings
from devices import DeviceError, PrinterStatus
from devices.factory import build_devices
from devices.idcard import codec
from devices.idcard.codec import STATUS_TEXT, Status
from devices.idcard.photo import PhotoDecoder
from devices.idcard.reader import ReaderLink, ReaderTimeout, open_port
from devices.speaker import voice_status
from kiosk.doctor.check import Check, first_line, skipped
from kiosk.doctor.fonts import extension_b_check, font_check
from kiosk.doctor.ports import port_check, printer_device, udev_check


def device_checks(settings: Settings) -> Iterator[Check]:
    """Ports, udev names, reader, printer, fonts and voice, as the settings configure them."""
    config = settings.devices
    if config.photo_decoder is not None:
        yield photo_decoder_check(config.photo_decoder)
    # A simulated back-end gets a simulator of its own here: a running demo's live inside the demo's process.
    devices = build_devices(
        config.model_copy(update={"photo_decoder": None}), settings.storage.resolved_data_dir(), settings.accessibility
    )
    try:
        reader_port = devices.card_simulator.port if devices.card_simulator else config.card_reader_port
        scanner_port = devices.scanner_simulator.port if devices.scanner_simulator else config.scanner_port
        printer_path = printer_device(config.printer)
        reader = port_check("reader", reader_port)
        yield reader
        yield port_check("scanner", scanner_port)
        printer = port_check("printer", printer_path, config.printer.startswith("serial:")) if printer_path else None
        if printer is not None:
            yield printer
        yield udev_check(
            {
                "reader": reader_port if config.card_reader == "serial" else None,
                "scanner": scanner_port if config.scanner == "serial" else None,
                "printer": printer_path,
            }
        )
        unopened = _("设备打不开，没有检查（见上面）")
        if reader.ok:
            yield reader_check(reader_port, config.card_reader_baud)
        else:
            yield from skipped(("reader",), unopened)
        if printer is None or printer.ok:
            where = _("模拟器") if config.printer.startswith("sim://") else config.printer
            yield printer_check(devices.printer_status, where)
        else:
            yield from skipped(("printer",), unopened)
    finally:
        devices.close()
    yield font_check(config)
    yield extension_b_check(config)
    yield voice_check(settings.accessibility)


def reader_check(port: str, baud: int, timeout: float = 0.5) -> Check:
    """Send the reader the SAM status command (``AA AA AA 96 69 00 03 11 FF ED``) and decode its answer."""
    try:
        link = ReaderLink(open_port(port, baud), retries=2)
    except (serial.SerialException, OSError, ValueError) as exc:
        detail = _("读卡器串口 {port} 打不开：{error}", port=port, error=first_line(exc))
        return Check("reader", "fail", detail, _("检查读卡器的连线和设置 devices.card_reader_port"))
    try:
        answer = link.transact(codec.SAM_STATUS, timeout)
    except ReaderTimeout:
        return Check(
            "reader",
            "fail",
            _("读卡器（{port}）对安全模块状态命令没有应答", port=port),
            _(
                "检查读卡器电源指示灯和连线，以及波特率 devices.card_reader_baud（多为 115200）；"
                "若 kiosk 正在运行，先停止它（它也在用这个串口）再检查"
            ),
        )
    except (serial.SerialException, OSError, termios.error) as exc:
        detail = _("读卡器（{port}）通信中断：{error}", port=port, error=first_line(exc))
        return Check("reader", "fail", detail, _("检查连线，重新插拔读卡器"))
    finally:
        link.close()
    if answer.status != Status.SUCCESS:
        code = format(answer.status, "02X")
        reason = STATUS_TEXT.get(answer.status) or _("状态 {status}", status=code)
        return Check(
            "reader",
            "fail",
            _("读卡器安全模块异常：{reason}", reason=reason),
            _("读卡器断电重启；仍不正常请联系读卡器厂家（安全模块须经公安部门授权）"),
        )
    return Check("reader", "ok", _("读卡器（{port}）安全模块应答正常", port=port))


def printer_check(status_of: Callable[[], PrinterStatus], where: str) -> Check:
    """Ask the printer whether it is on line (one with its cover open is off line) and has paper."""
    try:
        status = status_of()
    except DeviceError as exc:
        return Check(
            "printer",
            "fail",
            _("打印机（{where}）无法连接：{error}", where=where, error=str(exc)),
            _("检查打印机电源、数据线或网线和设置 devices.printer；再用 kiosk devices printer-status --printer … 试"),
        )
    detail = _("打印机（{where}）：{state}", where=where, state=status.text)
    if status.online is False:
        return Check("printer", "fail", detail, _("合好打印机盖，检查电源和纸卷；指示灯应常亮"))
    if status.paper == "out":
        return Check("printer", "fail", detail, _("装上新纸卷，合好盖子"))
    if status.paper == "near_end":
        return Check("printer", "warn", detail, _("尽快换纸卷"))
    if status.online is None or status.paper == "unknown":
        return Check("printer", "warn", detail, _("改用 usb://VID:PID 或 tcp:// 连接，打印前才能知道有没有纸"))
    return Check("printer", "ok", detail)


def photo_decoder_check(library: Path) -> Check:
    try:
        PhotoDecoder(library)
    except DeviceError as exc:
        return Check(
            "photo_decoder", "fail", str(exc), _("核对设置 devices.photo_decoder 的路径，或清空它（不显示证件照）")
        )
    return Check("photo_decoder", "ok", _("照片解码库 {path} 可以加载", path=str(library)))


def voice_check(accessibility: AccessibilitySettings) -> Check:
    """The speech program is installed when voice guidance is on."""
    state, reason = voice_status(accessibility)
    if state == "off":
        return Check("voice", "note", reason)
    if state == "fault":
        return Check(
            "voice",
            "fail",
            _("语音提示已开启，但找不到语音程序 {command}", command=accessibility.voice_command),
            _("sudo apt-get install espeak-ng，或在设置中关闭语音（accessibility.voice = false）"),
        )
    return Check("voice", "ok", _("语音程序 {path}", path=shutil.which(accessibility.voice_command) or ""))
