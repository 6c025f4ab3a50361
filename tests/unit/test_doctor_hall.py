"""The hall checks of ``kiosk doctor`` against the reference hall on loopback: over plain http, over TLS with a
certificate the kiosk trusts or does not, stopped, refusing a revoked token, and a login page in its place."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import ipaddress
import threading
import time
from dataclasses import replace

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from config.settings import Settings
from kiosk.doctor.hall import HealthProbe, clock_check, enrolment_check, hall_check, probe_health, tls_check
from kiosk.enrolment import enrol
from kiosk.hall.runner import listening_socket
from offline_cache import Enrolment, Store


@pytest.fixture
def enrolment(tmp_path, hall) -> Enrolment:
    store = Store(tmp_path / "kiosk.db")
    try:
        return enrol(store, Settings(), hall.url, hall.storage.new_enrolment_code())
    finally:
        store.close()


def test_an_enrolled_kiosk_passes(enrolment):
    check = enrolment_check(enrolment, "DEMO01")
    assert check.level == "ok" and enrolment.url in check.detail


def test_an_unenrolled_kiosk_fails_with_how_to_enrol():
    check = enrolment_check(None, "DEMO01")
    assert check.level == "fail" and "kiosk enroll" in check.fix


def test_enrolled_under_another_station_warns(enrolment):
    check = enrolment_check(enrolment, "HT01")
    assert check.level == "warn" and "HT01" in check.detail and "station.id" in check.fix


def test_the_hall_answering_and_taking_the_token_passes(enrolment):
    check = hall_check(enrolment, 0)
    assert check.level == "ok" and "凭证有效" in check.detail


def test_an_https_enrolment_without_a_pinned_certificate_warns_until_enrolled_again(enrolment):
    https = dataclasses.replace(enrolment, url="https://hall.example")
    check = enrolment_check(https, "DEMO01")
    assert check.level == "warn" and "指纹" in check.detail and "kiosk enroll" in check.fix
    pinned = dataclasses.replace(https, hall_certificate_sha256="AB:CD")
    assert enrolment_check(pinned, "DEMO01").level == "ok"


def test_a_stopped_hall_fails(enrolment, hall):
    hall.stop()
    check = hall_check(enrolment, 0, timeout=2.0)
    assert check.level == "fail" and "/v1/health" in check.fix


def test_a_revoked_token_fails_with_how_to_enrol_again(enrolment, hall, tmp_path):
    again = Store(tmp_path / "reinstalled.db")
    try:  # the same station enrolled again, as after a reinstall: the hall revokes the earlier token
        enrol(again, Settings(), hall.url, hall.storage.new_enrolment_code())
    finally:
        again.close()
    check = hall_check(enrolment, 0)
    assert check.level == "fail" and "凭证" in check.detail and "kiosk enroll" in check.fix


def test_a_login_page_in_the_halls_place_fails(enrolment):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        portal = replace(enrolment, url=f"http://127.0.0.1:{server.server_address[1]}")
        check = hall_check(portal, 0)
    finally:
        server.shutdown()
    assert check.level == "fail" and "不是大厅" in check.detail and "登录" in check.fix


class LoginPage(http.server.BaseHTTPRequestHandler):
    """A captive portal: every address answers 200 with its login page."""

    def do_GET(self) -> None:
        body = "<html><body>请先登录 Wi-Fi</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_plain_http_to_this_machine_passes_and_across_the_network_warns(hall):
    assert tls_check(probe_health(hall.url)).level == "ok"
    remote = HealthProbe("http://192.0.2.10:8700", None, None, 0.0, 0.0)  # the scheme alone decides
    check = tls_check(remote)
    assert check.level == "warn" and "不是 TLS" in check.detail and "https://" in check.fix


@pytest.fixture
def tls_hall(tmp_path, hall):
    """The same hall's API served over TLS with a self-signed certificate for 127.0.0.1; yields its URL and the
    certificate file a kiosk would have to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk test hall")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "hall.pem", tmp_path / "hall.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        hall.app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file), log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"https://127.0.0.1:{port}", cert_file
    server.should_exit = True
    thread.join()
    sock.close()


def test_tls_with_a_certificate_the_kiosk_does_not_trust_fails(tls_hall, monkeypatch):
    url, _certificate = tls_hall
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    check = tls_check(probe_health(url))
    assert check.level == "fail" and "不是受信任的机构签发的" in check.detail and "sync.ca_file" in check.fix


def test_tls_with_a_certificate_the_kiosk_trusts_passes_and_the_hall_answers_over_it(tls_hall, enrolment, monkeypatch):
    url, certificate = tls_hall
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    check = tls_check(probe_health(url))
    assert check.level == "ok" and "已验证" in check.detail
    assert hall_check(replace(enrolment, url=url), 0).level == "ok"


def test_the_clock_against_the_halls_date_header(hall):
    assert clock_check(probe_health(hall.url)).level == "ok"
    ahead = clock_check(probe_health(hall.url, now=lambda: time.time() + 120))
    assert ahead.level == "warn" and "快" in ahead.detail and "timedatectl" in ahead.fix
    behind = clock_check(probe_health(hall.url, now=lambda: time.time() - 400))
    assert behind.level == "fail" and "慢" in behind.detail


def test_the_clock_of_a_stopped_hall_is_not_compared(hall):
    hall.stop()
    probe = probe_health(hall.url, timeout=2.0)
    assert clock_check(probe).level == "note" and tls_check(probe).level == "ok"  # loopback http needs no TLS
