"""Loading every procedure version, checking it, and compiling it into one shared state machine.

One ``transitions.Machine`` is built per procedure version and shared by all dossiers on that version:
the machine holds no dossier; each firing runs on a throw-away model carrying the dossier's state.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from transitions import EventData, Machine, MachineError

from states.alert_policy import AlertPolicy, load_alert_policy
from states.definitions import GuardCall, ProcedureDefinition, TransitionDefinition, check_chains, check_graph
from states.errors import (
    DefinitionError,
    GuardFailedError,
    NotFoundError,
    TransitionNotAllowedError,
    UnknownEventError,
)
from states.forms import FormCatalogue, load_forms
from states.guards import GUARDS, GuardContext, check_guard_calls, evaluate
from states.indicators import INDICATORS_DIR, load_indicators
from states.legal_time import WorkCalendar, load_calendar
from states.redaction import REDACTION_FILE, redaction_rules
from states.regimes import RegimeTable, load_regime_table
from states.rules import load_all as load_guard_modules
from states.yaml_loading import load_model


@dataclass
class _Run:
    """The throw-away model a shared machine moves for one firing."""

    state: str
    fired: TransitionDefinition | None = None
    failures: list[str] = field(default_factory=list)


def _run_of(event_data: EventData) -> _Run:
    run = event_data.model
    assert isinstance(run, _Run)
    return run


def _remember(transition: TransitionDefinition, event_data: EventData) -> None:
    _run_of(event_data).fired = transition


def _check_guard(call: GuardCall, event_data: EventData) -> bool:
    reason = evaluate(call, event_data.kwargs["ctx"])
    if reason is not None:
        _run_of(event_data).failures.append(reason)
    return reason is None


class CompiledProcedure:
    def __init__(self, definition: ProcedureDefinition) -> None:
        self.definition = definition
        self.machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial_state,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for transition in definition.transitions:
            self.machine.add_transition(
                transition.event,
                list(definition.sources_of(transition)),
                transition.dest,
                conditions=[partial(_check_guard, call) for call in transition.guards],
                after=[partial(_remember, transition)],
            )

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def version(self) -> str:
        return self.definition.version

    def candidates(self, state: str, event: str) -> list[TransitionDefinition]:
        """The transitions ``event`` may take from ``state``; raises when there are none."""
        if event not in self.definition.events:
            raise UnknownEventError(f"Thủ tục {self.definition.title_vi} không có bước '{event}'", event=event)
        found = [t for t in self.definition.transitions if t.event == event and state in self.definition.sources_of(t)]
        if not found:
            raise self._not_allowed(state, event)
        return found

    def _not_allowed(self, state: str, event: str) -> TransitionNotAllowedError:
        return TransitionNotAllowedError(
            f"Không thể thực hiện bước '{self.definition.events[event].title_vi}' khi hồ sơ đang ở trạng thái "
            f"'{self.definition.states[state].title_vi}'",
            event=event,
            state=state,
        )

    def fire(self, state: str, event: str, ctx: GuardContext) -> tuple[str, TransitionDefinition]:
        """The state after ``event`` and the transition that produced it; raises on refusal."""
        if event not in self.definition.events:
            raise UnknownEventError(f"Thủ tục {self.definition.title_vi} không có bước '{event}'", event=event)
        run = _Run(state=state)
        try:
            self.machine.events[event].trigger(run, ctx=ctx)
        except MachineError:
            raise self._not_allowed(state, event) from None
        if run.fired is None:
            raise GuardFailedError(
                "Chưa đủ điều kiện pháp lý để thực hiện bước này: " + "; ".join(dict.fromkeys(run.failures)),
                event=event,
                reasons=list(dict.fromkeys(run.failures)),
            )
        return run.state, run.fired

    def events_from(self, state: str) -> list[str]:
        return sorted(self.machine.get_triggers(state))


@dataclass(frozen=True)
class Rulebook:
    """Everything the law as data says: regimes and roles, forms, the calendar, procedure versions."""

    regimes: RegimeTable
    forms: FormCatalogue
    calendar: WorkCalendar
    procedures: dict[str, tuple[CompiledProcedure, ...]]
    chain_problems: tuple[str, ...] = ()
    """Problems of the links between procedures (``check_chains``) in a rulebook loaded leniently (a partial
    set of procedures, e.g. in tests); loading the procedures in force refuses them."""
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    """When running deadlines warn and escalate, and the time a unit has to acknowledge a notice."""

    def codes(self) -> list[str]:
        return sorted(self.procedures)

    def versions(self, code: str) -> tuple[CompiledProcedure, ...]:
        try:
            return self.procedures[code]
        except KeyError:
            raise NotFoundError(f"Không có thủ tục '{code}'", procedure=code) from None

    def in_force(self, code: str, on: date) -> CompiledProcedure:
        versions = self.versions(code)
        index = bisect.bisect_right([v.definition.effective_from for v in versions], on) - 1
        if index < 0:
            raise NotFoundError(f"Thủ tục '{code}' chưa có phiên bản có hiệu lực vào ngày {on.isoformat()}")
        return versions[index]

    def pinned(self, code: str, version: str) -> CompiledProcedure:
        for compiled in self.versions(code):
            if compiled.version == version:
                return compiled
        raise NotFoundError(f"Không có phiên bản {version} của thủ tục '{code}'")

    def all_versions(self) -> Iterator[CompiledProcedure]:
        for code in self.codes():
            yield from self.procedures[code]


def _load_definitions(procedures_dir: Path) -> list[ProcedureDefinition]:
    definitions = []
    for path in sorted(procedures_dir.glob("*/*.yaml")):
        definition = load_model(path, ProcedureDefinition)
        if path.parent.name != definition.code or path.stem != definition.version:
            raise DefinitionError(
                f"{path}: tên thư mục/tệp phải là {definition.code}/{definition.version}.yaml", path=str(path)
            )
        definitions.append(definition)
    return definitions


def _by_code(definitions: list[ProcedureDefinition]) -> dict[str, list[ProcedureDefinition]]:
    grouped: dict[str, list[ProcedureDefinition]] = {}
    for definition in definitions:
        grouped.setdefault(definition.code, []).append(definition)
    return grouped


def load_rulebook(
    config_dir: Path,
    *,
    procedures_dir: Path | None = None,
    calendars_dir: Path | None = None,
    strict_chains: bool | None = None,
) -> Rulebook:
    """Every procedure version, validated and graph-checked, with the regimes, forms and calendar.

    The links between procedures (``check_chains``: follow-ups name a known procedure or an external one,
    inherited facts are recorded by a parent, windows count from an inherited fact) are refused like any other
    problem when ``strict_chains`` — by default when loading the procedures in force (``<config>/procedures``,
    as ``hoso procedures check``, ``hoso serve`` and the CLI do). Another directory may hold a partial set (a
    test fixture, a candidate version replayed in a scratch copy): its chain problems are kept on the rulebook
    (``chain_problems``) instead.
    """
    load_guard_modules()
    regimes = load_regime_table(config_dir)
    forms = load_forms(config_dir)
    calendar = load_calendar(calendars_dir or config_dir / "calendars")
    if (config_dir / REDACTION_FILE.name).exists():
        redaction_rules(config_dir / REDACTION_FILE.name).check(regimes, forms.forms)
    known_roles = set(regimes.roles) | {alias for role in regimes.roles.values() for alias in role.aliases}
    problems: list[str] = []
    grouped: dict[str, list[CompiledProcedure]] = {}
    in_force_dir = config_dir / "procedures"
    definitions = _load_definitions(procedures_dir or in_force_dir)
    for definition in definitions:
        found = check_graph(
            definition,
            known_roles=known_roles,
            known_guards=set(GUARDS),
            known_forms=set(forms.forms),
            known_regimes={regime.key for regime in regimes.regimes},
            known_unit_kinds=set(regimes.unit_kinds),
        )
        found += check_guard_calls(definition)
        problems += [f"{definition.code}/{definition.version}: {problem}" for problem in found]
        if not found:
            grouped.setdefault(definition.code, []).append(CompiledProcedure(definition))
    chain_problems = check_chains(definitions)
    if strict_chains is None:
        strict_chains = procedures_dir is None or procedures_dir.resolve() == in_force_dir.resolve()
    if strict_chains:
        problems += chain_problems
        if (config_dir / INDICATORS_DIR.name).is_dir():
            catalogue = load_indicators(config_dir / INDICATORS_DIR.name)
            known = {
                code: [(set(d.states), set(d.events)) for d in found_versions]
                for code, found_versions in _by_code(definitions).items()
            }
            problems += [f"{INDICATORS_DIR.name}: {problem}" for problem in catalogue.check(known)]
    if problems:
        raise DefinitionError("Định nghĩa thủ tục không hợp lệ:\n- " + "\n- ".join(problems), problems=problems)
    procedures = {
        code: tuple(sorted(versions, key=lambda v: v.definition.effective_from)) for code, versions in grouped.items()
    }
    return Rulebook(
        regimes=regimes,
        forms=forms,
        calendar=calendar,
        procedures=procedures,
        chain_problems=tuple(chain_problems),
        alerts=load_alert_policy(config_dir / "alerts.yaml"),
    )


def describe(rulebook: Rulebook) -> list[dict[str, Any]]:
    """One row per procedure version, for ``hoso procedures check``."""
    return [
        {
            "code": compiled.code,
            "version": compiled.version,
            "title_vi": compiled.definition.title_vi,
            "regimes": list(compiled.definition.regimes),
            "states": len(compiled.definition.states),
            "transitions": len(compiled.definition.transitions),
            "deadlines": len(compiled.definition.deadlines),
        }
        for compiled in rulebook.all_versions()
    ]
