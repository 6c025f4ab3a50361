"""The device files: each configured port is there, opens for this user, and the udev rules' stable names."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import termios
from urllib.parse import urlsplit

from config.i18n import _
from kiosk.doctor.check import Check

UDEV_NAMES = {"reader": "/dev/kiosk-idcard", "scanner": "/dev/kiosk-scanner", "printer": "/dev/kiosk-printer"}
"""The stable names ``deploy/99-kiosk.rules`` gives the devices."""

DEVICE_NAMES = {"reader": _("读卡器"), "scanner": _("扫码器"), "printer": _("打印机")}

_PORT_FIX = {
    "reader": _(
        "接好读卡器的 USB 线，用 kiosk devices ports 找到它的串口，填入设置 devices.card_reader_port"
        "（装好 udev 规则后可填 /dev/kiosk-idcard）"
    ),
    "scanner": _(
        "接好扫码器的 USB 线，用 kiosk devices ports 找到它的串口，填入设置 devices.scanner_port"
        "（装好 udev 规则后可填 /dev/kiosk-scanner）"
    ),
    "printer": _("接好打印机并开机，核对设置 devices.printer 里的设备路径（装好 udev 规则后可用 /dev/kiosk-printer）"),
}


def port_check(device: str, path: str, serial_port: bool = True) -> Check:
    """``path`` is a device file that opens for this user; whether the user is in the device's group."""
    name, what = f"{device}_port", DEVICE_NAMES[device]
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Check(name, "fail", _("{device}的设备 {path} 不存在", device=what, path=path), _PORT_FIX[device])
    except OSError as exc:
        detail = _("{device}的设备 {path} 无法查看：{error}", device=what, path=path, error=exc.strerror or "")
        return Check(name, "fail", detail, _PORT_FIX[device])
    if not stat.S_ISCHR(info.st_mode):
        return Check(name, "fail", _("{path} 不是设备文件", path=path), _PORT_FIX[device])
    group = _group_name(info.st_gid)
    in_group = info.st_gid == os.getegid() or info.st_gid in os.getgroups()
    user = pwd.getpwuid(os.geteuid()).pw_name
    try:
        _open_device(path, serial_port)
    except PermissionError:
        fix = (
            _("检查 {path} 的权限（ls -l {path}）", path=path)
            if in_group
            else _("运行 sudo usermod -aG {group} {user}，然后重新登录（或重启 kiosk 服务）", group=group, user=user)
        )
        return Check(name, "fail", _("{device}的设备 {path} 没有权限打开", device=what, path=path), fix)
    except (OSError, termios.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        detail = _("{device}的设备 {path} 打不开：{error}", device=what, path=path, error=reason)
        return Check(
            name,
            "fail",
            detail,
            _("确认它是{device}的串口，且没有被别的程序占用（fuser {path}）", device=what, path=path),
        )
    if in_group:
        detail = _(
            "{device} {path} 可以打开（用户 {user} 在 {group} 组）", device=what, path=path, user=user, group=group
        )
    elif os.geteuid() == 0:
        detail = _(
            "{device} {path} 可以打开（以 root 检查：运行 kiosk 的用户须在 {group} 组）",
            device=what,
            path=path,
            group=group,
        )
    else:
        detail = _("{device} {path} 可以打开（用户不在 {group} 组，但权限允许）", device=what, path=path, group=group)
    return Check(name, "ok", detail)


def _open_device(path: str, serial_port: bool) -> None:
    """Open and close as the driver would: a serial port read-write as a terminal, a printer device for writing."""
    flags = (os.O_RDWR | os.O_NOCTTY) if serial_port else os.O_WRONLY
    fd = os.open(path, flags | os.O_NONBLOCK)
    try:
        if serial_port:
            termios.tcgetattr(fd)  # what is no terminal (a printer's lp device, a disk) fails here
    finally:
        os.close(fd)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def udev_check(configured: dict[str, str | None]) -> Check:
    """The stable names the udev rules give the devices. ``configured`` is the device file the settings use for
    each device (None: simulated or networked); a missing name fails only when the settings use it."""
    present = [name for name in UDEV_NAMES.values() if os.path.exists(name)]
    missing = [name for name in UDEV_NAMES.values() if name not in present]
    needed = [name for device, name in UDEV_NAMES.items() if name in missing and configured.get(device) == name]
    install = _(
        "装上 udev 规则（deploy/install.sh 会装；或 sudo cp deploy/99-kiosk.rules /etc/udev/rules.d/ && sudo udevadm"
        " control --reload-rules && sudo udevadm trigger），再重新插拔设备；仍没有时按规则文件开头的说明换上本机设备的"
        " VID:PID（kiosk devices ports、lsusb）"
    )
    if needed:
        return Check("udev", "fail", _("{names} 不存在，而设置正用着", names="、".join(needed)), install)
    if missing:
        return Check("udev", "note", _("{names} 不存在（设置没有用）", names="、".join(missing)), install)
    unused = [name for device, name in UDEV_NAMES.items() if configured.get(device) not in (None, name)]
    detail = _("{names} 都在", names="、".join(f"{name} → {os.path.realpath(name)}" for name in present))
    if unused:
        return Check("udev", "note", detail, _("设置可改用固定名称 {names}", names="、".join(unused)))
    return Check("udev", "ok", detail)


def printer_device(printer_uri: str) -> str | None:
    """The device file of a ``serial://`` or ``file://`` printer; None for USB, network and simulated ones."""
    parts = urlsplit(printer_uri)
    return parts.path if parts.scheme in ("serial", "file") and parts.path else None
