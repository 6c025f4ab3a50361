"""Launch to the welcome frame, and resident memory, of ``kiosk run`` and ``kiosk demo`` against a bare Textual app.

    uv run python benchmarks/startup.py [--rounds 5]

Each program is started in a detached tmux session (120×40), as a kiosk's terminal starts it, with this venv's
Python and its bytecode cached (a first round writes the caches and is not counted); the time is from the moment
tmux is asked to start it until the pane shows the welcome screen's greeting (the bare app's one word). The baseline
is a Textual app that shows one word (:mod:`benchmarks.bare_app`), measured in the same rounds, interleaved. ``kiosk
run`` gets a settings file of its own: a new data folder, and a printer, a reader and a scanner on serial ports that
are not there (the welcome screen must not wait for a device); it is not enrolled, so it calls no hall. Resident
memory (VmRSS) is read once the frame is shown and the program has run for ``SETTLE`` seconds more (devices opened,
the sync thread started), then the program is ended.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.figures import Figure

ROOT = Path(__file__).resolve().parent.parent
GREETING = "您好，请选择要办理的业务"
BARE_WORD = "您好"
SETTLE = 3.0
TIMEOUT = 60.0

CONFIG = """\
[station]
id = "BENCH01"
name = "基准测试代办点"

[storage]
data_dir = "{data}"

[devices]
printer = "serial:///dev/kiosk-bench-no-printer"
card_reader_port = "/dev/kiosk-bench-no-reader"
scanner_port = "/dev/kiosk-bench-no-scanner"
"""


_sessions = itertools.count()


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def launch(command: list[str], marker: str, config: Path) -> tuple[float, float]:
    """Seconds from start to ``marker`` on the screen, and the program's resident memory (MB) ``SETTLE`` s later."""
    session = f"bench-{os.getpid()}-{next(_sessions)}"
    shell = "exec " + " ".join(f"'{part}'" for part in command)
    start = time.perf_counter()
    # Bytecode cached, as an installed kiosk has it (deploy/install.sh compiles it ahead): an empty
    # PYTHONDONTWRITEBYTECODE lets the first, uncounted round write what a shell that sets it would not.
    env = ["-e", f"KIOSK_CONFIG={config}", "-e", "PYTHONDONTWRITEBYTECODE="]
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", *env, shell)
    try:
        while marker not in tmux("capture-pane", "-p", "-t", session):
            if time.perf_counter() - start > TIMEOUT:
                raise RuntimeError(f"{marker!r} not shown in {TIMEOUT} s: {command}")
            time.sleep(0.01)
        shown = time.perf_counter() - start
        time.sleep(SETTLE)
        pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        return shown, resident_mb(pid)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def measure(rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """Per program: launch seconds and resident MB of each round."""
    work = Path(tempfile.mkdtemp(prefix="kiosk-startup-"))
    results: dict[str, tuple[list[float], list[float]]] = {"bare": ([], []), "run": ([], []), "demo": ([], [])}
    keeper = f"bench-{os.getpid()}-server"  # one session for the whole run: the tmux server is not restarted each time
    tmux("new-session", "-d", "-s", keeper, "sleep 3600")
    try:
        python = sys.executable
        programs = {
            "bare": ([python, "-m", "benchmarks.bare_app"], BARE_WORD),
            "run": ([python, "-m", "kiosk", "run"], GREETING),
            "demo": ([python, "-m", "kiosk", "demo", "--data-dir", str(work / "demo")], GREETING),
        }
        for round_ in range(rounds + 1):  # the first writes the bytecode caches and is not counted
            for name, (command, marker) in programs.items():
                data = work / f"{name}-{round_}"
                data.mkdir()
                config = data / "kiosk.toml"
                config.write_text(CONFIG.format(data=data / "data"))
                if name == "demo":
                    shutil.rmtree(work / "demo", ignore_errors=True)
                seconds, mb = launch(command, marker, config)
                if round_:
                    results[name][0].append(seconds)
                    results[name][1].append(mb)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def figures(quick: bool) -> list[Figure]:
    results = measure(2 if quick else 5)
    bare_s, bare_mb = (statistics.median(values) for values in results["bare"])
    run_s, run_mb = (statistics.median(values) for values in results["run"])
    demo_s = statistics.median(results["demo"][0])
    bare = "bare Textual app, one word"
    return [
        Figure("launch → welcome frame, kiosk run (tmux)", run_s, bare_s, "s", bare, "≤ 1.5×", run_s / bare_s <= 1.5),
        Figure("launch → welcome frame, kiosk demo", demo_s, bare_s, "s", bare, "≤ 2×", demo_s / bare_s <= 2),
        Figure("resident memory of kiosk run", run_mb, bare_mb, "MB", bare, "≤ 2.5×", run_mb / bare_mb <= 2.5),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.rounds)
    for name, (seconds, mbs) in results.items():
        print(f"{name:5s} launch {statistics.median(seconds):.2f} s {seconds}  RSS {statistics.median(mbs):.0f} MB")


if __name__ == "__main__":
    main()
