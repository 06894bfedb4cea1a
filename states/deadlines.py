"""Turning a deadline rule of a procedure into a due date that explains itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from states.definitions import DeadlineRule, Duration, LegalReference, ProcedureDefinition, Window
from states.errors import DefinitionError
from states.legal_time import TimeUnit, WorkCalendar, compute_due


@dataclass(frozen=True)
class PlannedDeadline:
    rule: DeadlineRule
    due_at: datetime
    explanation: dict[str, Any]


def _duration(duration: Duration, definition: ProcedureDefinition) -> tuple[int, TimeUnit, str | None]:
    if duration.parameter is None:
        assert duration.count is not None and duration.unit is not None
        return duration.count, duration.unit, None
    parameter = definition.parameters[duration.parameter]
    if not isinstance(parameter.value, int) or parameter.unit is None:
        raise DefinitionError(f"Tham số {duration.parameter} chưa có giá trị thời hạn")
    return parameter.value, TimeUnit(parameter.unit), duration.parameter


def _start(fact: str | None, facts: dict[str, Any], occurred_at: datetime) -> tuple[datetime, str]:
    """Count from a recorded fact when the rule names one and it was recorded, else from the event."""
    if fact is not None and facts.get(fact):
        return datetime.fromisoformat(facts[fact]), f"fact:{fact}"
    return occurred_at, "event_time"


def explain(
    *,
    start: datetime,
    count: int,
    unit: TimeUnit,
    calendar: WorkCalendar,
    basis: LegalReference,
    start_event: str,
    start_source: str,
    extra: dict[str, Any],
    nature: str = "time_limit",
    cut_off: time | None = None,
) -> tuple[datetime, dict[str, Any]]:
    # A term ends on its calendar day; only a time limit to act moves past days off (Civil Code Art. 148).
    due_at, computation = compute_due(
        start, count, unit, calendar, roll_forward=nature == "time_limit", cut_off=cut_off
    )
    explanation = {
        **extra,
        "legal_basis": basis.text,
        "evidence": basis.evidence,
        "start_event": start_event,
        "start_source": start_source,
        "start_at": start.isoformat(),
        "unit": unit.value,
        "count": count,
        "calendar_version": calendar.version,
        "computation": computation,
    }
    return due_at, explanation


def plan(
    rule: DeadlineRule,
    definition: ProcedureDefinition,
    *,
    event: str,
    occurred_at: datetime,
    facts: dict[str, Any],
    calendar: WorkCalendar,
) -> PlannedDeadline:
    count, unit, parameter = _duration(rule.duration, definition)
    start, start_source = _start(rule.start_at_fact, facts, occurred_at)
    due_at, explanation = explain(
        start=start,
        count=count,
        unit=unit,
        calendar=calendar,
        basis=rule.basis,
        start_event=event,
        start_source=start_source,
        extra={
            "rule_id": rule.id,
            "title_vi": rule.title_vi,
            "kind": rule.kind,
            "nature": rule.nature,
            "parameter": parameter,
        },
        nature=rule.nature,
        cut_off=rule.cut_off,
    )
    return PlannedDeadline(rule=rule, due_at=due_at, explanation=explanation)


def plan_window(
    window: Window,
    definition: ProcedureDefinition,
    *,
    event: str,
    occurred_at: datetime,
    facts: dict[str, Any],
    calendar: WorkCalendar,
) -> dict[str, Any]:
    """The due date of a window handed to a follow-up procedure (e.g. the 5-working-day registration)."""
    count, unit, parameter = _duration(window.duration, definition)
    start, start_source = _start(window.start_at_fact, facts, occurred_at)
    due_at, explanation = explain(
        start=start,
        count=count,
        unit=unit,
        calendar=calendar,
        basis=window.basis,
        start_event=event,
        start_source=start_source,
        extra={"parameter": parameter, "nature": window.nature},
        nature=window.nature,
    )
    return {"due_at": due_at.isoformat(), "explanation": explanation}
