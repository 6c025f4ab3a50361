"""TLS to the hall: verified against the city's CA (``sync.ca_file``) or the system's, and pinned to the certificate
the hall presented at enrolment.

Verification is always on; there is no way to turn it off. At enrolment the client notes the SHA-256 fingerprint
of the certificate each answer came over (:attr:`HallAdapter.served`) and the kiosk keeps the one the enrolment
call was answered on. From then on every new connection must present that very certificate: urllib3 compares the
fingerprint right after the handshake (``assert_fingerprint``), before the request, so neither the kiosk's token
nor a sealed submission reaches a host that is not the enrolled hall. The chain is still checked against the CA
and the dates on every connection; the host name was checked at enrolment and is part of the pinned certificate.

    >>> session.mount("https://", HallAdapter(pinned=enrolment.hall_certificate_sha256))
    >>> tls_failure(exc, "hall.example", ca_file)   # what went wrong, as HallNotTrusted, or None
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from requests.adapters import HTTPAdapter

from offline_cache.errors import HallNotTrusted

# OpenSSL's verification results (X509_V_ERR_…) that say which thing about the certificate is wrong.
_UNTRUSTED = {2, 18, 19, 20, 21}  # no issuer known here, or self-signed: not the city's CA (nor a public one)
_NOT_YET_VALID, _EXPIRED = 9, 10
_WRONG_NAME = {62, 64}  # host name, IP address


def certificate_sha256(der: bytes) -> str:
    """The fingerprint as ``openssl x509 -noout -fingerprint -sha256`` prints it: ``AB:CD:…``, so a technician can
    compare it with the hall's certificate file."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


class HallAdapter(HTTPAdapter):
    """requests' transport, pinned to the certificate with fingerprint ``pinned`` (none: verified, not pinned), and
    noting the fingerprint of the certificate each answer came over in :attr:`served` (empty over plain http)."""

    def __init__(self, pinned: str = "") -> None:
        super().__init__()
        self.pinned = pinned
        self.served = ""

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> tuple[dict, dict]:
        # requests' own hook for TLS options; being part of the pool's key, a pinned connection is never shared.
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if self.pinned and host_params["scheme"] == "https":
            pool_kwargs["assert_fingerprint"] = self.pinned
        return host_params, pool_kwargs

    def close(self) -> None:
        # urllib3 2 closes a forgotten pool's connections only once the pool is garbage (and a logged error's
        # traceback may keep it): close them now, as a hall over TLS waits for its peers to close when it stops.
        pools = self.poolmanager.pools
        for key in pools.keys():
            if (pool := pools.get(key)) is not None:
                pool.close()
        super().close()

    def build_response(self, req: Any, resp: Any) -> Any:
        # The answer is not read yet, so its connection, and the certificate it was made with, are still at hand.
        sock = getattr(resp.connection, "sock", None)
        der = sock.getpeercert(binary_form=True) if hasattr(sock, "getpeercert") else None
        self.served = certificate_sha256(der) if der else ""
        return super().build_response(req, resp)


def ca_file_problem(ca_file: Path | None) -> str:
    """Why the city's CA file cannot be used (missing, unreadable, no certificate in it); empty if it can."""
    if ca_file is None:
        return ""
    try:
        ssl.create_default_context(cafile=ca_file)
    except ssl.SSLError:
        reason = "里面没有证书"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    else:
        return ""
    return f"设置 sync.ca_file 指的 CA 证书 {ca_file} 用不了（{reason}），请技术员放入城市 CA 的证书（PEM 格式）"


def tls_failure(exc: BaseException, host: str, ca_file: Path | None) -> HallNotTrusted | None:
    """What is wrong with the hall's certificate, said for the technician and the person at the screen; None when
    ``exc`` is not about the certificate (a reset during the handshake is the network's doing)."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _verification_failure(cause, host, ca_file)
        if "Fingerprints did not match" in str(cause):  # urllib3's assert_fingerprint
            return HallNotTrusted(
                "大厅的证书与登记时不同，可能不是大厅在应答；申请都存在本机，不会丢失。"
                "请技术员核实大厅是否换了证书，核实后重新登记本机（kiosk enroll）"
            )
    return None


def _verification_failure(exc: ssl.SSLCertVerificationError, host: str, ca_file: Path | None) -> HallNotTrusted:
    if exc.verify_code in _UNTRUSTED:
        if ca_file is not None:
            fix = f"请技术员核对大厅地址，以及设置 sync.ca_file（{ca_file}）是不是签发大厅证书的 CA"
        else:
            fix = "请技术员核对大厅地址；城市自建 CA 的，在设置 sync.ca_file 写明 CA 证书文件"
        return HallNotTrusted(f"大厅 {host} 的证书不是受信任的机构签发的，可能不是大厅在应答；{fix}")
    if exc.verify_code in _WRONG_NAME:
        return HallNotTrusted(
            f"大厅的证书不是签给 {host} 的，可能不是大厅在应答；请技术员核对大厅地址，须与证书上的名称一致"
        )
    if exc.verify_code == _EXPIRED:
        return HallNotTrusted(f"大厅 {host} 的证书已过期；请技术员核对本机时钟，并请大厅更换证书")
    if exc.verify_code == _NOT_YET_VALID:
        return HallNotTrusted(f"大厅 {host} 的证书尚未生效；请技术员核对本机时钟（sudo timedatectl set-ntp true）")
    return HallNotTrusted(f"大厅 {host} 的证书没有通过验证（{exc.verify_message}），请技术员检查大厅的证书")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests wraps urllib3's error (in ``args``, or as a retry's ``reason``), which
    wraps the ssl module's."""
    todo, seen = [exc], set()
    while todo:
        cause = todo.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        wrapped = [*cause.args, getattr(cause, "reason", None), cause.__cause__, cause.__context__]
        todo += [inner for inner in wrapped if isinstance(inner, BaseException)]
