"""The unit's inbox through the API: a step's notice reaches the receiving unit and no other, acknowledging it
is the proof of service (once, by the first officer), and a late acknowledgement reaches only the head."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from states.accounts import create_user
from states.delivery import Channel, OutgoingMessage, deliver_batch
from states.errors import ChannelError
from states.notices import Posting, escalate_unacknowledged
from states.outbox_drain import drain_outbox
from states.recipients import UnitDirectory
from tests.api.test_api import POSITIVE, client, login
from tests.conftest import PASSWORD, World

__all__ = ["client"]

SECRET = "test-secret-key-of-at-least-thirty-two-chars"
EMAIL = "chu.tich@example.vn"
PHONE = "0912345612"
MANAGEMENT_TITLE = "Thông báo người sử dụng trái phép chất ma túy để quản lý"


def add_reachable_chair(world: World) -> None:
    """A second officer of the commune committee's chair desk, reachable by email and SMS."""
    with world.db.transaction() as repo:
        create_user(
            repo,
            world.rulebook.regimes,
            username="chair_desk",
            password=PASSWORD,
            full_name="Lê Thị Hoa",
            role="commune_chair",
            unit_code="UBX-00070",
            now=world.clock.now(),
            email=EMAIL,
            phone=PHONE,
        )


def notify_the_chair(world: World) -> str:
    """A user outside Article 27 is handed to management: the step notifies the commune chair."""
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    dossier.fire("police", "status_checked", {"art27_case": "none", "penal_256a_window": "none"})
    outcomes = drain_outbox(world.engine, world.actors["system"], worker="test")
    assert "posted" in {outcome.outcome for outcome in outcomes}
    return dossier.id


def post(
    world: World, key: str, *, kind: str = "handoff", unit_code: str = "CAX-00070", role: str | None = None
) -> int:
    with world.db.transaction() as repo:
        directory = UnitDirectory(world.rulebook.regimes, repo.all_units())
        notice_id = Posting(repo, world.rulebook, directory, world.clock.now()).post(
            key=key,
            kind=kind,
            unit_code=unit_code,
            role=role,
            title=f"Chuyển hồ sơ {key}",
            body="Đề nghị tiếp nhận hồ sơ.",
            source={},
            dossier_id=None,
        )
    assert notice_id is not None
    return notice_id


