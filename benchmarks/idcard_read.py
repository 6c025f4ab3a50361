"""Time from card placement to parsed record, over a pseudo-terminal at 115200 baud, against wire time.

    uv run python benchmarks/idcard_read.py [--rounds 30]

Wire time is what the same frames take on a real 115200-baud line (10 bits a byte: start, 8 data, stop).
A bare pseudo-terminal does not pace bytes at the baud rate, so over it the exchange is far faster than wire
time and what remains is the driver's own cost and the wait for the next poll; the simulator can also pace
its answers at 115200 baud, which shows what a real line adds.
"""

from __future__ import annotations

import argparse
import queue
import random
import statistics
import time

from devices import CardPlaced, ReaderConnected
from devices.idcard import codec
from devices.idcard.reader import ReaderLink, SerialCardReader, open_port
from devices.idcard.simulator import CardReaderSimulator
from devices.samples import WANG_XIUYING

BAUD = 115200


def wire_seconds(n_bytes: int, baud: int = BAUD) -> float:
    return n_bytes * 10 / baud


def exchange(rounds: int) -> tuple[list[float], int]:
    """find → select → read text + photo, timed on the link alone; and the bytes one exchange moves."""
    sim = CardReaderSimulator().start()
    link = ReaderLink(open_port(sim.port, BAUD))
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


def placement(rounds: int, poll_interval: float, paced: bool) -> list[float]:
    """From ``present()`` to the CardPlaced event, through the polling thread."""
    sim = CardReaderSimulator(pace_baud=BAUD if paced else 0).start()
    events: queue.Queue = queue.Queue()
    reader = SerialCardReader(sim.port, BAUD, poll_interval=poll_interval)
    reader.start(events.put)
    times = []
    rng = random.Random(1)
    try:
        while not isinstance(events.get(timeout=5), ReaderConnected):
            pass
        for _ in range(rounds):
            start = time.perf_counter()
            sim.present(WANG_XIUYING)
            while not isinstance(events.get(timeout=5), CardPlaced):
                pass
            times.append(time.perf_counter() - start)
            sim.lift()
            # Place the next card at a random phase of the poll cycle, as a hand would.
            time.sleep(poll_interval * 2 + rng.uniform(0, poll_interval))
    finally:
        reader.stop()
        sim.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    link_times, size = exchange(args.rounds)
    wire = wire_seconds(size)
    print(f"one read moves {size} bytes: wire time at {BAUD} baud = {wire * 1000:.1f} ms")
    print(f"{'measure':<56}{'median ms':>10}{'p95 ms':>9}{'÷ wire':>9}")
    rows = [("find+select+read over the pty (link only)", link_times)]
    for interval in (0.2, 0.05):
        for paced in (False, True):
            line = "answers paced at 115200" if paced else "bare pty"
            label = f"placement → record, poll {interval * 1000:.0f} ms, {line}"
            rows.append((label, placement(args.rounds, interval, paced)))
    for name, times in rows:
        median = statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(f"{name:<56}{median * 1000:>10.1f}{p95 * 1000:>9.1f}{median / wire:>9.2f}")


if __name__ == "__main__":
    main()
