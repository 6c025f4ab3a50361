"""The real driver against the simulated reader over a real pseudo-terminal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices import CardPlaced, CardReadFailed, CardRemoved, ReaderConnected, ReaderFault
from devices.idcard import codec
from devices.idcard.reader import SerialCardReader
from devices.idcard.simulator import CardReaderSimulator
from devices.samples import ALL_CARDS, WANG_XIUYING
from tests.devices.conftest import Events

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def simulator(tmp_path):
    sim = CardReaderSimulator(tmp_path).start()
    yield sim
    sim.stop()


@pytest.fixture
def events(simulator):
    received = Events()
    reader = SerialCardReader(simulator.port, poll_interval=0.02, backoff=(0.05, 0.2))
    reader.start(received)
    received.next(ReaderConnected)
    yield received
    reader.stop()


def _same_card(read, expected) -> bool:
    return read.id_number == expected.id_number and read.name == expected.name and read.card_type == expected.card_type


@pytest.mark.parametrize("card", ALL_CARDS, ids=lambda c: c.card_type + "-" + c.name)
def test_every_card_type_is_read_and_lifting_is_noticed(simulator, events, card):
    photo = bytes(range(256)) * 4
    simulator.present(card, photo)
    placed = events.next(CardPlaced)
    assert _same_card(placed.card, card) and placed.card.photo == photo
    simulator.lift()
    events.next(CardRemoved)


def test_the_same_card_placed_again_is_read_again(simulator, events):
    simulator.present(WANG_XIUYING)
    events.next(CardPlaced)
    simulator.lift()
    events.next(CardRemoved)
    simulator.present(WANG_XIUYING)
    assert _same_card(events.next(CardPlaced).card, WANG_XIUYING)


def test_a_resting_card_is_read_once(simulator, events):
    simulator.present(WANG_XIUYING)
    events.next(CardPlaced)
    time.sleep(0.5)
    assert not any(isinstance(e, CardPlaced) for e in list(events.queue.queue))


@pytest.mark.parametrize(
    "faults",
    [
        {"garbage": True},
        {"chunk_size": 7, "chunk_delay": 0.002},
        {"chunk_size": 1, "chunk_delay": 0.0005},
        {"bad_checks": 2},
        {"garbage": True, "chunk_size": 5, "bad_checks": 3},
    ],
    ids=["garbage", "chunks-of-7", "byte-by-byte", "bad-check", "all-at-once"],
)
def test_line_faults_still_give_the_right_card(simulator, events, faults):
    for name, value in faults.items():
        setattr(simulator.faults, name, value)
    simulator.present(WANG_XIUYING)
    assert _same_card(events.next(CardPlaced, timeout=20).card, WANG_XIUYING)


def test_a_bad_check_makes_the_driver_ask_again(simulator, events):
    simulator.faults.bad_checks = 1
    simulator.present(WANG_XIUYING)
    events.next(CardPlaced)
    finds = [r for r in simulator.requests if r == codec.FIND_CARD]
    assert len(finds) >= 2


def test_silence_is_reported_then_recovered(simulator, events):
    simulator.faults.silent = True
    assert "无应答" in events.next(ReaderFault).reason
    simulator.faults.silent = False
    events.next(ReaderConnected)
    simulator.present(WANG_XIUYING)
    events.next(CardPlaced)


def test_unplug_is_reported_and_replug_reconnects(simulator, events):
    simulator.unplug()
    assert "读卡器" in events.next(ReaderFault).reason
    time.sleep(0.3)  # the driver retries against a missing port meanwhile
    simulator.replug()
    events.next(ReaderConnected)
    simulator.present(WANG_XIUYING)
    assert _same_card(events.next(CardPlaced).card, WANG_XIUYING)


def test_a_card_failing_its_check_is_a_read_error_not_a_card(simulator, events):
    from dataclasses import replace

    simulator.present(replace(WANG_XIUYING, id_number="530402194103150026"))
    assert "GB 11643" in events.next(CardReadFailed).reason


def test_a_missing_port_is_reported_and_retried(tmp_path):
    received = Events()
    reader = SerialCardReader(str(tmp_path / "ttyNONE"), backoff=(0.05, 0.1))
    reader.start(received)
    try:
        assert "未连接" in received.next(ReaderFault).reason
    finally:
        reader.stop()


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "devices", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def test_read_card_cli_prints_the_masked_record(simulator):
    simulator.present(WANG_XIUYING)
    result = _cli("read-card", "--port", simulator.port, "--timeout", "10", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["name"] == "王**" and record["id_number"] == "5304**********0025"
    assert record["valid_to"] == "长期" and record["type"] == "resident"
    assert WANG_XIUYING.address not in result.stdout


def test_read_card_cli_unmasked_gives_everything(simulator):
    from devices.samples import CHAN_KAMING

    simulator.present(CHAN_KAMING)
    result = _cli("read-card", "--port", simulator.port, "--timeout", "10", "--json", "--unmasked")
    record = json.loads(result.stdout)
    assert record["id_number"] == CHAN_KAMING.id_number and record["birth_date"] == "1990-05-12"
    assert (record["pass_number"], record["issue_count"]) == ("H10293847", "02")


def test_read_card_cli_exit_codes(simulator, tmp_path):
    no_card = _cli("read-card", "--port", simulator.port, "--timeout", "1")
    assert no_card.returncode == 1 and "没有读到卡" in no_card.stderr
    no_port = _cli("read-card", "--port", str(tmp_path / "ttyNONE"), "--timeout", "5")
    assert no_port.returncode == 2 and no_port.stderr.count("\n") == 1


def test_ports_cli_lists_json():
    result = _cli("ports", "--json")
    assert result.returncode in (0, 1)
    assert isinstance(json.loads(result.stdout), list)


def test_a_paced_simulator_answers_no_faster_than_the_line(tmp_path):
    from devices.idcard.reader import ReaderLink, open_port

    sim = CardReaderSimulator(tmp_path, pace_baud=115200).start()
    link = ReaderLink(open_port(sim.port, 115200))
    try:
        sim.present(WANG_XIUYING)
        link.transact(codec.FIND_CARD)
        start = time.monotonic()
        link.read_card()
        assert time.monotonic() - start >= (1295 + 20) * 10 / 115200
    finally:
        link.close()
        sim.stop()


def test_an_empty_reader_is_asked_for_a_card_and_nothing_else(simulator, events):
    deadline = time.monotonic() + 10
    while len(simulator.requests) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    # After the SAM check and the select that looks for a card resting there since before the connection.
    assert simulator.requests[:3] == [codec.SAM_STATUS, codec.FIND_CARD, codec.SELECT_CARD]
    assert set(simulator.requests[3:8]) == {codec.FIND_CARD}


def test_the_simulator_counts_the_bytes_crossing_the_cable(tmp_path):
    from devices.idcard.reader import ReaderLink, open_port

    sim = CardReaderSimulator(tmp_path).start()
    link = ReaderLink(open_port(sim.port, 115200))
    try:
        assert link.transact(codec.FIND_CARD).status == codec.Status.NO_CARD
        assert (sim.bytes_received, sim.bytes_sent, link.bytes_exchanged) == (10, 11, 21)
    finally:
        link.close()
        sim.stop()
