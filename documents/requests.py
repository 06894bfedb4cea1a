"""The outbox requests of the documents stage (``document``, ``document_pdf``): claimed under a lease by one
worker, and put back with the reason and a growing pause when they cannot be handled now."""

from __future__ import annotations

from datetime import datetime, timedelta

from states.errors import HosoError
from states.store.database import Database

MAX_PAUSE_SECONDS = 86_400


def claim_requests(db: Database, kind: str, *, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[int]:
    with db.transaction() as repo:
        return repo.queues.claim_outbox(
            (kind,), now=now, worker=worker, lease_until=now + timedelta(seconds=lease_seconds), limit=limit
        )


def reason_of(error: Exception) -> str:
    return error.message if isinstance(error, HosoError) else f"{type(error).__name__}: {error}"


def retry_later(db: Database, outbox_id: int, reason: str, now: datetime, retry_seconds: int) -> None:
    """Record why the request waits; it is tried again after ``retry_seconds``, doubled per attempt (a day at
    most)."""
    with db.transaction() as repo:
        item = repo.outbox_item(outbox_id)
        attempts = item["attempts"] if item else 0
        repo.queues.retry_outbox_later(
            outbox_id,
            error=reason,
            next_attempt_at=now + timedelta(seconds=min(retry_seconds * 2**attempts, MAX_PAUSE_SECONDS)),
        )
