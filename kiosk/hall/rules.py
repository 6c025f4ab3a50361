"""What the hall checks for itself before it takes a kiosk's word: an instant grant (秒批) is re-decided here.

>>> instant_grant_holds(catalog_item, payload, date(2026, 11, 23))
True
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from kiosk.catalog import ServiceItem
from kiosk.identity import IdentityError, check_id_number


def instant_grant_holds(item: dict[str, Any] | None, payload: dict[str, Any], filed_on: date) -> bool:
    """Whether a submission the kiosk granted at once meets its item's rule: the item has one, the applicant's
    ID number gives the age it asks for on the day of filing, and no material was left to follow."""
    if payload.get("instant_approved") is not True or item is None or payload.get("missing_materials"):
        return False
    try:
        rule = ServiceItem.model_validate(item)
        applicant = payload["applicant"]
        birth_date = check_id_number(str(applicant["number"]), filed_on).birth_date
    except (ValidationError, IdentityError, KeyError, TypeError):
        return False
    decision = rule.decide(birth_date, filed_on)
    return decision is not None and decision[0]
