"""Local storage of submissions while offline; later the outbox and the sync engine."""

from offline_cache.store import AlreadyRated, CacheError, NewSubmission, Store, StoredSubmission

__all__ = ["AlreadyRated", "CacheError", "NewSubmission", "Store", "StoredSubmission"]
