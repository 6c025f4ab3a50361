"""TLS to the hall: the city's own CA, verification always on, the hall's certificate pinned at enrolment. The real
hall (uvicorn on loopback) serves certificates of a throw-away CA (trustme); replacing its certificate file and
restarting it is how a hall changes certificate, or how an impostor with a certificate of the same CA looks."""

from __future__ import annotations

import re
import signal
import ssl
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from config.settings import Settings, SyncSettings
from kiosk.board.hall import BoardError, HallBoard
from kiosk.cli import main as kiosk_command
from kiosk.doctor.hall import hall_check, probe_health, tls_check
from kiosk.enrolment import EnrolmentFailed, enrol, enrol_checked
from kiosk.hall.backends import open_storage
from kiosk.hall.runner import HallServer
from offline_cache import NewSubmission, Store
from offline_cache.hall_client import HallClient, HallNotTrusted
from offline_cache.hall_tls import certificate_sha256
from offline_cache.sync import SyncEngine

HOST = "127.0.0.1"
FAST = {"backoff_base_seconds": 0.05, "backoff_cap_seconds": 0.5, "timeout_seconds": 5.0}
PERSON = {"applicant": {"name": "李建国", "number": "53040219580701013X"}, "values": {"phone": "13800001234"}}


class Clock:
    """Unix time that moves only when the test says so: backoffs are waited out by moving it."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def city_ca() -> trustme.CA:
    return trustme.CA(organization_name="玉溪市政务服务 CA")


@pytest.fixture
def ca_file(tmp_path: Path, city_ca: trustme.CA) -> Path:
    path = tmp_path / "city-ca.pem"
    city_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def hall_pem(tmp_path: Path) -> Path:
    """The hall's certificate and key, in one file the hall reads at each start."""
    return tmp_path / "hall.pem"


@pytest.fixture
def hall_certificate(city_ca: trustme.CA) -> trustme.LeafCert:
    return city_ca.issue_cert(HOST)


@pytest.fixture
def tls_hall(tmp_path: Path, hall_pem: Path, hall_certificate: trustme.LeafCert):
    """The hall over https with a certificate of the city's CA for its address; a test may serve another."""
    serve(hall_certificate, hall_pem)
    server = HallServer(tmp_path / "hall.db", host=HOST, ssl_certfile=hall_pem)
    server.start()
    yield server
    server.stop()


def serve(certificate: trustme.LeafCert, hall_pem: Path, hall: HallServer | None = None) -> None:
    """Put ``certificate`` in the hall's file, restarting ``hall`` (if given) so that it serves it."""
    if hall is not None:
        hall.stop()
    certificate.private_key_and_cert_chain_pem.write_to_path(str(hall_pem))
    if hall is not None:
        hall.start()


def fingerprint(certificate: trustme.LeafCert) -> str:
    return certificate_sha256(ssl.PEM_cert_to_DER_cert(certificate.cert_chain_pems[0].bytes().decode()))


def settings_with(ca_file: Path | None) -> Settings:
    return Settings(sync=SyncSettings(ca_file=ca_file, **FAST))


def submit(store: Store) -> str:
    new = NewSubmission(
        str(uuid.uuid4()), "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 10, 0), {"applicant": "李**"}, PERSON
    )
    return store.add_submission(new, lambda seq: f"DEMO01-261123-{seq:04d}-X").serial


def hall_serials(hall: HallServer) -> list[str]:
    return sorted(case["serial"] for case in hall.storage.cases())


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "kiosk.db")
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(store: Store, tls_hall: HallServer, ca_file: Path, clock: Clock):
    """The kiosk's sync engine, trusting the city's CA."""
    engine = SyncEngine(store, settings_with(ca_file).sync, clock=clock)
    yield engine
    engine.stop()  # closes its connection before the hall stops: a hall over TLS waits for that (30 s) otherwise


