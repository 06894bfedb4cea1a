"""Legal time in words: the sentence beside every stored explanation, and the day-by-day account."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from states.errors import InvalidInputError
from states.legal_text import day_by_day, explanation_text, parse_period
from states.legal_time import VN_TZ, CalendarOverride, TimeUnit, WorkCalendar, compute_due
from tests.conftest import World

CALENDAR = WorkCalendar()


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
    lines, due_at, _ = day_by_day(local("2026-08-20T10:00"), 3, TimeUnit.WORKING_DAYS, CALENDAR)
    saturday = next(line for line in lines if line.day == date(2026, 8, 22))
    assert (saturday.counted, saturday.note) == (2, "ngày làm việc thứ 2 (ngày làm bù)")
    assert due_at.astimezone(VN_TZ).date() == date(2026, 8, 24)


def test_a_calendar_override_moves_the_due_date_and_is_named() -> None:
    override = CalendarOverride.model_validate(
        {
            "year": 2026,
            "source": "Công văn (thử) về nghỉ thêm",
            "extra_days_off": [{"date": "2026-04-28", "name_vi": "Nghỉ thêm theo thông báo của Chính phủ"}],
        }
    )
    _, due_at, sentence = day_by_day(local("2026-04-22T09:00"), 3, TimeUnit.WORKING_DAYS, WorkCalendar([override]))
    assert due_at.astimezone(VN_TZ).date() == date(2026, 4, 29)
    assert "thứ Ba 28/04 (Nghỉ thêm theo thông báo của Chính phủ)" in sentence


def test_a_time_limit_ending_on_a_day_off_moves_and_a_term_does_not() -> None:
    _, moved, limit = day_by_day(local("2026-03-25T09:00"), 1, TimeUnit.MONTHS, CALENDAR)
    _, kept, term = day_by_day(local("2026-03-25T09:00"), 1, TimeUnit.MONTHS, CALENDAR, term=True)
    assert (moved.astimezone(VN_TZ).date(), kept.astimezone(VN_TZ).date()) == (date(2026, 4, 28), date(2026, 4, 25))
    assert "ngày cuối thứ Bảy 25/04/2026 là ngày nghỉ nên hạn chuyển sang ngày làm việc tiếp theo" in limit
    assert "là thời hạn chấp hành, ngày cuối không dời" in term


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
    sentence = explanation_text(explanation, local("2025-07-14T23:59:59"), CALENDAR, start_label="ngày thụ lý")
    assert sentence == (
        "15 ngày kể từ ngày 21/03/2025 (ngày thụ lý); không tính thời gian tạm dừng từ 28/03/2025 đến 03/07/2025 "
        "(97 ngày); hạn cuối 23:59 ngày 14/07/2025 — căn cứ: PL 03/2022/UBTVQH15"
    )


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
