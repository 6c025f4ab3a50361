"""A loopback HTTP/1.1 proxy that injects network faults between a client and a server, for tests.

The proxy reads each request (request line, headers, Content-Length or chunked body), answers it according to the
current mode and then closes the client connection (every answer carries ``Connection: close``, so a keep-alive
client such as a ``requests.Session`` opens a fresh connection for its next request). Modes can be switched at any
moment from the test's thread::

    with FaultProxy(server_port) as proxy:
        client.base_url = proxy.url
        proxy.refuse()                  # connect() gets ECONNREFUSED
        proxy.pass_through()            # the same port works again
        proxy.reset_mid_response()      # the server processes the request, the client gets half an answer and RST
        proxy.blackhole()               # the request is swallowed, the client hits its read timeout
        proxy.slow(10)                  # the server does the work at once, its answer reaches the client 10 s later
        proxy.status(503, retry_after="7")
        proxy.captive_portal()          # 200 text/html login page, like hotel wifi
        proxy.date_shift = -86400       # in any mode, the answers' Date a day back: a kiosk clock a day ahead

Every fault mode except ``refuse`` takes ``only_path=``: the fault then hits only requests for that path (query string
ignored) and every other request passes through. A change of mode lets go of held requests: a blackholed one is closed
unanswered, a slow one's answer passed on at once. ``requests_seen`` lists ``(method, path)`` of every request read,
in all modes; ``forwarded`` counts the requests actually sent to the server, and ``wait_for_answers()`` waits until
the server has answered each of them.
"""

from __future__ import annotations

import email.utils
import http
import socket
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["CAPTIVE_PORTAL_HTML", "FaultProxy"]

