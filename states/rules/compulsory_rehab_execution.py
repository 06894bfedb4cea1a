"""Guards of the execution of the compulsory-rehab decision (thi hành quyết định đưa vào cơ sở cai nghiện
bắt buộc; giảm thời hạn, tạm đình chỉ, miễn chấp hành phần thời gian còn lại).

Shapes only: the limits (term range of the decision, the 10-day in-patient threshold, the 1–3 / 3–6 months
of reduction) are parameters of the procedure version, and the refusals cite the law of that version.

The term of the measure is fixed per person by the court (12–24 months), and deadline durations can only be
a number or a parameter of the version: the end of the term is therefore entered as an instant (text,
because a date field may not lie in the future) and these guards check it against the decision — the term
from admission, less the days held in a holding facility, or the current end less the months of a
reduction — so that the term deadline starts from a value the engine has verified.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from states.guards import Arg, GuardContext, as_day, guard
from states.legal_time import VN_TZ


def _add_months(day: date, months: int) -> date:
    """Civil Code Art. 147–148: a period in months ends on the same day number (or the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 instant with its offset, e.g. ``2027-07-10T00:00:00+07:00``; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _current_end(ctx: GuardContext, deadlines: list[str]) -> datetime | None:
    """The due instant of the first of these deadlines that is running (open, not paused)."""
    return next((ctx.open_deadlines[rule_id] for rule_id in deadlines if rule_id in ctx.open_deadlines), None)


@guard(
    "compulsory_rehab_execution_integer_between",
    {"field": Arg.FIELD, "message_vi": Arg.TEXT},
    {"min_parameter": Arg.PARAMETER, "max_parameter": Arg.PARAMETER, "above_parameter": Arg.PARAMETER},
)
def _integer_between(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """A recorded whole number lies within ``min`` and ``max`` (inclusive) and is strictly above ``above``."""
    value = _integer(ctx.value(args["field"]))
    if value is None:
        return str(args["message_vi"])
    low, high, above = args.get("min_parameter"), args.get("max_parameter"), args.get("above_parameter")
    if low is not None and value < int(ctx.parameter(low)):
        return str(args["message_vi"])
    if high is not None and value > int(ctx.parameter(high)):
        return str(args["message_vi"])
    if above is not None and value <= int(ctx.parameter(above)):
        return str(args["message_vi"])
    return None


@guard(
    "compulsory_rehab_execution_months_by_merit",
    {
        "field": Arg.FIELD,
        "merit_field": Arg.FIELD,
        "min_parameter": Arg.PARAMETER,
        "max_parameter": Arg.PARAMETER,
        "merit_min_parameter": Arg.PARAMETER,
        "merit_max_parameter": Arg.PARAMETER,
        "message_vi": Arg.TEXT,
    },
)
def _months_by_merit(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The months of a reduction lie in the range of the case: with a meritorious act, or without."""
    months = _integer(ctx.value(args["field"]))
    merit = bool(ctx.value(args["merit_field"]))
    low = int(ctx.parameter(args["merit_min_parameter" if merit else "min_parameter"]))
    high = int(ctx.parameter(args["merit_max_parameter" if merit else "max_parameter"]))
    if months is None or not low <= months <= high:
        return str(args["message_vi"])
    return None


@guard(
    "compulsory_rehab_execution_term_end",
    {
        "start_field": Arg.FIELD,
        "months_field": Arg.FIELD,
        "deducted_days_field": Arg.FIELD,
        "end_field": Arg.FIELD,
        "message_vi": Arg.TEXT,
    },
)
def _term_end(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The end of the term entered at admission is the admission day plus the months of the decision, less
    the days already held in a holding facility (the last day counts in full)."""
    start = ctx.day(args["start_field"])
    months = _integer(ctx.value(args["months_field"]))
    deducted = _integer(ctx.value(args["deducted_days_field"]))
    end = _instant(ctx.value(args["end_field"]))
    if start is None or months is None or deducted is None or deducted < 0 or end is None:
        return str(args["message_vi"])
    expected = date.fromordinal(_add_months(start, months).toordinal() - deducted)
    if end.astimezone(VN_TZ).date() != expected:
        return f"{args['message_vi']} (ngày kết thúc phải là {expected.strftime('%d/%m/%Y')})"
    return None


@guard(
    "compulsory_rehab_execution_reduced_end",
    {"deadlines": Arg.DEADLINES, "months_field": Arg.FIELD, "end_field": Arg.FIELD, "message_vi": Arg.TEXT},
)
def _reduced_end(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The new end after a reduction is the current end of the term (with the days at large already added
    by the engine) less the months granted."""
    due = _current_end(ctx, args["deadlines"])
    months = _integer(ctx.value(args["months_field"]))
    end = _instant(ctx.value(args["end_field"]))
    if due is None or months is None or end is None:
        return str(args["message_vi"])
    current_end = as_day(due)
    assert current_end is not None
    expected = _add_months(current_end, -months)
    if end.astimezone(VN_TZ).date() != expected:
        return f"{args['message_vi']} (ngày kết thúc mới phải là {expected.strftime('%d/%m/%Y')})"
    return None


@guard(
    "compulsory_rehab_execution_half_served",
    {"deadlines": Arg.DEADLINES, "start_field": Arg.FIELD, "months_field": Arg.FIELD, "message_vi": Arg.TEXT},
)
def _half_served(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """At least half of the term is served on the day of the step: the time still to serve (to the current
    end of the term, which the engine pushes back by the days at large) is at most half the term."""
    due = _current_end(ctx, args["deadlines"])
    start = ctx.day(args["start_field"])
    months = _integer(ctx.value(args["months_field"]))
    if due is None or start is None or months is None:
        return str(args["message_vi"])
    end = as_day(due)
    assert end is not None
    total_days = (_add_months(start, months) - start).days
    remaining_days = (end - ctx.act_date).days
    if 2 * (total_days - remaining_days) >= total_days:
        return None
    return str(args["message_vi"])
