"""The hall: this kiosk is enrolled, the hall answers and takes its token, over verified TLS, and the two clocks
agree (serial numbers and appointment windows go by the date)."""

from __future__ import annotations

import email.utils
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from config.i18n import _
from kiosk.doctor.check import Check, first_line
from offline_cache import Enrolment
from offline_cache.hall_client import HallClient, HallNotTrusted, HallRefused, HallUnreachable, NotTheHall, SyncError
from offline_cache.hall_tls import tls_failure

ENROL = _("向大厅工作人员要登记码（kiosk hall enroll-code），再运行 kiosk enroll 大厅地址 登记码")


def enrolment_check(enrolment: Enrolment | None, station_id: str) -> Check:
    if enrolment is None:
        return Check("enrolled", "fail", _("本机尚未登记到大厅，不能提交申请"), ENROL)
    detail = _(
        "已登记到 {url}（本机编号 {kiosk}，站点 {station}）",
        url=enrolment.url,
        kiosk=enrolment.kiosk_id,
        station=enrolment.station_id,
    )
    if enrolment.station_id != station_id:
        return Check(
            "enrolled",
            "warn",
            _("{detail}，但设置里的站点编号是 {configured}", detail=detail, configured=station_id),
            _("把设置 station.id 改回 {station}，或用新登记码重新登记（kiosk enroll）", station=enrolment.station_id),
        )
    if not enrolment.hall_signing_key:
        detail = _("{detail}，但登记时大厅还不签发预约码，预约码无法核验", detail=detail)
        return Check("enrolled", "warn", detail, ENROL)
    if enrolment.url.startswith("https://") and not enrolment.hall_certificate_sha256:
        detail = _("{detail}，但登记时本机还不记下大厅证书的指纹：别人冒充大厅时本机察觉不到", detail=detail)
        return Check("enrolled", "warn", detail, _("用新登记码重新登记一次（kiosk enroll），本机会记下大厅证书"))
    return Check("enrolled", "ok", detail)


def hall_check(enrolment: Enrolment, holidays_version: int, timeout: float = 5.0, ca_file: Path | None = None) -> Check:
    """The hall answers, is the hall (not a network's login page) with the certificate seen at enrolment, and still
    takes this kiosk's token."""
    url = enrolment.url
    pinned = enrolment.hall_certificate_sha256
    client = HallClient(url, enrolment.token, timeout=timeout, ca_file=ca_file, certificate=pinned)
    try:
        client.health()
        client.holidays(holidays_version)  # a question only an enrolled kiosk may ask, answered with little
    except HallRefused:
        return Check("hall", "fail", _("大厅 {url} 拒绝了本机的凭证", url=url), ENROL)
    except HallNotTrusted as exc:
        compare = _(
            "登记时记下的证书指纹是 {pinned}；核对大厅的证书：openssl x509 -noout -fingerprint -sha256 -in 文件",
            pinned=pinned,
        )
        return Check("hall", "fail", str(exc), compare if pinned else "")
    except NotTheHall as exc:
        return Check(
            "hall",
            "fail",
            _("{url} 应答的不是大厅：{error}", url=url, error=str(exc)),
            _("网络可能要先登录（公共 Wi-Fi 的登录页），或地址不对：在浏览器打开 {url}/v1/health 看看", url=url),
        )
    except HallUnreachable as exc:
        return Check(
            "hall",
            "fail",
            _("{error}（{url}）", error=str(exc), url=url),
            _("检查网线、网络和大厅服务（curl {url}/v1/health）；断网期间申请存在本机，联网后自动上传", url=url),
        )
    except SyncError as exc:
        return Check("hall", "fail", _("大厅 {url}：{error}", url=url, error=str(exc)), ENROL)
    finally:
        client.close()
    return Check("hall", "ok", _("大厅 {url} 正常应答，本机凭证有效", url=url))


@dataclass(frozen=True, slots=True)
class HealthProbe:
    """One plain ``GET /v1/health``: its response or its failure, and this machine's clock around it."""

    url: str
    response: requests.Response | None
    error: OSError | None
    sent_at: float
    answered_at: float


def probe_health(
    url: str, timeout: float = 5.0, now: Callable[[], float] = time.time, ca_file: Path | None = None
) -> HealthProbe:
    """Ask once, verifying the certificate against ``ca_file`` or the system's authorities as the sync engine's
    client does (not pinned: :func:`hall_check` sees a changed certificate)."""
    sent_at = now()
    try:
        response = requests.get(
            url.rstrip("/") + "/v1/health",
            timeout=(3.05, timeout),
            allow_redirects=False,
            verify=str(ca_file) if ca_file is not None else True,
        )
    except OSError as exc:  # requests' errors, and the plain OSError of a ca_file that is not there
        return HealthProbe(url, None, exc, sent_at, now())
    return HealthProbe(url, response, None, sent_at, now())


def tls_check(probe: HealthProbe, ca_file: Path | None = None) -> Check:
    """https with a certificate that verifies (against ``ca_file``, if set); plain http only to this machine."""
    parts = urlsplit(probe.url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        if _is_loopback(host):
            return Check("tls", "ok", _("大厅在本机（{host}），不经网络，不需要 TLS", host=host))
        return Check(
            "tls",
            "warn",
            _("连大厅不是 TLS：{url} 不加密", url=probe.url),
            _("请大厅提供 https:// 地址，再用它重新登记（kiosk enroll https://… 登记码）"),
        )
    if isinstance(probe.error, requests.exceptions.SSLError):
        untrusted = tls_failure(probe.error, host, ca_file)
        detail = _("大厅 {host} 的 TLS 证书没有通过验证：{error}", host=host, error=first_line(probe.error))
        fix = _("大厅证书须由受信任的机构签发（城市自建 CA 的，在设置 sync.ca_file 写明 CA 证书文件）；也核对本机时钟")
        return Check("tls", "fail", str(untrusted) if untrusted else detail, fix)
    if probe.response is None:
        return Check("tls", "note", _("连不上大厅，没能检查 TLS"))
    return Check("tls", "ok", _("TLS 证书已验证（{host}）", host=host))


def clock_check(probe: HealthProbe, warn_over: float = 60.0, fail_over: float = 300.0) -> Check:
    """This machine's clock against the ``Date`` header of the hall's answer."""
    if probe.response is None:
        return Check("clock", "note", _("连不上大厅，没能比对时钟"))
    try:
        hall_time = email.utils.parsedate_to_datetime(probe.response.headers.get("Date", "")).timestamp()
    except (TypeError, ValueError):
        return Check("clock", "note", _("大厅的应答没有 Date 头，没能比对时钟"))
    # Date is whole seconds, cut short, and servers may reuse it for up to a second: within two seconds is the
    # same time as far as the header can tell.
    skew = (probe.sent_at + probe.answered_at) / 2 - (hall_time + 0.5)
    seconds = f"{abs(skew):.0f}"
    if abs(skew) < 2:
        detail = _("本机时钟与大厅一致（相差不到 2 秒）")
    elif skew > 0:
        detail = _("本机时钟比大厅快 {seconds} 秒", seconds=seconds)
    else:
        detail = _("本机时钟比大厅慢 {seconds} 秒", seconds=seconds)
    fix = _("校准时钟：sudo timedatectl set-ntp true（或向大厅要 NTP 服务器地址）；流水号和预约时段都按日期算")
    if abs(skew) > fail_over:
        return Check("clock", "fail", detail, fix)
    if abs(skew) > warn_over:
        return Check("clock", "warn", detail, fix)
    return Check("clock", "ok", detail)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
