"""Legal-time arithmetic on the Vietnamese working calendar.

Days off come from the ``holidays`` package (``holidays.VN``), which already knows the
government's substituted days off and the make-up working Saturdays (``weekend_workdays``).
Anything the package lacks is declared in override files ``vn-<year>.yaml``::

    year: 2026
    source: "Quyết định/ Thông báo ... (cite what makes the change)"
    extra_days_off:        # days off not in the holidays package
      - {date: 2026-01-02, name_vi: "...", source: "..."}
    extra_working_days:    # make-up working days (e.g. a Saturday) not in the package
      - {date: ..., name_vi: "...", source: "..."}
    not_days_off: []       # package holidays that are NOT days off this year (rare)

Every date must lie inside ``year`` and may appear in at most one list; ``source`` on an
entry is optional (the file-level ``source`` applies). Overrides win over the package.

Deadlines follow Bộ luật Dân sự 2015, Điều 147-148: the first day of a period is not
counted, a period ends at the end of its last day, and a period whose last day is a day
off ends at the end of the next working day.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import holidays
import yaml  # type: ignore[import-untyped,unused-ignore]
from holidays.version import __version__ as HOLIDAYS_VERSION
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from states.errors import DefinitionError

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_MAX_LISTED_DAYS_OFF = 31
_OVERRIDE_FILE = re.compile(r"vn-(\d{4})\.yaml")

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CalendarError(DefinitionError, ValueError):
    """An override calendar file is missing, malformed or contradictory."""


class TimeUnit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"


class DayEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date = Field(alias="date")
    name_vi: _Text
    source: _Text | None = None


class CalendarOverride(BaseModel):
    """One ``vn-<year>.yaml`` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=1900, le=9998)
    source: _Text
    extra_days_off: tuple[DayEntry, ...] = ()
    extra_working_days: tuple[DayEntry, ...] = ()
    not_days_off: tuple[DayEntry, ...] = ()

    @model_validator(mode="after")
    def _dates_consistent(self) -> CalendarOverride:
        seen: dict[date, str] = {}
        for list_name in ("extra_days_off", "extra_working_days", "not_days_off"):
            entries: tuple[DayEntry, ...] = getattr(self, list_name)
            for entry in entries:
                if entry.day.year != self.year:
                    raise ValueError(f"ngày {entry.day} trong {list_name} không thuộc năm {self.year}")
                if seen.get(entry.day, list_name) != list_name:
                    raise ValueError(f"ngày {entry.day} vừa nằm trong {seen[entry.day]} vừa trong {list_name}")
                seen[entry.day] = list_name
        return self


@cache
def _package(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


@cache
def _package_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """Holiday names and make-up working weekend days that ``holidays.VN`` gives for ``year``."""
    names = {d: str(name) for d, name in _package(year).items() if d.year == year}
    # A swap may pair a Saturday of one year with a day off in the neighbouring year.
    workdays = frozenset(
        d for source in (year - 1, year, year + 1) for d in _package(source).weekend_workdays if d.year == year
    )
    return names, workdays


@dataclass(frozen=True, slots=True)
class _YearTable:
    days_off: Mapping[date, str]
    working: tuple[int, ...]  # sorted ordinals of the year's working days
    working_set: frozenset[int]


class WorkCalendar:
    """Working days of Vietnam: the ``holidays`` package plus per-year overrides.

    Immutable from the outside; per-year tables are computed lazily and cached.
    """

    __slots__ = ("_overrides", "_tables", "_version")

    def __init__(self, overrides: Iterable[CalendarOverride] = (), *, overrides_digest: str = "none") -> None:
        by_year: dict[int, CalendarOverride] = {}
        for override in overrides:
            if override.year in by_year:
                raise CalendarError(f"Năm {override.year} được khai báo nhiều lần trong lịch điều chỉnh")
            by_year[override.year] = override
        self._overrides: Mapping[int, CalendarOverride] = by_year
        self._tables: dict[int, _YearTable] = {}
        self._version = f"holidays-{HOLIDAYS_VERSION}+overrides:{overrides_digest}"

    @property
    def version(self) -> str:
        return self._version

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build_table(year)
        return table

    def _build_table(self, year: int) -> _YearTable:
        package_names, package_workdays = _package_year(year)
        days_off = dict(package_names)
        weekend_workdays = set(package_workdays)
        override = self._overrides.get(year)
        if override is not None:
            for entry in override.not_days_off:
                days_off.pop(entry.day, None)
            for entry in override.extra_days_off:
                days_off[entry.day] = entry.name_vi
                weekend_workdays.discard(entry.day)
            for entry in override.extra_working_days:
                days_off.pop(entry.day, None)
                weekend_workdays.add(entry.day)

        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        working = tuple(
            ordinal
            for ordinal in range(first, last + 1)
            if (day := date.fromordinal(ordinal)) in weekend_workdays or (day.weekday() < 5 and day not in days_off)
        )
        return _YearTable(days_off, working, frozenset(working))

    def is_working_day(self, d: date) -> bool:
        return d.toordinal() in self._table(d.year).working_set

    def holiday_name(self, d: date) -> str | None:
        """Vietnamese name of the holiday or day off on ``d`` (weekends without a holiday give None)."""
        return self._table(d.year).days_off.get(d)

    def next_working_day_on_or_after(self, d: date) -> date:
        ordinal, year = d.toordinal(), d.year
        while True:
            working = self._table(year).working
            index = bisect_left(working, ordinal)
            if index < len(working):
                return date.fromordinal(working[index])
            year += 1

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d``; for n == 0, ``d`` itself or the next working day."""
        if n < 0:
            raise ValueError(f"Số ngày làm việc phải không âm, nhận được {n}")
        if n == 0:
            return self.next_working_day_on_or_after(d)
        ordinal, year, remaining = d.toordinal(), d.year, n
        while True:
            working = self._table(year).working
            index = bisect_right(working, ordinal)
            available = len(working) - index
            if remaining <= available:
                return date.fromordinal(working[index + remaining - 1])
            remaining -= available
            year += 1

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; 0 when end <= start."""
        if end <= start:
            return 0
        lo, hi = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            working = self._table(year).working
            total += bisect_right(working, hi) - bisect_right(working, lo)
        return total

    def days_off_between(self, start: date, end: date, *, limit: int = _MAX_LISTED_DAYS_OFF) -> list[date]:
        """Up to ``limit`` non-working days in the half-open interval [start, end)."""
        found: list[date] = []
        day = start
        while day < end and len(found) < limit:
            if not self.is_working_day(day):
                found.append(day)
            day += timedelta(days=1)
        return found


def load_calendar(directory: Path) -> WorkCalendar:
    """Build a calendar from every ``vn-<year>.yaml`` in ``directory``."""
    if not directory.is_dir():
        raise CalendarError(f"Không tìm thấy thư mục lịch điều chỉnh: {directory}")
    digest = hashlib.sha256()
    overrides: list[CalendarOverride] = []
    paths = sorted(directory.glob("vn-*.yaml"), key=lambda p: p.name)
    for path in paths:
        match = _OVERRIDE_FILE.fullmatch(path.name)
        if match is None:
            raise CalendarError(f"Tên tệp lịch không hợp lệ (cần dạng vn-<năm>.yaml): {path.name}")
        raw = path.read_bytes()
        digest.update(raw)
        try:
            override = CalendarOverride.model_validate(yaml.safe_load(raw))
        except yaml.YAMLError as exc:
            raise CalendarError(f"Tệp lịch {path.name} không phải YAML hợp lệ: {exc}") from exc
        except ValidationError as exc:
            raise CalendarError(f"Tệp lịch {path.name} không hợp lệ: {exc}") from exc
        if override.year != int(match.group(1)):
            raise CalendarError(f"Tệp lịch {path.name} khai báo năm {override.year}, không khớp tên tệp")
        overrides.append(override)
    return WorkCalendar(overrides, overrides_digest=digest.hexdigest()[:12] if paths else "none")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} phải là thời điểm có múi giờ (timezone-aware)")


