"""Card placed → record parsed, with the simulated reader's answers paced at 115,200 baud, against wire time.

    uv run python benchmarks/idcard_read.py [--rounds 30]

The reader is built as ``kiosk run`` builds it: the default device settings and the driver's own defaults, nothing
tuned for the benchmark. Wire time is what the bytes of one read (find, select, read text + photo: requests and
answers) take on a real line at the reader's baud rate, 10 bits a byte (start, 8 data, stop); the paced simulator
can do no better. What the read takes beyond it is the wait for the next find-card poll after the card lands and
the driver's own cost. Idle polling is what the driver moves both ways with no card on the reader, set against
what one direction of the line carries.
"""

from __future__ import annotations

import argparse
import queue
import random
import statistics
import time
from dataclasses import dataclass

from benchmarks.figures import Figure
from config.settings import DeviceSettings
from devices import CardPlaced, CardRemoved, ReaderConnected
from devices.idcard import codec
from devices.idcard.reader import ReaderLink, SerialCardReader, open_port
from devices.idcard.simulator import CardReaderSimulator
from devices.samples import WANG_XIUYING

GOAL = 1.25


def wire_seconds(n_bytes: int, baud: int) -> float:
    return n_bytes * 10 / baud


def line_bytes_per_second(baud: int) -> float:
    return baud / 10


def exchange(rounds: int, baud: int) -> tuple[list[float], int]:
    """find → select → read text + photo over a bare pty, timed on the link alone; and the bytes one read
    moves."""
    sim = CardReaderSimulator().start()
    link = ReaderLink(open_port(sim.port, baud))
    times, size = [], 0
    try:
        for _ in range(rounds):
            sim.present(WANG_XIUYING)
            before = link.bytes_exchanged
            start = time.perf_counter()
            assert link.transact(codec.FIND_CARD).status == codec.Status.FIND_OK
            link.read_card()
            times.append(time.perf_counter() - start)
            size = link.bytes_exchanged - before
    finally:
        link.close()
        sim.stop()
    return times, size


@dataclass(frozen=True)
class Placements:
    times: list[float]
    """Seconds from ``present()`` to the CardPlaced event, one per card."""
    idle_bytes_per_second: float
    """Both directions, with no card on the reader."""


def placement(rounds: int, settings: DeviceSettings, paced: bool, idle_seconds: float = 0.0) -> Placements:
    """Cards placed at moments spread evenly over the poll beat, in a shuffled order, each read through the
    polling thread and lifted again; then ``idle_seconds`` with the reader empty, to count what polling alone
    moves."""
    sim = CardReaderSimulator(pace_baud=settings.card_reader_baud if paced else 0).start()
    events: queue.Queue = queue.Queue()
    reader = SerialCardReader(sim.port, settings.card_reader_baud)  # as devices/factory.py builds it
    reader.start(events.put)
    times = []
    # A hand comes at no particular moment of the beat. Even steps rather than random draws give the same
    # median wait (half the interval) without the scatter a few dozen draws would add.
    phases = [reader.poll_interval * k / rounds for k in range(rounds)]
    random.Random(1).shuffle(phases)
    try:
        _next(events, ReaderConnected)
        for phase in phases:
            time.sleep(phase)  # the beat restarted with the poll that saw the last card go
            start = time.perf_counter()
            sim.present(WANG_XIUYING)
            _next(events, CardPlaced)
            times.append(time.perf_counter() - start)
            sim.lift()
            _next(events, CardRemoved)
        before = sim.bytes_received + sim.bytes_sent
        time.sleep(idle_seconds)
        idle = (sim.bytes_received + sim.bytes_sent - before) / idle_seconds if idle_seconds else 0.0
    finally:
        reader.stop()
        sim.stop()
    return Placements(times, idle)


def _next(events: queue.Queue, kind: type) -> None:
    while not isinstance(events.get(timeout=5), kind):
        pass


def p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10)[-1]


def figures(quick: bool) -> list[Figure]:
    """Placement → parsed record at the default settings against the wire time of the bytes exchanged."""
    settings = DeviceSettings()
    baud = settings.card_reader_baud
    _, size = exchange(3, baud)
    wire = wire_seconds(size, baud)
    measured = placement(12 if quick else 40, settings, paced=True, idle_seconds=1.0 if quick else 3.0)
    median = statistics.median(measured.times)
    share = measured.idle_bytes_per_second / line_bytes_per_second(baud)
    return [
        Figure(
            f"card placed → record parsed, answers paced at {baud:,} baud, default settings",
            median,
            wire,
            "s",
            f"wire time of the {size:,} bytes exchanged",
            f"≤ {GOAL}×",
            median / wire <= GOAL,
            f"p90 {p90(measured.times) * 1000:.0f} ms; idle polling {measured.idle_bytes_per_second:.0f} bytes/s "
            f"({share:.1%} of the line)",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    settings = DeviceSettings()
    baud = settings.card_reader_baud
    link_times, size = exchange(args.rounds, baud)
    wire = wire_seconds(size, baud)
    print(f"one read moves {size} bytes: wire time at {baud} baud = {wire * 1000:.1f} ms")
    print(f"{'measure':<64}{'median ms':>10}{'p90 ms':>9}{'÷ wire':>9}")
    bare = placement(args.rounds, settings, paced=False)
    paced = placement(args.rounds, settings, paced=True, idle_seconds=3.0)
    rows = [
        ("find+select+read over a bare pty (link only)", link_times),
        ("placement → record, default settings, bare pty", bare.times),
        (f"placement → record, default settings, answers paced at {baud}", paced.times),
    ]
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:<64}{median * 1000:>10.1f}{p90(times) * 1000:>9.1f}{median / wire:>9.2f}")
    idle, line = paced.idle_bytes_per_second, line_bytes_per_second(baud)
    print(f"idle polling: {idle:.0f} bytes/s both ways, {idle / line:.1%} of the line's {line:.0f} bytes/s")
    ratio = statistics.median(paced.times) / wire
    print(f"goal ≤ {GOAL}× wire time: {'met' if ratio <= GOAL else 'not met'} ({ratio:.2f}×)")


if __name__ == "__main__":
    main()
