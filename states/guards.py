"""Named legal conditions that a procedure's transitions may require (``guards:`` in the YAML).

A guard is code for the *shape* of a legal condition; everything the law says — numbers, ages, case
letters, deadline ids, the articles cited in the refusal — is an argument given in the YAML of the
procedure version in force, e.g.::

    guards:
      - value_in: {field: art27_case, values: [a, b, c], message_vi: "Chỉ áp dụng cho ... Điều 27 ..."}

Each guard declares its arguments and what they must name (a parameter, a deadline, a field); the loader
refuses a transition whose guard is unknown, lacks an argument, or names a parameter, deadline or field
that the procedure does not have. A guard returns ``None`` when the condition holds and otherwise the
reason, in Vietnamese, why it does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from states.definitions import GuardCall, ProcedureDefinition, TransitionDefinition
from states.legal_time import VN_TZ


@dataclass(frozen=True)
class GuardContext:
    definition: ProcedureDefinition
    payload: Mapping[str, Any]
    facts: Mapping[str, Any]
    subject_birth_date: date
    act_date: date
    """The date of the legal fact the step records (its ``occurred_field``), else the day it is recorded."""
    now: datetime
    open_deadlines: Mapping[str, datetime] = field(default_factory=dict)
    """Open deadlines of the dossier: rule id → due instant."""
    act_at: datetime | None = None
    """The instant of the legal fact, when the step records one to the minute."""

    def value(self, name: str) -> Any:
        """A value from this step's payload, else from the facts recorded by earlier steps."""
        if name in self.payload:
            return self.payload[name]
        return self.facts.get(name)

    def day(self, name: str) -> date | None:
        """The (Vietnamese) calendar day of a date or time value, from the payload or the facts."""
        return as_day(self.value(name))

    def parameter(self, name: str) -> Any:
        return self.definition.parameters[name].value

    def age_on(self, on: date) -> int:
        born = self.subject_birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def as_day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).date()
    assert isinstance(value, date)
    return value


class Arg(Enum):
    PARAMETER = "parameter"
    DEADLINES = "deadlines"
    FIELD = "field"
    VALUES = "values"
    TEXT = "text"
    MAPPING = "mapping"


GuardFunction = Callable[[GuardContext, Mapping[str, Any]], str | None]


RequiredFields = Callable[[ProcedureDefinition, Mapping[str, Any], date, Mapping[str, Any]], set[str]]
"""Payload fields a guard makes mandatory, given the dossier's facts and today's date (for ``actions``)."""


@dataclass(frozen=True)
class GuardSpec:
    function: GuardFunction
    required: Mapping[str, Arg]
    optional: Mapping[str, Arg]
    requires_fields: RequiredFields | None = None


GUARDS: dict[str, GuardSpec] = {}


def guard(
    name: str,
    required: Mapping[str, Arg],
    optional: Mapping[str, Arg] | None = None,
    requires_fields: RequiredFields | None = None,
) -> Callable[[GuardFunction], GuardFunction]:
    def register(function: GuardFunction) -> GuardFunction:
        if name in GUARDS:
            raise ValueError(f"guard {name} registered twice")
        GUARDS[name] = GuardSpec(function, required, optional or {}, requires_fields)
        return function

    return register


def evaluate(call: GuardCall, ctx: GuardContext) -> str | None:
    return GUARDS[call.name].function(ctx, call.args)


def fields_required_by(
    definition: ProcedureDefinition, transition: TransitionDefinition, facts: Mapping[str, Any], today: date
) -> set[str]:
    """Payload fields that the transition's guards make mandatory for this dossier today."""
    required: set[str] = set()
    for call in transition.guards:
        spec = GUARDS[call.name]
        if spec.requires_fields is not None:
            required |= spec.requires_fields(definition, facts, today, call.args)
    return required


# -- loader checks -----------------------------------------------------------------------------------------


def check_guard_calls(definition: ProcedureDefinition) -> list[str]:
    """Every argument problem of every guard call of a procedure version (unknown guards are reported by
    the graph check)."""
    problems: list[str] = []
    for transition in definition.transitions:
        for call in transition.guards:
            spec = GUARDS.get(call.name)
            if spec is not None:
                where = f"chuyển tiếp {transition.event} {list(transition.source)}: điều kiện {call.name}"
                problems += [f"{where}: {p}" for p in _check_call(definition, transition, call, spec)]
    return problems


