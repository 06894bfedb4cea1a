"""Delivering notices through their channels: once each, refusals retried with backoff, leases that run out
handed to another worker, and concurrent claimers that never share a row (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from states.accounts import create_unit, create_user
from states.delivery import OutgoingMessage, claim_deliveries, deliver_batch, deliver_claimed
from states.errors import ChannelError, InvalidInputError
from states.notices import Posting
from states.procedures import Rulebook
from states.recipients import UnitDirectory
from states.store.database import Database
from states.store.repository import Record
from tests.conftest import PASSWORD, UNITS

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""Monday 02/03/2026, 09:00 in Hà Nội."""
STAFF = {
    # username → (role, unit, full name, email, phone)
    "canbo": ("commune_police", "CAX-00070", "Trần Thị Hoa", "canbo@cax00070.example.vn", "0912345678"),
    "truongcong": ("custody_officer", "CAX-00070", "Lê Văn Cường", "truong@cax00070.example.vn", "+84987654321"),
    "vanthu": ("health_facility", "YT-01-01", "Phạm Thị Lan", "vanthu@yt0101.example.vn", None),
    "khongdiachi": ("physician", "YT-01-01", "Đỗ Minh Tâm", None, None),
}
PERSON = "Nguyễn Văn Bình"
"""The person a notice is about: named in the in-app body, never in what leaves the application."""


class Clock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def add_staff(db: Database, rulebook: Rulebook, staff: dict[str, tuple[str, str, str, str | None, str | None]]) -> None:
    units = {role_unit[1] for role_unit in staff.values()}
    with db.transaction() as repo:
        for unit in UNITS:
            if unit["code"] in units and repo.unit(unit["code"]) is None:
                create_unit(repo, rulebook.regimes, **unit)
        for username, (role, unit_code, full_name, email, phone) in staff.items():
            create_user(
                repo,
                rulebook.regimes,
                username=username,
                password=PASSWORD,
                full_name=full_name,
                role=role,
                unit_code=unit_code,
                now=NOW,
                email=email,
                phone=phone,
            )


def post_notice(
    db: Database, rulebook: Rulebook, now: datetime, *, key: str, unit_code: str, title: str | None = None
) -> int:
    with db.transaction() as repo:
        posting = Posting(repo, rulebook, UnitDirectory(rulebook.regimes, repo.all_units()), now)
        notice_id = posting.post(
            key=key,
            kind="dossier_notice",
            unit_code=unit_code,
            role=None,
            title=title or f"Đề nghị xác định tình trạng nghiện ma túy ({key})",
            body=f"Xác định tình trạng nghiện ma túy — {PERSON} (Phường Hoàn Kiếm, Hà Nội).",
            source={"test": key},
            dossier_id=None,
        )
    assert notice_id is not None
    return notice_id


def deliveries(db: Database, notice_ids: list[int]) -> list[Record]:
    with db.reading() as repo:
        return repo.queues.deliveries(notice_ids)


class FakeChannel:
    """Remembers what it was given; refuses the first ``refusals`` sends of each message id."""

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.sent: list[OutgoingMessage] = []
        self.tries: Counter[str] = Counter()

    def send(self, message: OutgoingMessage) -> None:
        self.tries[message.message_id] += 1
        if self.tries[message.message_id] <= self.refusals:
            raise ChannelError("Máy chủ thư tạm thời từ chối (mã 451)", code=451)
        self.sent.append(message)


@pytest.fixture
def staffed(db: Database, rulebook: Rulebook) -> Database:
    add_staff(db, rulebook, STAFF)
    return db


