"""Delivering queued notices through their channels (email, SMS), at least once and normally once.

A batch of due deliveries is claimed with a lease, then each is handed to its channel adapter and recorded
in its own transaction. A refused send is retried with exponential backoff until ``max_attempts``, then
recorded as failed (the notice stays in the in-app inbox and its acknowledgement deadline still runs). A
worker killed before a send leaves the row to the next claim once the lease ends. Killed in the instant
between the channel accepting a message and the record being written, the message is sent again with the
same Message-ID, which mail servers use to drop the copy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from states.errors import ChannelError
from states.notice_texts import local_time, notice_texts
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Record


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    address: str
    message_id: str
    subject: str
    body: str


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


def render(delivery: Record, unit_name: str) -> OutgoingMessage:
    texts = notice_texts()
    context = {
        "title": delivery["title"],
        "notice_id": delivery["notice_id"],
        "unit": unit_name,
        "ack_due": local_time(delivery["ack_due_at"]) if delivery["ack_due_at"] else "",
    }
    if delivery["channel"] == "sms":
        return OutgoingMessage("sms", delivery["address"], delivery["message_id"], "", texts.render("sms", **context))
    return OutgoingMessage(
        delivery["channel"],
        delivery["address"],
        delivery["message_id"],
        texts.render("email", "subject", **context),
        texts.render("email", "body", **context),
    )


def claim_deliveries(db: Database, rulebook: Rulebook, now: datetime, *, worker: str, batch_size: int) -> list[Record]:
    lease = timedelta(seconds=rulebook.alerts.delivery.lease_seconds)
    with db.transaction() as repo:
        claimed = repo.queues.claim_deliveries(now=now, worker=worker, lease_until=now + lease, limit=batch_size)
        names = {unit["code"]: unit["name"] for unit in repo.all_units()} if claimed else {}
    for row in claimed:
        row["unit_name"] = names.get(row["unit_code"], row["unit_code"])
    return claimed


def deliver_claimed(
    db: Database,
    rulebook: Rulebook,
    channels: Mapping[str, Channel],
    claimed: list[Record],
    *,
    worker: str,
    clock: Callable[[], datetime],
) -> Counter[str]:
    policy = rulebook.alerts.delivery
    outcome: Counter[str] = Counter()
    for delivery in claimed:
        channel = channels.get(delivery["channel"])
        try:
            if channel is None:
                raise ChannelError(f"Chưa cấu hình kênh gửi '{delivery['channel']}'")
            channel.send(render(delivery, str(delivery.get("unit_name") or delivery["unit_code"])))
        except ChannelError as error:
            attempts = delivery["attempts"] + 1
            retry_at = (
                None
                if attempts >= policy.max_attempts
                else clock() + timedelta(seconds=policy.backoff_seconds(attempts))
            )
            with db.transaction() as repo:
                repo.queues.fail_delivery(delivery["id"], error=error.message, next_attempt_at=retry_at, at=clock())
            outcome["failed" if retry_at is None else "retry"] += 1
            continue
        with db.transaction() as repo:
            recorded = repo.queues.finish_delivery(delivery["id"], worker=worker, at=clock())
        outcome["sent" if recorded else "already_recorded"] += 1
    return outcome


def deliver_batch(
    db: Database,
    rulebook: Rulebook,
    channels: Mapping[str, Channel],
    *,
    worker: str,
    clock: Callable[[], datetime],
    batch_size: int | None = None,
) -> Counter[str]:
    size = batch_size or rulebook.alerts.delivery.batch_size
    claimed = claim_deliveries(db, rulebook, clock(), worker=worker, batch_size=size)
    return deliver_claimed(db, rulebook, channels, claimed, worker=worker, clock=clock)
