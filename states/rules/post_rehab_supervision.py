"""Guards of post-rehab management at the place of residence (quản lý sau cai nghiện ma túy).

Early termination of the management is not in the national texts read (Luật PCMT 73/2021 Art. 40; NĐ 116/2021
Art. 81–82): it is offered only where a dated provincial policy record covers the person's commune on the day
of the step, and only with the eligibility thresholds given as parameters of the procedure version (the only
legal model found is the old NĐ 94/2009/NĐ-CP Art. 14).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from states.guards import Arg, GuardContext, as_day, guard


def _add_months(start: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month) — Civil Code 2015 Art. 147–148."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _policy_day(value: Any) -> date | None:
    return as_day(value) if value is not None else None


@guard(
    "post_rehab_supervision_policy_in_force",
    {
        "policies": Arg.MAPPING,
        "policy_field": Arg.FIELD,
        "commune_fields": Arg.VALUES,
        "unknown_message_vi": Arg.TEXT,
        "place_message_vi": Arg.TEXT,
        "date_message_vi": Arg.TEXT,
    },
)
def _policy_in_force(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The provincial policy named by the step exists, covers the commune where the person is managed (the
    latest commune recorded: after a move, the new one) and is in force on the day of the step."""
    policy = args["policies"].get(ctx.value(args["policy_field"]))
    if not isinstance(policy, Mapping):
        return str(args["unknown_message_vi"])
    commune = next((ctx.value(name) for name in args["commune_fields"] if ctx.value(name)), None)
    if commune is None or str(commune) not in {str(code) for code in policy.get("communes", ())}:
        return str(args["place_message_vi"])
    starts, ends = _policy_day(policy.get("effective_from")), _policy_day(policy.get("effective_until"))
    if starts is None or ctx.act_date < starts or (ends is not None and ctx.act_date > ends):
        return str(args["date_message_vi"])
    return None


@guard(
    "post_rehab_supervision_early_eligible",
    {
        "started_field": Arg.FIELD,
        "kind_field": Arg.FIELD,
        "term_parameters": Arg.MAPPING,
        "served_numerator_parameter": Arg.PARAMETER,
        "served_denominator_parameter": Arg.PARAMETER,
        "ground_field": Arg.FIELD,
        "compliance_field": Arg.FIELD,
        "good_values": Arg.VALUES,
        "merit_field": Arg.FIELD,
        "too_early_message_vi": Arg.TEXT,
        "compliance_message_vi": Arg.TEXT,
        "merit_message_vi": Arg.TEXT,
    },
)
def _early_eligible(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """At least the configured share of the term served (counted from the completion of rehab, the start of
    the term), and the ground proposed is borne out: the latest periodic assessment found good compliance, or
    a meritorious act is described."""
    started = ctx.day(args["started_field"])
    parameter = args["term_parameters"].get(ctx.value(args["kind_field"]))
    if started is None or parameter is None:
        return str(args["too_early_message_vi"])
    ends = _add_months(started, int(ctx.parameter(parameter)))
    served, total = (ctx.act_date - started).days, (ends - started).days
    numerator = int(ctx.parameter(args["served_numerator_parameter"]))
    denominator = int(ctx.parameter(args["served_denominator_parameter"]))
    if served * denominator < total * numerator:
        return str(args["too_early_message_vi"])
    ground = ctx.value(args["ground_field"])
    if ground == "good_compliance" and ctx.value(args["compliance_field"]) not in args["good_values"]:
        return str(args["compliance_message_vi"])
    if ground == "meritorious_act" and not str(ctx.value(args["merit_field"]) or "").strip():
        return str(args["merit_message_vi"])
    return None