def test_notices_queue_one_delivery_per_officer_and_address(staffed: Database, rulebook: Rulebook) -> None:
    police = post_notice(staffed, rulebook, NOW, key="a", unit_code="CAX-00070")
    health = post_notice(staffed, rulebook, NOW, key="b", unit_code="YT-01-01")
    queued = {(row["notice_id"], row["channel"], row["address"]) for row in deliveries(staffed, [police, health])}
    assert queued == {
        (police, "email", "canbo@cax00070.example.vn"),
        (police, "sms", "0912345678"),
        (police, "email", "truong@cax00070.example.vn"),
        (police, "sms", "+84987654321"),
        (health, "email", "vanthu@yt0101.example.vn"),
    }


def test_each_delivery_is_sent_once_and_a_second_run_sends_nothing(staffed: Database, rulebook: Rulebook) -> None:
    notice_id = post_notice(staffed, rulebook, NOW, key="a", unit_code="CAX-00070")
    email, sms = FakeChannel(), FakeChannel()
    channels = {"email": email, "sms": sms}
    clock = Clock()
    assert deliver_batch(staffed, rulebook, channels, worker="w1", clock=clock) == Counter(sent=4)
    clock.advance(hours=1)
    assert deliver_batch(staffed, rulebook, channels, worker="w1", clock=clock) == Counter()
    assert sorted(m.address for m in email.sent) == ["canbo@cax00070.example.vn", "truong@cax00070.example.vn"]
    assert sorted(m.address for m in sms.sent) == ["+84987654321", "0912345678"]
    rows = deliveries(staffed, [notice_id])
    assert {(row["status"], row["attempts"], row["sent_at"]) for row in rows} == {("sent", 1, NOW)}
    assert {row["message_id"] for row in rows} == {m.message_id for m in email.sent + sms.sent}
    for message in email.sent:
        assert f"số {notice_id}" in message.body and "Công an phường Hoàn Kiếm" in message.body
        assert PERSON not in message.subject + message.body
    for message in sms.sent:
        assert f"TB số {notice_id}" in message.body and PERSON not in message.body


def test_refusals_back_off_exponentially_until_the_last_attempt_fails(staffed: Database, rulebook: Rulebook) -> None:
    policy = rulebook.alerts.delivery
    notice_id = post_notice(staffed, rulebook, NOW, key="a", unit_code="YT-01-01")
    channel = FakeChannel(refusals=policy.max_attempts)
    clock = Clock()
    for attempt in range(1, policy.max_attempts + 1):
        outcome = deliver_batch(staffed, rulebook, {"email": channel}, worker="w1", clock=clock)
        (row,) = deliveries(staffed, [notice_id])
        assert row["attempts"] == attempt
        assert row["last_error"] == "Máy chủ thư tạm thời từ chối (mã 451)"
        assert (row["claimed_by"], row["lease_until"]) == (None, None)
        if attempt < policy.max_attempts:
            assert outcome == Counter(retry=1)
            wait = timedelta(seconds=policy.retry_seconds * 2 ** (attempt - 1))
            assert (row["status"], row["next_attempt_at"]) == ("pending", clock() + wait)
            clock.advance(seconds=wait.total_seconds() - 1)
            assert deliver_batch(staffed, rulebook, {"email": channel}, worker="w1", clock=clock) == Counter()
            clock.advance(seconds=1)
        else:
            assert outcome == Counter(failed=1)
            assert row["status"] == "failed"
    clock.advance(days=30)
    assert deliver_batch(staffed, rulebook, {"email": channel}, worker="w1", clock=clock) == Counter()
    assert sum(channel.tries.values()) == policy.max_attempts and channel.sent == []


def test_a_retry_that_goes_through_is_recorded_as_sent(staffed: Database, rulebook: Rulebook) -> None:
    notice_id = post_notice(staffed, rulebook, NOW, key="a", unit_code="YT-01-01")
    channel = FakeChannel(refusals=2)
    clock = Clock()
    outcomes = []
    for _ in range(3):
        outcomes.append(deliver_batch(staffed, rulebook, {"email": channel}, worker="w1", clock=clock))
        clock.advance(hours=1)
    assert outcomes == [Counter(retry=1), Counter(retry=1), Counter(sent=1)]
    (row,) = deliveries(staffed, [notice_id])
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    assert len(channel.sent) == 1


