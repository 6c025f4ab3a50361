"""Burn-in for technicians: simulated residents through the kiosk core while the sync engine runs.

Each resident puts a generated ID card on the simulated reader (read by the real driver over a pty), files a
random item they may file, gets a receipt from the simulated printer and sometimes rates the service. One
JSON line per committed submission is written and flushed right after the commit, so a run killed at any moment
has announced exactly the submissions that are safe on disk. A run on the same database first finishes what an
earlier run left pending.
"""

from __future__ import annotations

import json
import queue
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TextIO

from devices import CardPlaced, CardReadFailed, IdentityCard
from devices.idcard.records import id_check_character
from kiosk.application import Applicant, Application
from kiosk.catalog import FieldType, ServiceItem
from kiosk.services import KioskServices

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = "秀英建国晓雨志强桂兰玉珍德明春华海燕文静永红丽娟家豪子涵"
_DIVISIONS = {"530402": "云南省玉溪市红塔区", "530421": "云南省玉溪市江川区", "530423": "云南省玉溪市通海县"}
_STREETS = ("北门街", "玉兴路", "凤凰路", "东风路", "振兴路", "红塔大道")
_CREDIT_CODE = "91110000600037341L"  # a published code that passes GB 32100


def resident_card(rng: random.Random, today: date) -> IdentityCard:
    """A fictional resident card with a valid GB 11643 number, aged 18 to 95."""
    division = rng.choice(list(_DIVISIONS))
    birth = today - timedelta(days=rng.randint(18 * 366, 95 * 365))
    body = f"{division}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return IdentityCard(
        name=name,
        sex="男" if int(body[16]) % 2 else "女",
        ethnicity="汉",
        birth_date=birth,
        address=f"{_DIVISIONS[division]}{rng.choice(_STREETS)}{rng.randint(1, 200)}号",
        id_number=body + id_check_character(body),
        issuer="玉溪市公安局",
        valid_from=date(2016, 1, 1),
        valid_to=None,
    )


def _answer(item: ServiceItem, card: IdentityCard, rng: random.Random) -> dict[str, str]:
    answers = {}
    for spec in item.form:
        match spec.type:
            case FieldType.NUMBER:
                value = str(rng.randint(1, 9))
            case FieldType.DATE:
                value = "2026-11-01"
            case FieldType.CHOICE:
                value = rng.choice(spec.options)
            case FieldType.PHONE:
                value = f"138{rng.randint(0, 99_999_999):08d}"
            case FieldType.ID_NUMBER:
                value = card.id_number
            case FieldType.CREDIT_CODE:
                value = _CREDIT_CODE
            case _:
                value = "自助机模拟测试"[: spec.max_length]
        answers[spec.key] = value
    return answers


def application_for(services: KioskServices, applicant: Applicant, card: IdentityCard, rng: random.Random):
    """A complete application for a random item this applicant may file here, or None if there is none."""
    today = services.today()
    items = [item for item in services.catalog if item.applicant == "person"]
    rng.shuffle(items)
    for item in items:
        application = Application(item, applicant)
        if application.blocked_reason(today) is not None:
            continue
        if application.set_values(_answer(item, card, rng), today):
            continue
        application.materials = {material.name for material in application.applicable_materials}
        delivery = rng.choice(list(item.delivery))
        if application.set_delivery(delivery, card.address) is None:
            return application
    return None


class Simulation:
    """Runs residents through ``services`` (its card simulator and printer) while its sync engine runs."""

    def __init__(self, services: KioskServices, seed: int | None, out: TextIO, jsonl: bool) -> None:
        if services.devices.card_simulator is None:
            raise ValueError("the simulation needs the simulated card reader")
        self.services = services
        self.rng = random.Random(seed)
        self.out = out
        self.jsonl = jsonl
        self._cards: queue.Queue = queue.Queue()
        self.counts = {"submitted": 0, "printed": 0, "rated": 0, "unread_cards": 0}

    def _device_event(self, event) -> None:
        if isinstance(event, CardPlaced | CardReadFailed):
            self._cards.put(event)

    def run(self, residents: int, drain_seconds: float) -> dict:
        services = self.services
        services.devices.reader.start(self._device_event)
        services.sync.start()
        for _ in range(residents):
            self.one_resident()
        drained = self.wait_for_drain(drain_seconds)
        status = services.sync_status()
        return {
            "summary": True,
            **self.counts,
            "pending": status.pending,
            "acknowledged": status.acknowledged,
            "quarantined": status.quarantined,
            "drained": drained,
            "last_error": status.last_error,
        }

    def one_resident(self) -> None:
        services, rng = self.services, self.rng
        card = resident_card(rng, services.today())
        services.devices.card_simulator.present(card)
        try:
            event = self._cards.get(timeout=10)
        finally:
            services.devices.card_simulator.lift()
        if not isinstance(event, CardPlaced):
            self.counts["unread_cards"] += 1
            return
        applicant = Applicant.from_card(event.card)
        application = application_for(services, applicant, card, rng)
        if application is None:
            return
        saved = services.submit(application)
        self.counts["submitted"] += 1
        self._emit({"serial": saved.serial, "id": saved.id, "item": saved.item_code})
        if services.print_receipt(saved).printed:
            self.counts["printed"] += 1
        if rng.random() < 0.4:
            services.rate(saved, rng.randint(1, 5))
            self.counts["rated"] += 1

    def wait_for_drain(self, seconds: float, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Wait until nothing is pending (the sync thread works meanwhile); False if time ran out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status = self.services.sync_status()
            if status.pending == 0 and status.pending_evaluations == 0:
                return True
            sleep(0.1)
        return False

    def _emit(self, record: dict) -> None:
        if self.jsonl:
            print(json.dumps(record, ensure_ascii=False), file=self.out, flush=True)
        else:
            print(f"已提交 {record['serial']}（{record['item']}）", file=self.out, flush=True)
