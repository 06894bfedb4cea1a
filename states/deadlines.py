"""Turning a deadline rule of a procedure into a due date that explains itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from states.actors import Actor
from states.definitions import DeadlineRule, Duration, LegalReference, ProcedureDefinition, Window
from states.errors import DefinitionError
from states.legal_time import VN_TZ, TimeUnit, WorkCalendar, compute_due


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


def step_record(
    definition: ProcedureDefinition, *, event: str, seq: int, at: datetime, actor: Actor, unit_name: str | None
) -> dict[str, Any]:
    """The step that moved a deadline (extended, paused or resumed it): what it was, when in law, and who took it
    for which unit. The history row of the same ``seq`` holds the whole payload."""
    spec = definition.events.get(event)
    return {
        "event": event,
        "title_vi": spec.title_vi if spec is not None else event,
        "seq": seq,
        "at": at.isoformat(),
        "by": {
            "username": actor.username,
            "role": actor.role,
            "unit_code": actor.unit_code,
            "unit_name": unit_name,
        },
    }


def ground(rule: DeadlineRule, definition: ProcedureDefinition, event: str, payload: Mapping[str, Any]) -> str:
    """Why a deadline was extended: the rule's ``reason_field`` as given in the step (an enum by its label), or
    else the title of the step."""
    spec = definition.events[event]
    field = spec.payload.get(rule.reason_field) if rule.reason_field is not None else None
    value = payload.get(str(rule.reason_field)) if field is not None else None
    if field is None or value is None or value == "":
        return spec.title_vi
    return field.choices.get(str(value), str(value)) if field.type == "enum" else str(value)


def extend(
    planned: PlannedDeadline,
    replaced: DeadlineRule,
    replaced_explanation: Mapping[str, Any],
    *,
    due_before: datetime,
    status_before: str,
    step: dict[str, Any],
    reason_vi: str,
    calendar: WorkCalendar,
) -> PlannedDeadline:
    """A deadline that replaces a running one: the replaced deadline, its due date until then, the step, who took
    it and why. Counting from the same start with the same stops, the extension does not count the time the
    replaced deadline stood paused after that start either."""
    explanation: dict[str, Any] = {
        **planned.explanation,
        "extends": {
            "rule_id": replaced.id,
            "title_vi": replaced.title_vi,
            "due_at_before": due_before.isoformat(),
            "status_before": status_before,
            "step": step,
            "reason_field": planned.rule.reason_field,
            "reason_vi": reason_vi,
        },
    }
    start = datetime.fromisoformat(str(planned.explanation["start_at"]))
    carried = [
        {**pause, "carried_from": replaced.id}
        for pause in replaced_explanation.get("pauses", [])
        if planned.rule.paused_in and datetime.fromisoformat(pause["from"]) >= start
    ]
    return replay_pauses(replace(planned, explanation=explanation), carried, calendar)


def recomputed(planned: PlannedDeadline, before: Mapping[str, Any], calendar: WorkCalendar) -> PlannedDeadline:
    """A running deadline computed again from its start (under another version of its procedure) keeps what
    happened to it: the deadline it extended and the time its clock stood still."""
    if before.get("extends"):
        planned = replace(planned, explanation={**planned.explanation, "extends": before["extends"]})
    return replay_pauses(planned, before.get("pauses", []), calendar)


def replay_pauses(
    planned: PlannedDeadline, pauses: Sequence[Mapping[str, Any]], calendar: WorkCalendar
) -> PlannedDeadline:
    """The deadline as if its clock had stopped and restarted at each of ``pauses`` in turn."""
    explanation = dict(planned.explanation)
    due_at = planned.due_at
    replayed = []
    for pause in pauses:
        remaining = remaining_at(explanation, due_at, datetime.fromisoformat(pause["from"]), calendar)
        before = due_at
        due_at, moved = resumed_due(explanation, remaining, datetime.fromisoformat(pause["to"]), calendar)
        kept = {key: value for key, value in pause.items() if key not in ("end_date", "end_rolled_to")}
        replayed.append({**kept, "due_at_before": before.isoformat(), **moved})
        explanation.update({"end_date": moved["end_date"]} if moved else {})
    if replayed:
        explanation["pauses"] = replayed
        explanation["due_at"] = due_at.isoformat()
    return replace(planned, due_at=due_at, explanation=explanation)


# -- a stopped clock ---------------------------------------------------------------------------------------------


def _last_day(explanation: Mapping[str, Any]) -> date:
    """The last day of the period as counted, before any move past days off."""
    computation = explanation.get("computation", {})
    last = explanation.get("end_date") or computation.get("rolled_from") or computation["end_local_date"]
    return date.fromisoformat(str(last))


def remaining_at(
    explanation: Mapping[str, Any], due_at: datetime, at: datetime, calendar: WorkCalendar
) -> dict[str, Any]:
    """What is left of a deadline whose clock stops at ``at``: in hours for a period of hours, else the days
    (working days for a period of working days) after the day it stops up to its last day."""
    left: dict[str, Any] = {"remaining_seconds": max(due_at - at, timedelta(0)).total_seconds()}
    unit = TimeUnit(explanation["unit"])
    if unit is not TimeUnit.HOURS:
        day, last = at.astimezone(VN_TZ).date(), _last_day(explanation)
        left["remaining_days"] = (
            calendar.working_days_between(day, last) if unit is TimeUnit.WORKING_DAYS else max((last - day).days, 0)
        )
    return left


def resumed_due(
    explanation: Mapping[str, Any], paused: Mapping[str, Any], at: datetime, calendar: WorkCalendar
) -> tuple[datetime, dict[str, Any]]:
    """The due instant when the clock restarts at ``at`` with what was left, and the new last day. The days left
    are counted again from the day it restarts (that day not counted); a time limit whose new last day is a day
    off ends at the end of the next working day, a term stays on it (Civil Code Art. 147-148)."""
    if "remaining_days" not in paused:
        return at + timedelta(seconds=float(paused["remaining_seconds"])), {}
    unit = TimeUnit(explanation["unit"])
    day, left = at.astimezone(VN_TZ).date(), int(paused["remaining_days"])
    last = calendar.add_working_days(day, left) if unit is TimeUnit.WORKING_DAYS else day + timedelta(days=left)
    end = last
    if explanation.get("nature", "time_limit") == "time_limit" and not calendar.is_working_day(last):
        end = calendar.next_working_day_on_or_after(last)
    due_at = datetime.combine(end, time.max, tzinfo=VN_TZ).astimezone(UTC)
    return due_at, {"end_date": last.isoformat(), "end_rolled_to": end.isoformat() if end != last else None}
