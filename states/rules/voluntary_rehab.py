"""Guard shapes of voluntary drug rehabilitation (cai nghiện ma túy tự nguyện — Luật PCMT 73/2021 Điều 30–31,
Luật PCMT 120/2025/QH15 from 2026-07-01).

Numbers, fields and the Vietnamese refusals are arguments written in the procedure YAML of each version.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from states.guards import Arg, GuardContext, guard


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, on the last day of a shorter month (Civil Code 2015 Art. 147)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@guard(
    "voluntary_rehab_term_served",
    {"start_field": Arg.FIELD, "message_vi": Arg.TEXT},
    {"months_field": Arg.FIELD, "round_field": Arg.FIELD, "months_by_round": Arg.MAPPING},
)
def _term_served(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The term of the measure has run from its start to the day of the step: either the term chosen in the
    decision or contract (``months_field``, e.g. 6–12 months under Luật 73/2021) or a term fixed by law for
    the round of rehab recorded (``round_field``; ``months_by_round`` maps each round to the parameter of its
    term, e.g. 24 / 36 months under Luật 120/2025). The term is counted in calendar months and not moved
    past days off (a term, not a limit)."""
    start = ctx.day(args["start_field"])
    months: Any = None
    if "months_field" in args:
        months = ctx.value(args["months_field"])
    elif "round_field" in args and "months_by_round" in args:
        parameter = dict(args["months_by_round"]).get(ctx.value(args["round_field"]))
        months = ctx.parameter(str(parameter)) if parameter in ctx.definition.parameters else None
    if start is None or not isinstance(months, int):
        return str(args["message_vi"])
    return None if ctx.act_date >= _add_months(start, months) else str(args["message_vi"])


@guard(
    "voluntary_rehab_integer_between",
    {"field": Arg.FIELD, "min_parameter": Arg.PARAMETER, "max_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _integer_between(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """An integer value of the step lies within the legal bounds (both included), e.g. a term of 6 to 12
    months."""
    value = ctx.value(args["field"])
    low = int(ctx.parameter(args["min_parameter"]))
    high = int(ctx.parameter(args["max_parameter"]))
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return None
    return str(args["message_vi"])


@guard(
    "voluntary_rehab_minor_represented",
    {"field": Arg.FIELD, "value": Arg.TEXT, "adult_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _minor_represented(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """A person under the adult age on the day of the step acts through the legal representative (the
    field records who acted, e.g. who registered)."""
    if ctx.age_on(ctx.act_date) >= int(ctx.parameter(args["adult_parameter"])):
        return None
    return None if ctx.value(args["field"]) == args["value"] else str(args["message_vi"])
