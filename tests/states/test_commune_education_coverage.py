"""Every transition of every version of education at the commune, fired step by step from the database.

A table of paths reaches each open state; scenarios then fire every remaining transition from there, on both
versions (2022-01-01, opened in March 2026, and 2026-07-01, opened in August 2026). Each step goes through
``Dossier.fire``, which reloads the dossier before and after and records the transition for the session's
coverage check (tests/conftest.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import World
from tests.states.scenarios import TICK, Maker, Run, Step, none, step
from tests.states.test_commune_education import PROCEDURE, add_actors

VERSIONS = {
    "2022-01-01": datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),  # Monday, under VN2025B
    "2026-07-01": datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),  # Monday, under Luật 120/2025 (VN2026)
}
DAY = 24 * 60
MINOR_BIRTH = date(2010, 1, 1)


def on_day(name: str, **extra: Any) -> Maker:
    return lambda at: {name: at.date().isoformat(), **extra}


def at_time(name: str, **extra: Any) -> Maker:
    return lambda at: {name: at.isoformat(), **extra}


def ground(at: datetime) -> dict[str, Any]:
    return {
        "first_violation_on": (at - timedelta(days=60)).date().isoformat(),
        "first_sanction_on": (at - timedelta(days=55)).date().isoformat(),
        "second_sanction_on": (at - timedelta(days=20)).date().isoformat(),
        "third_violation_at": at.isoformat(),
        "violation_record_number": "03/BB-VPHC",
        "penal_256a_window": "none",
    }


def later(days: int, who: str, event: str, make: Maker = none) -> Step:
    return step(who, event, make, wait=days * DAY)


PREPARED = step("police", "preparation_started", ground)
DETERMINATION = step("police", "determination_needed", ground)


def transfer(at: datetime) -> dict[str, Any]:
    day = at.date().isoformat()
    return {"residence_commune_code": "00004", "residence_verified_on": day, "dossier_finished_on": day}


ELSEWHERE = step("police", "residence_elsewhere", transfer)
COMPLETED = step("police", "dossier_completed", at_time("notified_at", notified_person="subject", reading_place="CAX"))
COMPLETED_MINOR = step(
    "police", "dossier_completed", at_time("notified_at", notified_person="guardian", reading_place="CAX")
)
READ = step("police", "reading_done", on_day("read_on", notes="Đã đọc"))
SENT = step("police", "dossier_sent", on_day("sent_on"))
CONVENED = step("chair", "meeting_convened", on_day("convened_on", meeting_place="UBND", members="Tổ dân phố"))
HELD = step("chair", "meeting_held", at_time("held_at", subject_present=True, majority_opinion="apply"))


def decision(months: int) -> Step:
    return step(
        "chair",
        f"decide_apply_{months}_months",
        on_day("decided_on", decision_number="01/QĐ-GDX", supervising_unit="TCGD-00070"),
    )


DELIVERED = step("chair", "decision_delivered", on_day("delivered_on", recipients="Người được giáo dục; gia đình"))
HELPER = step(
    "supervisor",
    "helper_assigned",
    on_day("assigned_on", helper_name="Trần Thị Giúp", helper_kind="community_member", persons_helped=2),
)
USE = step("police", "use_detected", at_time("tested_at", substances="Methamphetamine"))
TERM_EXPIRED = later(95, "system", "term_expired")


# How to reach each open state: (state, minor subject?, steps).
PATHS: dict[str, tuple[str, bool, list[Step]]] = {}


def path(name: str, state: str, steps: list[Step], minor: bool = False) -> list[Step]:
    PATHS[name] = (state, minor, steps)
    return steps


path("violation_recorded", "violation_recorded", [])
path("awaiting_determination", "awaiting_determination", [DETERMINATION])
_prepared = path("dossier_in_preparation", "dossier_in_preparation", [PREPARED])
path("transferred", "transferred", [*_prepared, ELSEWHERE])
_notified = path("notified", "notified", [*_prepared, COMPLETED])
_transmittal = path("awaiting_transmittal", "awaiting_transmittal", [*_notified, READ])
_at_chair = path("at_chair", "at_chair", [*_transmittal, SENT])
_scheduled = path("advisory_meeting_scheduled", "advisory_meeting_scheduled", [*_at_chair, CONVENED])
_deliberation = path("deliberation", "deliberation", [*_scheduled, HELD])
path(
    "deliberation_minor",
    "deliberation",
    [PREPARED, COMPLETED_MINOR, READ, SENT, CONVENED, HELD],
    minor=True,
)
_decided = path("decided", "decided", [*_deliberation, decision(3)])
_starting = path("execution_starting", "execution_starting", [*_decided, DELIVERED])
_educated = path("under_education", "under_education", [*_starting, HELPER])
path("determination_during_education", "determination_during_education", [*_educated, USE])
path("completed_pending_cert", "completed_pending_cert", [*_educated, TERM_EXPIRED])


def start(world: World, version: str, name: str) -> Run:
    state, minor, steps = PATHS[name]
    add_actors(world)
    world.at(VERSIONS[version].isoformat())
    subject: dict[str, Any] = {"date_of_birth": MINOR_BIRTH} if minor else {}
    run = Run(world, world.open("police", procedure=PROCEDURE, **subject), VERSIONS[version])
    assert run.dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == state
    return run


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    for version in VERSIONS:
        definition = rulebook.pinned(PROCEDURE, version).definition
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        assert {state for state, _, _ in PATHS.values()} == open_states


STATE_CASES = [(version, name) for version in VERSIONS for name, (state, _, _) in PATHS.items() if name == state]


@pytest.mark.parametrize(("version", "name"), STATE_CASES, ids=[f"{v}-{n}" for v, n in STATE_CASES])
def test_any_open_state_closes_on_death(sqlite_world: World, version: str, name: str) -> None:
    run = start(sqlite_world, version, name)
    run.fire("pc04", "died", on_day("died_on", evidence="Giấy báo tử"), TICK)
    assert run.dossier.state == "closed_deceased"
    assert run.dossier.open_tasks() == []


PRE_DECISION = [
    "awaiting_determination",
    "dossier_in_preparation",
    "transferred",
    "notified",
    "awaiting_transmittal",
    "at_chair",
    "advisory_meeting_scheduled",
    "deliberation",
]
PRE_CASES = [(version, name) for version in VERSIONS for name in PRE_DECISION]


@pytest.mark.parametrize(("version", "name"), PRE_CASES, ids=[f"{v}-{n}" for v, n in PRE_CASES])
def test_evasion_restarts_the_limitation_then_it_runs_out(sqlite_world: World, version: str, name: str) -> None:
    run = start(sqlite_world, version, name)
    first = run.dossier.deadlines("open")["limitation"]["due_at_local"]
    run.fire("pc04", "evasion_recorded", at_time("evasion_ended_at", description="Bỏ trốn khỏi nơi cư trú"), DAY)
    deadlines = run.dossier.deadlines()
    assert deadlines["limitation"]["status"] == "superseded"
    restarted = deadlines["limitation_restarted"]
    assert restarted["status"] == "open"
    assert restarted["due_at_local"] > first
    assert run.dossier.state == PATHS[name][0]
    run.fire("system", "limitation_expired", none, 95 * DAY)
    assert run.dossier.state == "closed_time_barred"
    assert run.dossier.open_tasks() == []


COMPLAINT_STATES = [
    "decided",
    "execution_starting",
    "under_education",
    "determination_during_education",
    "completed_pending_cert",
]
COMPLAINT_CASES = [(version, name) for version in VERSIONS for name in COMPLAINT_STATES]


@pytest.mark.parametrize(("version", "name"), COMPLAINT_CASES, ids=[f"{v}-{n}" for v, n in COMPLAINT_CASES])
def test_complaints_do_not_stop_execution(sqlite_world: World, version: str, name: str) -> None:
    run = start(sqlite_world, version, name)
    complaint = on_day("received_on", complainant="guardian", summary="Khiếu nại quyết định")
    run.fire("chair", "complaint_filed", complaint, TICK)
    saved = run.dossier.saved()
    assert (saved["state"], saved["facts"]["complainant"]) == (name, "guardian")


REPORT = on_day("report_on", summary="Tiến bộ")
ABSENCE = on_day("authorised_on", days=3, reason="Thăm người thân")
UNAUTHORISED = on_day("found_on", description="Vắng mặt 02 ngày")
REPLACED = on_day(
    "assigned_on", helper_name="Lê Văn Thay", helper_kind="educator", persons_helped=1, reason="Chuyển công tác"
)
PROSECUTED = on_day("decided_on", kind="prosecuted", authority="CQĐT Công an TP Hà Nội")
RESULT = on_day("result_on", result_number="04/PKQ")

# Every transition not taken by a path above: (path to start from, steps, state expected at the end).
SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "not_eligible": (
        "violation_recorded",
        [step("police", "ground_not_met", at_time("third_violation_at", reason="not_two_sanctions"))],
        "closed_not_eligible",
    ),
    "criminal_route": (
        "violation_recorded",
        [
            step(
                "police",
                "criminal_route",
                at_time("third_violation_at", penal_256a_window="post_rehab_management", investigation_body="CQĐT"),
            )
        ],
        "criminal_referral",
    ),
    "addicted_before_dossier": ("awaiting_determination", [step("police", "addicted", RESULT)], "closed_to_rehab"),
    "not_addicted_before_dossier": (
        "awaiting_determination",
        [step("police", "not_addicted", RESULT), COMPLETED],
        "notified",
    ),
    "transfer_received_late": (
        "transferred",
        [
            later(5, "system", "time_limit_passed"),
            step("other_chair", "received", on_day("received_on")),
            step(
                "other_police",
                "dossier_completed",
                at_time("notified_at", notified_person="subject", reading_place="X"),
            ),
        ],
        "notified",
    ),
    "no_stable_residence": (
        "dossier_in_preparation",
        [step("police", "no_stable_residence", on_day("verified_on", note="Không có nơi cư trú"))],
        "closed_no_residence",
    ),
    "reading_period_expired": ("notified", [later(9, "system", "reading_period_expired")], "awaiting_transmittal"),
    "sent_late": ("awaiting_transmittal", [later(4, "system", "time_limit_passed"), SENT], "at_chair"),
    "returned_for_supplement": (
        "at_chair",
        [step("chair", "returned_for_supplement", on_day("returned_on", reason="Thiếu bản tự kiểm điểm"))],
        "dossier_in_preparation",
    ),
    "meeting_target_missed_at_chair": ("at_chair", [later(16, "system", "service_target_missed")], "at_chair"),
    "meeting_postponed_and_target_missed": (
        "advisory_meeting_scheduled",
        [
            step("chair", "meeting_postponed", on_day("postponed_on", reason="absence_with_reason")),
            later(16, "system", "service_target_missed"),
            HELD,
        ],
        "deliberation",
    ),
    "four_months": ("deliberation", [decision(4)], "decided"),
    "five_months": ("deliberation", [decision(5)], "decided"),
    "six_months": ("deliberation", [decision(6)], "decided"),
    "not_applied": (
        "deliberation",
        [step("chair", "decide_not_apply", on_day("decided_on", reason="Đã tiến bộ"))],
        "closed_not_applied",
    ),
    "home_management": (
        "deliberation_minor",
        [
            step(
                "chair",
                "decide_home_management",
                on_day("decided_on", decision_number="02/QĐ", family_member="Nguyễn Văn Cha"),
            )
        ],
        "home_management",
    ),
    "term_runs_out_before_delivery": ("decided", [TERM_EXPIRED], "completed_pending_cert"),
    "helper_late_then_term": (
        "execution_starting",
        [later(8, "system", "time_limit_passed"), TERM_EXPIRED],
        "completed_pending_cert",
    ),
    "life_under_education": (
        "under_education",
        [
            step("supervisor", "helper_replaced", REPLACED),
            step("supervisor", "periodic_report", REPORT),
            step("chair", "absence_authorised", ABSENCE),
            step("police", "absence_unauthorised", UNAUTHORISED),
            USE,
            step("police", "not_addicted", RESULT),
            step("chair", "moved_residence", on_day("moved_on", new_commune_code="00004")),
            step("other_chair", "criminal_proceedings", PROSECUTED),
        ],
        "closed_criminal_proceedings",
    ),
    "addicted_during_education": (
        "determination_during_education",
        [step("police", "addicted", RESULT)],
        "terminated_to_rehab",
    ),
    "term_runs_out_during_determination": ("determination_during_education", [TERM_EXPIRED], "completed_pending_cert"),
    "certificate": (
        "completed_pending_cert",
        [step("chair", "certificate_issued", on_day("issued_on"))],
        "completed",
    ),
}
SCENARIO_CASES = [(version, name) for version in VERSIONS for name in SCENARIOS]


@pytest.mark.parametrize(("version", "name"), SCENARIO_CASES, ids=[f"{v}-{n}" for v, n in SCENARIO_CASES])
def test_scenario(sqlite_world: World, version: str, name: str) -> None:
    begin, steps, expected = SCENARIOS[name]
    run = start(sqlite_world, version, begin)
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == expected


def test_every_transition_has_a_scenario(rulebook: Rulebook) -> None:
    """The table above names every event of both versions (the session check names the missing edges)."""
    named = {event for _, steps, _ in SCENARIOS.values() for _, event, _, _ in steps}
    named |= {event for _, _, steps in PATHS.values() for _, event, _, _ in steps}
    named |= {"died", "evasion_recorded", "limitation_expired", "complaint_filed"}
    for version in VERSIONS:
        definition = rulebook.pinned(PROCEDURE, version).definition
        assert {t.event for t in definition.transitions} == named
