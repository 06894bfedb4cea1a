"""Running deadlines reach the officers who must act: a warning at 80 % of the allowed time, a notice on the
due date, and once overdue a task for them and a notice to the head of their unit — each exactly once."""

from __future__ import annotations

from typing import Any

from states.alerts import sweep_alerts
from tests.conftest import Dossier, World
from tests.states.test_custody import concluded_in_custody, held


def alerts(world: World) -> dict[str, int]:
    return dict(sweep_alerts(world.db, world.rulebook, world.clock.now(), batch_size=7))


def notices(dossier: Dossier, kind: str | None = None) -> list[dict[str, Any]]:
    with dossier.world.db.reading() as repo:
        rows = repo.alerts.notices_of_dossier(dossier.id)
    return [row for row in rows if kind is None or row["kind"] == kind]


def stage(dossier: Dossier, rule_id: str) -> tuple[str, str | None]:
    with dossier.world.db.reading() as repo:
        row = next(d for d in repo.deadlines(dossier.id) if d["rule_id"] == rule_id)
    return row["alert_stage"], row["next_alert_at"].isoformat() if row["next_alert_at"] else None


def test_the_warning_comes_at_80_percent_of_the_custody_and_only_once(world: World) -> None:
    dossier = held(world)  # custody from 08:30, 12 hours: due 20:30, warning from 18:06
    assert stage(dossier, "custody_base") == ("none", "2026-03-02T11:06:00+00:00")
    world.at("2026-03-02T18:05:00+07:00")
    assert alerts(world) == {}
    world.at("2026-03-02T18:06:00+07:00")
    assert alerts(world) == {"warned": 1}
    assert alerts(world) == {}
    (warning,) = notices(dossier, "deadline_warning")
    assert (warning["unit_code"], warning["role"]) == ("CAX-00070", "commune_police")
    assert warning["title"] == "Sắp hết hạn: Hết thời hạn tạm giữ 12 giờ"
    assert "Đã qua 80 % thời gian cho phép; hạn cuối 20:30 ngày 02/03/2026." in warning["body"]
    assert "12 giờ kể từ 08:30 ngày 02/03/2026" in warning["body"]
    assert warning["ack_due_at"] is None  # a reminder inside the unit, not a notice between agencies
    assert stage(dossier, "custody_base") == ("warned", "2026-03-02T13:30:00+00:00")


def test_overdue_gives_the_officers_a_task_and_their_head_a_notice(world: World) -> None:
    dossier = concluded_in_custody(world)  # result_service_target: 1 working day, due 23:59 on 03/03/2026
    world.at("2026-03-03T20:00:00+07:00")
    assert alerts(world) == {"warned": 1, "due": 1}  # custody_base passed its due time, the target warns
    world.at("2026-03-04T00:00:00+07:00")
    world.sweep()  # the missed target is recorded; custody_limit_reached was fired too
    assert alerts(world) == {"due": 1, "escalated": 1}  # custody: one working day after 20:30 on 02/03
    world.at("2026-03-05T00:00:00+07:00")
    assert alerts(world) == {"escalated": 1}
    escalations = notices(dossier, "deadline_escalation")
    assert {(n["unit_code"], n["role"]) for n in escalations} == {("CAX-00070", "custody_officer")}
    assert {n["title"] for n in escalations} == {
        "Báo cáo quá hạn: Hết thời hạn tạm giữ 12 giờ",
        "Báo cáo quá hạn: Thông báo kết quả chậm nhất ngày làm việc tiếp theo",
    }
    assert all("Kính báo thủ trưởng Công an phường Hoàn Kiếm" in n["body"] for n in escalations)
    overdue_tasks = [t for t in dossier.saved()["tasks"] if t["title"].startswith("Quá hạn:")]
    assert len(overdue_tasks) == 2 and {t["role"] for t in overdue_tasks} == {"commune_police"}
    assert stage(dossier, "result_service_target") == ("escalated", None)
    assert alerts(world) == {}


def test_a_sweep_that_comes_late_sends_only_what_is_still_true(world: World) -> None:
    dossier = concluded_in_custody(world)
    world.at("2026-03-10T09:00:00+07:00")
    assert alerts(world) == {"escalated": 2}
    assert [n["kind"] for n in notices(dossier) if n["kind"].startswith("deadline")] == ["deadline_escalation"] * 2


def test_a_deadline_met_in_time_says_nothing(world: World) -> None:
    dossier = concluded_in_custody(world)
    world.at("2026-03-02T14:00:00+07:00")
    dossier.fire("police", "result_served", {"served_at": "2026-03-02T14:00:00+07:00"})
    assert stage(dossier, "custody_base") == ("none", None)
    world.at("2026-03-12T09:00:00+07:00")
    assert alerts(world) == {}
    assert notices(dossier, "deadline_warning") == []


def test_an_expiry_that_moved_the_dossier_on_ends_the_alerts(world: World) -> None:
    dossier = held(world)
    world.at("2026-03-02T20:31:00+07:00")
    world.sweep()  # custody_limit_reached: in_custody → determination_required (released)
    assert dossier.state == "determination_required"
    assert alerts(world) == {"off": 1}
    assert notices(dossier, "deadline_escalation") == []
