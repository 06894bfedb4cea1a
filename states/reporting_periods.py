"""Reporting periods: ``2026`` (year), ``2026-H1`` (six months), ``2026-Q3`` (quarter), ``2026-07`` (month),
bounded by a period rule of ``config/indicators/periods.yaml`` — calendar periods, or periods closed on a day
of the month (NĐ 09/2019/NĐ-CP Điều 12: the figures of a month run from the 15th of the month before to the
14th)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from states.errors import InvalidInputError
from states.indicators import PeriodKind, PeriodRule
from states.legal_time import VN_TZ

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("year", re.compile(r"^(\d{4})$")),
    ("half_year", re.compile(r"^(\d{4})-H([12])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
)
KIND_TITLES: dict[PeriodKind, str] = {"year": "năm", "half_year": "6 tháng", "quarter": "quý", "month": "tháng"}
BAD_PERIOD = "Kỳ báo cáo không hợp lệ: dùng 2026 (năm), 2026-H1 (6 tháng), 2026-Q3 (quý) hoặc 2026-07 (tháng)"
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    label: str
    kind: PeriodKind
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), VN_TZ)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), VN_TZ)

    @property
    def title_vi(self) -> str:
        return f"{KIND_TITLES[self.kind]} {self.label} ({self.first_day:%d/%m/%Y} – {self.last_day:%d/%m/%Y})"


def _months(kind: PeriodKind, number: int) -> tuple[int, int]:
    """First and last month (1–12) of a calendar period."""
    if kind == "year":
        return 1, 12
    if kind == "half_year":
        return 6 * number - 5, 6 * number
    if kind == "quarter":
        return 3 * number - 2, 3 * number
    return number, number


def _month_start(year: int, month: int, cutoff_day: int) -> date:
    """The first day counted for a month: the 1st, or the day after the cut-off in the month before."""
    if cutoff_day == 0:
        return date(year, month, 1)
    before = date(year, month, 1) - timedelta(days=1)
    return before.replace(day=cutoff_day + 1)


def _month_end(year: int, month: int, cutoff_day: int) -> date:
    if cutoff_day == 0:
        following = date(year + month // 12, month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(year, month, cutoff_day)


def parse_period(label: str, rule: PeriodRule) -> Period:
    for kind, pattern in _PATTERNS:
        found = pattern.match(label.strip())
        if found is None:
            continue
        year = int(found.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInputError(f"Năm của kỳ báo cáo phải từ {FIRST_YEAR} đến {LAST_YEAR}", field="period")
        number = int(found.group(2)) if found.lastindex and found.lastindex > 1 else 1
        first, last = _months(kind, number)
        return Period(
            label=label.strip(),
            kind=kind,
            first_day=_month_start(year, first, rule.cutoff_day),
            last_day=_month_end(year, last, rule.cutoff_day),
        )
    raise InvalidInputError(BAD_PERIOD, field="period")


def sub_periods(period: Period, kind: PeriodKind, rule: PeriodRule) -> list[Period]:
    """The periods of ``kind`` making up ``period`` (the months of a quarter, the quarters of a year)."""
    year = int(period.label[:4])
    count = {"year": 1, "half_year": 2, "quarter": 4, "month": 12}[kind]
    candidates = [parse_period(_label(kind, year, n), rule) for n in range(1, count + 1)]
    return [p for p in candidates if period.first_day <= p.first_day and p.last_day <= period.last_day]


def _label(kind: PeriodKind, year: int, number: int) -> str:
    if kind == "year":
        return f"{year}"
    if kind == "half_year":
        return f"{year}-H{number}"
    if kind == "quarter":
        return f"{year}-Q{number}"
    return f"{year}-{number:02d}"
