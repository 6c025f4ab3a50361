"""Local storage while offline: the store, envelope encryption, the outbox and the sync engine."""

from offline_cache.errors import AlreadyRated, CacheError, NotEnrolled
from offline_cache.outbox import OutboxCounts
from offline_cache.store import Enrolment, NewSubmission, Store, StoredSubmission

__all__ = [
    "AlreadyRated",
    "CacheError",
    "Enrolment",
    "NewSubmission",
    "NotEnrolled",
    "OutboxCounts",
    "Store",
    "StoredSubmission",
]
