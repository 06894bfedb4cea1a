"""Every transition of both versions of the execution of the compulsory-rehab decision, fired step by step.

A table of paths reaches each open state; one case per remaining edge then fires it from there, on both
versions (2022-01-01 run in 2023–2024 under VN2021 with the district court and police; 2026-07-01 run from
August 2026 under Luật 120/2025 with the regional court and the provincial police). Each step goes through
``Dossier.fire`` (reload before and after, transition recorded for the session coverage check).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from states.procedures import Rulebook
from tests.conftest import World
from tests.states.test_compulsory_rehab_execution import (
    DAY,
    PATHS,
    PROFILES,
    Maker,
    absconded_at,
    court_decision,
    cre_sqlite_world,
    none,
    reduced_by,
    start,
)

__all__ = ["cre_sqlite_world"]

HOUR = timedelta(hours=1)
LATE = timedelta(days=400)
"""Past the 1-year execution limitation (counted from the decision's effect)."""
TERM_OVER = timedelta(days=1200)
"""Past the end of any term (36 months at most)."""


Case = tuple[str, str, str, Maker, timedelta, str]
"""(path name, officer key, event, payload maker, wait before the step, expected state after)."""

CHALLENGE: Maker = lambda run: {  # noqa: E731
    "filed_on": run.now.date().isoformat(),
    "filed_by": "procuracy",
    "decision_challenged": "Quyết định số 01/QĐ-TA",
}
REVIEW: Maker = lambda run: {**court_decision(run), "outcome": "upheld"}  # noqa: E731
DIED: Maker = lambda run: {"died_on": run.now.date().isoformat(), "circumstances": "Đột tử"}  # noqa: E731


def _remarks(states: list[str]) -> list[Case]:
    cases: list[Case] = []
    for state in states:
        cases.append((state, "procuracy", "challenge_filed", CHALLENGE, HOUR, state))
        cases.append((state, "pcourt", "review_decided", REVIEW, HOUR, state))
    return cases


def _deaths(states: list[str], who: str) -> list[Case]:
    return [(state, who, "died", DIED, HOUR, "closed_death") for state in states]


COMMON_CASES: list[Case] = [
    ("awaiting_transfer", "system", "execution_limitation_expired", none, LATE, "closed_lapsed"),
    (
        "postponement_under_consideration",
        "court",
        "request_accepted",
        lambda r: {"accepted_on": r.now.date().isoformat(), "judge_name": "TP Lan"},
        HOUR,
        "postponement_under_consideration",
    ),
    (
        "postponement_under_consideration",
        "system",
        "court_time_limit_missed",
        none,
        5 * DAY,
        "postponement_under_consideration",
    ),
    (
        "postponement_under_consideration",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        HOUR,
        "awaiting_transfer",
    ),
    ("postponement_under_consideration", "system", "execution_limitation_expired", none, LATE, "closed_lapsed"),
    (
        "postponed",
        "police",
        "ground_ended",
        lambda r: {"ended_on": r.now.date().isoformat(), "report": "Đã khỏi bệnh"},
        DAY,
        "awaiting_transfer",
    ),
    (
        "postponed",
        "court",
        "exemption_requested",
        lambda r: {
            "requested_on": r.now.date().isoformat(),
            "filed_by": "guardian",
            "requested_while": "postponed",
            "exemption_ground": "voluntary_rehab_confirmed",
            "certified_by": "Cơ sở cai nghiện tự nguyện A",
        },
        DAY,
        "exemption_under_consideration",
    ),
    ("postponed", "system", "execution_limitation_expired", none, LATE, "closed_lapsed"),
    (
        "exemption_under_consideration",
        "court",
        "request_accepted",
        lambda r: {"accepted_on": r.now.date().isoformat(), "judge_name": "TP Lan"},
        HOUR,
        "exemption_under_consideration",
    ),
    (
        "exemption_under_consideration",
        "system",
        "court_time_limit_missed",
        none,
        5 * DAY,
        "exemption_under_consideration",
    ),
    ("exemption_under_consideration", "court", "exempted", court_decision, DAY, "closed_exempted"),
    (
        "exemption_under_consideration",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "awaiting_transfer",
    ),
    (
        "exemption_under_consideration_postponed",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "postponed",
    ),
    ("exemption_under_consideration", "system", "execution_limitation_expired", none, LATE, "closed_lapsed"),
    (
        "at_large_pre_admission",
        "escort",
        "found",
        lambda r: {"found_at": r.now.isoformat(), "return_mode": "voluntary"},
        DAY,
        "awaiting_transfer",
    ),
    (
        "serving",
        "director",
        "rule_breach",
        lambda r: {"decided_on": r.now.date().isoformat(), "breach": "Đánh nhau", "sanction": "Cảnh cáo"},
        DAY,
        "serving",
    ),
    ("serving", "system", "end_date_reached", none, TERM_OVER, "completing"),
    (
        "at_large",
        "escort",
        "returned",
        lambda r: {"returned_at": r.now.isoformat(), "return_mode": "preventive_measure"},
        DAY,
        "serving",
    ),
    ("reduction_under_consideration", "court", "reduced", reduced_by(2), DAY, "serving"),
    (
        "reduction_under_consideration",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "serving",
    ),
    ("reduction_under_consideration", "system", "end_date_reached", none, TERM_OVER, "completing"),
    ("in_hospital", "director", "discharged", lambda r: {"discharged_at": r.now.isoformat()}, DAY, "serving"),
    ("in_hospital", "system", "end_date_reached", none, TERM_OVER, "completing"),
    (
        "suspension_under_consideration",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "in_hospital",
    ),
    ("suspension_under_consideration", "system", "end_date_reached", none, TERM_OVER, "completing"),
    ("suspended_medical", "director", "recovered", lambda r: {"returned_at": r.now.isoformat()}, 30 * DAY, "serving"),
    (
        "exemption_remainder_under_consideration",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "serving",
    ),
    ("exemption_remainder_under_consideration", "court", "exempted", court_decision, DAY, "completing"),
    ("exemption_remainder_under_consideration", "system", "end_date_reached", none, TERM_OVER, "completing"),
    (
        "exemption_remainder_under_consideration_suspended",
        "court",
        "refused",
        lambda r: {**court_decision(r), "reason": "Không đủ căn cứ"},
        DAY,
        "suspended_medical",
    ),
    ("exemption_remainder_under_consideration_suspended", "court", "exempted", court_decision, DAY, "completing"),
    ("completed", "chair", "handover", lambda r: {"received_on": r.now.date().isoformat()}, DAY, "post_rehab_pending"),
    (
        "serving",
        "escort",
        "criminal_prosecution",
        lambda r: {"prosecuted_on": r.now.date().isoformat(), "investigation_body": "CQĐT Công an TP"},
        DAY,
        "*criminal",
    ),
    ("serving", "director", "absconded", absconded_at, DAY, "at_large"),
    *_remarks(["awaiting_transfer", "postponed", "serving", "suspended_medical", "in_hospital"]),
    *_deaths(["awaiting_transfer", "postponed", "at_large_pre_admission"], "escort"),
    *_deaths(["serving", "in_hospital", "suspended_medical", "at_large"], "director"),
]
ONLY_2026: list[Case] = [
    (
        "serving_prison_term",
        "director",
        "released_from_prison",
        lambda r: {"returned_at": r.now.isoformat()},
        90 * DAY,
        "serving",
    ),
    ("serving_prison_term", "system", "end_date_reached", none, TERM_OVER, "completing"),
    *_deaths(["serving_prison_term"], "director"),
]

CASES = [(version, *case) for version in PROFILES for case in COMMON_CASES] + [
    ("2026-07-01", *case) for case in ONLY_2026
]


def _id(case: tuple[object, ...]) -> str:
    return f"{case[0]}-{case[1]}-{case[3]}-{case[6]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_every_remaining_transition(cre_sqlite_world: World, case: tuple[object, ...]) -> None:
    version, name, who, event, make, wait, expected = case
    run = start(cre_sqlite_world, str(version), str(name))
    assert isinstance(wait, timedelta)
    run.step(str(who), str(event), make, wait)  # type: ignore[arg-type]
    if expected == "*criminal":
        expected = "criminal_path" if version == "2022-01-01" else "serving_prison_term"
    assert run.dossier.state == expected


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    for compiled in rulebook.versions("compulsory_rehab_execution"):
        definition = compiled.definition
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        reached = {state for version, state, _ in PATHS.values() if version in (None, definition.version)}
        assert reached == open_states, definition.version
