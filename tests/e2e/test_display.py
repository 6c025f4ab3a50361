"""``kiosk display``: the kiosk on the machine's screen under the cage compositor, as deploy/kiosk.service runs it.

What it would run is read from ``--dry-run``; a missing display program is said and ends it non-zero. Then the
installed kiosk (the installer's tree, tests/e2e/conftest.py) runs under a headless cage inside the unit's sandbox
(tests/e2e/deploy_sandbox.py) as an unprivileged user, in each mode: it must tell systemd it is ready and feed
the watchdog from the kiosk's own UI, and the terminal mode's screen is grabbed and looked at."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from kiosk.display import child_environment
from tests.e2e.test_watchdog_in_a_terminal import READY, _messages_until

ROOT = Path(__file__).parent.parent.parent
KIOSK_UNIT = ROOT / "deploy/kiosk.service"
BROWSER_DROP_IN = ROOT / "deploy/kiosk-browser.conf"
DISPLAY_USER = "kiosk-display-test"
FONT_PX = 15  # 1280 x 720, headless cage's screen: 35 rows of 20 pixels


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def _settings(tmp_path: Path, **display: object) -> Path:
    lines = [f"{name} = {value!r}".replace("'", '"') for name, value in display.items()]
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n\n[display]\n' + "\n".join(lines) + "\n")
    return path


def test_terminal_mode_runs_foot_with_the_cjk_font_at_the_configured_size_around_kiosk_run(tmp_path):
    config = _settings(tmp_path, mode="terminal", font_px=20)
    shown = _kiosk("--config", str(config), "display", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "foot --font 'WenQuanYi Zen Hei Mono:pixelsize=20,Noto Sans Mono CJK SC:pixelsize=20,"
        f"HanaMinA:pixelsize=20,monospace:pixelsize=20' -- {sys.executable} -m kiosk --config {config} run"
    ]


def test_browser_mode_serves_on_loopback_and_shows_the_page_full_screen_at_the_configured_size(tmp_path):
    config = _settings(tmp_path, mode="browser", font_px=22, port=8790)
    serve, browser = _kiosk("--config", str(config), "display", "--dry-run").stdout.splitlines()
    assert serve == f"{sys.executable} -m kiosk --config {config} serve"
    assert browser.startswith("chromium --kiosk ")
    assert f"--user-data-dir={tmp_path / 'data' / 'browser-profile'}" in browser.split()
    assert browser.split()[-1] == "'http://127.0.0.1:8790/?fontsize=22'"


def test_the_kiosk_below_the_display_may_feed_the_watchdog_whose_pid_names_cage():
    passed = child_environment({"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"})
    assert passed == {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "60000000"}


@pytest.mark.parametrize("mode, program", [("terminal", "foot"), ("browser", "chromium")])
def test_a_missing_display_program_is_said_and_ends_the_display_for_systemd_to_retry(tmp_path, mode, program):
    port = _free_port()
    config = _settings(tmp_path, mode=mode, port=port)
    empty = tmp_path / "bin"
    empty.mkdir()
    ended = _kiosk("--config", str(config), "display", "--demo", env={**os.environ, "PATH": str(empty)})
    assert ended.returncode == 1
    assert f"cannot start {program}" in ended.stderr and f"apt-get install {program}" in ended.stderr
    with pytest.raises(OSError):  # browser mode stopped the server it had started
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# Under cage, as the unit runs it.


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "the unit's sandbox needs root (a /proc of its own), and cage a user of its own"
    missing = [program for program in ("cage", "foot", "grim", "chromium") if shutil.which(program) is None]
    if missing:
        return f"{', '.join(missing)} not installed (CI installs them)"
    return None


@pytest.fixture
def display_user() -> pwd.struct_passwd:
    """An unprivileged user for cage, which refuses to run as root (the unit's User=kiosk)."""
    try:
        return pwd.getpwnam(DISPLAY_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", DISPLAY_USER],
            check=True,
        )
        return pwd.getpwnam(DISPLAY_USER)


def _folder_for(user: pwd.struct_passwd, prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


def _reachable_by_others(path: Path) -> None:
    """Let other users pass through the folders above ``path`` (pytest makes its own 0700)."""
    for folder in path.parents:
        folder.chmod(folder.stat().st_mode | 0o001)


class Display:
    """``kiosk display --demo`` of the installed tree, in cage, in the unit's sandbox, as ``user``."""

    def __init__(self, installed: dict, user: pwd.struct_passwd, mode: str) -> None:
        kiosk = Path(installed["root"]) / "opt/kiosk/bin/kiosk"
        _reachable_by_others(kiosk)
        # cage starts Xwayland, whose socket folder must be root's (as systemd-tmpfiles makes it) or cage's user's.
        # The unit's PrivateTmp= gives cage a /tmp of its own; the sandbox here does not.
        x11 = Path("/tmp/.X11-unix")
        x11.mkdir(exist_ok=True)
        os.chown(x11, 0, 0)
        x11.chmod(0o1777)
        self.user = user
        self.runtime = _folder_for(user, "display-runtime-")
        self.runtime.chmod(0o700)
        self.data = _folder_for(user, "display-data-")
        self._notify_folder = tempfile.TemporaryDirectory(prefix="notify-")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        address = str(Path(self._notify_folder.name) / "notify")
        self.notify.bind(address)
        Path(self._notify_folder.name).chmod(0o755)
        Path(address).chmod(0o777)
        self.environment = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.data),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
            "NOTIFY_SOCKET": address,
            "WATCHDOG_USEC": "30000000",
            "WATCHDOG_PID": "1",  # what systemd says: the unit's main process, not the kiosk
            "KIOSK_DISPLAY__FONT_PX": str(FONT_PX),
            "KIOSK_DISPLAY__PORT": str(_free_port()),
        }
        drop_ins = [str(BROWSER_DROP_IN)] if mode == "browser" else []
        self._output = open(Path(self._notify_folder.name) / "output", "wb")
        sandbox = [sys.executable, "-m", "tests.e2e.deploy_sandbox", "--user", user.pw_name, str(KIOSK_UNIT)]
        display = ["/usr/bin/cage", "--", str(kiosk), "display", "--mode", mode, "--demo", "--data-dir"]
        self.process = subprocess.Popen(
            [*sandbox, *drop_ins, "--", *display, str(self.data / "demo")],
            env=self.environment,
            cwd=ROOT,
            stdout=self._output,  # a file: cage writes lines at the frame rate, a pipe nobody read would stop it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def ready_and_fed(self, timeout: float) -> None:
        """READY=1, then WATCHDOG=1, from the kiosk; else a failure with what the display logged."""
        try:
            _messages_until(self.notify, READY, timeout=timeout)
            _messages_until(self.notify, "WATCHDOG=1", timeout=30)  # the UI answers, the database takes writes
        except AssertionError as failure:
            printed = Path(self._output.name).read_text(errors="replace")
            raise AssertionError(f"{failure}\n{self.log()[-2000:]}\n{printed[-2000:]}") from None

    def screenshot(self) -> Image.Image:
        picture = self.data / "screen.png"
        subprocess.run(
            ["runuser", "-u", self.user.pw_name, "--", "grim", str(picture)],
            env={**self.environment, "WAYLAND_DISPLAY": "wayland-0"},
            check=True,
            capture_output=True,
        )
        return Image.open(picture).convert("RGB")

    def log(self) -> str:
        path = self.data / "demo" / "kiosk.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        """Stop everything it started, as systemd stops the unit's cgroup."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._output.close()
        subprocess.run(["pkill", "-KILL", "-u", self.user.pw_name], capture_output=True)
        self.notify.close()
        self._notify_folder.cleanup()
        for folder in (self.runtime, self.data):
            shutil.rmtree(folder, ignore_errors=True)


def _kiosk_is_drawn(screen: Image.Image) -> bool:
    """The welcome screen, as a person sees it: the primary blue of 办事 and the 长辈模式 button over a fair part of
    the screen, and text (anti-aliased glyphs make many colours)."""
    rgb = screen.tobytes()
    blue = sum(1 for n in range(0, len(rgb), 3) if rgb[n + 2] > rgb[n] + 80 and rgb[n + 2] > 150)
    return blue > screen.width * screen.height // 20 and len(screen.getcolors(1 << 16) or []) > 50


under_cage = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")
one_at_a_time = pytest.mark.xdist_group("display")  # one user runs them, and stopping one kills its processes


@under_cage
@one_at_a_time
def test_terminal_mode_in_cage_in_the_units_sandbox_draws_the_kiosk_and_feeds_the_watchdog(installed, display_user):
    with Display(installed, display_user, "terminal") as display:
        display.ready_and_fed(timeout=90)
        deadline = time.monotonic() + 20
        while not _kiosk_is_drawn(screen := display.screenshot()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert screen.size == (1280, 720)
        assert _kiosk_is_drawn(screen), "the screen does not show the kiosk's welcome screen"
        assert f"foot --font 'WenQuanYi Zen Hei Mono:pixelsize={FONT_PX}" in display.log()


@under_cage
@one_at_a_time
def test_browser_mode_in_cage_with_its_drop_in_loads_the_page_whose_kiosk_feeds_the_watchdog(installed, display_user):
    with Display(installed, display_user, "browser") as display:
        # Only the kiosk process of a page's session says READY: Chromium loaded the page, its socket reached
        # kiosk serve, and the kiosk drew its first frame into it.
        display.ready_and_fed(timeout=120)
        assert "chromium ended" not in display.log()
