"""Notices between units: written once from the outbox, in the receiving unit's inbox at once, acknowledged
by that unit (proof of service), escalated once to its head when nobody acknowledges in time, and served on
paper when the receiving unit has nobody in hoso."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from states.accounts import create_unit
from states.errors import ConflictError, NotFoundError
from states.notices import Posting, acknowledge, escalate_unacknowledged, inbox
from states.outbox_drain import drain_outbox
from states.recipients import UnitDirectory
from tests.conftest import Dossier, World
from tests.states.test_custody import POSITIVE, concluded_in_custody


def drain(world: World) -> list[Any]:
    return drain_outbox(world.engine, world.actors["system"], worker="thu-nghiem", batch_size=3)


def result_notice(world: World) -> tuple[Dossier, dict[str, Any]]:
    """The health facility's conclusion notifies the commune police that asked for it."""
    dossier = concluded_in_custody(world)
    outcomes = drain(world)
    assert [(o.kind, o.outcome) for o in outcomes] == [("notice", "posted")]
    (notice,) = inbox(world.db, world.actors["police"])
    return dossier, notice


def test_a_step_notice_reaches_the_receiving_unit_once_with_an_acknowledgement_deadline(world: World) -> None:
    dossier, notice = result_notice(world)
    assert (notice["kind"], notice["unit_code"], notice["role"]) == ("dossier_notice", "CAX-00070", "commune_police")
    assert notice["title"] == "Trả phiếu kết quả xác định tình trạng nghiện cho cơ quan đề nghị"
    assert "Bước «Kết luận có nghiện ma túy» (ngày 02/03/2026), do head (Cơ sở y tế số 1) ghi nhận." in notice["body"]
    # One working day from 11:00 on Monday 02/03/2026.
    assert notice["ack_due_at"].isoformat() == "2026-03-03T16:59:59.999999+00:00"
    assert notice["dossier_id"] == dossier.id
    assert drain(world) == []
    assert [row["status"] for row in dossier.outbox() if row["kind"] == "notice"] == ["done"]
    assert inbox(world.db, world.actors["other_police"]) == []
    assert inbox(world.db, world.actors["chief"]) == []  # addressed to the commune police officers' role


def test_an_officer_with_an_email_and_a_phone_gets_one_delivery_per_channel(world: World) -> None:
    with world.db.transaction() as repo:
        repo._conn.execute(
            text("UPDATE users SET email = 'canbo@congan.hanoi.vn', phone = '0912345678' WHERE username = 'police'")
        )
    _, notice = result_notice(world)
    assert sorted((d["channel"], d["address"], d["status"]) for d in notice["deliveries"]) == [
        ("email", "canbo@congan.hanoi.vn", "pending"),
        ("sms", "0912345678", "pending"),
    ]
    assert len({d["message_id"] for d in notice["deliveries"]}) == 2


def test_the_receiving_unit_acknowledges_and_only_it(world: World) -> None:
    _, notice = result_notice(world)
    with pytest.raises(NotFoundError):
        acknowledge(world.db, world.actors["other_police"], notice["id"], world.clock.now())
    world.at("2026-03-02T15:00:00+07:00")
    first = acknowledge(world.db, world.actors["police"], notice["id"], world.clock.now())
    world.at("2026-03-02T16:00:00+07:00")
    again = acknowledge(world.db, world.actors["police"], notice["id"], world.clock.now())
    assert first["acknowledged_at"] == again["acknowledged_at"]
    assert first["acknowledged_by"] == world.actors["police"].user_id
    assert inbox(world.db, world.actors["police"], unacknowledged=True) == []
    world.at("2026-03-10T09:00:00+07:00")
    assert escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10) == []


def test_an_unacknowledged_notice_is_escalated_once_to_the_head_of_the_unit(world: World) -> None:
    _, notice = result_notice(world)
    world.at("2026-03-03T23:00:00+07:00")
    assert escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10) == []
    world.at("2026-03-04T00:00:00+07:00")
    (escalation,) = escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10)
    assert escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10) == []
    (seen,) = [n for n in inbox(world.db, world.actors["chief"]) if n["kind"] == "ack_escalation"]
    assert seen["id"] == escalation.escalation_id and seen["role"] == "custody_officer"
    assert seen["title"] == f"Chưa xác nhận đã nhận: {notice['title']}"
    assert "phải được xác nhận trước 23:59 ngày 03/03/2026" in seen["body"]
    assert [n["kind"] for n in inbox(world.db, world.actors["police"])] == ["dossier_notice"]


def test_a_reminder_needs_no_acknowledgement(world: World) -> None:
    with world.db.transaction() as repo:
        posting = Posting(
            repo, world.rulebook, UnitDirectory(world.rulebook.regimes, repo.all_units()), world.clock.now()
        )
        notice_id = posting.post(
            key="thu-nghiem:nhac",
            kind="deadline_warning",
            unit_code="CAX-00070",
            role=None,
            title="Sắp hết hạn",
            body="Nhắc việc",
            source={},
            dossier_id=None,
        )
    assert notice_id is not None
    with pytest.raises(ConflictError, match="không cần xác nhận"):
        acknowledge(world.db, world.actors["police"], notice_id, world.clock.now())


def test_a_unit_nobody_in_hoso_can_read_is_served_on_paper(world: World) -> None:
    with world.db.transaction() as repo:
        create_unit(
            repo,
            world.rulebook.regimes,
            code="UBX-00004",
            name="UBND phường Ba Đình",
            kind="commune_committee",
            commune_code="00004",
        )
        posting = Posting(
            repo, world.rulebook, UnitDirectory(world.rulebook.regimes, repo.all_units()), world.clock.now()
        )
        context = {
            "sender_unit": "CAX-00070",
            "procedure": "Xác định tình trạng nghiện ma túy",
            "person": "Nguyễn Văn A",
        }
        first = posting.post(
            key="thu-nghiem:giay",
            kind="dossier_notice",
            unit_code="UBX-00004",
            role="commune_chair",
            title="Thông báo người sử dụng trái phép chất ma túy để quản lý",
            body="…",
            source={},
            dossier_id=None,
            paper_context=context,
        )
        again = posting.post(
            key="thu-nghiem:giay",
            kind="dossier_notice",
            unit_code="UBX-00004",
            role="commune_chair",
            title="…",
            body="…",
            source={},
            dossier_id=None,
            paper_context=context,
        )
    assert first is not None and again is None
    (paper,) = [n for n in inbox(world.db, world.actors["police"]) if n["kind"] == "paper_required"]
    assert paper["title"] == "Cần gửi bản giấy: Thông báo người sử dụng trái phép chất ma túy để quản lý"
    assert "UBND phường Ba Đình chưa có cán bộ dùng hoso" in paper["body"]


def test_a_notice_the_system_sends_a_unit_is_a_reminder_nobody_acknowledges(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    world.at("2026-03-03T00:00:00+07:00")
    world.sweep()  # not checked on the day of the test: service_target_missed, fired by the system
    assert [(o.kind, o.outcome) for o in drain(world)] == [("notice", "posted")]
    (reminder,) = inbox(world.db, world.actors["police"])
    assert (reminder["kind"], reminder["dossier_id"], reminder["ack_due_at"]) == ("step_reminder", dossier.id, None)
    assert "xác nhận" not in reminder["body"]
    world.at("2026-03-10T09:00:00+07:00")
    assert escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10) == []
