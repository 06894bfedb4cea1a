"""Procedure definitions: the YAML files under ``config/procedures/<code>/<effective-date>.yaml``.

Each file is one immutable version of a procedure. It is validated field by field (pydantic,
``extra="forbid"``) and then as a graph (see ``check_graph``): a rule that is stored but can never run is
treated as a bug, not as data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import date, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from states.legal_time import TimeUnit

OPENING_EVENT = "dossier_opened"
"""The event of a dossier's first history row: deadlines may start on it (``start_on: [dossier_opened]``)."""
VERSION_MIGRATED = "version_migrated"
REGISTER_IMPORTED = "register_imported"
"""The step that places a dossier opened from an existing register at the stage the register records."""
"""The event of a history row that moved a running dossier to a later version of its procedure."""
SAME_STATE = "="
ANY_OPEN_STATE = "*"
FieldType = Literal["string", "text", "integer", "boolean", "date", "datetime", "enum"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalReference(_Strict):
    """Where a rule comes from, and how sure we are of it (tags of shared/procedures)."""

    text: str
    evidence: Literal["Q", "P", "S", "3P", "unverified", "inferred", "engine"]


class Parameter(_Strict):
    value: int | float | str | bool | date | None
    unit: str | None = None
    title_vi: str
    basis: LegalReference


class PayloadField(_Strict):
    type: FieldType
    title_vi: str
    required: bool = True
    choices: dict[str, str] = Field(default_factory=dict)
    fact: bool = False
    """When true, the value is kept on the dossier as a fact that later guards and deadlines read."""
    unit_kind: str | None = None
    """For a field naming a unit (a transition ``designates`` it): the kind of unit it must be."""

    @model_validator(mode="after")
    def _choices_for_enum(self) -> PayloadField:
        if (self.type == "enum") != bool(self.choices):
            raise ValueError("trường enum phải có choices, và chỉ trường enum mới có choices")
        return self


class TimeCheck(_Strict):
    """A cross-field rule between two dates or times (payload fields of the step or recorded facts)."""

    field: str
    not_before: str | None = None
    not_after: str | None = None
    message_vi: str

    @model_validator(mode="after")
    def _one_bound(self) -> TimeCheck:
        if (self.not_before is None) == (self.not_after is None):
            raise ValueError("ghi đúng một trong not_before hoặc not_after")
        return self

    @property
    def other(self) -> str:
        return self.not_before or self.not_after or ""


class EventDefinition(_Strict):
    title_vi: str
    payload: dict[str, PayloadField] = Field(default_factory=dict)
    occurred_field: str | None = None
    """The date or time field that says when the legal fact happened; otherwise the time it is recorded."""
    checks: tuple[TimeCheck, ...] = ()


class TaskTemplate(_Strict):
    role: str
    title_vi: str


class StateDefinition(_Strict):
    title_vi: str
    initial: bool = False
    final: bool = False
    spec_name: str | None = None
    tasks: tuple[TaskTemplate, ...] = ()

    @model_validator(mode="after")
    def _final_has_no_tasks(self) -> StateDefinition:
        if self.final and self.tasks:
            raise ValueError("trạng thái kết thúc không mở công việc")
        if self.final and self.initial:
            raise ValueError("một trạng thái không thể vừa khởi đầu vừa kết thúc")
        return self


class NoticeRequest(_Strict):
    to_role: str
    title_vi: str


class ProcedureStart(_Strict):
    """A follow-up a step asks for: a procedure of hoso opened as the person's next dossier, or — ``external``
    — a procedure run outside hoso (e.g. substitution therapy by the health services), to which the step only
    hands the person over: a ``handoff`` outbox row addressed to ``to_role``, never a dossier."""

    procedure: str
    reason_vi: str
    window: Window | None = None
    external: bool = False
    to_role: str | None = None
    """The role that receives the hand-off of an external procedure (required exactly when ``external``)."""
    passes: dict[str, str] = Field(default_factory=dict)
    """Facts handed under the name the next procedure knows them by: its fact → this procedure's fact (the
    use a post-rehab dossier records as ``used_at`` is the ``tested_at`` of the compulsory-rehab dossier)."""

    @model_validator(mode="after")
    def _external_has_a_recipient(self) -> ProcedureStart:
        if self.external != (self.to_role is not None):
            raise ValueError("thủ tục ngoài hệ thống (external) phải ghi to_role, và chỉ thủ tục đó mới ghi to_role")
        return self


class GuardCall(_Strict):
    """A registered guard with the arguments this transition gives it (numbers, cases, citations)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class TransitionDefinition(_Strict):
    event: str
    source: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    guards: tuple[GuardCall, ...] = ()
    documents: tuple[str, ...] = ()
    notices: tuple[NoticeRequest, ...] = ()
    start_procedures: tuple[ProcedureStart, ...] = ()
    designates: str | None = None
    """Payload field naming the unit that must carry out the next steps (e.g. the chosen facility)."""
    relocates: str | None = None
    """Payload field with the new commune code when the dossier follows the person to a new residence."""
    basis: LegalReference

    @field_validator("source", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("guards", mode="before")
    @classmethod
    def _guard_calls(cls, value: Any) -> Any:
        """``- name`` or ``- name: {arg: value}`` in the YAML."""
        if not isinstance(value, list | tuple):
            return value
        calls: list[Any] = []
        for item in value:
            if isinstance(item, str):
                calls.append({"name": item})
            elif isinstance(item, dict) and len(item) == 1 and "name" not in item:
                name, args = next(iter(item.items()))
                calls.append({"name": name, "args": args or {}})
            else:
                calls.append(item)
        return calls


class Duration(_Strict):
    count: int | None = Field(default=None, ge=0)
    unit: TimeUnit | None = None
    parameter: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Duration:
        if (self.parameter is None) == (self.count is None):
            raise ValueError("thời hạn ghi hoặc count và unit, hoặc parameter")
        if self.count is not None and self.unit is None:
            raise ValueError("thời hạn có count phải có unit")
        return self


Nature = Literal["time_limit", "term"]
"""A time limit to act ends, when its last day is a day off, at the end of the next working day (Civil Code
Art. 148 cl. 2 — Bộ luật Dân sự 2015); a term (of a measure, a management period) and an eligibility date
end on their calendar day whatever the day of the week."""


class Window(_Strict):
    """A time limit handed to a follow-up procedure (e.g. the registration window after a result)."""

    nature: Nature = "time_limit"
    duration: Duration
    start_at_fact: str | None = None
    """A datetime fact to count from (e.g. when the person was notified); otherwise the time of the event."""
    basis: LegalReference


class DeadlineRule(_Strict):
    id: str
    title_vi: str
    kind: Literal["legal", "service_target"] = "legal"
    nature: Nature = "time_limit"
    start_on: tuple[str, ...]
    start_at_fact: str | None = None
    """A datetime fact to count from (e.g. the start of holding); otherwise the time of the event."""
    duration: Duration
    active_in: tuple[str, ...]
    replaces: tuple[str, ...] = ()
    reason_field: str | None = None
    """For a rule that ``replaces`` another (an extension): the payload field of its starting step that gives
    the ground, recorded in the explanation (an enum by its Vietnamese label); otherwise the step's title."""
    paused_in: tuple[str, ...] = ()
    """States in which the clock stops (a supplement awaited, time at large); leaving them for a state of
    ``active_in`` resumes the deadline with the time that remained, recorded in its explanation."""
    cut_off: time | None = None
    """Local hour after which what starts the period counts as received on the next working day (a dossier
    handed in after office hours); the deemed day is shown in the explanation."""
    ends_on: dict[str, Literal["met", "escaped"]] = Field(default_factory=dict)
    """Events that end the deadline whatever the next state, with their outcome: ``met`` (in time or late,
    by the legal time of the event) or ``escaped`` (the person escaped: the limit was not met)."""
    alerts: bool = True
    """Whether officers are warned as it runs out and their unit's head when it is overdue; ``false`` for a
    period in which only the person acts (a window to complain). Terms never alert."""
    expiry_event: str
    """Fired by the ``system`` officer when the deadline passes: a legal consequence for a legal deadline,
    a recorded escalation for a service target."""
    basis: LegalReference


class SpecDeparture(_Strict):
    """A transition of the research file (shared/procedures) that this version merges, renames or departs
    from on purpose, with the reason and its legal source."""

    spec: str
    """The spec line as written, e.g. ``USER_CONFIRMED --proposal_sent (commune_police)--> AWAITING_DECISION``."""
    reason_vi: str
    basis: LegalReference


class SubjectAge(_Strict):
    """Age limits of the person a dossier may be opened for, in completed years on the date of the fact."""

    min_parameter: str | None = None
    max_parameter: str | None = None
    """Exclusive upper bound (e.g. 18 for "under 18")."""


class Confidentiality(_Strict):
    """Dossiers opened by these unit kinds are seen only by the opening unit (need to know)."""

    opened_by: tuple[str, ...]
    basis: LegalReference


class ProcedureDefinition(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    effective_from: date
    title_vi: str
    regimes: tuple[str, ...]
    basis: tuple[LegalReference, ...]
    opening_roles: tuple[str, ...]
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    states: dict[str, StateDefinition]
    events: dict[str, EventDefinition]
    transitions: tuple[TransitionDefinition, ...]
    deadlines: tuple[DeadlineRule, ...] = ()
    subject_age: SubjectAge | None = None
    confidential: Confidentiality | None = None
    inherited_facts: tuple[str, ...] = ()
    """Facts a dossier of this procedure takes from the dossier whose step opened it (e.g. ``served_at``):
    deadlines starting at the opening (``start_on: [dossier_opened]``) may count from them."""
    spec_departures: tuple[SpecDeparture, ...] = ()

    @property
    def expiry_events(self) -> frozenset[str]:
        return frozenset(rule.expiry_event for rule in self.deadlines)

    def field_type(self, event: str, name: str) -> str | None:
        """The type of a value a step can read: its own payload field, else a fact some step records."""
        own = self.events[event].payload.get(name)
        if own is not None:
            return own.type
        for spec in self.events.values():
            found = spec.payload.get(name)
            if found is not None and found.fact:
                return found.type
        return None

    @property
    def version(self) -> str:
        return self.effective_from.isoformat()

    @property
    def initial_state(self) -> str:
        return next(name for name, state in self.states.items() if state.initial)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(name for name, state in self.states.items() if state.final)

    def sources_of(self, transition: TransitionDefinition) -> tuple[str, ...]:
        if ANY_OPEN_STATE in transition.source:
            return tuple(name for name, state in self.states.items() if not state.final)
        return transition.source

    def edges(self) -> list[tuple[str, str, TransitionDefinition]]:
        result = []
        for transition in self.transitions:
            for source in self.sources_of(transition):
                dest = source if transition.dest == SAME_STATE else transition.dest
                result.append((source, dest, transition))
        return result


def check_graph(
    definition: ProcedureDefinition,
    *,
    known_roles: set[str],
    known_guards: set[str],
    known_forms: set[str],
    known_regimes: set[str],
    known_unit_kinds: set[str],
) -> list[str]:
    """Every structural problem of a procedure, as readable sentences (empty when sound)."""
    problems: list[str] = []
    states = definition.states
    initial = [name for name, state in states.items() if state.initial]
    if len(initial) != 1:
        problems.append(f"phải có đúng một trạng thái khởi đầu, đang có {initial}")
    finals = definition.final_states
    if not finals:
        problems.append("không có trạng thái kết thúc")
    problems += [
        f"chế độ pháp lý không có trong danh mục: {key}" for key in definition.regimes if key not in known_regimes
    ]
    problems += [
        f"vai trò mở hồ sơ không có trong danh mục: {role}"
        for role in definition.opening_roles
        if role not in known_roles
    ]
    for name, state in states.items():
        problems += [
            f"trạng thái {name}: vai trò của công việc không có trong danh mục: {t.role}"
            for t in state.tasks
            if t.role not in known_roles
        ]
    problems += _check_transitions(definition, known_roles, known_guards, known_forms, known_unit_kinds)
    problems += _check_deadlines(definition)
    problems += _check_times(definition)
    problems += _check_subject_rules(definition, known_unit_kinds)
    if len(initial) == 1:
        problems += _check_reachability(definition, initial[0], finals)
    return problems


def _check_transitions(
    definition: ProcedureDefinition,
    known_roles: set[str],
    known_guards: set[str],
    known_forms: set[str],
    known_unit_kinds: set[str],
) -> list[str]:
    problems: list[str] = []
    states = definition.states
    for transition in definition.transitions:
        where = f"chuyển tiếp {transition.event} {list(transition.source)} -> {transition.dest}"
        if transition.event not in definition.events:
            problems.append(f"{where}: bước chưa được khai báo trong events")
        if not transition.roles:
            problems.append(f"{where}: không có vai trò nào được thực hiện")
        problems += [f"{where}: vai trò không có trong danh mục: {r}" for r in transition.roles if r not in known_roles]
        problems += [
            f"{where}: điều kiện chưa được đăng ký: {g.name}" for g in transition.guards if g.name not in known_guards
        ]
        problems += [
            f"{where}: mẫu văn bản không có trong danh mục: {f}" for f in transition.documents if f not in known_forms
        ]
        problems += [
            f"{where}: notice role {n.to_role} unknown" for n in transition.notices if n.to_role not in known_roles
        ]
        for source in transition.source:
            if source != ANY_OPEN_STATE and source not in states:
                problems.append(f"{where}: trạng thái nguồn không tồn tại: {source}")
            elif source in definition.final_states:
                problems.append(f"{where}: đi ra từ trạng thái kết thúc {source}")
        if transition.dest != SAME_STATE and transition.dest not in states:
            problems.append(f"{where}: trạng thái đích không tồn tại: {transition.dest}")
        payload = definition.events.get(transition.event, EventDefinition(title_vi="")).payload
        for name in (transition.designates, transition.relocates):
            if name is not None and name not in payload:
                problems.append(f"{where}: trường {name} không thuộc dữ liệu của bước")
        if transition.designates in payload:
            kind = payload[transition.designates].unit_kind
            if kind is None or kind not in known_unit_kinds:
                problems.append(f"{where}: trường {transition.designates} phải ghi unit_kind hợp lệ")
        for start in transition.start_procedures:
            if start.to_role is not None and start.to_role not in known_roles:
                problems.append(
                    f"{where}: vai trò nhận bàn giao thủ tục {start.procedure} không có trong danh mục: {start.to_role}"
                )
            if start.window is not None:
                problems += _check_duration(definition, start.window.duration, f"{where}: window")
                fact = start.window.start_at_fact
                if fact is not None and fact not in _fact_fields(definition):
                    problems.append(f"{where}: thời hạn chuyển tiếp tính từ dữ kiện {fact} mà không bước nào ghi nhận")
    used_events = {transition.event for transition in definition.transitions}
    problems += [
        f"bước {e} được khai báo nhưng không chuyển tiếp nào dùng" for e in definition.events if e not in used_events
    ]
    return problems


def _check_deadlines(definition: ProcedureDefinition) -> list[str]:
    problems: list[str] = []
    edges = definition.edges()
    rule_ids = [rule.id for rule in definition.deadlines]
    if len(rule_ids) != len(set(rule_ids)):
        problems.append("mã thời hạn phải là duy nhất")
    fact_fields = _fact_fields(definition)
    for rule in definition.deadlines:
        where = f"thời hạn {rule.id}"
        problems += [f"{where}: trạng thái không tồn tại: {s}" for s in rule.active_in if s not in definition.states]
        problems += [f"{where}: thay thế thời hạn không tồn tại: {r}" for r in rule.replaces if r not in rule_ids]
        problems += [
            f"{where}: trạng thái tạm dừng không tồn tại: {s}" for s in rule.paused_in if s not in definition.states
        ]
        problems += [
            f"{where}: trạng thái vừa áp dụng vừa tạm dừng: {s}" for s in rule.paused_in if s in rule.active_in
        ]
        problems += [
            f"{where}: kết thúc bởi bước không tồn tại: {e}" for e in rule.ends_on if e not in definition.events
        ]
        if rule.reason_field is not None and not rule.replaces:
            problems.append(f"{where}: chỉ thời hạn thay thế (replaces) mới ghi trường lý do")
        elif rule.reason_field is not None:
            problems += [
                f"{where}: bước {e} không có trường lý do {rule.reason_field}"
                for e in rule.start_on
                if e not in definition.events or rule.reason_field not in definition.events[e].payload
            ]
        for event in rule.start_on:
            if event == OPENING_EVENT:
                if definition.initial_state not in rule.active_in:
                    problems.append(f"{where}: bắt đầu khi mở hồ sơ nhưng không áp dụng ở trạng thái khởi đầu")
                continue
            dests = {dest for _, dest, t in edges if t.event == event}
            if not dests:
                problems.append(f"{where}: bắt đầu từ bước {event} mà không chuyển tiếp nào có")
            elif not dests & set(rule.active_in):
                problems.append(
                    f"{where}: bắt đầu từ bước {event} nhưng bước này không dẫn vào trạng thái áp dụng thời hạn"
                )
        problems += _check_duration(definition, rule.duration, where)
        if rule.start_at_fact is not None and rule.start_at_fact not in fact_fields:
            problems.append(f"{where}: tính từ dữ kiện {rule.start_at_fact} mà không bước nào ghi nhận")
        consumers = {source for source, _, t in edges if t.event == rule.expiry_event}
        missing = [state for state in rule.active_in if state not in consumers]
        if missing:
            problems.append(f"{where}: bước khi hết hạn {rule.expiry_event} không thực hiện được từ {missing}")
        if "system" not in {role for _, _, t in edges if t.event == rule.expiry_event for role in t.roles}:
            problems.append(f"{where}: bước khi hết hạn {rule.expiry_event} phải cho phép vai trò system")
    return problems


_TIME_TYPES = {"date", "datetime"}


def _check_times(definition: ProcedureDefinition) -> list[str]:
    problems: list[str] = []
    for name, event in definition.events.items():
        where = f"bước {name}"
        if event.occurred_field is not None and (
            event.occurred_field not in event.payload or event.payload[event.occurred_field].type not in _TIME_TYPES
        ):
            problems.append(f"{where}: occurred_field {event.occurred_field} phải là trường ngày/giờ của bước")
        if event.occurred_field is not None and not event.payload[event.occurred_field].required:
            problems.append(f"{where}: occurred_field {event.occurred_field} phải là trường bắt buộc")
        for check in event.checks:
            for field_name in (check.field, check.other):
                if definition.field_type(name, field_name) not in _TIME_TYPES:
                    problems.append(f"{where}: quy tắc thời gian dùng {field_name} không phải ngày/giờ đã ghi nhận")
    return problems


def _check_subject_rules(definition: ProcedureDefinition, known_unit_kinds: set[str]) -> list[str]:
    problems: list[str] = []
    if definition.subject_age is not None:
        for name in (definition.subject_age.min_parameter, definition.subject_age.max_parameter):
            if name is not None and not isinstance(definition.parameters.get(name, _NO_PARAMETER).value, int):
                problems.append(f"giới hạn tuổi: tham số {name} không tồn tại hoặc không phải số nguyên")
    if definition.confidential is not None:
        problems += [
            f"bảo mật: loại đơn vị không có trong danh mục: {kind}"
            for kind in definition.confidential.opened_by
            if kind not in known_unit_kinds
        ]
    return problems


_NO_PARAMETER = Parameter(value=None, title_vi="", basis=LegalReference(text="", evidence="inferred"))


def _fact_fields(definition: ProcedureDefinition) -> set[str]:
    recorded = {name for event in definition.events.values() for name, field in event.payload.items() if field.fact}
    return recorded | set(definition.inherited_facts)


def _check_duration(definition: ProcedureDefinition, duration: Duration, where: str) -> list[str]:
    if duration.parameter is None:
        return []
    parameter = definition.parameters.get(duration.parameter)
    if parameter is None or not isinstance(parameter.value, int) or parameter.unit not in set(TimeUnit):
        return [f"{where}: tham số {duration.parameter} không phải là một thời hạn (số nguyên kèm đơn vị thời gian)"]
    return []


def _check_reachability(definition: ProcedureDefinition, initial: str, finals: frozenset[str]) -> list[str]:
    problems: list[str] = []
    forward: dict[str, set[str]] = {name: set() for name in definition.states}
    backward: dict[str, set[str]] = {name: set() for name in definition.states}
    for source, dest, _ in definition.edges():
        if source in forward and dest in forward:
            forward[source].add(dest)
            backward[dest].add(source)
    reachable = _closure(initial, forward)
    problems += [f"trạng thái {s} không thể đến được từ {initial}" for s in definition.states if s not in reachable]
    for name in definition.states:
        if name not in finals and not (forward[name] - {name}):
            problems.append(f"trạng thái {name} là ngõ cụt (chưa kết thúc nhưng không có lối ra)")
    can_finish: set[str] = set()
    for final in finals:
        can_finish |= _closure(final, backward)
    problems += [
        f"trạng thái {s} không có đường đến trạng thái kết thúc" for s in definition.states if s not in can_finish
    ]
    return problems


def _closure(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for neighbour in graph[queue.popleft()]:
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen


def check_chains(definitions: Iterable[ProcedureDefinition]) -> list[str]:
    """Problems of the links between procedures, each naming the procedure, version and transition at fault.

    - every ``start_procedures`` target is a procedure of these definitions, or is declared ``external`` (run
      outside hoso) — and an external one is not a procedure of hoso;
    - every inherited fact of a procedure is recorded as a fact (``fact: true``, or itself inherited) by at least
      one version of a procedure that can start it (the parents come from the ``start_procedures`` of every
      version), and a procedure that inherits facts has such a parent;
    - a window handed to a follow-up counts from a fact that every version of the follow-up inherits (that the
      parent records it is checked with the parent, ``check_graph``).
    """
    loaded = list(definitions)
    by_code: dict[str, list[ProcedureDefinition]] = {}
    for definition in loaded:
        by_code.setdefault(definition.code, []).append(definition)
    problems: list[str] = []
    parents: dict[str, list[tuple[ProcedureDefinition, TransitionDefinition, ProcedureStart]]] = {}
    for definition in loaded:
        for transition in definition.transitions:
            where = (
                f"{definition.code}/{definition.version}: chuyển tiếp {transition.event} "
                f"{list(transition.source)} -> {transition.dest}"
            )
            for start in transition.start_procedures:
                if start.external:
                    if start.procedure in by_code:
                        problems.append(
                            f"{where}: thủ tục '{start.procedure}' là thủ tục của hoso, không ghi là thủ tục ngoài hệ "
                            "thống (external)"
                        )
                    continue
                if start.procedure not in by_code:
                    problems.append(
                        f"{where}: yêu cầu mở thủ tục '{start.procedure}' không có trong hoso (không có tệp "
                        f"config/procedures/{start.procedure}/<ngày hiệu lực>.yaml); thủ tục do cơ quan ngoài hệ thống "
                        "thực hiện phải ghi external: true và to_role (vai trò nhận bàn giao)"
                    )
                    continue
                parents.setdefault(start.procedure, []).append((definition, transition, start))
                own = _fact_fields(definition)
                for child_fact, parent_fact in sorted(start.passes.items()):
                    if parent_fact not in own:
                        problems.append(
                            f"{where}: chuyển dữ kiện '{parent_fact}' sang thủ tục {start.procedure} nhưng "
                            f"{definition.code}/{definition.version} không ghi nhận dữ kiện này (fact: true)"
                        )
                    problems += [
                        f"{where}: chuyển dữ kiện '{parent_fact}' thành '{child_fact}' nhưng "
                        f"{child.code}/{child.version} không kế thừa '{child_fact}' (inherited_facts)"
                        for child in by_code[start.procedure]
                        if child_fact not in child.inherited_facts
                    ]
                fact = start.window.start_at_fact if start.window is not None else None
                if fact is None:
                    continue
                problems += [
                    f"{where}: thời hạn chuyển cho thủ tục {child.code} tính từ dữ kiện '{fact}' nhưng "
                    f"{child.code}/{child.version} không kế thừa dữ kiện này (inherited_facts)"
                    for child in by_code[start.procedure]
                    if fact not in child.inherited_facts
                ]
    for code, versions in sorted(by_code.items()):
        starters = parents.get(code, [])
        recorded: set[str] = set()
        for parent in {id(p): p for p, _, _ in starters}.values():
            recorded |= _fact_fields(parent)
        for _, _, start in starters:
            recorded |= set(start.passes)
        shown = ", ".join(sorted({f"{p.code}/{p.version} ({t.event})" for p, t, _ in starters}))
        for child in versions:
            for fact in child.inherited_facts:
                if not starters:
                    problems.append(
                        f"{child.code}/{child.version}: kế thừa dữ kiện '{fact}' nhưng không thủ tục nào mở tiếp "
                        "thủ tục này (start_procedures)"
                    )
                elif fact not in recorded:
                    problems.append(
                        f"{child.code}/{child.version}: dữ kiện kế thừa '{fact}' không được thủ tục nào mở nó ghi "
                        f"nhận (trường fact: true của một bước, hoặc dữ kiện được kế thừa) — các bước mở thủ tục này: "
                        f"{shown}"
                    )
    return problems