def _check_call(
    definition: ProcedureDefinition, transition: TransitionDefinition, call: GuardCall, spec: GuardSpec
) -> list[str]:
    problems = [f"thiếu tham số '{name}'" for name in spec.required if name not in call.args]
    kinds = {**spec.required, **spec.optional}
    problems += [f"tham số không được dùng: '{name}'" for name in call.args if name not in kinds]
    deadline_ids = {rule.id for rule in definition.deadlines}
    for name, value in call.args.items():
        kind = kinds.get(name)
        if kind is Arg.PARAMETER and value not in definition.parameters:
            problems.append(f"'{name}' chỉ đến tham số không tồn tại: {value}")
        elif kind is Arg.DEADLINES:
            if not isinstance(value, list) or not value:
                problems.append(f"'{name}' phải là danh sách mã thời hạn")
            else:
                problems += [f"'{name}' chỉ đến thời hạn không tồn tại: {v}" for v in value if v not in deadline_ids]
        elif kind is Arg.FIELD and definition.field_type(transition.event, str(value)) is None:
            problems.append(f"'{name}' chỉ đến trường không có trong bước và không được ghi nhận: {value}")
        elif kind is Arg.TEXT and (not isinstance(value, str) or not value.strip()):
            problems.append(f"'{name}' phải là một câu tiếng Việt")
        elif kind is Arg.VALUES and not isinstance(value, list):
            problems.append(f"'{name}' phải là danh sách")
        elif kind is Arg.MAPPING and not isinstance(value, dict):
            problems.append(f"'{name}' phải là bảng ánh xạ")
    if call.name == "criteria_conclusion":
        if call.args.get("expect") not in _CLASSES:
            problems.append(f"'expect' phải là một trong {', '.join(_CLASSES)}")
        messages = call.args.get("messages_vi")
        if isinstance(messages, dict) and set(messages) != set(_CLASSES):
            problems.append(f"'messages_vi' phải có đúng các khóa {', '.join(_CLASSES)}")
    field_name = call.args.get("field")
    values = call.args.get("values")
    if isinstance(field_name, str) and isinstance(values, list):
        field_type = definition.field_type(transition.event, field_name)
        if field_type == "enum":
            choices = _choices(definition, transition.event, field_name)
            problems += [f"giá trị {v!r} không thuộc lựa chọn của {field_name}" for v in values if v not in choices]
        elif field_type == "boolean":
            problems += [
                f"giá trị {v!r} của {field_name} phải là true hoặc false" for v in values if not isinstance(v, bool)
            ]
    return problems


def _choices(definition: ProcedureDefinition, event: str, name: str) -> set[str]:
    own = definition.events[event].payload.get(name)
    if own is not None:
        return set(own.choices)
    return {choice for spec in definition.events.values() for choice in getattr(spec.payload.get(name), "choices", {})}


# -- the guards ------------------------------------------------------------------------------------------


