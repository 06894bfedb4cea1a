"""Guards of the management of illegal drug users (quản lý người sử dụng trái phép chất ma túy).

Shapes only: the numbers (prior sanctions for the commune-education ground, the fine range of the decree in
force) are parameters of the procedure version, and the refusals cite the law of that version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from states.guards import Arg, GuardContext, guard


@guard(
    "drug_user_management_count_at_least",
    {"field": Arg.FIELD, "min_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _count_at_least(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """A recorded count (e.g. earlier sanctions for drug use within the period) reaches the legal minimum;
    a count that was not recorded does not."""
    value = ctx.value(args["field"])
    if isinstance(value, int) and not isinstance(value, bool) and value >= int(ctx.parameter(args["min_parameter"])):
        return None
    return str(args["message_vi"])


@guard(
    "drug_user_management_amount_within",
    {
        "field": Arg.FIELD,
        "when_field": Arg.FIELD,
        "when_values": Arg.VALUES,
        "min_parameter": Arg.PARAMETER,
        "max_parameter": Arg.PARAMETER,
        "message_vi": Arg.TEXT,
    },
)
def _amount_within(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """When ``when_field`` is one of ``when_values`` (a fine, not a warning), the amount is given and lies
    within the range of the sanctioning decree; otherwise no amount may be given."""
    amount = ctx.value(args["field"]) if args["field"] in ctx.payload else None
    if ctx.value(args["when_field"]) not in args["when_values"]:
        return None if amount is None else str(args["message_vi"])
    if not isinstance(amount, int) or isinstance(amount, bool):
        return str(args["message_vi"])
    low = int(ctx.parameter(args["min_parameter"]))
    high = int(ctx.parameter(args["max_parameter"]))
    return None if low <= amount <= high else str(args["message_vi"])


@guard("drug_user_management_facts_recorded", {"fields": Arg.VALUES, "message_vi": Arg.TEXT})
def _facts_recorded(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """Each named value is given by this step or was recorded earlier (or inherited from the dossier whose
    step opened this one)."""
    missing = [str(name) for name in args["fields"] if ctx.value(str(name)) in (None, "")]
    return f"{args['message_vi']}: {', '.join(missing)}" if missing else None
