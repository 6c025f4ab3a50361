"""Enrolment of this kiosk with a hall: a single-use code from the hall's staff buys a token and the hall's
public key, kept in the kiosk's store, with the fingerprint of the hall's https certificate, which the hall must
present ever after. The technician's screen and ``kiosk enroll`` both come here.

    >>> enrol_with_hall(services, "http://hall.example:8700", "K7QH-M2XD")   # or EnrolmentFailed(message)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from config.i18n import _
from config.settings import Settings
from offline_cache import CacheError, Enrolment, Store
from offline_cache.hall_client import (
    HallClient,
    HallNotTrusted,
    HallRefused,
    HallRejected,
    HallUnreachable,
    NotTheHall,
    SyncError,
)

if TYPE_CHECKING:
    from kiosk.services import KioskServices


class EnrolmentFailed(Exception):
    """Enrolment did not happen; the message tells the technician what to do."""


def enrol(store: Store, settings: Settings, url: str, code: str) -> Enrolment:
    """Enrol with the hall at ``url``: check it is the hall, spend the code, keep the token and the hall's key, and
    the certificate it answered with over https (verified against ``sync.ca_file`` or the system's authorities)."""
    client = HallClient(url, timeout=settings.sync.timeout_seconds, ca_file=settings.sync.ca_file)
    try:
        client.health()
        answer = client.enroll(code.strip(), settings.station.id, settings.station.name)
        certificate = client.served_certificate  # of the connection that answered with the token
    finally:
        client.close()
    enrolment = Enrolment(
        url=client.url,
        kiosk_id=str(answer["kiosk_id"]),
        station_id=settings.station.id,
        token=str(answer["token"]),
        hall_public_key=str(answer["hall_public_key"]),
        enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"),
        hall_signing_key=str(answer.get("hall_signing_key", "")),
        hall_certificate_sha256=certificate,
    )
    store.enrol(enrolment)
    return enrolment


def enrol_checked(store: Store, settings: Settings, url: str, code: str) -> Enrolment:
    """:func:`enrol`, with the address and code checked first. Raises :class:`EnrolmentFailed` with what to do:
    a used code, a hall out of reach, a login page."""
    url, code = url.strip(), code.strip()
    if not url.startswith(("http://", "https://")):
        raise EnrolmentFailed(_("请填写大厅地址，以 http:// 或 https:// 开头"))
    if not code:
        raise EnrolmentFailed(_("请填写大厅工作人员给的登记码"))
    try:
        return enrol(store, settings, url, code)
    except HallRefused:
        raise EnrolmentFailed(_("登记码无效或已使用过，请向大厅工作人员索取新的登记码")) from None
    except HallNotTrusted as exc:
        raise EnrolmentFailed(_("登记未完成：{detail}", detail=str(exc))) from None
    except NotTheHall as exc:
        raise EnrolmentFailed(
            _("应答的不是政务服务大厅：{detail}。网络可能要先登录，或地址填错了", detail=str(exc))
        ) from None
    except HallUnreachable as exc:
        raise EnrolmentFailed(_("{detail}：请检查大厅地址和网络", detail=str(exc))) from None
    except HallRejected as exc:
        raise EnrolmentFailed(_("{detail}：请核对登记码和本机站点编号", detail=str(exc))) from None
    except (SyncError, CacheError) as exc:
        raise EnrolmentFailed(_("登记未完成：{detail}", detail=str(exc))) from None


def enrol_with_hall(services: KioskServices, url: str, code: str) -> Enrolment:
    """Enrol the running kiosk (:func:`enrol_checked`), then sync at once."""
    enrolment = enrol_checked(services.store, services.settings, url, code)
    services.sync_now()
    return enrolment
