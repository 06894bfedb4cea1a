"""The times of a step: never in the future, never before birth or the previous step, consistent with one
another; the legal time of a fact is stored apart from the time it was recorded, and decides the regime,
the version of a new dossier and whether a law was in force."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from states.errors import InvalidInputError, PayloadError
from states.legal_time import VN_TZ
from states.store.tables import dossiers, persons
from tests.conftest import Dossier, World

TESTED = {"test_ground": "caught_using", "sample_type": "urine", "substances": "Heroin"}
REQUEST = {"facility_unit": "YT-01-01", "request_number": "12/GĐN"}


def positive(at: str) -> dict[str, Any]:
    return {**TESTED, "tested_at": at}


def custody(ordered: str, started: str) -> dict[str, Any]:
    return {"decision_number": "01/QĐ", "ordered_at": ordered, "custody_started_at": started, "custody_place": "T"}


def refused(dossier: Dossier, who: str, event: str, payload: dict[str, Any], *messages: str) -> None:
    """The step is refused with every message given, and nothing is saved."""
    before = dossier.saved()
    with pytest.raises(PayloadError) as caught:
        dossier.fire(who, event, payload)
    for message in messages:
        assert message in caught.value.message, caught.value.message
    after = dossier.saved()
    assert (after["version"], after["state"], len(after["history"])) == (
        before["version"],
        before["state"],
        len(before["history"]),
    )
    assert after["deadlines"] == before["deadlines"]


def stored_history(world: World, dossier: Dossier) -> list[dict[str, Any]]:
    with world.db.reading() as repo:
        return repo.history(dossier.id)


def held(world: World) -> Dossier:
    """In custody from 08:30 (decision at 08:40), recorded at 08:45 on Monday 02/03/2026."""
    dossier = world.open()
    dossier.fire("police", "test_positive", positive("2026-03-02T08:00:00+07:00"))
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    world.at("2026-03-02T08:45:00+07:00")
    dossier.fire("chief", "custody_ordered", custody("2026-03-02T08:40:00+07:00", "2026-03-02T08:30:00+07:00"))
    return dossier


def test_a_time_in_the_future_is_refused_beyond_the_clock_skew(world: World) -> None:
    dossier = world.open()  # the clock says 08:00
    refused(
        dossier,
        "police",
        "test_positive",
        positive("2026-03-02T08:06:00+07:00"),
        "'tested_at' (Thời điểm xét nghiệm) không thể ở tương lai",
    )
    refused(
        dossier,
        "police",
        "died",
        {"died_on": "2026-03-03", "evidence": "x"},
        "'died_on' (Ngày chết) không thể ở tương lai",
    )
    dossier.fire("police", "test_positive", positive("2026-03-02T08:04:00+07:00"))  # within 5 minutes of drift
    assert dossier.state == "user_confirmed"


def test_a_time_before_the_birth_of_the_person_is_refused(world: World) -> None:
    dossier = world.open(date_of_birth=date(1990, 6, 15))
    refused(
        dossier,
        "police",
        "test_positive",
        positive("1990-06-14T23:00:00+07:00"),
        "không thể trước ngày sinh của người này (15/06/1990)",
    )


def test_a_time_before_the_previous_step_is_refused_but_the_opening_does_not_count(world: World) -> None:
    dossier = world.open()
    # A test made before the dossier was opened is a fact like any other: the opening is not a legal step.
    dossier.fire("police", "test_positive", positive("2026-02-27T15:00:00+07:00"))
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})  # at 08:00
    world.at("2026-03-02T09:00:00+07:00")
    refused(
        dossier,
        "chief",
        "custody_ordered",
        custody("2026-03-02T07:59:00+07:00", "2026-03-02T07:30:00+07:00"),
        "'ordered_at' (Thời điểm ra quyết định tạm giữ) không thể trước bước trước của hồ sơ (08:00 ngày 02/03/2026)",
        "'custody_started_at' (Thời điểm bắt đầu giữ người) không thể trước bước trước của hồ sơ",
    )
    refused(dossier, "police", "died", {"died_on": "2026-03-01", "evidence": "x"}, "'died_on' (Ngày chết)")
    dossier.fire("chief", "custody_ordered", custody("2026-03-02T08:00:00+07:00", "2026-03-02T08:00:00+07:00"))
    dossier.fire("police", "died", {"died_on": "2026-03-02", "evidence": "Giấy báo tử"})  # same day: not before
    assert dossier.state == "closed_deceased"


def test_custody_cannot_start_after_the_decision(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", positive("2026-03-02T08:00:00+07:00"))
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    world.at("2026-03-02T09:00:00+07:00")
    refused(
        dossier,
        "chief",
        "custody_ordered",
        custody("2026-03-02T08:30:00+07:00", "2026-03-02T08:40:00+07:00"),
        "Thời điểm bắt đầu giữ người không được sau thời điểm ra quyết định tạm giữ",
    )
    refused(
        dossier,
        "chief",
        "custody_ordered",
        {**custody("x", "y"), "ordered_at": None},
        "thiếu trường bắt buộc 'ordered_at'",
    )


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        (
            "custody_extended",
            {"decision_number": "02/QĐ", "extended_at": "2026-03-02T08:20:00+07:00"},
            "Quyết định kéo dài không thể trước thời điểm bắt đầu giữ người",
        ),
        (
            "custody_ended",
            {"released_at": "2026-03-02T08:20:00+07:00", "reason": "x"},
            "Thời điểm trả tự do không thể trước thời điểm bắt đầu giữ người",
        ),
        ("custody_extended", {"decision_number": "02/QĐ"}, "thiếu trường bắt buộc 'extended_at'"),
    ],
    ids=["extended_before_custody", "released_before_custody", "extension_without_time"],
)
def test_custody_decisions_follow_the_start_of_custody(
    world: World, event: str, payload: dict[str, Any], message: str
) -> None:
    dossier = held(world)
    world.at("2026-03-02T09:00:00+07:00")
    refused(dossier, "chief", event, payload, message)


def to_observation(world: World) -> Dossier:
    dossier = world.open()
    dossier.fire("police", "test_positive", positive("2026-03-02T08:00:00+07:00"))
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    dossier.fire("police", "request_sent", REQUEST)
    world.at("2026-03-03T14:00:00+07:00")
    received = {"received_at": "2026-03-03T14:00:00+07:00", "assessment_place": "facility", "substance_class": "other"}
    dossier.fire("clerk", "received", received)
    return dossier


def conclusion(on: str) -> dict[str, Any]:
    return {"concluded_on": on, "criteria_met": 3, "criterion_6_met": False, "physician_name": "BS An"}


def test_conclusion_not_before_reception_and_result_not_served_before_conclusion(world: World) -> None:
    dossier = to_observation(world)
    world.at("2026-03-04T09:00:00+07:00")
    refused(
        dossier,
        "head",
        "concluded_addicted",
        conclusion("2026-03-02"),
        "Ngày kết luận không thể trước ngày tiếp nhận người được xác định",
    )
    dossier.fire("head", "concluded_addicted", conclusion("2026-03-03"))  # the day of reception is allowed
    refused(
        dossier,
        "police",
        "result_served",
        {"served_at": "2026-03-02T23:00:00+07:00"},
        "Kết quả không thể được thông báo trước ngày kết luận",
    )


def test_found_not_before_escape(world: World) -> None:
    dossier = held(world)
    world.at("2026-03-02T10:00:00+07:00")
    dossier.fire("police", "escaped", {"escaped_at": "2026-03-02T10:00:00+07:00"})
    world.at("2026-03-03T10:00:00+07:00")
    refused(
        dossier,
        "police",
        "found",
        {"found_at": "2026-03-02T09:59:00+07:00"},
        "Thời điểm tìm thấy không thể trước thời điểm bỏ trốn",
    )


def test_the_legal_time_of_a_fact_is_stored_apart_from_when_it_was_recorded(world: World) -> None:
    dossier = to_observation(world)
    world.at("2026-03-04T09:00:00+07:00")
    dossier.fire("head", "concluded_addicted", conclusion("2026-03-04"))
    world.at("2026-04-27T09:00:00+07:00")  # recorded on a Monday; the person was notified on the Friday before
    dossier.fire("police", "result_served", {"served_at": "2026-04-24T10:00:00+07:00"})
    rows = {row["event"]: row for row in stored_history(world, dossier)}
    served = rows["result_served"]
    assert served["occurred_at"] == datetime(2026, 4, 24, 10, 0, tzinfo=VN_TZ)
    assert served["recorded_at"] == datetime(2026, 4, 27, 9, 0, tzinfo=VN_TZ)
    concluded = rows["concluded_addicted"]
    assert concluded["occurred_at"] == datetime(2026, 3, 4, tzinfo=VN_TZ)  # a date: the start of that day
    checked = rows["status_checked"]  # a step without a time of its own happens when it is recorded
    assert checked["occurred_at"] == checked["recorded_at"] == datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)
    assert dossier.saved()["history"][-1]["occurred_at"] == "2026-04-24T03:00:00+00:00"


def test_the_regime_and_the_penal_code_follow_the_date_of_the_use(world: World) -> None:
    """Recorded on 02/07/2025, a use tested on 30/06/2025 predates art. 256a: no 256a answer is needed, and
    the test belongs to the regime of its day (VN2025A), the check to the day it was made (VN2025B)."""
    world.at("2025-07-02T09:00:00+07:00")
    dossier = world.open()
    dossier.fire("police", "test_positive", positive("2025-06-30T10:00:00+07:00"))
    dossier.fire("police", "status_checked", {"art27_case": "b"})
    assert dossier.state == "determination_required"
    regimes = [(entry["event"], entry["regime"]) for entry in dossier.saved()["history"]]
    assert regimes == [("dossier_opened", "VN2025B"), ("test_positive", "VN2025A"), ("status_checked", "VN2025B")]


def test_the_version_and_regime_of_a_new_dossier_follow_the_date_of_the_fact(world: World) -> None:
    world.at("2026-07-02T09:00:00+07:00")
    earlier = world.open(occurred_on=date(2026, 6, 30))
    now = world.open()
    assert (earlier.saved()["procedure_version"], now.saved()["procedure_version"]) == ("2022-01-01", "2026-07-01")
    opening = stored_history(world, earlier)[0]
    assert (opening["regime"], opening["occurred_at"]) == ("VN2025B", datetime(2026, 6, 30, tzinfo=VN_TZ))
    assert opening["recorded_at"] == datetime(2026, 7, 2, 9, 0, tzinfo=VN_TZ)
    assert opening["payload"]["occurred_on"] == "2026-06-30"
    assert stored_history(world, now)[0]["regime"] == "VN2026"


@pytest.mark.parametrize(
    ("occurred_on", "message"),
    [(date(2026, 7, 3), "Ngày của sự việc không thể ở tương lai"), (date(1990, 6, 14), "trước ngày sinh")],
    ids=["future", "before_birth"],
)
def test_the_date_of_the_fact_of_a_new_dossier_is_checked(world: World, occurred_on: date, message: str) -> None:
    world.at("2026-07-02T09:00:00+07:00")
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        world.open(occurred_on=occurred_on, date_of_birth=date(1990, 6, 15))
    with world.db.engine.connect() as conn:
        assert [conn.scalar(select(func.count()).select_from(t)) for t in (persons, dossiers)] == [0, 0]