def inbox(client: TestClient, who: str, **query: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/notices", params=query, headers=login(client, who))
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def acknowledge(client: TestClient, who: str, notice_id: int | str) -> Any:
    return client.post(f"/api/v1/notices/{notice_id}/acknowledge", headers=login(client, who))


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


class BusyGateway:
    """An SMS gateway that refuses, naming the number."""

    def send(self, message: OutgoingMessage) -> None:
        raise ChannelError(f"Thuê bao {message.address} tạm thời không liên lạc được")


def test_the_chair_sees_the_step_notice_with_masked_deliveries(client: TestClient, world: World) -> None:
    add_reachable_chair(world)
    dossier_id = notify_the_chair(world)
    mailbox = Mailbox()
    channels: dict[str, Channel] = {"email": mailbox, "sms": BusyGateway()}
    counts = deliver_batch(world.db, world.rulebook, channels, worker="test", clock=world.clock.now)
    assert (counts["sent"], counts["retry"]) == (1, 1)
    assert [message.address for message in mailbox.sent] == [EMAIL]

    response = client.get("/api/v1/notices", headers=login(client, "chair"))
    assert response.status_code == 200, response.text
    [notice] = response.json()
    assert (notice["kind"], notice["role"], notice["title"]) == ("dossier_notice", "commune_chair", MANAGEMENT_TITLE)
    assert notice["dossier_id"] == dossier_id
    assert "Phường Hoàn Kiếm" in notice["body"]
    assert notice["created_at"] == world.clock.now().isoformat()
    assert notice["created_at"].endswith("+00:00")
    assert notice["ack_due_at"] > notice["created_at"]
    assert (notice["acknowledged_at"], notice["acknowledged_by"], notice["escalated_at"]) == (None, None, None)
    deliveries = {delivery["channel"]: delivery for delivery in notice["deliveries"]}
    assert deliveries["email"] == {
        "channel": "email",
        "address": "c***@example.vn",
        "status": "sent",
        "attempts": 1,
        "sent_at": world.clock.now().isoformat(),
        "delivered_at": world.clock.now().isoformat(),
        "last_error": None,
    }
    sms = deliveries["sms"]
    assert (sms["address"], sms["status"], sms["attempts"], sms["sent_at"]) == ("09******12", "pending", 1, None)
    assert sms["last_error"] == "Thuê bao 09******12 tạm thời không liên lạc được"
    assert EMAIL not in response.text and PHONE not in response.text
    assert inbox(client, "chair_desk") == [notice]


def test_another_unit_neither_sees_nor_acknowledges_the_notice(client: TestClient, world: World) -> None:
    notify_the_chair(world)
    [notice] = inbox(client, "chair")
    for outsider in ("other_police", "police", "clerk"):
        assert inbox(client, outsider) == []
    unknown_id = notice["id"] + 1000
    unknown = acknowledge(client, "other_police", unknown_id)
    foreign = acknowledge(client, "other_police", notice["id"])
    assert unknown.status_code == foreign.status_code == 404
    assert foreign.headers["content-type"] == unknown.headers["content-type"] == "application/problem+json"
    expected = unknown.json()
    assert expected["detail"] == f"Không tìm thấy thông báo số {unknown_id}"
    assert foreign.json() == {**expected, "detail": f"Không tìm thấy thông báo số {notice['id']}"}
    assert inbox(client, "chair", unacknowledged="true") == [notice]


def test_acknowledging_is_recorded_once_by_the_first_officer(client: TestClient, world: World) -> None:
    add_reachable_chair(world)
    notify_the_chair(world)
    [notice] = inbox(client, "chair", unacknowledged="true")
    world.clock.set(world.clock.now() + timedelta(hours=2))
    acknowledged_at = world.clock.now().isoformat()

    first = acknowledge(client, "chair", notice["id"])
    assert first.status_code == 200, first.text
    recorded = first.json()
    assert (recorded["id"], recorded["acknowledged_at"], recorded["acknowledged_by"]) == (
        notice["id"],
        acknowledged_at,
        "chair",
    )
    assert {key: value for key, value in recorded.items() if not key.startswith("acknowledged_")} == {
        key: value for key, value in notice.items() if not key.startswith("acknowledged_")
    }
    assert inbox(client, "chair", unacknowledged="true") == []
    assert inbox(client, "chair_desk") == [recorded]

    world.clock.set(world.clock.now() + timedelta(hours=1))
    again = acknowledge(client, "chair_desk", notice["id"])
    assert again.status_code == 200, again.text
    assert again.json() == recorded


def test_a_late_acknowledgement_reaches_the_head_of_the_unit_only(client: TestClient, world: World) -> None:
    notice_id = post(world, "late")
    for officer in ("police", "chief"):
        assert [n["id"] for n in inbox(client, officer, unacknowledged="true")] == [notice_id]
    [notice] = inbox(client, "police")
    world.clock.set(world.clock.now() + timedelta(days=3))
    assert escalate_unacknowledged(world.db, world.rulebook, world.clock.now(), batch_size=10)

    escalation, original = inbox(client, "chief")
    assert (escalation["kind"], escalation["role"], escalation["ack_due_at"]) == (
        "ack_escalation",
        "custody_officer",
        None,
    )
    assert notice["title"] in escalation["title"] + escalation["body"]
    assert original["id"] == notice_id
    assert original["escalated_at"] == world.clock.now().isoformat()
    assert inbox(client, "police") == [original]
    # The head's reminder is not served on anyone: nothing to acknowledge, and it stays out of the to-do list.
    refused = acknowledge(client, "chief", escalation["id"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Thông báo này là lời nhắc nội bộ, không cần xác nhận đã nhận"
    assert acknowledge(client, "police", escalation["id"]).status_code == 404
    assert [n["id"] for n in inbox(client, "chief", unacknowledged="true")] == [notice_id]
    late = acknowledge(client, "police", notice_id)
    assert (late.status_code, late.json()["acknowledged_by"]) == (200, "police")


def test_the_inbox_pages_newest_first(client: TestClient, world: World) -> None:
    posted = [post(world, f"page-{n}") for n in range(5)]
    reminder = post(world, "reminder", kind="deadline_warning")
    for_the_chief = post(world, "chief-only", role="custody_officer")
    first = inbox(client, "police", limit=2)
    assert [n["id"] for n in first] == [reminder, posted[4]]
    rest = inbox(client, "police", limit=200, before_id=first[-1]["id"])
    assert [n["id"] for n in rest] == posted[3::-1]
    assert [n["id"] for n in inbox(client, "police", unacknowledged="true", limit=3)] == posted[:-4:-1]
    assert [n["id"] for n in inbox(client, "chief", limit=1)] == [for_the_chief]
    assert inbox(client, "police", before_id=posted[0]) == []


def test_the_service_identity_and_strangers_read_no_inbox(client: TestClient, world: World) -> None:
    post(world, "for-the-system", unit_code="HT")
    assert client.get("/api/v1/notices").status_code == 401
    now = int(world.clock.now().timestamp())
    forged = jwt.encode(
        {"sub": "system", "role": "system", "unit": "HT", "iat": now, "exp": now + 600}, SECRET, algorithm="HS256"
    )
    headers = {"Authorization": f"Bearer {forged}"}
    assert client.get("/api/v1/notices", headers=headers).status_code == 401
    assert client.post("/api/v1/notices/1/acknowledge", headers=headers).status_code == 401
    assert [n["title"] for n in inbox(client, "admin")] == ["Chuyển hồ sơ for-the-system"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10000}, "limit"),
        ({"limit": "mươi"}, "limit"),
        ({"before_id": -1}, "before_id"),
        ({"before_id": 10**30}, "before_id"),
        ({"unacknowledged": "có"}, "unacknowledged"),
    ],
)
def test_a_bad_query_is_refused_in_vietnamese(client: TestClient, query: dict[str, Any], field: str) -> None:
    response = client.get("/api/v1/notices", params=query, headers=login(client, "police"))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert body["detail"].startswith("Dữ liệu gửi lên không hợp lệ — ")


@pytest.mark.parametrize("notice_id", ["abc", "-1", "0", "1.5", str(2**31), str(10**30), "%00"])
def test_a_bad_notice_id_is_refused_not_a_server_error(client: TestClient, notice_id: str) -> None:
    response = acknowledge(client, "police", notice_id)
    assert response.status_code == 422
    assert response.json()["field"] == "notice_id"


def test_the_largest_notice_id_is_simply_not_found(client: TestClient) -> None:
    response = acknowledge(client, "police", 2**31 - 1)
    assert response.status_code == 404
    assert response.json()["detail"] == f"Không tìm thấy thông báo số {2**31 - 1}"
