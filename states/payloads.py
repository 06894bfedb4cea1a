"""Checking an event's payload against the fields the procedure declares for that event."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from states.definitions import EventDefinition, PayloadField
from states.errors import PayloadError
from states.legal_time import VN_TZ
from states.texts import text_problem

_MAX_STRING = 500
_MAX_TEXT = 10_000
_EARLIEST = date(1900, 1, 1)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
MAX_PROBLEMS = 20
_LATEST = date(2100, 12, 31)


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Control, invisible or direction-changing characters are never legitimate in what an officer types."""
    return text_problem(value, multiline=multiline) is not None


def _parse(field: PayloadField, raw: Any) -> tuple[Any, Any]:
    """(typed value for guards, JSON-native value for storage); raises ValueError with a reason."""
    if field.type in ("string", "text"):
        limit = _MAX_STRING if field.type == "string" else _MAX_TEXT
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("phải là chuỗi ký tự không rỗng")
        if len(raw) > limit:
            raise ValueError(f"dài quá {limit} ký tự")
        problem = text_problem(raw, multiline=field.type == "text")
        if problem is not None:
            raise ValueError(problem)
        cleaned = unicodedata.normalize("NFC", raw).strip()
        return cleaned, cleaned
    if field.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("phải là số nguyên")
        return raw, raw
    if field.type == "boolean":
        if not isinstance(raw, bool):
            raise ValueError("phải là true hoặc false")
        return raw, raw
    if field.type == "enum":
        if not isinstance(raw, str) or raw not in field.choices:
            raise ValueError("phải là một trong: " + ", ".join(field.choices))
        return raw, raw
    if not isinstance(raw, str):
        raise ValueError("phải là chuỗi ngày/giờ theo ISO 8601")
    if field.type == "date":
        if not _DATE.fullmatch(raw):
            raise ValueError("phải là ngày dạng YYYY-MM-DD")
        try:
            parsed_date = date.fromisoformat(raw)
        except ValueError:
            raise ValueError("phải là ngày dạng YYYY-MM-DD") from None
        _check_range(parsed_date)
        return parsed_date, parsed_date.isoformat()
    if not _DATETIME.fullmatch(raw):
        raise ValueError("phải là thời điểm dạng ISO 8601, ví dụ 2026-03-02T08:30:00+07:00")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("phải là thời điểm dạng ISO 8601, ví dụ 2026-03-02T08:30:00+07:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    _check_range(parsed.date())
    return parsed, parsed.isoformat()


def _check_range(value: date) -> None:
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(f"phải nằm trong khoảng {_EARLIEST.isoformat()} – {_LATEST.isoformat()}")


def validate_payload(
    event: str, definition: EventDefinition, payload: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Typed values and their JSON-native form; every problem is reported at once."""
    problems: list[str] = []
    typed: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    for name in sorted(set(payload) - set(definition.payload))[: MAX_PROBLEMS + 1]:
        problems.append(f"trường '{name[:60]}' không thuộc bước này")
    for name, field in definition.payload.items():
        if name not in payload or payload[name] is None:
            if field.required:
                problems.append(f"thiếu trường bắt buộc '{name}' ({field.title_vi})")
            continue
        try:
            typed[name], stored[name] = _parse(field, payload[name])
        except ValueError as exc:
            problems.append(f"trường '{name}' ({field.title_vi}) {exc}")
    if problems:
        shown = capped(problems)
        raise PayloadError(f"Dữ liệu của bước '{event}' không hợp lệ: " + "; ".join(shown), problems=shown)
    return typed, stored


def capped(problems: list[str]) -> list[str]:
    """At most ``MAX_PROBLEMS`` problems, however large the request, with a count of the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"và {len(problems) - MAX_PROBLEMS} lỗi khác"]


def facts_from(definition: EventDefinition, stored: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in stored.items() if definition.payload[name].fact}
