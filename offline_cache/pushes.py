"""Handing the outbox to the hall, for :mod:`offline_cache.sync`: batches by kind, each item answered on its own.

An item the hall holds is acknowledged, one it finds invalid quarantined for a technician, one left unanswered
tried again later: one bad item never blocks the others, and nothing is acknowledged twice.

    >>> pushes = Pushes(store.outbox, settings, clock=time.time, backoff=backoff, contact=note_contact)
    >>> pushes.reconcile(client); pushes.push(client, "submission")
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from offline_cache.errors import HallBusy, HallRejected, SyncError
from offline_cache.outbox import OutboxItem, ticket_key

if TYPE_CHECKING:
    from config.settings import SyncSettings
    from offline_cache.hall_client import HallClient
    from offline_cache.outbox import Outbox

log = logging.getLogger(__name__)

RECONCILE_LIMIT = 1000


class Pushes:
    """``backoff`` gives the wait after a number of failed attempts; ``contact`` is told of each answer."""

    def __init__(
        self,
        outbox: Outbox,
        settings: SyncSettings,
        *,
        clock: Callable[[], float],
        backoff: Callable[[int], float],
        contact: Callable[[], None],
    ) -> None:
        self._outbox = outbox
        self._settings = settings
        self._clock = clock
        self._backoff = backoff
        self._contact = contact

    def reconcile(self, client: HallClient) -> None:
        """Items sent before may have reached the hall with the answer lost: ask before sending again."""
        sent = self._outbox.sent_before(RECONCILE_LIMIT)
        if sent:
            held = client.lookup(sent)
            self._contact()
            self._outbox.acknowledge({i: a for i, a in held.items() if i in sent}, self._clock())
            if held:
                log.info("reconcile: the hall already held %d of %d items sent before", len(held), len(sent))

    def push(self, client: HallClient, kind: str) -> None:
        """Every due item of ``kind``, batch after batch; raises the :class:`SyncError` that stopped it."""
        outbox = self._outbox
        while batch := outbox.due(kind, self._clock(), self._settings.batch_size):
            try:
                results = _send(client, kind, [item.body for item in batch])
            except HallRejected as exc:  # the whole request refused: send one by one to find the bad one
                log.warning("hall refused a batch of %d %ss (%s); sending one by one", len(batch), kind, exc)
                results = self._one_by_one(client, batch) if kind == "submission" else _reject_all(batch, exc)
            except SyncError as exc:
                outbox.defer([item.id for item in batch], str(exc), self._delay_after(exc), self._clock())
                raise
            self._contact()
            self._apply(batch, results, kind)

    def hand_over(self, client: HallClient, item_id: str, kind: str) -> None:
        """Send one item now, out of turn (a resident waits on it); nothing if the hall holds it already."""
        body = self._outbox.body(item_id)  # None once the hall holds it
        if body is not None:
            self._apply([OutboxItem(item_id, kind, body, 0)], _send(client, kind, [body]), kind)

    def _delay_after(self, exc: SyncError) -> Callable[[int], float]:
        """Per item: the hall's Retry-After when it gave one (capped), else backoff by the item's attempts."""
        if isinstance(exc, HallBusy) and exc.retry_after is not None:
            wait = min(exc.retry_after, self._settings.backoff_cap_seconds)
            return lambda _attempts: wait
        return self._backoff

    @staticmethod
    def _one_by_one(client: HallClient, batch: list[OutboxItem]) -> list[dict]:
        results = []
        for item in batch:
            try:
                results.append({"id": item.id, "status": 200, "answer": client.put_submission(item.body)})
            except HallRejected as exc:
                results.append({"id": item.id, "status": 422, "error": str(exc)})
        return results

    def _apply(self, batch: list[OutboxItem], results: list[dict], kind: str) -> None:
        outbox = self._outbox
        by_id = {_answered_by(item): item for item in batch}
        acknowledged: dict[str, dict] = {}
        answered = set()
        for result in results:
            item = by_id.get(result["id"])
            if item is None:
                continue
            answered.add(item.id)
            if result.get("status") in (200, 201):
                acknowledged[item.id] = result.get("answer") or {"status": result["status"]}
            elif result.get("status") in (404, 422):  # 404: an appointment the hall does not know
                reason = str(result.get("error") or "rejected by the hall")
                log.error("%s %s quarantined: %s", kind, item.id, reason)
                outbox.quarantine(item.id, f"大厅认为数据无效：{reason}")
        outbox.acknowledge(acknowledged, self._clock())
        unanswered = [item.id for item in batch if item.id not in answered]
        if unanswered:
            outbox.defer(unanswered, "大厅未答复这些条目", self._backoff, self._clock())


def _send(client: HallClient, kind: str, bodies: list[dict]) -> list[dict]:
    if kind == "submission":
        return client.push_submissions(bodies)
    if kind == "checkin":
        return client.push_checkins(bodies)
    if kind == "ticket":
        return client.push_tickets(bodies)
    return client.push_evaluations(bodies)


def _reject_all(batch: list[OutboxItem], exc: HallRejected) -> list[dict]:
    return [{"id": _answered_by(item), "status": 422, "error": str(exc)} for item in batch]


def _answered_by(item: OutboxItem) -> str:
    """The id a batch endpoint answers an outbox item by: a rating by its submission, a check-in by its
    appointment, anything else by its own id."""
    if item.kind == "ticket":
        return ticket_key(item.body)
    return str(item.body.get("submission_id") or item.body.get("appointment_id") or item.id)
