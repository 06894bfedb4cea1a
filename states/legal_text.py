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
    counted (named) and the make-up days counted, a term's end left on its day, the deadline it extends (by whose
    decision, on what ground), the time not counted while paused (by which steps), a pause still running, the
    last moment and the legal basis. ``due_at`` is the deadline's current due instant (after any pause)."""
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
        last = date.fromisoformat(computation["end_local_date"]) if computation.get("end_local_date") else None
        if last is not None and not calendar.is_working_day(last):
            name = calendar.holiday_name(last)
            sentence += f": {day_words(last)}" + (f" ({name})" if name else "") + " vẫn là ngày cuối"
    if unit is TimeUnit.WORKING_DAYS and (worked := _worked_weekend_days(explanation, calendar)):
        sentence += ", tính cả " + _listed([f"{day_words(day, year=False)} (ngày làm bù)" for day in worked])
    extends = explanation.get("extends")
    if extends:
        sentence += _extension_words(extends, due_at)
    for pause in explanation.get("pauses", []):
        sentence += _pause_words(pause, unit)
    local_due = due_at.astimezone(VN_TZ)
    paused = explanation.get("paused")
    if paused:
        stopped = datetime.fromisoformat(paused["since"]).astimezone(VN_TZ)
        left = (
            period_words(int(paused["remaining_days"]), unit)
            if "remaining_days" in paused
            else _duration_words(float(paused["remaining_seconds"]))
        )
        sentence += f"; đang tạm dừng từ {stopped.strftime('%d/%m/%Y')}"
        sentence += f" theo {_step_words(paused['step'])}" if paused.get("step") else ""
        sentence += (
            f", còn lại {left} tính lại từ ngày tiếp tục (hạn trước khi tạm dừng: {local_due.strftime('%H:%M')} ngày "
            f"{local_due.strftime('%d/%m/%Y')})"
        )
    else:
        sentence += f"; hạn cuối {local_due.strftime('%H:%M')} ngày {local_due.strftime('%d/%m/%Y')}"
    basis = explanation.get("legal_basis")
    return sentence + (f" — căn cứ: {basis}" if basis else "")


def _worked_weekend_days(explanation: Mapping[str, Any], calendar: WorkCalendar) -> list[date]:
    """Saturdays and Sundays worked to make up a day off, counted in a period of working days."""
    computation = explanation.get("computation", {})
    if not computation.get("end_local_date"):
        return []
    first = datetime.fromisoformat(explanation["start_at"]).astimezone(VN_TZ).date()
    if computation.get("deemed_start_date"):
        first = date.fromisoformat(computation["deemed_start_date"])
    end = date.fromisoformat(computation["end_local_date"])
    days = (first + timedelta(days=offset) for offset in range(1, (end - first).days + 1))
    return [day for day in days if day.weekday() >= 5 and calendar.is_working_day(day)]


def _pause_words(pause: Mapping[str, Any], unit: TimeUnit) -> str:
    """'; không tính thời gian tạm dừng từ 02/03/2026 đến 06/03/2026 (04 ngày): tạm dừng theo “…” của …, tiếp tục
    theo “…” của …' and, when the new last day is a day off, that the limit moves past it."""
    paused_from = datetime.fromisoformat(pause["from"]).astimezone(VN_TZ)
    paused_to = datetime.fromisoformat(pause["to"]).astimezone(VN_TZ)
    if unit is TimeUnit.HOURS:
        length = _duration_words(float(pause["not_counted_seconds"]))
    else:
        days = (paused_to.date() - paused_from.date()).days
        length = f"{days:02d} ngày" if days else ""
    if length:
        words = (
            f"; không tính thời gian tạm dừng từ {paused_from.strftime('%d/%m/%Y')} đến "
            f"{paused_to.strftime('%d/%m/%Y')} ({length})"
        )
    else:
        words = f"; tạm dừng và tiếp tục trong ngày {paused_from.strftime('%d/%m/%Y')} nên hạn không đổi"
    steps = [
        f"{verb} {_step_words(pause[key])}"
        for verb, key in (("tạm dừng theo", "paused_step"), ("tiếp tục theo", "resumed_step"))
        if pause.get(key)
    ]
    words += (": " + ", ".join(steps)) if steps else ""
    if pause.get("end_rolled_to"):
        last = date.fromisoformat(pause["end_date"])
        words += f"; ngày cuối tính lại {day_words(last)} là ngày nghỉ nên hạn chuyển sang ngày làm việc tiếp theo"
    return words


def _step_words(step: Mapping[str, Any]) -> str:
    """'“Nhận tài liệu bổ sung” của Công an phường Hoàn Kiếm (bước 13)': the step, by whom, its history row."""
    by = step.get("by") or {}
    unit = by.get("unit_name") or by.get("unit_code")
    return f"“{step['title_vi']}”" + (f" của {unit}" if unit else "") + f" (bước {step['seq']})"


def _extension_words(extends: Mapping[str, Any], due_at: datetime) -> str:
    """'; kéo dài từ hạn 23:59 ngày 17/03/2026 theo quyết định ngày 10/03/2026 của <đơn vị> (<căn cứ>)'."""
    before = datetime.fromisoformat(extends["due_at_before"]).astimezone(VN_TZ)
    step = extends.get("step") or {}
    by = step.get("by") or {}
    unit = by.get("unit_name") or by.get("unit_code")
    decided = datetime.fromisoformat(step["at"]).astimezone(VN_TZ) if step.get("at") else None
    words = "; kéo dài từ hạn" if due_at > before else "; thay cho hạn"
    words += f" {before.strftime('%H:%M')} ngày {before.strftime('%d/%m/%Y')}"
    if decided is not None:
        words += f" theo quyết định ngày {decided.strftime('%d/%m/%Y')}" + (f" của {unit}" if unit else "")
    reason = extends.get("reason_vi")
    return words + (f" ({reason})" if reason else "")


def _duration_words(seconds: float) -> str:
    """'14 ngày 15 giờ', '03 giờ 20 phút', 'dưới 01 phút'."""
    days, rest = divmod(int(seconds), 86_400)
    hours, minutes = rest // 3_600, rest % 3_600 // 60
    parts = [f"{value:02d} {word}" for value, word in ((days, "ngày"), (hours, "giờ"), (minutes, "phút")) if value]
    return " ".join(parts) if parts else "dưới 01 phút"


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
