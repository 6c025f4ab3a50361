"""The fault-injecting proxy itself, against a tiny threaded HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.cache.faultproxy import FaultProxy


class Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def count(self, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for _, p in self.hits if path is None or p == path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _record(self) -> None:
        with self.server.lock:
            self.server.hits.append((self.command, self.path))

    def _json(self, code: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Upstream", "yes")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._record()
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-eof":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"no length, ends at EOF")
            self.close_connection = True
        else:
            self._json(200, {"path": self.path, "n": self.server.count(), "connection": self.headers["Connection"]})

    def do_POST(self) -> None:
        self._record()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._json(201, {"received": json.loads(body), "n": self.server.count()})


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(2)


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.port) as proxy:
        yield proxy


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def proxy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("faultproxy-") and t.is_alive()]


def test_pass_through_relays_status_body_and_headers_for_many_requests_in_one_session(proxy, upstream, session):
    assert proxy.url == f"http://127.0.0.1:{proxy.port}" and proxy.port != upstream.port
    for i in range(1, 4):
        response = session.get(proxy.url + f"/items/{i}?x=1", timeout=2)
        assert response.status_code == 200
        assert response.json() == {"path": f"/items/{i}?x=1", "n": i, "connection": "close"}
        assert response.headers["X-Upstream"] == "yes"
        assert response.headers["Connection"] == "close"  # the client does not reuse the connection
    response = session.post(proxy.url + "/submit", json={"a": [1, 2, 3], "名": "李"}, timeout=2)
    assert response.status_code == 201
    assert response.json() == {"received": {"a": [1, 2, 3], "名": "李"}, "n": 4}
    assert proxy.requests_seen == [("GET", "/items/1"), ("GET", "/items/2"), ("GET", "/items/3"), ("POST", "/submit")]
    assert proxy.forwarded == upstream.count() == 4


def test_pass_through_relays_chunked_and_eof_delimited_answers(proxy, session):
    response = session.get(proxy.url + "/chunked", timeout=2)
    assert (response.status_code, response.text) == (200, "hello chunked world")
    response = session.get(proxy.url + "/until-eof", timeout=2)
    assert (response.status_code, response.text) == (200, "no length, ends at EOF")


def test_refuse_gives_connection_error_then_the_same_port_works_again(proxy, upstream, session):
    port = proxy.port
    proxy.refuse()
    with pytest.raises(requests.ConnectionError):
        session.get(proxy.url + "/health", timeout=1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert upstream.count() == 0 and proxy.requests_seen == []
    proxy.pass_through()
    assert proxy.port == port
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    proxy.refuse()
    proxy.refuse()  # idempotent
    proxy.blackhole()  # any other mode listens again
    proxy.pass_through()
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    assert proxy.port == port


def test_reset_mid_response_loses_the_answer_but_the_server_processed_the_request(proxy, upstream, session):
    proxy.reset_mid_response()
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        session.post(proxy.url + "/submit", json={"serial": "X1"}, timeout=2)
    assert upstream.count("/submit") == 1  # stored, though the client never heard
    assert proxy.forwarded == 1
    proxy.pass_through()
    assert session.get(proxy.url + "/after", timeout=2).json()["n"] == 2


def test_reset_sends_part_of_the_answer_then_rst(proxy, upstream):
    proxy.reset_mid_response()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2) as sock:
        sock.sendall(b"GET /raw HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    if received:  # the kernel may drop the queued bytes when the RST arrives first
        assert received.startswith(b"HTTP/1.1 200")
    assert upstream.count("/raw") == 1


def test_a_fault_limited_to_one_path_lets_the_others_through(proxy, upstream, session):
    proxy.reset_mid_response(only_path="/batch")
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        session.post(proxy.url + "/batch", json=[1], timeout=2)
    proxy.status(502, only_path="/batch")
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    assert session.post(proxy.url + "/batch", json=[1], timeout=2).status_code == 502
    assert upstream.count("/batch") == 1 and upstream.count("/health") == 2


def test_blackhole_makes_the_client_time_out_and_forwards_nothing(proxy, upstream, session):
    proxy.blackhole()
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        session.get(proxy.url + "/health", timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert upstream.count() == 0 and proxy.forwarded == 0
    assert proxy.requests_seen == [("GET", "/health")]
    proxy.pass_through()
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200


@pytest.mark.parametrize(("code", "retry_after"), [(503, "7"), (500, None), (502, "120"), (429, "3")])
def test_status_answers_itself_with_the_code_and_retry_after(proxy, upstream, session, code, retry_after):
    proxy.status(code, retry_after)
    response = session.get(proxy.url + "/health", timeout=2)
    assert response.status_code == code
    assert response.headers.get("Retry-After") == retry_after
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "unavailable"}
    assert upstream.count() == 0 and proxy.forwarded == 0


def test_status_with_a_custom_body(proxy, session):
    proxy.status(503, body="down for maintenance", content_type="text/plain")
    response = session.post(proxy.url + "/submit", json={"a": 1}, timeout=2)
    assert (response.status_code, response.text, response.headers["Content-Type"]) == (
        503,
        "down for maintenance",
        "text/plain",
    )
    assert proxy.requests_seen == [("POST", "/submit")]


def test_captive_portal_answers_200_with_a_login_page(proxy, upstream, session):
    proxy.captive_portal()
    response = session.get(proxy.url + "/v1/health", timeout=2)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<form" in response.text and "登录" in response.text
    with pytest.raises(ValueError):
        response.json()
    assert upstream.count() == 0


def test_a_client_that_connects_and_leaves_without_a_request_is_ignored(proxy, session):
    for _ in range(3):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=1) as sock:
        sock.sendall(b"GET /half")  # an incomplete request, then gone
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    assert proxy.requests_seen == [("GET", "/health")]


def test_close_releases_blackholed_connections_and_stops_every_thread(upstream):
    proxy = FaultProxy(upstream.port).start()
    proxy.blackhole()
    held = []
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        sock.sendall(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
        held.append(sock)
    deadline = time.monotonic() + 2
    while len(proxy.requests_seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(proxy.requests_seen) == 3
    started = time.monotonic()
    proxy.close()
    proxy.close()  # idempotent
    assert time.monotonic() - started < 1
    assert proxy_threads() == []
    for sock in held:
        assert sock.recv(100) == b""  # closed, never answered
        sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
    assert upstream.count() == 0


def test_changing_mode_releases_blackholed_connections(proxy):
    proxy.blackhole()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2) as sock:
        sock.sendall(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
        deadline = time.monotonic() + 2
        while not proxy.requests_seen and time.monotonic() < deadline:
            time.sleep(0.01)
        proxy.pass_through()
        assert sock.recv(100) == b""


def test_slow_forwards_at_once_and_holds_the_answer_back(proxy, upstream, session):
    proxy.slow(0.6)
    with pytest.raises(requests.Timeout):
        session.post(proxy.url + "/submit", json={"serial": "X1"}, timeout=0.3)
    assert upstream.count("/submit") == 1  # the server did the work while the client waited in vain
    started = time.monotonic()
    response = session.post(proxy.url + "/submit", json={"serial": "X2"}, timeout=2)
    assert 0.6 <= time.monotonic() - started < 1.5  # a client that waits long enough hears the answer
    assert response.status_code == 201 and response.json() == {"received": {"serial": "X2"}, "n": 2}
    proxy.slow(0.6, only_path="/submit")
    started = time.monotonic()
    assert session.get(proxy.url + "/health", timeout=2).status_code == 200
    assert time.monotonic() - started < 0.5  # another path passes through


def test_changing_mode_passes_a_held_answer_on_at_once(proxy, upstream, session):
    proxy.slow(30)
    answers = []
    waiting = threading.Thread(target=lambda: answers.append(session.get(proxy.url + "/held", timeout=10)))
    waiting.start()
    deadline = time.monotonic() + 2
    while upstream.count("/held") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    proxy.pass_through()
    waiting.join(5)
    assert time.monotonic() - started < 1
    assert [answer.json()["path"] for answer in answers] == ["/held"]