def enrol_refused(store: Store, hall: HallServer, ca_file: Path | None) -> str:
    """Try to enrol over TLS: the message the technician is shown (nothing is kept)."""
    code = hall.storage.new_enrolment_code()
    with pytest.raises(EnrolmentFailed) as refused:
        enrol_checked(store, settings_with(ca_file), hall.url, code)
    assert store.enrolment() is None
    return str(refused.value)


def test_a_hall_certified_by_the_city_ca_enrols_pinned_and_takes_a_submission(
    store, tls_hall, hall_certificate, ca_file, engine
):
    settings = settings_with(ca_file)
    assert tls_hall.url.startswith("https://")
    enrolment = enrol(store, settings, tls_hall.url, tls_hall.storage.new_enrolment_code())
    assert enrolment.hall_certificate_sha256 == fingerprint(hall_certificate)
    assert store.enrolment() == enrolment  # kept
    serial = submit(store)
    status = engine.sync_once()
    assert (status.online, status.pending, status.acknowledged) == (True, 0, 1)
    assert hall_serials(tls_hall) == [serial]
    assert hall_check(enrolment, 0, ca_file=ca_file).level == "ok"  # kiosk doctor
    assert tls_check(probe_health(tls_hall.url, ca_file=ca_file), ca_file).level == "ok"


def test_plain_http_enrols_as_before_and_pins_nothing(store, hall):
    enrolment = enrol(store, settings_with(None), hall.url, hall.storage.new_enrolment_code())
    assert enrolment.hall_certificate_sha256 == ""
    submit(store)
    assert SyncEngine(store, settings_with(None).sync).sync_once().pending == 0


def test_a_certificate_of_another_ca_is_refused(store, tls_hall, hall_pem, ca_file):
    serve(trustme.CA().issue_cert(HOST), hall_pem, tls_hall)
    message = enrol_refused(store, tls_hall, ca_file)
    assert "不是受信任的机构签发的" in message and str(ca_file) in message


def test_the_city_ca_is_not_trusted_unless_the_settings_name_it(store, tls_hall):
    message = enrol_refused(store, tls_hall, None)
    assert "不是受信任的机构签发的" in message and "sync.ca_file" in message


def test_a_certificate_for_another_host_is_refused(store, tls_hall, hall_pem, city_ca, ca_file):
    serve(city_ca.issue_cert("hall.other-city.example"), hall_pem, tls_hall)
    message = enrol_refused(store, tls_hall, ca_file)
    assert f"不是签给 {HOST} 的" in message


