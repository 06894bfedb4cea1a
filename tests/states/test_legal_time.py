"""Tests for states.legal_time: Vietnamese working calendar and legal deadlines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from states.legal_time import (
    VN_TZ,
    CalendarError,
    TimeUnit,
    WorkCalendar,
    compute_due,
    load_calendar,
    working_days_elapsed,
)

CALENDARS_DIR = Path(__file__).resolve().parents[2] / "config" / "calendars"
CAL = WorkCalendar()
PACKAGE_VN = holidays.country_holidays("VN", years=range(2021, 2030), language="vi")

dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31))
counts = st.integers(min_value=0, max_value=300)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN_TZ)


def end_of_local_day_utc(d: date) -> datetime:
    # Vietnam is UTC+7 with no daylight saving time.
    return datetime(d.year, d.month, d.day, 16, 59, 59, 999999, tzinfo=UTC)


def write_override(directory: Path, year: int, body: str) -> None:
    (directory / f"vn-{year}.yaml").write_text(f"year: {year}\nsource: 'Thử nghiệm'\n{body}", encoding="utf-8")


# --- working days -----------------------------------------------------------------------------


def test_make_up_saturday_and_reunification_holidays_2025() -> None:
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday worked to free Friday 2 May
    for off in (date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)):
        assert not CAL.is_working_day(off)
        assert CAL.holiday_name(off)
    # Fri 25, Sat 26, Mon 28, Tue 29, then 30/4-4/5 off, Mon 5/5.
    assert CAL.add_working_days(date(2025, 4, 24), 5) == date(2025, 5, 5)
    assert CAL.add_working_days(date(2025, 4, 24), 2) == date(2025, 4, 26)


def test_tet_2026_is_skipped() -> None:
    for day in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_national_day_swap_2026() -> None:
    assert CAL.is_working_day(date(2026, 8, 22))
    assert CAL.holiday_name(date(2026, 8, 22)) is None
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert CAL.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert CAL.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_zero_working_days_and_next_working_day() -> None:
    assert CAL.add_working_days(date(2025, 4, 24), 0) == date(2025, 4, 24)
    assert CAL.add_working_days(date(2025, 4, 30), 0) == date(2025, 5, 5)
    assert CAL.next_working_day_on_or_after(date(2025, 12, 31)) == date(2025, 12, 31)
    assert CAL.next_working_day_on_or_after(date(2026, 1, 1)) == date(2026, 1, 2)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 1, 1), -1)


def test_working_days_between_is_half_open() -> None:
    monday, friday = date(2025, 6, 2), date(2025, 6, 6)
    assert CAL.working_days_between(monday, friday) == 4
    assert CAL.working_days_between(friday, monday) == 0
    assert CAL.working_days_between(monday, monday) == 0


# --- compute_due ------------------------------------------------------------------------------


def test_hours_are_plain_elapsed_time() -> None:
    due, info = compute_due(at(2025, 4, 30, 10), 5, TimeUnit.HOURS, CAL)
    assert due == datetime(2025, 4, 30, 8, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert info["rolled_from"] is None
    assert info["skipped_days_off"] == []


def test_calendar_days_roll_off_a_sunday() -> None:
    # Thursday + 3 days = Sunday 8 June 2025 -> end of Monday 9 June.
    due, info = compute_due(at(2025, 6, 5), 3, TimeUnit.CALENDAR_DAYS, CAL)
    assert due == end_of_local_day_utc(date(2025, 6, 9))
    assert info["rolled_from"] == "2025-06-08"
    assert info["end_local_date"] == "2025-06-09"
    assert info["skipped_days_off"] == ["2025-06-08"]

    due, info = compute_due(at(2025, 6, 5), 3, TimeUnit.CALENDAR_DAYS, CAL, roll_forward=False)
    assert due == end_of_local_day_utc(date(2025, 6, 8))
    assert info["rolled_from"] is None


def test_first_day_uses_local_date() -> None:
    # 20:00 UTC on 24 April is already 25 April in Hà Nội.
    due, info = compute_due(datetime(2025, 4, 24, 20, tzinfo=UTC), 1, TimeUnit.CALENDAR_DAYS, CAL)
    assert info["start_local"] == "2025-04-25T03:00:00+07:00"
    assert due == end_of_local_day_utc(date(2025, 4, 26))


def test_working_days_due_lists_days_off() -> None:
    due, info = compute_due(at(2025, 4, 24), 5, TimeUnit.WORKING_DAYS, CAL)
    assert due == end_of_local_day_utc(date(2025, 5, 5))
    assert info["skipped_days_off"] == [
        "2025-04-27",
        "2025-04-30",
        "2025-05-01",
        "2025-05-02",
        "2025-05-03",
        "2025-05-04",
    ]


@pytest.mark.parametrize(
    ("start", "months", "expected", "rolled_from"),
    [
        (date(2025, 8, 31), 1, date(2025, 9, 30), None),  # 31 -> 30
        (date(2025, 1, 31), 1, date(2025, 2, 28), None),  # 31 -> 28
        (date(2024, 1, 31), 1, date(2024, 2, 29), None),  # leap year
        (date(2025, 3, 31), 1, date(2025, 5, 5), "2025-04-30"),  # clamps onto 30/4, then rolls
        (date(2025, 11, 15), 3, date(2026, 2, 23), "2026-02-15"),  # across the year into Tết
    ],
)
def test_months_clamp_and_roll(start: date, months: int, expected: date, rolled_from: str | None) -> None:
    due, info = compute_due(at(start.year, start.month, start.day), months, TimeUnit.MONTHS, CAL)
    assert due == end_of_local_day_utc(expected)
    assert info["rolled_from"] == rolled_from


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError):
        compute_due(datetime(2025, 1, 2, 9), 1, TimeUnit.HOURS, CAL)
    with pytest.raises(ValueError):
        working_days_elapsed(at(2025, 1, 2), datetime(2025, 1, 9), CAL)


def test_explanation_is_complete_and_json_able() -> None:
    _, info = compute_due(at(2026, 2, 13), 3, TimeUnit.WORKING_DAYS, CAL)
    assert set(info) == {
        "unit",
        "count",
        "start_local",
        "end_local_date",
        "rolled_from",
        "skipped_days_off",
        "calendar_version",
        "cut_off",
        "deemed_start_date",
    }
    assert (info["cut_off"], info["deemed_start_date"]) == (None, None)
    assert info["unit"] == "working_days"
    assert info["count"] == 3
    assert info["end_local_date"] == "2026-02-25"
    assert info["calendar_version"] == CAL.version
    json.dumps(info)


def test_skipped_days_are_capped() -> None:
    _, info = compute_due(at(2025, 1, 2), 200, TimeUnit.WORKING_DAYS, CAL)
    skipped = info["skipped_days_off"]
    assert isinstance(skipped, list)
    assert len(skipped) == 31


def test_working_days_elapsed() -> None:
    assert working_days_elapsed(at(2025, 4, 24), at(2025, 5, 5, 17), CAL) == 5
    assert working_days_elapsed(at(2025, 5, 5), at(2025, 4, 24), CAL) == 0


# --- override files ---------------------------------------------------------------------------


def test_shipped_overrides_are_the_package_plus_each_listed_change() -> None:
    """Whatever the shipped files list, every day of their years is the package's answer except the days
    they change, which change as listed (and the calendar version records that the files were read)."""
    shipped = load_calendar(CALENDARS_DIR)
    assert shipped.version.startswith("holidays-")
    assert shipped.version != CAL.version
    files = sorted(CALENDARS_DIR.glob("vn-*.yaml"))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        changed: dict[date, bool] = {}
        for entry in data.get("extra_days_off") or []:
            changed[entry["date"]] = False
            assert shipped.holiday_name(entry["date"]) == entry["name_vi"]
        for entry in data.get("extra_working_days") or []:
            changed[entry["date"]] = True
        for entry in data.get("not_days_off") or []:
            changed[entry["date"]] = entry["date"].weekday() < 5
            assert shipped.holiday_name(entry["date"]) is None
        day = date(data["year"], 1, 1)
        while day.year == data["year"]:
            assert shipped.is_working_day(day) == changed.get(day, CAL.is_working_day(day)), day
            day += timedelta(days=1)


def test_override_changes_result_and_version(tmp_path: Path) -> None:
    write_override(
        tmp_path,
        2025,
        "extra_days_off:\n  - {date: 2025-04-25, name_vi: 'Ngày nghỉ thử', source: 'Thử'}\n"
        "extra_working_days:\n  - {date: 2025-05-03, name_vi: 'Làm bù thử'}\n",
    )
    changed = load_calendar(tmp_path)
    assert changed.holiday_name(date(2025, 4, 25)) == "Ngày nghỉ thử"
    assert changed.is_working_day(date(2025, 5, 3))
    # Sat 26, Mon 28, Tue 29, Sat 3/5, Mon 5/5.
    assert changed.add_working_days(date(2025, 4, 24), 5) == date(2025, 5, 5)
    assert changed.add_working_days(date(2025, 4, 24), 3) == date(2025, 4, 29)
    assert CAL.add_working_days(date(2025, 4, 24), 3) == date(2025, 4, 28)

    due, info = compute_due(at(2025, 4, 24), 3, TimeUnit.WORKING_DAYS, changed)
    assert due == end_of_local_day_utc(date(2025, 4, 29))
    assert info["calendar_version"] == changed.version

    before = changed.version
    write_override(tmp_path, 2025, "not_days_off:\n  - {date: 2025-05-02, name_vi: 'Không nghỉ'}\n")
    reloaded = load_calendar(tmp_path)
    assert reloaded.version not in {before, CAL.version}
    assert reloaded.is_working_day(date(2025, 5, 2))
    assert reloaded.holiday_name(date(2025, 5, 2)) is None


def test_empty_directory_gives_package_calendar(tmp_path: Path) -> None:
    assert load_calendar(tmp_path).version == CAL.version


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        (
            "vn-2025.yaml",
            "year: 2025\nsource: 'x'\nextra_days_off:\n  - {date: 2026-01-02, name_vi: 'Sai năm'}\n",
        ),
        (
            "vn-2025.yaml",
            "year: 2025\nsource: 'x'\n"
            "extra_days_off:\n  - {date: 2025-06-02, name_vi: 'A'}\n"
            "extra_working_days:\n  - {date: 2025-06-02, name_vi: 'B'}\n",
        ),
        ("vn-2025.yaml", "year: 2025\nsource: 'x'\nunexpected: 1\n"),
        ("vn-2025.yaml", "year: 2025\n"),
        ("vn-2025.yaml", "year: 2025\nsource: 'x'\nextra_days_off:\n  - {date: 2025-06-02}\n"),
        ("vn-2025.yaml", "year: [2025\n"),
        ("vn-2025.yaml", "year: 2026\nsource: 'x'\n"),
        ("vn-notes.yaml", "year: 2025\nsource: 'x'\n"),
    ],
)
def test_invalid_override_raises(tmp_path: Path, filename: str, content: str) -> None:
    (tmp_path / filename).write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError):
        load_calendar(tmp_path)


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(CalendarError):
        load_calendar(tmp_path / "absent")


# --- properties -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(start=dates, n=st.integers(min_value=1, max_value=300))
def test_result_is_a_working_day_after_start(start: date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert result > start
    assert CAL.is_working_day(result)


@PROPERTY_SETTINGS
@given(start=dates, n=counts, extra=st.integers(min_value=1, max_value=30))
def test_monotonic_in_count(start: date, n: int, extra: int) -> None:
    earlier, later = CAL.add_working_days(start, n), CAL.add_working_days(start, n + extra)
    # n == 0 on a day off already moves to the next working day, so it may tie with n == 1.
    assert earlier < later or (n == 0 and extra == 1 and earlier == later)


@PROPERTY_SETTINGS
@given(start=dates, n=counts, shift=st.integers(min_value=1, max_value=60))
def test_monotonic_in_start(start: date, n: int, shift: int) -> None:
    assert CAL.add_working_days(start, n) <= CAL.add_working_days(start + timedelta(days=shift), n)


@PROPERTY_SETTINGS
@given(start=dates, n=counts)
def test_between_inverts_add(start: date, n: int) -> None:
    expected = n or int(not CAL.is_working_day(start))
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == expected


@PROPERTY_SETTINGS
@given(start=dates, n=counts)
def test_add_matches_package_nth_working_day(start: date, n: int) -> None:
    # The package's get_nth_working_day has the same "start day not counted" rule.
    assert CAL.add_working_days(start, n) == PACKAGE_VN.get_nth_working_day(start, n)


@PROPERTY_SETTINGS
@given(start=dates, length=st.integers(min_value=0, max_value=800))
def test_between_matches_package_count(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    # The package counts the closed interval [start, end]; ours is (start, end].
    package_count = PACKAGE_VN.get_working_days_count(start, end) - int(PACKAGE_VN.is_working_day(start))
    assert CAL.working_days_between(start, end) == package_count
    for day in (start, end):
        assert CAL.is_working_day(day) == PACKAGE_VN.is_working_day(day)