@guard("value_in", {"field": Arg.FIELD, "values": Arg.VALUES, "message_vi": Arg.TEXT})
def _value_in(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    if ctx.value(args["field"]) in args["values"]:
        return None
    return str(args["message_vi"])


@guard(
    "age_between",
    {"message_vi": Arg.TEXT},
    {"min_parameter": Arg.PARAMETER, "max_parameter": Arg.PARAMETER},
)
def _age_between(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    age = ctx.age_on(ctx.act_date)
    low = args.get("min_parameter")
    high = args.get("max_parameter")
    if low is not None and age < int(ctx.parameter(low)):
        return str(args["message_vi"])
    if high is not None and age >= int(ctx.parameter(high)):
        return str(args["message_vi"])
    return None


def _running(ctx: GuardContext, deadlines: list[str]) -> bool:
    """An open deadline of the list whose limit has not passed, neither now nor at the time of the fact."""
    latest = max(ctx.now, ctx.act_at or datetime.combine(ctx.act_date, datetime.min.time(), VN_TZ))
    return any(due_at > latest for rule_id, due_at in ctx.open_deadlines.items() if rule_id in deadlines)


@guard("deadline_running", {"deadlines": Arg.DEADLINES, "message_vi": Arg.TEXT})
def _deadline_running(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    return None if _running(ctx, args["deadlines"]) else str(args["message_vi"])


@guard("deadline_not_running", {"deadlines": Arg.DEADLINES, "message_vi": Arg.TEXT})
def _deadline_not_running(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    return str(args["message_vi"]) if _running(ctx, args["deadlines"]) else None


_USE_AND_WINDOW = {"in_force_parameter": Arg.PARAMETER, "use_date_field": Arg.FIELD, "window_field": Arg.FIELD}
"""Arguments of every Penal Code art. 256a guard: when the crime exists, the day of the use, the answer."""


def _penal_in_force(ctx: GuardContext, args: Mapping[str, Any]) -> bool:
    """Whether the crime existed on the day of the use (the recorded test), not the day it is recorded."""
    used_on = ctx.day(args["use_date_field"]) or ctx.act_date
    return bool(used_on >= ctx.parameter(args["in_force_parameter"]))


def _window_when_in_force(
    definition: ProcedureDefinition, facts: Mapping[str, Any], today: date, args: Mapping[str, Any]
) -> set[str]:
    used_on = as_day(facts.get(args["use_date_field"])) or today
    in_force_from = definition.parameters[args["in_force_parameter"]].value
    return {args["window_field"]} if isinstance(in_force_from, date) and used_on >= in_force_from else set()


@guard(
    "penal_check_recorded",
    {
        **_USE_AND_WINDOW,
        "case_field": Arg.FIELD,
        "case_windows": Arg.MAPPING,
        "missing_message_vi": Arg.TEXT,
        "criminal_message_vi": Arg.TEXT,
        "mismatch_message_vi": Arg.TEXT,
    },
    requires_fields=_window_when_in_force,
)
def _penal_check_recorded(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """The administrative route is open only when the criminal check was made and found nothing, and the
    answer agrees with the case recorded (e.g. case d, use during post-rehab management, is the 256a
    window of post-rehab management)."""
    if not _penal_in_force(ctx, args):
        return None
    window = ctx.value(args["window_field"])
    if window is None:
        return str(args["missing_message_vi"])
    case = ctx.value(args["case_field"])
    expected: Mapping[str, str] = args["case_windows"]
    if (case in expected and window != expected[case]) or (
        window in expected.values() and expected.get(case) != window
    ):
        return str(args["mismatch_message_vi"])
    if window != "none":
        return str(args["criminal_message_vi"])
    return None


@guard(
    "penal_case_applies",
    {
        **_USE_AND_WINDOW,
        "not_in_force_message_vi": Arg.TEXT,
        "no_window_message_vi": Arg.TEXT,
    },
)
def _penal_case_applies(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    if not _penal_in_force(ctx, args):
        return str(args["not_in_force_message_vi"])
    if ctx.value(args["window_field"]) in (None, "none"):
        return str(args["no_window_message_vi"])
    return None


@guard(
    "penal_check_cleared",
    {
        **_USE_AND_WINDOW,
        "message_vi": Arg.TEXT,
    },
)
def _penal_check_cleared(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """Before an administrative measure that follows a use: the criminal check was made and found nothing."""
    if not _penal_in_force(ctx, args) or ctx.value(args["window_field"]) == "none":
        return None
    return str(args["message_vi"])


_CLASSES = ("addicted", "not_addicted", "inconclusive")


@guard(
    "criteria_conclusion",
    {
        "expect": Arg.TEXT,
        "count_field": Arg.FIELD,
        "decisive_field": Arg.FIELD,
        "total_parameter": Arg.PARAMETER,
        "min_parameter": Arg.PARAMETER,
        "messages_vi": Arg.MAPPING,
        "out_of_range_message_vi": Arg.TEXT,
    },
)
def _criteria_conclusion(ctx: GuardContext, args: Mapping[str, Any]) -> str | None:
    """TT 18/2021/TT-BYT Điều 4 bước 3: at least ``min`` criteria: addicted; one, or two including the
    decisive criterion: not addicted; otherwise observation goes on."""
    met = ctx.value(args["count_field"])
    total = int(ctx.parameter(args["total_parameter"]))
    if not isinstance(met, int) or not 0 <= met <= total:
        return str(args["out_of_range_message_vi"])
    decisive = bool(ctx.value(args["decisive_field"]))
    if met >= int(ctx.parameter(args["min_parameter"])):
        found = "addicted"
    elif met <= 1 or (met == 2 and decisive):
        found = "not_addicted"
    else:
        found = "inconclusive"
    if found == args["expect"]:
        return None
    return str(args["messages_vi"][found])
