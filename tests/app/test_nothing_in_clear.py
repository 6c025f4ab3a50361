"""No file the kiosk writes holds a resident's ID number, name or phone in clear: after residents file (one by
card, one for whom staff file), take a ticket and rate, and a technician exports the diagnostics, every file in the
data folder (the log, the database and its WAL, the receipts the printer was sent, the diagnostics zip's members)
is searched for each of them, in every encoding the kiosk writes."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import datetime
from pathlib import Path

import tests.app.walk as walk
from devices.idcard.records import id_check_character
from devices.samples import WANG_XIUYING
from kiosk.technician import diagnostics_bundle
from tests.app.walk import SIZE, VALID, file_item, settle, tap
from tests.conftest import place_card

NUMBER = "53040219410315" + "468"
CARD = dataclasses.replace(WANG_XIUYING, name="欧阳秀珍", id_number=NUMBER + id_check_character(NUMBER))
PHONE = VALID[walk.FieldType.PHONE]
SECRETS = [CARD.id_number, CARD.name, PHONE, CARD.address]
ENCODINGS = ("utf-8", "gb18030", "utf-16-le", "utf-16-be")


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, and every member of a zip among them, by name."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found[str(path.relative_to(folder))] = data
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as bundle:
                for member in bundle.namelist():
                    found[f"{path.name}:{member}"] = bundle.read(member)
    return found


async def test_no_file_the_kiosk_writes_names_a_resident_in_clear(app, services):
    async with app.run_test(size=SIZE) as pilot:
        elder, walk.ELDER = walk.ELDER, CARD
        try:
            serial = await file_item(pilot, services.catalog["MZ0004"])  # a form with the phone, her card read
        finally:
            walk.ELDER = elder
        await tap(pilot, "#rate")
        await settle(pilot)
        await tap(pilot, "#level-2")  # a bad rating, with a reason
        await tap(pilot, "#reason-0")
        await settle(pilot)
        services.devices.card_simulator.lift()
        app.end_visit()
        await settle(pilot)
        await tap(pilot, "#queue")
        await place_card(pilot, CARD)
        await tap(pilot, "#cat-A")
        await settle(pilot)
        services.devices.card_simulator.lift()
        app.end_visit()
        await settle(pilot)
    assert services.store.find_by_serial(serial) is not None
    diagnostics_bundle(services, services.data_dir / "diagnostics", datetime.now())

    files = contents(services.data_dir)
    assert any(name.startswith("receipts") for name in files) and "kiosk.db-wal" in files
    leaks = [
        (name, secret)
        for name, data in files.items()
        for secret in SECRETS
        if any(secret.encode(encoding) in data for encoding in ENCODINGS)
    ]
    assert leaks == []
