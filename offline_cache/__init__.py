"""Local storage while offline: the store, envelope encryption, the outbox and the sync engine."""

from offline_cache.outbox import OutboxCounts
from offline_cache.store import AlreadyRated, CacheError, Enrolment, NewSubmission, NotEnrolled, Store, StoredSubmission

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