def test_an_expired_certificate_is_refused(store, tls_hall, hall_pem, city_ca, ca_file):
    now = datetime.now(UTC)
    expired = city_ca.issue_cert(HOST, not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    serve(expired, hall_pem, tls_hall)
    message = enrol_refused(store, tls_hall, ca_file)
    assert "已过期" in message and "时钟" in message


def test_a_missing_ca_file_is_said_before_anything_is_sent(tmp_path):
    missing = tmp_path / "city-ca.pem"
    with closing(HallClient("https://127.0.0.1:9", ca_file=missing)) as client:
        with pytest.raises(HallNotTrusted, match=r"sync\.ca_file") as refused:
            client.health()
    assert str(missing) in str(refused.value)


def test_another_certificate_after_enrolment_keeps_everything_here_until_the_enrolled_one_is_back(
    store, tls_hall, hall_pem, hall_certificate, city_ca, ca_file, engine, clock
):
    settings = settings_with(ca_file)
    enrolment = enrol(store, settings, tls_hall.url, tls_hall.storage.new_enrolment_code())
    serve(city_ca.issue_cert(HOST), hall_pem, tls_hall)  # valid for the CA, the address and the dates: not the one
    serial = submit(store)
    status = engine.sync_once()
    assert (status.online, status.paused, status.pending) == (False, False, 1)
    assert "大厅的证书与登记时不同" in status.last_error and "重新登记" in status.last_error
    assert hall_serials(tls_hall) == []  # nothing reached the hall, nor the token: refused before the request
    pinned = enrolment.hall_certificate_sha256
    with closing(HallClient(enrolment.url, enrolment.token, ca_file=ca_file, certificate=pinned)) as client:
        with pytest.raises(HallNotTrusted, match="与登记时不同"):
            client.health()
    doctor = hall_check(enrolment, 0, ca_file=ca_file)
    assert doctor.level == "fail" and "与登记时不同" in doctor.detail and pinned in doctor.fix

    serve(hall_certificate, hall_pem, tls_hall)  # the hall's own certificate is back
    clock.t += settings.sync.backoff_cap_seconds  # the engine's own backoff, waited out: no technician needed
    status = engine.sync_once()
    assert (status.online, status.pending, status.acknowledged) == (True, 0, 1)
    engine.sync_once()
    assert hall_serials(tls_hall) == [serial]  # exactly once


def test_the_pinned_certificate_is_still_verified_against_the_ca(store, tls_hall, ca_file, tmp_path):
    enrolment = enrol(store, settings_with(ca_file), tls_hall.url, tls_hall.storage.new_enrolment_code())
    another_ca = tmp_path / "another-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(another_ca))
    pinned = enrolment.hall_certificate_sha256
    with closing(HallClient(enrolment.url, enrolment.token, ca_file=another_ca, certificate=pinned)) as client:
        with pytest.raises(HallNotTrusted, match="不是受信任的机构签发的"):
            client.health()


def test_re_enrolment_pins_the_new_certificate(store, tls_hall, hall_pem, city_ca, ca_file, engine, clock):
    settings = settings_with(ca_file)
    enrol(store, settings, tls_hall.url, tls_hall.storage.new_enrolment_code())
    renewed = city_ca.issue_cert(HOST)
    serve(renewed, hall_pem, tls_hall)
    assert not engine.sync_once().online
    enrolment = enrol(store, settings, tls_hall.url, tls_hall.storage.new_enrolment_code())
    assert enrolment.hall_certificate_sha256 == fingerprint(renewed)
    serial = submit(store)
    clock.t += settings.sync.backoff_cap_seconds
    assert engine.sync_once().pending == 0  # the same engine takes the new enrolment
    assert hall_serials(tls_hall) == [serial]


def test_kiosk_hall_serve_serves_https_with_the_certificate_and_key_given(tmp_path, store, hall_certificate, ca_file):
    cert, key, db = tmp_path / "hall.crt", tmp_path / "hall.key", tmp_path / "hall.db"
    hall_certificate.cert_chain_pems[0].write_to_path(str(cert))
    hall_certificate.private_key_pem.write_to_path(str(key))
    argv = ["hall", "serve", "--db", str(db), "--port", "0", "--tls-cert", str(cert), "--tls-key", str(key)]
    process = subprocess.Popen([sys.executable, "-m", "kiosk", *argv], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"https://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        with closing(open_storage(db)) as storage:
            code = storage.new_enrolment_code()
        enrolment = enrol(store, settings_with(ca_file), url, code)
        assert enrolment.hall_certificate_sha256 == fingerprint(hall_certificate)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_kiosk_hall_serve_says_when_the_certificate_cannot_be_served(tmp_path, capsys):
    db = str(tmp_path / "hall.db")
    assert kiosk_command(["hall", "serve", "--db", db, "--tls-cert", str(tmp_path / "missing.pem")]) == 2
    assert "missing.pem 无法使用" in capsys.readouterr().err
    assert kiosk_command(["hall", "serve", "--db", db, "--tls-key", str(tmp_path / "hall.key")]) == 2
    assert "--tls-cert" in capsys.readouterr().err


def test_the_display_board_reads_the_line_with_the_city_ca_and_says_why_not_without_it(tls_hall, ca_file, tmp_path):
    token = tls_hall.storage.new_board_token()
    trusting = HallBoard(tls_hall.url, token, ca_file=ca_file)
    assert trusting.fetch().station == ""
    for ca, said in ((None, "sync.ca_file"), (tmp_path / "absent.pem", "用不了")):
        board = HallBoard(tls_hall.url, token, ca_file=ca)
        with pytest.raises(BoardError, match=said):
            board.fetch()
        board.close()
    trusting.close()
