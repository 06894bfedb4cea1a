"""Guard shapes of education at the commune (giáo dục tại xã, phường, thị trấn — NĐ 120/2021/NĐ-CP).

Numbers, fields and the Vietnamese refusals are arguments written in the procedure YAML of each version.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from states.guards import Arg, GuardContext, guard


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, on the last day of a shorter month (Civil Code 2015 Art. 147)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@guard(
    "commune_education_within_months",
    {"from_field": Arg.FIELD, "to_field": Arg.FIELD, "months_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _within_months(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The later fact falls within the window of months counted from the earlier one (e.g. the third
    drug-use violation within 6 months)."""
    start = ctx.day(args["from_field"])
    end = ctx.day(args["to_field"])
    if start is None or end is None:
        return str(args["message_vi"])
    limit = add_months(start, int(ctx.parameter(args["months_parameter"])))
    return None if start <= end <= limit else str(args["message_vi"])


@guard(
    "commune_education_value_for_minor",
    {"field": Arg.FIELD, "values": Arg.VALUES, "adult_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _value_for_minor(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """For a person under the adult age on the day of the fact, the field must take one of the values
    (e.g. the notice of the dossier goes to the parents or guardian of a minor)."""
    if ctx.age_on(ctx.act_date) >= int(ctx.parameter(args["adult_parameter"])):
        return None
    return None if ctx.value(args["field"]) in args["values"] else str(args["message_vi"])


@guard("commune_education_at_most", {"field": Arg.FIELD, "max_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT})
def _at_most(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """A count recorded in the step does not exceed the legal maximum (e.g. persons per helper)."""
    value = ctx.value(args["field"])
    if not isinstance(value, int) or value < 1 or value > int(ctx.parameter(args["max_parameter"])):
        return str(args["message_vi"])
    return None
