"""Legal time in words: the sentence beside every stored explanation, and the day-by-day account."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import CONFIG_DIR
from states.errors import InvalidInputError
from states.legal_text import day_by_day, explanation_text, parse_period
from states.legal_time import VN_TZ, TimeUnit, WorkCalendar, compute_due
from states.procedures import load_rulebook
from tests.conftest import World

CALENDAR = WorkCalendar()
CALENDARS = CONFIG_DIR / "calendars"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def test_days_off_are_named_and_the_last_moment_given() -> None:
    lines, due_at, sentence = day_by_day(local("2026-04-22T09:00"), 3, TimeUnit.WORKING_DAYS, CALENDAR)
    assert sentence == (
        "03 ngày làm việc kể từ ngày 22/04/2026, không tính thứ Bảy 25/04, Chủ nhật 26/04 (Ngày Giỗ Tổ Hùng Vương) "
        "và thứ Hai 27/04 (Ngày Giỗ Tổ Hùng Vương (nghỉ bù)); hạn cuối 23:59 ngày 28/04/2026"
    )
    assert due_at.astimezone(VN_TZ).date() == date(2026, 4, 28)
    assert [(line.day.day, line.counted) for line in lines] == [
        (23, 1),
        (24, 2),
        (25, None),
        (26, None),
        (27, None),
        (28, 3),
    ]


def test_a_period_across_tet_2026() -> None:
    lines, due_at, sentence = day_by_day(local("2026-02-12T10:00"), 5, TimeUnit.WORKING_DAYS, CALENDAR)
    assert due_at.astimezone(VN_TZ).date() == date(2026, 2, 26)
    assert "thứ Ba 17/02 (Tết Nguyên Đán)" in sentence and "thứ Hai 16/02 (Giao thừa Tết Nguyên Đán)" in sentence
    assert sum(1 for line in lines if line.counted is None) == 9


def test_a_make_up_saturday_counts() -> None:
    lines, due_at, sentence = day_by_day(local("2026-08-20T10:00"), 3, TimeUnit.WORKING_DAYS, CALENDAR)
    saturday = next(line for line in lines if line.day == date(2026, 8, 22))
    assert (saturday.counted, saturday.note) == (2, "ngày làm việc thứ 2 (ngày làm bù)")
    assert due_at.astimezone(VN_TZ).date() == date(2026, 8, 24)
    assert sentence == (
        "03 ngày làm việc kể từ ngày 20/08/2026, không tính Chủ nhật 23/08, tính cả thứ Bảy 22/08 (ngày làm bù); "
        "hạn cuối 23:59 ngày 24/08/2026"
    )


def test_a_day_off_announced_in_a_calendar_file_moves_the_due_dates_of_dossiers(world: World, tmp_path: Path) -> None:
    """A yearly override in a ``config/calendars``-style directory (a day off the government adds) is read with the
    rulebook and moves the due dates computed from then on, naming the day."""
    for shipped in CALENDARS.glob("vn-*.yaml"):
        shutil.copy(shipped, tmp_path)
    override = {
        "year": 2026,
        "source": "Thông báo (thử) của Chính phủ về nghỉ thêm",
        "extra_days_off": [{"date": "2026-04-28", "name_vi": "Nghỉ thêm theo thông báo của Chính phủ"}],
    }
    (tmp_path / "vn-2026.yaml").write_text(yaml.safe_dump(override, allow_unicode=True), encoding="utf-8")
    rulebook = load_rulebook(CONFIG_DIR, calendars_dir=tmp_path)
    assert rulebook.calendar.version != world.rulebook.calendar.version
    _, due_at, sentence = day_by_day(local("2026-04-22T09:00"), 3, TimeUnit.WORKING_DAYS, rulebook.calendar)
    assert due_at.astimezone(VN_TZ).date() == date(2026, 4, 29)
    assert "thứ Ba 28/04 (Nghỉ thêm theo thông báo của Chính phủ)" in sentence

    def preparation_due() -> dict[str, Any]:
        """5 working days to prepare a compulsory rehab dossier from a violation recorded on Thursday 23/04/2026."""
        world.at("2026-04-23T09:00:00+07:00")
        dossier = world.open("police", "compulsory_rehab_adult")
        violation = {
            "detected_at": "2026-04-23T08:30:00+07:00",
            "record_number": "01/BB",
            "art32_case": "voluntary_not_done",
            "addiction_status": "determined",
            "penal_256a_window": "none",
        }
        dossier.fire("police", "violation_recorded", violation)
        return dossier.deadlines()["dossier_preparation"]

    # Shipped calendar: Fri 24, Tue 28, Wed 29, Mon 04/05, Tue 05/05 (25–27/04, 30/04–03/05 off).
    assert preparation_due()["due_at_local"].startswith("2026-05-05T23:59:59")
    world.rulebook = rulebook
    moved = preparation_due()
    assert moved["due_at_local"].startswith("2026-05-06T23:59:59")
    assert "thứ Ba 28/04 (Nghỉ thêm theo thông báo của Chính phủ)" in moved["explanation_vi"]
    assert moved["explanation"]["calendar_version"] == rulebook.calendar.version


def test_a_time_limit_ending_on_a_day_off_moves_and_a_term_does_not() -> None:
    _, moved, limit = day_by_day(local("2026-03-25T09:00"), 1, TimeUnit.MONTHS, CALENDAR)
    _, kept, term = day_by_day(local("2026-03-25T09:00"), 1, TimeUnit.MONTHS, CALENDAR, term=True)
    assert (moved.astimezone(VN_TZ).date(), kept.astimezone(VN_TZ).date()) == (date(2026, 4, 28), date(2026, 4, 25))
    assert "ngày cuối thứ Bảy 25/04/2026 là ngày nghỉ nên hạn chuyển sang ngày làm việc tiếp theo" in limit
    assert (
        "là thời hạn chấp hành, ngày cuối không dời khi rơi vào ngày nghỉ: thứ Bảy 25/04/2026 vẫn là ngày cuối" in term
    )


def test_pauses_and_the_basis_are_told() -> None:
    explanation = {
        "unit": "calendar_days",
        "count": 15,
        "start_at": local("2025-03-21T09:00").isoformat(),
        "start_source": "event_time",
        "legal_basis": "PL 03/2022/UBTVQH15",
        "computation": {"rolled_from": None, "skipped_days_off": []},
        "pauses": [
            {
                "from": local("2025-03-28T09:00").isoformat(),
                "to": local("2025-07-03T09:30").isoformat(),
                "not_counted_seconds": 97 * 86_400 + 1_800,
            }
        ],
    }
    sentence = explanation_text(explanation, local("2025-07-11T23:59:59"), CALENDAR, start_label="ngày thụ lý")
    assert sentence == (
        "15 ngày kể từ ngày 21/03/2025 (ngày thụ lý); không tính thời gian tạm dừng từ 28/03/2025 đến 03/07/2025 "
        "(97 ngày); hạn cuối 23:59 ngày 11/07/2025 — căn cứ: PL 03/2022/UBTVQH15"
    )


def taken(event_title: str, seq: int, unit_name: str | None, unit_code: str = "TAKV-01-01") -> dict[str, Any]:
    return {
        "event": "e",
        "title_vi": event_title,
        "seq": seq,
        "at": local("2026-03-09T00:00").isoformat(),
        "by": {"username": "u", "role": "r", "unit_code": unit_code, "unit_name": unit_name},
    }


def test_who_stopped_and_restarted_the_clock_is_told() -> None:
    explanation = {
        "unit": "calendar_days",
        "count": 15,
        "start_at": local("2026-03-02T09:10").isoformat(),
        "start_source": "event_time",
        "computation": {"rolled_from": None, "skipped_days_off": []},
        "pauses": [
            {
                "from": local("2026-03-02T09:30").isoformat(),
                "to": local("2026-03-02T16:00").isoformat(),
                "not_counted_seconds": 23_400,
                "paused_step": taken("Yêu cầu bổ sung tài liệu", 10, "Tòa án khu vực 1"),
                "resumed_step": taken("Nhận tài liệu bổ sung", 11, None, "CAX-00070"),
            },
            {
                "from": local("2026-03-05T09:00").isoformat(),
                "to": local("2026-03-09T09:00").isoformat(),
                "not_counted_seconds": 4 * 86_400,
                "paused_step": taken("Tạm đình chỉ", 12, "Tòa án khu vực 1"),
                "resumed_step": taken("Tiếp tục xem xét", 13, "Tòa án khu vực 1"),
                "end_date": "2026-03-21",
                "end_rolled_to": "2026-03-23",
            },
        ],
    }
    sentence = explanation_text(explanation, local("2026-03-23T23:59:59"), CALENDAR)
    assert sentence == (
        "15 ngày kể từ ngày 02/03/2026 (thời điểm của bước tạo thời hạn); tạm dừng và tiếp tục trong ngày 02/03/2026 "
        "nên hạn không đổi: tạm dừng theo “Yêu cầu bổ sung tài liệu” của Tòa án khu vực 1 (bước 10), tiếp tục theo "
        "“Nhận tài liệu bổ sung” của CAX-00070 (bước 11); không tính thời gian tạm dừng từ 05/03/2026 đến 09/03/2026 "
        "(04 ngày): tạm dừng theo “Tạm đình chỉ” của Tòa án khu vực 1 (bước 12), tiếp tục theo “Tiếp tục xem xét” "
        "của Tòa án khu vực 1 (bước 13); ngày cuối tính lại thứ Bảy 21/03/2026 là ngày nghỉ nên hạn chuyển sang ngày "
        "làm việc tiếp theo; hạn cuối 23:59 ngày 23/03/2026"
    )


@pytest.mark.parametrize(
    ("unit", "paused", "left"),
    [
        ("working_days", {"remaining_seconds": 200_000.0, "remaining_days": 2}, "02 ngày làm việc"),
        ("hours", {"remaining_seconds": 3 * 3_600 + 20 * 60.0}, "03 giờ 20 phút"),
    ],
)
def test_a_deadline_still_paused_tells_what_is_left_and_who_stopped_it(
    unit: str, paused: dict[str, Any], left: str
) -> None:
    explanation = {
        "unit": unit,
        "count": 3,
        "start_at": local("2026-03-02T09:00").isoformat(),
        "start_source": "event_time",
        "computation": {"skipped_days_off": []},
        "paused": {"since": local("2026-03-03T10:00").isoformat(), **paused, "step": taken("Tạm đình chỉ", 4, "X")},
    }
    sentence = explanation_text(explanation, local("2026-03-05T23:59:59"), CALENDAR)
    assert sentence.endswith(
        f"; đang tạm dừng từ 03/03/2026 theo “Tạm đình chỉ” của X (bước 4), còn lại {left} tính lại từ ngày tiếp tục "
        "(hạn trước khi tạm dừng: 23:59 ngày 05/03/2026)"
    )


@pytest.mark.parametrize(
    ("due", "verb"),
    [("2026-04-01T23:59:59", "kéo dài từ hạn"), ("2026-03-10T23:59:59", "thay cho hạn")],
)
def test_an_extension_tells_the_deadline_it_replaces_whose_decision_and_why(due: str, verb: str) -> None:
    explanation = {
        "unit": "calendar_days",
        "count": 30,
        "start_at": local("2026-03-02T09:10").isoformat(),
        "start_source": "event_time",
        "computation": {"skipped_days_off": []},
        "extends": {
            "rule_id": "decision_limit",
            "title_vi": "Ra quyết định trong 15 ngày",
            "due_at_before": local("2026-03-17T23:59:59").isoformat(),
            "status_before": "open",
            "step": taken("Kéo dài thời hạn", 12, "Tòa án khu vực 1"),
            "reason_field": "ground",
            "reason_vi": "Vụ việc phức tạp",
        },
    }
    sentence = explanation_text(explanation, local(due), CALENDAR, start_label="ngày thụ lý")
    assert f"(ngày thụ lý); {verb} 23:59 ngày 17/03/2026 theo quyết định ngày 09/03/2026 của Tòa án khu vực 1 " in (
        sentence
    )
    assert "(Vụ việc phức tạp); hạn cuối 23:59 ngày " in sentence


@pytest.mark.parametrize("text", ["3 tuần", "ba ngày", "", "-3 ngày", "3"])
def test_a_period_that_is_not_understood_is_refused_in_vietnamese(text: str) -> None:
    with pytest.raises(InvalidInputError, match="Không hiểu thời hạn"):
        parse_period(text)


def test_every_deadline_of_a_dossier_reads_as_a_sentence(world: World) -> None:
    world.at("2026-04-24T09:00:00+07:00")
    dossier = world.open()
    dossier.fire(
        "police",
        "test_positive",
        {
            "tested_at": "2026-04-24T08:30:00+07:00",
            "test_ground": "caught_using",
            "sample_type": "urine",
            "substances": "Heroin",
        },
    )
    deadlines = dossier.view()["deadlines"]
    assert deadlines
    for deadline in deadlines:
        count = deadline["explanation"]["count"]
        # A period of nothing (a same-day service target, an end date typed from a decision) reads "đến hết".
        assert deadline["explanation_vi"].startswith(f"{count:02d} " if count else "đến hết ngày ")
        local_due = datetime.fromisoformat(deadline["due_at_local"])
        assert (
            f"hạn cuối {local_due.strftime('%H:%M')} ngày {local_due.strftime('%d/%m/%Y')}"
            in deadline["explanation_vi"]
        )
        assert "căn cứ:" in deadline["explanation_vi"]


def test_a_start_after_the_cut_off_hour_counts_from_the_next_working_day() -> None:
    before, _ = compute_due(local("2026-04-24T16:00"), 3, TimeUnit.WORKING_DAYS, CALENDAR, cut_off=time(16, 30))
    after, computation = compute_due(
        local("2026-04-24T17:10"), 3, TimeUnit.WORKING_DAYS, CALENDAR, cut_off=time(16, 30)
    )
    # Received on Friday before 16:30: Tue 28, Wed 29, Mon 04/05 (30/4, 1/5 and the weekend are off).
    assert before.astimezone(VN_TZ).date() == date(2026, 5, 4)
    # After 16:30 it counts as received on Tuesday 28/04 (the weekend and Giỗ Tổ off): Wed 29, Mon 04, Tue 05.
    assert computation["deemed_start_date"] == "2026-04-28"
    assert after.astimezone(VN_TZ).date() == date(2026, 5, 5)
    on_sunday, _ = compute_due(local("2026-04-26T10:00"), 3, TimeUnit.WORKING_DAYS, CALENDAR, cut_off=time(16, 30))
    assert on_sunday == after
    explanation = {
        "unit": "working_days",
        "count": 3,
        "start_at": local("2026-04-24T17:10").isoformat(),
        "start_source": "event_time",
        "computation": computation,
    }
    sentence = explanation_text(explanation, after, CALENDAR, start_label="ngày nhận hồ sơ")
    assert sentence.startswith(
        "03 ngày làm việc kể từ ngày 24/04/2026 (ngày nhận hồ sơ), tính như nhận vào thứ Ba 28/04/2026 (sau 16:30"
    )
