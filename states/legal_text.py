"""Legal time in words an officer reads: the Vietnamese sentence beside the structured explanation of a due
date, and a day-by-day account of a period (``hoso calendar explain``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from states.definitions import ProcedureDefinition
from states.errors import InvalidInputError
from states.legal_time import VN_TZ, TimeUnit, WorkCalendar, compute_due

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
UNIT_WORDS = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.CALENDAR_DAYS: "ngày",
    TimeUnit.MONTHS: "tháng",
    TimeUnit.HOURS: "giờ",
}


def period_words(count: int, unit: TimeUnit) -> str:
    """'03 ngày làm việc', '24 tháng', '12 giờ' — counts below ten written with two digits, as legal texts do."""
    return f"{count:02d} {UNIT_WORDS[unit]}"


def day_words(day: date, *, year: bool = True) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.strftime('%d/%m/%Y' if year else '%d/%m')}"


def _day_off_words(day: date, calendar: WorkCalendar) -> str:
    name = calendar.holiday_name(day)
    return f"{day_words(day, year=False)} ({name})" if name else day_words(day, year=False)


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]


def explanation_text(
    explanation: Mapping[str, Any], due_at: datetime, calendar: WorkCalendar, *, start_label: str | None = None
) -> str:
    """One Vietnamese sentence for a stored deadline explanation: the period, from when, the days off not
    counted (named), a term's end left on its day, the time not counted while paused, the last moment and the
    legal basis. ``due_at`` is the deadline's current due instant (after any pause)."""
    unit = TimeUnit(explanation["unit"])
    start = datetime.fromisoformat(explanation["start_at"]).astimezone(VN_TZ)
    computation = explanation.get("computation", {})
    since = (
        f"{start.strftime('%H:%M')} ngày {start.strftime('%d/%m/%Y')}"
        if unit is TimeUnit.HOURS
        else (f"ngày {start.strftime('%d/%m/%Y')}")
    )
    label = start_label or _source_words(str(explanation.get("start_source", "")))
    # A period of nothing is an end date given by a decision (the end of a term typed at admission).
    opening = f"{period_words(int(explanation['count']), unit)} kể từ" if explanation["count"] else "đến hết"
    sentence = f"{opening} {since}" + (f" ({label})" if label else "")
    if computation.get("deemed_start_date"):
        deemed = date.fromisoformat(computation["deemed_start_date"])
        sentence += (
            f", tính như nhận vào {day_words(deemed)} (sau {computation['cut_off']} hoặc vào ngày nghỉ thì tính từ "
            "ngày làm việc tiếp theo)"
        )
    skipped = [date.fromisoformat(day) for day in computation.get("skipped_days_off", [])]
    if unit is TimeUnit.WORKING_DAYS and skipped:
        sentence += ", không tính " + _listed([_day_off_words(day, calendar) for day in skipped])
    elif computation.get("rolled_from"):
        rolled = date.fromisoformat(computation["rolled_from"])
        sentence += (
            f"; ngày cuối {day_words(rolled)} là ngày nghỉ"
            + (f" ({calendar.holiday_name(rolled)})" if calendar.holiday_name(rolled) else "")
            + " nên hạn chuyển sang ngày làm việc tiếp theo"
        )
    elif explanation.get("nature") == "term":
        sentence += "; là thời hạn chấp hành, ngày cuối không dời khi rơi vào ngày nghỉ"
    for pause in explanation.get("pauses", []):
        paused_from = datetime.fromisoformat(pause["from"]).astimezone(VN_TZ)
        paused_to = datetime.fromisoformat(pause["to"]).astimezone(VN_TZ)
        days = int(pause["not_counted_seconds"]) // 86_400
        sentence += (
            f"; không tính thời gian tạm dừng từ {paused_from.strftime('%d/%m/%Y')} đến "
            f"{paused_to.strftime('%d/%m/%Y')}" + (f" ({days} ngày)" if days else "")
        )
    local_due = due_at.astimezone(VN_TZ)
    sentence += f"; hạn cuối {local_due.strftime('%H:%M')} ngày {local_due.strftime('%d/%m/%Y')}"
    basis = explanation.get("legal_basis")
    return sentence + (f" — căn cứ: {basis}" if basis else "")


def deadline_sentence(definition: ProcedureDefinition, deadline: Mapping[str, Any], calendar: WorkCalendar) -> str:
    """The sentence of a stored deadline row, counting from what its procedure calls the start."""
    explanation = deadline["explanation"]
    return explanation_text(
        explanation, deadline["due_at"], calendar, start_label=_start_label(definition, explanation)
    )


