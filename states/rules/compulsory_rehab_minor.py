"""Guards of compulsory rehabilitation of persons aged 12 to under 18 (đưa người nghiện ma túy từ đủ 12 tuổi
đến dưới 18 tuổi vào cơ sở cai nghiện bắt buộc — PL 01/2022/UBTVQH15).

Shape only: the bounds of the term the court orders are parameters of the procedure version, and the refusal
cites the law of that version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from states.guards import Arg, GuardContext, guard


@guard(
    "compulsory_rehab_minor_integer_between",
    {"field": Arg.FIELD, "min_parameter": Arg.PARAMETER, "max_parameter": Arg.PARAMETER, "message_vi": Arg.TEXT},
)
def _integer_between(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """A recorded whole number (e.g. the term in months) lies within ``min`` and ``max``, both inclusive."""
    value = ctx.value(args["field"])
    if not isinstance(value, int) or isinstance(value, bool):
        return str(args["message_vi"])
    if int(ctx.parameter(args["min_parameter"])) <= value <= int(ctx.parameter(args["max_parameter"])):
        return None
    return str(args["message_vi"])
