"""Guard shapes of compulsory rehabilitation for adults (đưa vào cơ sở cai nghiện bắt buộc người từ đủ 18 tuổi).

The numbers (12–24 months under Luật XLVPHC Art. 95; 24 months first time / 36 months later under Luật
120/2025/QH15) and the Vietnamese refusals are arguments written in the procedure YAML of each version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from states.guards import Arg, GuardContext, guard


@guard(
    "compulsory_rehab_adult_term_months",
    {"field": Arg.FIELD, "message_vi": Arg.TEXT},
    {
        "min_parameter": Arg.PARAMETER,
        "max_parameter": Arg.PARAMETER,
        "first_parameter": Arg.PARAMETER,
        "repeat_parameter": Arg.PARAMETER,
        "repeat_field": Arg.FIELD,
    },
)
def _term_months(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The term decided (in months) is allowed: within [min, max] when a range is given; equal to the
    first-time or the repeat term (by the boolean ``repeat_field``) when fixed terms are given."""
    value = ctx.value(args["field"])
    if not isinstance(value, int) or isinstance(value, bool):
        return str(args["message_vi"])
    low, high = args.get("min_parameter"), args.get("max_parameter")
    if low is not None and value < int(ctx.parameter(low)):
        return str(args["message_vi"])
    if high is not None and value > int(ctx.parameter(high)):
        return str(args["message_vi"])
    first, repeat = args.get("first_parameter"), args.get("repeat_parameter")
    if first is not None and repeat is not None:
        is_repeat = bool(ctx.value(args["repeat_field"])) if "repeat_field" in args else False
        expected = int(ctx.parameter(repeat if is_repeat else first))
        if value != expected:
            return str(args["message_vi"])
    return None