def _add_months(d: date, months: int) -> date:
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def _end_of_local_day(d: date) -> datetime:
    return datetime.combine(d, time.max, tzinfo=VN_TZ).astimezone(UTC)


def compute_due(
    start: datetime,
    count: int,
    unit: TimeUnit,
    calendar: WorkCalendar,
    *,
    roll_forward: bool = True,
    cut_off: time | None = None,
) -> tuple[datetime, dict[str, object]]:
    """Due instant (UTC) of a period of ``count`` ``unit`` starting at ``start``, and how it was computed.

    With ``cut_off``, a start after that local hour, or on a day off, is deemed to happen on the next working
    day (the first day still not counted)."""
    _require_aware(start, "start")
    if count < 0:
        raise ValueError(f"Thời hạn phải không âm, nhận được {count}")
    local_start = start.astimezone(VN_TZ)
    first_day = local_start.date()
    deemed_on: date | None = None
    if cut_off is not None and unit is not TimeUnit.HOURS:
        if local_start.time() > cut_off:
            deemed_on = calendar.next_working_day_on_or_after(first_day + timedelta(days=1))
        elif not calendar.is_working_day(first_day):
            deemed_on = calendar.next_working_day_on_or_after(first_day)
        first_day = deemed_on or first_day
    rolled_from: date | None = None
    skipped: list[date] = []

    if unit is TimeUnit.HOURS:
        due = (start + timedelta(hours=count)).astimezone(UTC)
        end_day = due.astimezone(VN_TZ).date()
    else:
        if unit is TimeUnit.WORKING_DAYS:
            end_day = calendar.add_working_days(first_day, count)
            skipped = calendar.days_off_between(first_day + timedelta(days=1), end_day)
        else:
            if unit is TimeUnit.CALENDAR_DAYS:
                end_day = first_day + timedelta(days=count)
            else:
                end_day = _add_months(first_day, count)
            if roll_forward and not calendar.is_working_day(end_day):
                rolled_from = end_day
                end_day = calendar.next_working_day_on_or_after(end_day)
                skipped = calendar.days_off_between(rolled_from, end_day)
        due = _end_of_local_day(end_day)

    explanation: dict[str, object] = {
        "unit": unit.value,
        "count": count,
        "start_local": local_start.isoformat(),
        "end_local_date": end_day.isoformat(),
        "rolled_from": rolled_from.isoformat() if rolled_from else None,
        "cut_off": cut_off.strftime("%H:%M") if cut_off else None,
        "deemed_start_date": deemed_on.isoformat() if deemed_on else None,
        "skipped_days_off": [d.isoformat() for d in skipped],
        "calendar_version": calendar.version,
    }
    return due, explanation


def working_days_elapsed(start: datetime, now: datetime, calendar: WorkCalendar) -> int:
    """Working days (local dates) in (start, now]; 0 if ``now`` is not after ``start``."""
    _require_aware(start, "start")
    _require_aware(now, "now")
    return calendar.working_days_between(start.astimezone(VN_TZ).date(), now.astimezone(VN_TZ).date())