def test_a_channel_that_is_not_configured_is_a_refusal(staffed: Database, rulebook: Rulebook) -> None:
    notice_id = post_notice(staffed, rulebook, NOW, key="a", unit_code="CAX-00070")
    email = FakeChannel()
    assert deliver_batch(staffed, rulebook, {"email": email}, worker="w1", clock=Clock()) == Counter(sent=2, retry=2)
    sms_rows = [row for row in deliveries(staffed, [notice_id]) if row["channel"] == "sms"]
    assert {(row["status"], row["last_error"]) for row in sms_rows} == {("pending", "Chưa cấu hình kênh gửi 'sms'")}


def test_a_lease_that_runs_out_hands_the_rows_to_another_worker(staffed: Database, rulebook: Rulebook) -> None:
    lease = rulebook.alerts.delivery.lease_seconds
    notice_id = post_notice(staffed, rulebook, NOW, key="a", unit_code="CAX-00070")
    clock = Clock()
    held = claim_deliveries(staffed, rulebook, clock(), worker="dead", batch_size=10)
    assert len(held) == 4 and {row["claimed_by"] for row in deliveries(staffed, [notice_id])} == {"dead"}
    clock.advance(seconds=lease - 1)
    assert claim_deliveries(staffed, rulebook, clock(), worker="alive", batch_size=10) == []
    clock.advance(seconds=2)
    channel = FakeChannel()
    retaken = claim_deliveries(staffed, rulebook, clock(), worker="alive", batch_size=10)
    assert [row["id"] for row in retaken] == [row["id"] for row in held]
    channels = {"email": channel, "sms": channel}
    outcome = deliver_claimed(staffed, rulebook, channels, retaken, worker="alive", clock=clock)
    assert outcome == Counter(sent=4)
    # The first worker was only slow: it sends again (same Message-ID) but its record changes nothing.
    late = deliver_claimed(staffed, rulebook, channels, held, worker="dead", clock=clock)
    assert late == Counter(already_recorded=4)
    rows = deliveries(staffed, [notice_id])
    assert {(row["status"], row["claimed_by"], row["attempts"]) for row in rows} == {("sent", "alive", 1)}


def test_concurrent_claimers_never_get_the_same_rows(staffed: Database, rulebook: Rulebook) -> None:
    notice_ids = [post_notice(staffed, rulebook, NOW, key=f"n{n}", unit_code="CAX-00070") for n in range(15)]
    workers = 6
    barrier = threading.Barrier(workers)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def claim_until_empty(worker: str) -> None:
        mine: list[int] = []
        try:
            barrier.wait()
            while batch := claim_deliveries(staffed, rulebook, NOW, worker=worker, batch_size=3):
                mine += [row["id"] for row in batch]
        except BaseException as error:
            errors.append(error)
        claimed[worker] = mine

    threads = [threading.Thread(target=claim_until_empty, args=(f"w{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    every = [row_id for ids in claimed.values() for row_id in ids]
    assert len(every) == len(set(every)) == 60
    owners = {row["id"]: row["claimed_by"] for row in deliveries(staffed, notice_ids)}
    assert all(owners[row_id] == worker for worker, ids in claimed.items() for row_id in ids)


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "không-phải-thư"), ("email", "a@b\nBcc: c@d"), ("phone", "09-12"), ("phone", "0912abc678")],
)
def test_officer_contacts_are_checked(db: Database, rulebook: Rulebook, field: str, value: str) -> None:
    contact: dict[str, str | None] = {"email": None, "phone": None, field: value}
    with pytest.raises(InvalidInputError, match="không hợp lệ"):
        add_staff(db, rulebook, {"x": ("commune_police", "CAX-00070", "X", contact["email"], contact["phone"])})
