"""Soak: a thousand visits through the real app, every screen on the way, and whether the kiosk grows or slows.

    uv run python -m benchmarks.soak [--visits 1000]

One kiosk (the demo's settings: simulated reader, printer and scanner, the demo's staff and technician PINs),
enrolled with a hall of its own (``kiosk hall serve`` in another process, so its memory is not counted), runs in
Textual's Pilot in this process for ``--visits`` visits, one after another as residents come, in a cycle of
seven: an item filed to its printed receipt (each item of the catalog in turn, every field answered as a finger
would, see ``tests/app/walk.py``), the same in English with a rating after it, a queue ticket taken with a card
on the reader, a filing's progress looked up by its serial and rated, the guides browsed, an instant item in
elderly mode, and staff signing in to file for an applicant and out again; every tenth cycle the technician
opens the technician screen. Each visit ends as the kiosk ends one (the visit wiped).

After the first tenth (the warm-up: every screen imported and drawn once, caches full) the process's resident
memory, threads and open files are read every ``--sample`` visits, after a garbage collection. Reported: memory
at the end against after the warm-up (goal: at most 10 % more), threads and open files (no growth), and the
median visit of the last tenth against the tenth after the warm-up (no slower).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import tests.app.walk
from benchmarks.figures import Figure
from benchmarks.fleet import Hall, enrolment_codes, free_port
from devices import IdentityCard
from devices.idcard.records import id_check_character
from devices.samples import DEMO_CARDS
from kiosk.app import make_app
from kiosk.demo import DEMO_STAFF, DEMO_TECHNICIAN_PIN, demo_settings
from kiosk.enrolment import enrol
from kiosk.services import build_services
from offline_cache import Store
from tests.app.walk import SIZE, file_item, screen_text, settle, tap, type_into
from tests.conftest import FakeClock, place_card, wait_until

WANG, LI = DEMO_CARDS[0], DEMO_CARDS[1]
CYCLE = 7  # kinds of visit, taken in turn


def resident(n: int) -> IdentityCard:
    """The n-th resident to come: 王秀英's card with a number of its own (the same birthday, so every instant
    rule still grants), so that no one files the same item twice."""
    first17 = f"{WANG.id_number[:14]}{n % 1000:03d}"
    return dataclasses.replace(WANG, id_number=first17 + id_check_character(first17))


def process_figures() -> tuple[float, int, int]:
    """Resident memory (MB), threads and open files of this process."""
    status = Path("/proc/self/status").read_text().splitlines()
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    return rss, len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))


@dataclass
class Soak:
    visits: list[tuple[str, float]] = field(default_factory=list)  # (kind, seconds) of each visit
    samples: list[tuple[int, float, int, int]] = field(default_factory=list)  # (visits, MB, threads, files)
    unrated: list[str] = field(default_factory=list)  # serials filed and not yet rated


async def run(visits: int, sample: int, work: Path) -> Soak:
    hall = Hall(str(work / "hall.db"), work / "hall.keys", free_port(), 1, work / "hall.log")
    codes = enrolment_codes(str(work / "hall.db"), work / "hall.keys", 1)
    hall.start()
    try:
        settings = demo_settings(work / "kiosk")
        store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
        enrol(store, settings, hall.url, codes[0])
        store.close()
        services = build_services(settings)
        try:
            return await _visits(services, visits, sample)
        finally:
            services.close()
    finally:
        hall.stop()


async def _visits(services, visits: int, sample: int) -> Soak:
    soak = Soak()
    app = make_app(services, demo=True, clock=FakeClock())
    items = [item for item in services.catalog if item.applicant == "person"]
    instant = [item for item in items if item.instant is not None]
    async with app.run_test(size=SIZE) as pilot:

        async def filed(n: int) -> None:
            tests.app.walk.ELDER = resident(n)  # the card the walk places
            soak.unrated.append(await file_item(pilot, items[n % len(items)]))

        async def filed_in_english(n: int) -> None:
            await tap(pilot, "#lang-en")
            await filed(n)
            await tap(pilot, "#rate")
            await settle(pilot)
            await tap(pilot, "#level-5")
            await settle(pilot)
            soak.unrated.pop()

        async def queue(n: int) -> None:
            await tap(pilot, "#queue")
            await place_card(pilot, WANG)
            await tap(pilot, "#cat-A")
            await settle(pilot)
            assert app.screen.query_one("#ticket").render(), screen_text(app)

        async def progress(n: int) -> None:
            await tap(pilot, "#progress")
            await type_into(pilot, "#serial-input", soak.unrated.pop())
            await tap(pilot, "#lookup")
            await settle(pilot)
            await wait_until(pilot, lambda: not app.screen.query_one("#rate").disabled)
            await tap(pilot, "#rate")
            await settle(pilot)
            await tap(pilot, "#level-4")
            await settle(pilot)

        async def guides(n: int) -> None:
            await tap(pilot, "#guides")
            await type_into(pilot, "#search", "lnr")
            await pilot.press("enter", "enter")
            await settle(pilot)
            await tap(pilot, "#back")
            await settle(pilot)

        async def elderly(n: int) -> None:
            await tap(pilot, "#elderly")
            await settle(pilot)
            tests.app.walk.ELDER = resident(n)
            soak.unrated.append(await file_item(pilot, instant[n % len(instant)]))

        async def staff(n: int) -> None:
            await tap(pilot, "#staff")
            await pilot.press(*DEMO_STAFF[2], "enter")
            await settle(pilot)
            await tap(pilot, "#next-applicant")
            await place_card(pilot, LI)
            await type_into(pilot, "#search", "MZ0001")
            await pilot.press("enter", "enter")
            await settle(pilot)
            await tap(pilot, "#start")
            await settle(pilot)
            await tap(pilot, "#home" if app.screen.query("#home") else "#back")
            await settle(pilot)
            app.sign_out_staff()
            await settle(pilot)
            if n % 70 == 6:
                app.open_technician_mode()
                await settle(pilot)
                await pilot.press(*DEMO_TECHNICIAN_PIN, "enter")
                await settle(pilot)
                assert "technician" in type(app.screen).__name__.lower(), type(app.screen).__name__

        cycle: list[Callable[[int], Awaitable[None]]] = [
            filed,
            filed_in_english,
            queue,
            progress,
            guides,
            elderly,
            staff,
        ]
        for n in range(visits):
            visit = cycle[n % len(cycle)]
            start = time.perf_counter()
            await visit(n)
            app.end_visit()
            await settle(pilot)
            soak.visits.append((visit.__name__, time.perf_counter() - start))
            if (n + 1) % sample == 0:
                gc.collect()
                soak.samples.append((n + 1, *process_figures()))
                print(
                    f"  {n + 1:5d} visits  {soak.samples[-1][1]:6.1f} MB  {soak.samples[-1][2]} threads"
                    f"  {soak.samples[-1][3]} files  {threading.active_count()} Python threads",
                    flush=True,
                )
    return soak


def measure(visits: int, sample: int) -> Soak:
    logging.getLogger().setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    try:
        return asyncio.run(run(visits, sample, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def figures(quick: bool) -> list[Figure]:
    visits = 3 * CYCLE if quick else 1000
    return soak_figures(measure(visits, CYCLE if quick else 50), visits)


def soak_figures(soak: Soak, visits: int) -> list[Figure]:
    after_warmup = next(s for s in soak.samples if s[0] >= visits // 10)
    end = soak.samples[-1]
    # Whole cycles compared, as the seven kinds of visit differ in length: the tenth after the warm-up, the last.
    cycles = [sum(t for _, t in soak.visits[i : i + CYCLE]) for i in range(0, len(soak.visits) - CYCLE + 1, CYCLE)]
    tenth = max(1, len(cycles) // 10)
    early, late = statistics.median(cycles[tenth : 2 * tenth]), statistics.median(cycles[-tenth:])
    how = f"{visits} visits through Pilot; after visit {after_warmup[0]} against after visit {end[0]}"
    mb, threads, files = ((end[i], after_warmup[i]) for i in (1, 2, 3))
    warm = f"after the warm-up ({how})"
    return [
        Figure("soak: resident memory", *mb, "MB", warm, "≤ 1.1×", mb[0] <= 1.1 * mb[1]),
        Figure("soak: threads", *threads, "", "after the warm-up", "no growth", threads[0] <= threads[1]),
        Figure("soak: open files", *files, "", "after the warm-up", "no growth", files[0] <= files[1]),
        Figure(
            "soak: median visit, last tenth",
            late,
            early,
            "s",
            "the tenth after the warm-up",
            "≤ 1.1×",
            late <= 1.1 * early,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    soak = measure(args.visits, args.sample)
    for kind in dict.fromkeys(kind for kind, _ in soak.visits):
        times = [seconds for k, seconds in soak.visits if k == kind]
        print(f"{kind:18s} {len(times):5d} visits, median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    for figure in soak_figures(soak, args.visits):
        print(
            f"{figure.what}: {figure.value:.2f} against {figure.baseline:.2f} ({figure.baseline_name}), goal"
            f" {figure.goal}: {'met' if figure.met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