CAPTIVE_PORTAL_HTML = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>Wi-Fi 登录</title></head>
<body>
<h1>欢迎使用免费 Wi-Fi</h1>
<form method="post" action="/portal/login">
<label>手机号 <input name="phone" type="tel"></label>
<label>验证码 <input name="code"></label>
<button type="submit">登录上网</button>
</form>
</body>
</html>
"""

_MAX_HEAD = 64 * 1024
_IO_TIMEOUT = 10.0
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection"}


@dataclass(frozen=True)
class _Mode:
    kind: str  # "pass", "refuse", "reset", "blackhole", "slow", "status", "portal"
    only_path: str | None = None
    code: int = 200
    retry_after: str | None = None
    body: str = ""
    content_type: str = ""
    seconds: float = 0.0  # how long a slow answer is held


@dataclass
class _Message:
    start_line: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def encode(self, *, close: bool = True) -> bytes:
        """The message as bytes, its Connection header rewritten to ``close``."""
        lines = [self.start_line]
        lines += [key + b": " + value for key, value in self.headers if not close or key.lower() not in _HOP_BY_HOP]
        if close:
            lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


class _Reader:
    """Buffered reads from a socket; :class:`EOFError` when the peer closes too early."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def read_until(self, marker: bytes, limit: int = _MAX_HEAD) -> bytes:
        while (index := self.buf.find(marker)) < 0:
            if len(self.buf) > limit:
                raise ValueError("header section too long")
            self._fill()
        end = index + len(marker)
        data = bytes(self.buf[:end])
        del self.buf[:end]
        return data

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_to_eof(self) -> bytes:
        while True:
            try:
                self._fill()
            except EOFError:
                break
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def read_chunked(self) -> bytes:
        """The raw bytes of a chunked body, up to and including its terminating chunk and trailers."""
        raw = bytearray()
        while True:
            line = self.read_until(b"\r\n")
            raw += line
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (trailer := self.read_until(b"\r\n")) != b"\r\n":
                    raw += trailer
                raw += b"\r\n"
                return bytes(raw)
            raw += self.read_exact(size + 2)

    def read_head(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        lines = self.read_until(b"\r\n\r\n")[:-4].split(b"\r\n")
        headers = []
        for line in lines[1:]:
            key, sep, value = line.partition(b":")
            if not sep:
                raise ValueError(f"malformed header line {line!r}")
            headers.append((key.strip(), value.strip()))
        return lines[0], headers


def _is_chunked(message: _Message) -> bool:
    return b"chunked" in (message.header(b"transfer-encoding") or b"").lower()


def _read_request(reader: _Reader) -> _Message:
    start_line, headers = reader.read_head()
    message = _Message(start_line, headers, b"")
    if _is_chunked(message):
        message.body = reader.read_chunked()
    elif (length := message.header(b"content-length")) is not None:
        message.body = reader.read_exact(int(length))
    return message


def _read_response(reader: _Reader, method: bytes) -> _Message:
    while True:
        start_line, headers = reader.read_head()
        code = int(start_line.split(b" ", 2)[1])
        if not (100 <= code < 200) or code == 101:
            break  # informational answers (100 Continue) are dropped: the client did not ask for them
    message = _Message(start_line, headers, b"")
    if method == b"HEAD" or code in (204, 304) or 100 <= code < 200:
        return message
    if _is_chunked(message):
        message.body = reader.read_chunked()
    elif (length := message.header(b"content-length")) is not None:
        message.body = reader.read_exact(int(length))
    else:
        message.body = reader.read_to_eof()
    return message


def _canned(code: int, body: bytes, content_type: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    try:
        reason = http.HTTPStatus(code).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (b"Content-Type", content_type.encode("latin-1")),
        (b"Content-Length", str(len(body)).encode()),
        *extra,
    ]
    return _Message(f"HTTP/1.1 {code} {reason}".encode("latin-1"), headers, body).encode()


def _shifted(date: bytes, seconds: float) -> bytes:
    moment = email.utils.parsedate_to_datetime(date.decode("latin-1")) + timedelta(seconds=seconds)
    return email.utils.format_datetime(moment, usegmt=True).encode("latin-1")


def _abort(sock: socket.socket) -> None:
    """Close with RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultProxy:
    """A TCP proxy on 127.0.0.1 (ephemeral port) in front of an HTTP/1.1 server; see the module docstring."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.forwarded = 0
        self.date_shift = 0.0
        """Seconds added to the ``Date`` of every answer passed on: the server's clock as a kiosk would see it if
        its own were that much behind (negative: ahead)."""
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # notified when a forwarded request has its answer
        self._in_flight = 0
        self._mode = _Mode("pass")
        self._release = threading.Event()  # set when the mode changes: blackholed connections are let go
        self._seen: list[tuple[str, str]] = []
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._started = False
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests_seen(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request read so far, in order (a snapshot copy)."""
        with self._lock:
            return list(self._seen)

    def wait_for_answers(self, timeout: float = 10.0) -> None:
        """Wait until the server has answered every request forwarded to it, whatever the client saw of the answer.

        A client that gave up at its read timeout returns before a slow server has done the work; a test that then
        looks at the server's state waits here first."""
        with self._answered:
            if not self._answered.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"the server did not answer {self._in_flight} request(s) within {timeout} s")

    def start(self) -> FaultProxy:
        with self._lock:
            if self._started:
                return self
            self._started = True
            self._listen()
        return self

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._release.set()
            self._unlisten()
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv(); close() alone would not
            except OSError:
                pass
        deadline = time.monotonic() + 2.0
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- modes ----------------------------------------------------------------------------------------------------

    def pass_through(self) -> None:
        """Forward every request to the server and relay its full answer."""
        self._set_mode(_Mode("pass"))

    def refuse(self) -> None:
        """Stop listening: connecting gets ECONNREFUSED until another mode binds the same port again."""
        self._set_mode(_Mode("refuse"))

    def reset_mid_response(self, *, only_path: str | None = None) -> None:
        """Forward the request, then send the client only part of the answer and reset the connection."""
        self._set_mode(_Mode("reset", only_path))

    def blackhole(self, *, only_path: str | None = None) -> None:
        """Read the request and never answer; the connection is held until the mode changes or the proxy closes."""
        self._set_mode(_Mode("blackhole", only_path))

    def slow(self, seconds: float, *, only_path: str | None = None) -> None:
        """Forward the request at once (the server does the work now) and hold its answer back ``seconds`` before
        passing it on, like a hall too busy to answer in time: a client that gives up sooner never hears it."""
        self._set_mode(_Mode("slow", only_path, seconds=seconds))

    def status(
        self,
        code: int,
        retry_after: str | None = None,
        body: str = '{"detail":"unavailable"}',
        content_type: str = "application/json",
        *,
        only_path: str | None = None,
    ) -> None:
        """Answer every request with ``code`` (and ``Retry-After`` when given) without forwarding it."""
        self._set_mode(_Mode("status", only_path, code, retry_after, body, content_type))

    def captive_portal(self, *, only_path: str | None = None) -> None:
        """Answer every request with 200 and an HTML login page, like a hotel wifi portal, without forwarding it."""
        self._set_mode(_Mode("portal", only_path, 200, None, CAPTIVE_PORTAL_HTML, "text/html; charset=utf-8"))

    def _set_mode(self, mode: _Mode) -> None:
        with self._lock:
            self._mode = mode
            if self._closed:
                return
            self._release.set()
            self._release = threading.Event()
            if self._started:
                if mode.kind == "refuse":
                    self._unlisten()
                elif self._listener is None:
                    self._listen()

    # -- listening (called with the lock held) ---------------------------------------------------------------------

    def _listen(self) -> None:
        if self._mode.kind == "refuse":
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"faultproxy-accept-{self.port}", daemon=True
        )
        self._threads.add(self._accept_thread)
        self._accept_thread.start()

    def _unlisten(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        listener.close()  # connections waiting in the backlog are reset

    def _accept_loop(self, listener: socket.socket) -> None:
        try:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with self._lock:
                    if self._closed or self._listener is not listener:
                        _abort(conn)
                        continue
                    thread = threading.Thread(
                        target=self._serve, args=(conn,), name=f"faultproxy-conn-{self.port}", daemon=True
                    )
                    self._sockets.add(conn)
                    self._threads.add(thread)
                thread.start()
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    # -- one connection -------------------------------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._handle(conn)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            with self._lock:
                self._sockets.discard(conn)
                self._threads.discard(threading.current_thread())
            conn.close()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(_IO_TIMEOUT)
        try:
            request = _read_request(_Reader(conn))
        except EOFError:
            return  # connected and went away without a (complete) request
        method, target = request.start_line.split(b" ", 2)[:2]
        path = urlsplit(target.decode("latin-1")).path or "/"
        with self._lock:
            self._seen.append((method.decode("latin-1"), path))
            mode, release = self._mode, self._release
        if mode.only_path is not None and path != mode.only_path:
            mode = _Mode("pass")

        if mode.kind == "refuse":  # accepted just before the listener closed
            _abort(conn)
        elif mode.kind == "blackhole":
            release.wait()
        elif mode.kind in ("status", "portal"):
            extra = [(b"Retry-After", mode.retry_after.encode("latin-1"))] if mode.retry_after is not None else []
            conn.sendall(_canned(mode.code, mode.body.encode("utf-8"), mode.content_type, extra))
        else:
            answer = self._forward(request, method)
            if answer is not None and mode.kind == "slow":
                release.wait(mode.seconds)  # cut short by a change of mode
                if self._closed:
                    return  # nothing more is sent once the proxy closes
            if answer is None:
                _abort(conn)  # the server cannot be reached: the client sees a broken connection, as it would
            elif mode.kind == "reset":
                conn.sendall(answer[: self._cut(answer)])
                time.sleep(0.05)  # let the partial answer reach the client before the RST
                _abort(conn)
            else:
                conn.sendall(answer)
                conn.shutdown(socket.SHUT_WR)

    @staticmethod
    def _cut(answer: bytes) -> int:
        """Where to cut an answer: headers and half the body, or half the headers when there is no body."""
        head_end = answer.find(b"\r\n\r\n") + 4
        body_len = len(answer) - head_end
        if body_len > 0:
            return head_end + body_len // 2
        return max(1, head_end // 2)

    def _forward(self, request: _Message, method: bytes) -> bytes | None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=_IO_TIMEOUT)
        except OSError:
            return None
        with self._lock:
            if self._closed:
                upstream.close()
                return None
            self._sockets.add(upstream)
            self._in_flight += 1
        try:
            upstream.sendall(request.encode())
            with self._lock:
                self.forwarded += 1
            answer = _read_response(_Reader(upstream), method)
            if self.date_shift:
                answer.headers = [
                    (k, _shifted(v, self.date_shift) if k.lower() == b"date" else v) for k, v in answer.headers
                ]
            return answer.encode()
        except (OSError, EOFError, ValueError):
            return None
        finally:
            with self._lock:
                self._sockets.discard(upstream)
                self._in_flight -= 1
                self._answered.notify_all()
            upstream.close()
