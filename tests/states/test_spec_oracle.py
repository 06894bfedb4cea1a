"""The research file is the oracle: every state and transition of "## States and transitions" in
shared/procedures/0N-*.md is in the procedure's YAML, or the YAML records why not (``spec_departures``).

For each procedure code with a research file (tests/spec_lines.py, ``SPEC_FILES``) and each of its versions
loaded by the rulebook:

- every spec state is the ``spec_name`` of a state, or is named in a ``spec_departures`` entry;
- every spec transition (source, event, destination) has a YAML transition with the same event, a source
  state whose ``spec_name`` is the spec source (``any``: a ``*`` transition or one from every open state;
  a scoped ``any pre-decision state``: at least one source) and a destination whose ``spec_name`` is the
  spec destination (``same state``: ``=`` or the source itself; a state of another procedure: a final
  state or a state of that ``spec_name``) — or a ``spec_departures`` entry names its spec line: the
  backquoted chain text of the line, or the one backquoted chain it comes from, or a piece of the line as
  written that holds that chain (``any state --regime_change (system)--> same state``); backquotes dropped
  and whitespace normalised (``SpecLine.covered_by``);
- every ``spec_departures`` entry names a spec line that exists.

Roles and guard text are not compared. A code with a research file but no YAML yet is skipped, with the
reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from config import CONFIG_DIR
from states.definitions import ANY_OPEN_STATE, SAME_STATE, ProcedureDefinition, TransitionDefinition
from states.errors import DefinitionError
from states.procedures import load_rulebook
from states.yaml_loading import load_model
from tests.spec_lines import (
    SPEC_DIR,
    SPEC_FILES,
    SpecFile,
    SpecLine,
    SpecTransition,
    parse_file,
    parse_text,
    spec_path,
)


@dataclass(frozen=True)
class Case:
    code: str
    version: str | None
    definition: ProcedureDefinition | None
    skip_reason: str = ""
    error: str = ""

    @property
    def id(self) -> str:
        return f"{self.code}-{self.version or 'none'}"


def _cases() -> tuple[list[Case], str]:
    """The cases, and why the rulebook does not load (empty when it does).

    When the rulebook does not load (another procedure's file is broken), each procedure file is read on
    its own, so that the oracle still speaks about the others; ``test_rulebook_loads`` reports the error.
    """
    procedures_dir = CONFIG_DIR / "procedures"
    try:
        rulebook = load_rulebook(CONFIG_DIR)
    except DefinitionError as exc:
        loaded: dict[str, list[Case]] = {}
        for path in sorted(procedures_dir.glob("*/*.yaml")):
            try:
                definition = load_model(path, ProcedureDefinition)
            except DefinitionError as error:
                loaded.setdefault(path.parent.name, []).append(
                    Case(path.parent.name, path.stem, None, error=str(error))
                )
            else:
                loaded.setdefault(path.parent.name, []).append(Case(path.parent.name, path.stem, definition))
        broken = str(exc)
    else:
        loaded = {
            code: [Case(code, c.version, c.definition) for c in rulebook.versions(code)] for code in rulebook.codes()
        }
        broken = ""
    cases: list[Case] = []
    for code in SPEC_FILES:
        if spec_path(code) is None:
            reason = f"{code}: no research file {SPEC_FILES[code]}-*.md in {SPEC_DIR}"
            cases.append(Case(code, None, None, skip_reason=reason))
        elif code not in loaded:
            where = "no directory" if not (procedures_dir / code).is_dir() else "no YAML version"
            cases.append(Case(code, None, None, skip_reason=f"{code}: {where} under config/procedures/{code} yet"))
        else:
            cases += loaded[code]
    return cases, broken


CASES, RULEBOOK_ERROR = _cases()


def test_rulebook_loads() -> None:
    """The cases come from ``load_rulebook``; when it fails they come from each file read on its own."""
    assert not RULEBOOK_ERROR, f"the rulebook does not load: {RULEBOOK_ERROR}"


def _load(case: Case) -> tuple[ProcedureDefinition, SpecFile]:
    if case.error:
        pytest.fail(case.error)
    if case.definition is None:
        pytest.skip(case.skip_reason)
    path = spec_path(case.code)
    assert path is not None
    return case.definition, parse_file(path)


# --- matching ---


def _departed(line: SpecLine, transition: SpecTransition, definition: ProcedureDefinition) -> bool:
    return any(transition.segment in line.covered_by(d.spec) for d in definition.spec_departures)


def _named_in_departure(state: str, definition: ProcedureDefinition) -> bool:
    pattern = re.compile(rf"(?<![A-Z0-9_]){re.escape(state)}(?![A-Z0-9_])")
    return any(pattern.search(departure.spec) for departure in definition.spec_departures)


def _spec_name(definition: ProcedureDefinition, state: str) -> str | None:
    found = definition.states.get(state)
    return None if found is None else found.spec_name


def _dest_ok(definition: ProcedureDefinition, yaml: TransitionDefinition, source: str, spec: SpecTransition) -> bool:
    dest = source if yaml.dest == SAME_STATE else yaml.dest
    if spec.dest_kind == "unspecified":
        return True
    if spec.dest_kind == "same":
        return dest == source
    if spec.dest_kind == "external":
        return _spec_name(definition, dest) == spec.dest or dest in definition.final_states
    return _spec_name(definition, dest) == spec.dest


def _event_ok(yaml: TransitionDefinition, spec: SpecTransition) -> bool:
    return fnmatchcase(yaml.event, spec.event) if "*" in spec.event else yaml.event == spec.event


def _matched(definition: ProcedureDefinition, spec: SpecTransition) -> bool:
    candidates = [t for t in definition.transitions if _event_ok(t, spec)]
    if spec.source_kind == "any":
        if any(ANY_OPEN_STATE in t.source and _dest_ok(definition, t, ANY_OPEN_STATE, spec) for t in candidates):
            return True
        open_states = [name for name, state in definition.states.items() if not state.final]
        return all(
            any(s in definition.sources_of(t) and _dest_ok(definition, t, s, spec) for t in candidates)
            for s in open_states
        )
    return any(
        _dest_ok(definition, t, source, spec)
        for t in candidates
        for source in definition.sources_of(t)
        if spec.source_kind == "some" or _spec_name(definition, source) == spec.source
    )


def _why(definition: ProcedureDefinition, spec: SpecTransition) -> str:
    if not any(_event_ok(t, spec) for t in definition.transitions):
        return f"no transition with event {spec.event!r}"
    names = {s.spec_name for s in definition.states.values()}
    if spec.source_kind == "state" and spec.source not in names:
        return f"no state has spec_name {spec.source}"
    if spec.dest_kind == "state" and spec.dest not in names:
        return f"no state has spec_name {spec.dest}"
    if spec.source_kind == "any":
        return f"event {spec.event!r} is neither a '*' transition nor possible from every open state"
    return f"event {spec.event!r} exists, but not from {spec.source} to {spec.dest}"


def unmatched_states(definition: ProcedureDefinition, spec: SpecFile) -> list[str]:
    names = {state.spec_name for state in definition.states.values()}
    return sorted(s for s in spec.states if s not in names and not _named_in_departure(s, definition))


def unmatched_transitions(definition: ProcedureDefinition, spec: SpecFile) -> list[str]:
    problems: dict[int, list[str]] = {}
    lines = {line.number: line for line in spec.lines}
    for line, transition in spec.transitions:
        if _departed(line, transition, definition) or _matched(definition, transition):
            continue
        problems.setdefault(line.number, []).append(f"{transition}: {_why(definition, transition)}")
    return [
        f"line {number}: `{lines[number].text}`\n" + "\n".join(f"      - {item}" for item in items)
        for number, items in problems.items()
    ]


# --- tests ---


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_spec_state_exists(case: Case) -> None:
    definition, spec = _load(case)
    missing = unmatched_states(definition, spec)
    assert not missing, (
        f"{case.code}/{case.version}: {len(missing)} state(s) of {spec.path.name} are the spec_name of no state "
        f"and are named in no spec_departures entry: {', '.join(missing)}"
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_spec_transition_exists(case: Case) -> None:
    definition, spec = _load(case)
    missing = unmatched_transitions(definition, spec)
    assert not missing, (
        f"{case.code}/{case.version}: {len(missing)} line(s) of {spec.path.name} have a transition with no "
        "matching YAML transition. Fix the YAML, or add a spec_departures entry "
        "({spec: <the backquoted chain text of the line>, reason_vi, basis}):\n  " + "\n  ".join(missing)
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_departure_names_a_spec_line(case: Case) -> None:
    definition, spec = _load(case)
    stale = [departure.spec for departure in definition.spec_departures if not spec.lines_named_by(departure.spec)]
    assert not stale, (
        f"{case.code}/{case.version}: spec_departures entries that name no line of {spec.path.name} "
        "(copy the backquoted chain text of the line): " + "; ".join(stale)
    )


# --- the parser itself ---

SAMPLE = """\
## States and transitions

Path R:
- `A --go [guard] (role|other)--> B` (commentary) `--next (role)--> C`
- `A|B --stop ∨ halt (role)--> D|E`
- `B --found ∧ complies (role)--> A --checked--> X_DONE --addicted--> Y --not_addicted--> Z`
- `any --died (any)--> DEAD`
- any state `--noted (role)--> same state`
- any pre-decision state `--expired (system)--> DEAD`
- `P_*_Q --lapse (system)--> R_* --handover (court)--> [file 07] OTHER`
- `A|...|C --fled (role)--> (sub-flag fled)`
- `C --review (court)--> (state implied by the decision)`
- `C [M] --moved (role)--> C@new_commune`
- `P_ONE_Q --x (r)--> R_ONE` `P_TWO_Q --x (r)--> R_TWO`
- a line without a chain, `B` in backquotes
Regime: any state `--regime_change (system)--> same state`

## Doubts
- `A --ignored (role)--> B`
"""


def test_the_parser_reads_every_form() -> None:
    spec = parse_text(SAMPLE, Path("sample.md"))
    found = {str(t) for _, t in spec.transitions}
    assert found == {
        "A --go--> B",
        "B --next--> C",
        "A --stop--> D",
        "A --stop--> E",
        "B --stop--> D",
        "B --stop--> E",
        "A --halt--> D",
        "A --halt--> E",
        "B --halt--> D",
        "B --halt--> E",
        "B --found--> A",
        "A --checked--> X_DONE",
        "X_DONE --addicted--> Y",
        "X_DONE --not_addicted--> Z",
        "any --died--> DEAD",
        "any --noted--> same state",
        "some (any pre-decision state) --expired--> DEAD",
        "P_ONE_Q --lapse--> R_ONE",
        "P_TWO_Q --lapse--> R_TWO",
        "R_ONE --handover--> [other procedure] OTHER",
        "R_TWO --handover--> [other procedure] OTHER",
        "A --fled--> same state",
        "C --fled--> same state",
        "C --review--> unspecified",
        "C --moved--> C",
        "P_ONE_Q --x--> R_ONE",
        "P_TWO_Q --x--> R_TWO",
        "any --regime_change--> same state",
    }
    assert "OTHER" not in spec.states and "ignored" not in {t.event for _, t in spec.transitions}
    line = spec.lines[0]
    assert line.text == "A --go [guard] (role|other)--> B --next (role)--> C"
    assert line.covered_by("A --go [guard] (role|other)--> B") == {"A --go [guard] (role|other)--> B"}
    assert line.covered_by(" A --go [guard]  (role|other)--> B --next (role)--> C ") == set(line.chains)
    assert not line.covered_by("A --go (role)--> B")
    regime = spec.lines[-1]
    assert regime.covered_by("any state --regime_change (system)--> same state")


@pytest.mark.parametrize("code", sorted(SPEC_FILES))
def test_every_chain_of_the_research_file_parses(code: str) -> None:
    path = spec_path(code)
    if path is None:
        pytest.skip(f"{code}: no research file in {SPEC_DIR}")
    spec = parse_file(path)
    unread = [f"line {line.number}: {line.text} ({'; '.join(line.notes)})" for line in spec.lines if line.notes]
    empty = [f"line {line.number}: {line.text}" for line in spec.lines if not line.transitions]
    assert spec.lines and not unread and not empty, f"{path.name}: unread {unread}, without transitions {empty}"