def _start_label(definition: ProcedureDefinition, explanation: Mapping[str, Any]) -> str | None:
    """What the period counts from, in the words of the field or step that set it."""
    source = str(explanation.get("start_source", ""))
    if source.startswith("fact:"):
        name = source.removeprefix("fact:")
        titles = [spec.payload[name].title_vi for spec in definition.events.values() if name in spec.payload]
        return titles[0] if titles else None
    started_by = definition.events.get(str(explanation.get("start_event", "")))
    return f"ngày {started_by.title_vi[:1].lower()}{started_by.title_vi[1:]}" if started_by is not None else None


def _source_words(source: str) -> str | None:
    if source == "event_time":
        return "thời điểm của bước tạo thời hạn"
    if source == "dossier_opened":
        return "ngày mở hồ sơ"
    if source.startswith("fact:"):
        return f"theo dữ kiện {source.removeprefix('fact:')}"
    return None


# -- "3 ngày làm việc" on the command line ------------------------------------------------------------------

_PERIOD = re.compile(r"^\s*(\d{1,4})\s+(ngày làm việc|ngày|tháng|giờ)\s*$")
_UNITS_BY_WORDS = {words: unit for unit, words in UNIT_WORDS.items()}


def parse_period(text: str) -> tuple[int, TimeUnit]:
    """'3 ngày làm việc', '30 ngày', '24 tháng', '12 giờ'."""
    match = _PERIOD.match(text.strip().lower())
    if match is None:
        raise InvalidInputError(
            f"Không hiểu thời hạn '{text}': ghi số và đơn vị, ví dụ '3 ngày làm việc', '30 ngày', '24 tháng', '12 giờ'",
            field="add",
        )
    return int(match.group(1)), _UNITS_BY_WORDS[match.group(2)]


@dataclass(frozen=True)
class DayLine:
    day: date
    counted: int | None
    """Which working day (or calendar day) of the period this is; None when it does not count."""
    note: str


def day_by_day(
    start: datetime, count: int, unit: TimeUnit, calendar: WorkCalendar, *, term: bool = False
) -> tuple[list[DayLine], datetime, str]:
    """Each day from the day after ``start`` to the due day, whether it counts and why not; the due instant;
    and the sentence an explanation would carry."""
    due_at, computation = compute_due(start, count, unit, calendar, roll_forward=not term)
    first = start.astimezone(VN_TZ).date() + timedelta(days=1)
    end = date.fromisoformat(str(computation["end_local_date"]))
    lines: list[DayLine] = []
    counted = 0
    rolled_from = computation.get("rolled_from")
    # A period of months counts by calendar date, not day by day: only the days it was moved over are listed.
    listed = (end - first).days + 1 if unit in (TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS) else 0
    if unit is TimeUnit.MONTHS and rolled_from is not None:
        first = date.fromisoformat(str(rolled_from))
        listed = (end - first).days + 1
    for day in (first + timedelta(days=offset) for offset in range(listed)):
        working = calendar.is_working_day(day)
        name = calendar.holiday_name(day)
        if unit is TimeUnit.WORKING_DAYS:
            if working:
                counted += 1
                note = f"ngày làm việc thứ {counted}" + (" (ngày làm bù)" if day.weekday() >= 5 else "")
                lines.append(DayLine(day, counted, note))
            else:
                lines.append(DayLine(day, None, f"không tính: {name or 'nghỉ cuối tuần'}"))
            continue
        if rolled_from is not None and date.fromisoformat(str(rolled_from)) <= day < end:
            lines.append(DayLine(day, None, f"ngày nghỉ ({name or 'cuối tuần'}): hạn chuyển sang ngày làm việc sau"))
        elif unit is TimeUnit.MONTHS:
            lines.append(DayLine(day, None, "ngày làm việc đầu tiên sau ngày cuối của thời hạn"))
        else:
            counted += 1
            lines.append(
                DayLine(day, counted, "ngày làm việc" if working else f"vẫn tính ({name or 'nghỉ cuối tuần'})")
            )
    explanation = {
        "unit": unit.value,
        "count": count,
        "start_at": start.isoformat(),
        "start_source": "",
        "nature": "term" if term else "time_limit",
        "computation": computation,
    }
    return lines, due_at, explanation_text(explanation, due_at, calendar)
