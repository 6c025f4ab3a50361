"""Browser mode (``kiosk serve``): the kiosk offered to the browser on this machine's screen with textual-serve.

textual-serve starts a new kiosk process for every WebSocket and has no sign-in and no Origin check, so this
server listens on loopback unless a setting says otherwise, lets one page drive the kiosk at a time (a second
gets a page saying the kiosk is in use, never a second process fighting over the serial ports), refuses pages
of other origins, and serves its fonts itself (the stock page loads one from the internet; a kiosk is offline).
Its page never shows "Session ended": when the kiosk process ends or the socket drops, it reconnects by itself.

    >>> server = KioskServer(kiosk_command(config=None), address="127.0.0.1", port=8765, font_px=24)  # kiosk.display
    >>> server.serve()        # until SIGTERM or Ctrl+C
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from devices.printer.render import find_cjk_font

log = logging.getLogger("kiosk.browser")

TEMPLATES = Path(__file__).parent / "templates"
IN_USE_STATUS = 409
PROCESS_EXIT_SECONDS = 15.0
LEAST_GRID = (100, 35)  # columns and rows every screen of the kiosk is laid out for


class AddressRefused(Exception):
    """``kiosk serve`` was asked to listen where anyone could drive the kiosk."""


def check_address(address: str, allow_remote: bool) -> None:
    """Refuse an address other than loopback unless the settings allow it; the message says why and how."""
    try:
        loopback = address == "localhost" or ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise AddressRefused(
            f"浏览器模式只在本机地址（127.0.0.1）上提供：能打开这个页面的人无需登录就能操作终端。"
            f"确需在 {address} 上提供，请在设置 [display] 中写 allow_remote = true，并用防火墙只放行显示终端"
        )


class KioskServer(Server):
    """textual-serve's server with one client at a time, same-origin sockets, local fonts and a page that
    reconnects."""

    def __init__(self, command: str, *, address: str, port: int, font_px: int, cjk_font: Path | None = None) -> None:
        super().__init__(command, host=address, port=port, title="政务服务自助终端", templates_path=TEMPLATES)
        self.font_px = font_px
        self.cjk_font = cjk_font or find_cjk_font()
        self.in_use = False

    def initialize_logging(self) -> None:
        """The kiosk's own logging (configured by the command) instead of textual-serve's rich console."""

    async def on_startup(self, app: web.Application) -> None:
        log.info("browser mode: serving %r on %s", self.command, self.public_url)
        print(f"kiosk: 浏览器模式 {self.public_url}（Ctrl+C 停止）", flush=True)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/fonts/cjk", self.handle_cjk_font)
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.in_use:
            return aiohttp_jinja2.render_template("in_use.html", request, {}, status=IN_USE_STATUS)
        return await self._index(request)

    @aiohttp_jinja2.template("app_index.html")
    async def _index(self, request: web.Request) -> dict[str, Any]:
        context = await Server.handle_index.__wrapped__(self, request)
        size = request.query.get("fontsize", "")
        context["font_size"] = int(size) if size.isdigit() else self.font_px
        context["columns"], context["rows"] = LEAST_GRID
        # Addresses as the page was reached (127.0.0.1 or localhost): the socket must be of the page's origin.
        context["app_websocket_url"] = f"ws://{request.host}/ws"
        context["config"]["static"]["url"] = "/static/"
        return context

    async def handle_cjk_font(self, request: web.Request) -> web.StreamResponse:
        if self.cjk_font is None or not self.cjk_font.is_file():
            raise web.HTTPNotFound(text="no CJK font on this machine: apt install fonts-wqy-zenhei")
        return web.FileResponse(self.cjk_font, headers={"Cache-Control": "max-age=86400"})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin != self._origin(request):
            log.warning("refused a socket from another page's origin %r", origin)
            raise web.HTTPForbidden(text="another origin")
        if self.in_use:
            log.warning("refused a second browser client from %s: the kiosk is in use", request.remote)
            raise web.HTTPConflict(text="the kiosk is in use")
        self.in_use = True  # no await between the check and this: one client at a time
        try:
            return await self._session(request)
        finally:
            self.in_use = False

    async def _session(self, request: web.Request) -> web.WebSocketResponse:
        """One page's kiosk process, as textual-serve runs it, but the socket closes when the process ends
        (textual-serve's stays open on a process that died, and the page would show its last screen forever)."""
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        session = KioskSession(
            self.command,
            write_bytes=socket.send_bytes,
            write_str=socket.send_str,
            close=socket.close,
            download_manager=self.download_manager,
        )
        log.info("browser client %s connected; starting the kiosk", request.remote)
        try:
            await session.start(_size(request, "width", 100), _size(request, "height", 35))
            await self._process_messages(socket, session)
        except asyncio.CancelledError:
            await socket.close()
        finally:
            await session.stop()
            log.info("browser client %s gone; its kiosk process has ended", request.remote)
        return socket

    @staticmethod
    def _origin(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"


class KioskSession(AppService):
    """textual-serve's app process, waited for (the next page's process must not meet this one at the serial
    ports), with the page's socket closed when it ends."""

    async def run(self) -> None:
        await super().run()
        process = self._process
        assert process is not None
        try:
            status = await asyncio.wait_for(process.wait(), PROCESS_EXIT_SECONDS)
        except TimeoutError:
            log.error("the kiosk process closed its output but did not end: killing it")
            process.kill()
            status = await process.wait()
        if status != 0:
            log.warning("the kiosk process ended with status %s", status)
        await self.remote_close()  # the page reconnects, and a new kiosk process starts


def _size(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name, "")
    return int(value) if value.isdigit() else default
