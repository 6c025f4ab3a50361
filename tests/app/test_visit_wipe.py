"""Nothing of a visit stays in memory after it ends that a later visitor could reach: no card the reader read (its
photo with it), no applicant, no application, whichever way the visit went."""

from __future__ import annotations

import dataclasses
import gc

from devices import IdentityCard
from devices.idcard.records import id_check_character
from devices.samples import WANG_XIUYING
from kiosk.application import Applicant, Application
from tests.app.walk import SIZE, file_item, settle, tap
from tests.conftest import place_card, wait_until

NUMBER = "53040219410315" + "777"
CARD = dataclasses.replace(WANG_XIUYING, name="清除测试", id_number=NUMBER + id_check_character(NUMBER))


def left_in_memory() -> list[object]:
    """Every card, applicant or application of the test's resident that something still holds."""
    gc.collect()
    return [
        obj
        for obj in gc.get_objects()
        if (isinstance(obj, IdentityCard) and obj.id_number == CARD.id_number and obj is not CARD)
        or (isinstance(obj, Applicant) and obj.number == CARD.id_number)
        or (isinstance(obj, Application) and obj.applicant.number == CARD.id_number)
    ]


async def test_after_a_filing_ends_nothing_of_the_resident_is_left(app, services):
    import tests.app.walk as walk

    async with app.run_test(size=SIZE) as pilot:
        walk.ELDER, elder = CARD, walk.ELDER
        try:
            await file_item(pilot, services.catalog["MZ0001"])
        finally:
            walk.ELDER = elder
        assert left_in_memory()  # while the visit lasts, the kiosk knows her
        services.devices.card_simulator.lift()
        await tap(pilot, "#home")
        await settle(pilot)
        await wait_until(pilot, lambda: not app.card_present)
        assert app.visit.applicant is None
        assert left_in_memory() == []


async def test_a_card_read_and_walked_away_from_leaves_nothing(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await place_card(pilot, CARD)
        assert app.visit.applicant.number == CARD.id_number
        services.devices.card_simulator.lift()
        app.end_visit()  # as the idle timeout ends it
        await settle(pilot)
        await wait_until(pilot, lambda: not app.card_present)
        assert left_in_memory() == []
