"""Every transition of every version of addiction determination, fired step by step from the database.

A table of paths reaches each state; scenarios then fire every remaining transition from there, on both
versions (2022-01-01, opened in March 2026, and 2026-07-01, opened in August 2026). Each step goes through
``Dossier.fire``, which reloads the dossier before and after and records the transition; the session fails
(tests/conftest.py) when a transition of a loaded version was never fired.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.errors import NotFoundError
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import World
from tests.states.scenarios import TICK, Maker, Run, Step, at_field, const, day_field, step

VERSIONS = {
    "2022-01-01": datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),  # Monday, under VN2025B
    "2026-07-01": datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),  # Monday, under Luật 120/2025 (VN2026)
}
HOUR = 60


def lab_result(positive: bool) -> Maker:
    def make(at: datetime) -> dict[str, Any]:
        payload = {"tested_at": at.isoformat(), "test_ground": "caught_using", "sample_type": "urine"}
        return {**payload, "substances": "Heroin"} if positive else payload

    return make


def custody(at: datetime) -> dict[str, Any]:
    start = (at - timedelta(minutes=5)).isoformat()
    return {"decision_number": "01/QĐ", "ordered_at": at.isoformat(), "custody_started_at": start, "custody_place": "T"}


def conclusion(criteria: int, sixth: bool = False) -> Maker:
    return lambda at: {
        "concluded_on": at.date().isoformat(),
        "criteria_met": criteria,
        "criterion_6_met": sixth,
        "physician_name": "BS An",
    }


POSITIVE = step("police", "test_positive", lab_result(True))
CHECKED = step("police", "status_checked", const({"art27_case": "b", "penal_256a_window": "none"}))
HELD = step("chief", "custody_ordered", custody)
REQUESTED = step("police", "request_sent", const({"facility_unit": "YT-01-01", "request_number": "12/GĐN"}))
RECEIVED = step("clerk", "received", at_field("received_at", assessment_place="facility", substance_class="opioid"))
ADDICTED = step("head", "concluded_addicted", conclusion(3))
NOT_ADDICTED = step("head", "concluded_not_addicted", conclusion(2, sixth=True))
CONTINUED = step("doctor", "observation_continued", const({"criteria_met": 2, "criterion_6_met": False}))
OBSTRUCTED = step("doctor", "refused_or_obstructed", const({"description": "Không hợp tác"}))
RELEASED = step("chief", "custody_ended", at_field("released_at", reason="Không còn cần thiết"))
EXTENDED = step("chief", "custody_extended", at_field("extended_at", decision_number="02/QĐ"))
ESCAPED = step("police", "escaped", at_field("escaped_at"))
SERVED = step("police", "result_served", at_field("served_at"))
RESENT = step("police", "request_resent", const({"request_number": "13/GĐN"}))
APPLIED = step("clerk", "application_filed", day_field("applied_on", filed_by="subject"))


def limit_reached(hours: int) -> Step:
    """The custody limit fired by the system once it has passed."""
    return step("system", "custody_limit_reached", wait=hours * HOUR)


TARGET_MISSED = step("system", "service_target_missed", wait=72 * HOUR)

# How to reach each open state (a name ending in _held: the person is in administrative custody).
PATHS: dict[str, tuple[str, str, list[Step]]] = {}


def path(name: str, state: str, opener: str, steps: list[Step]) -> list[Step]:
    PATHS[name] = (state, opener, steps)
    return steps


_confirmed = path("user_confirmed", "user_confirmed", "police", [POSITIVE])
_required = path("determination_required", "determination_required", "police", [*_confirmed, CHECKED])
_custody = path("in_custody", "in_custody", "police", [*_required, HELD])
_requested = path("requested", "requested", "police", [*_required, REQUESTED])
_requested_held = path("requested_in_custody", "requested_in_custody", "police", [*_custody, REQUESTED])
_observed = path("under_observation", "under_observation", "police", [*_requested, RECEIVED])
_observed_held = path("under_observation_held", "under_observation", "police", [*_requested_held, RECEIVED])
path("observation_at_liberty", "observation_at_liberty", "police", [*_observed_held, RELEASED])
path("obstructed", "obstructed", "police", [*_observed, OBSTRUCTED])
path("obstructed_held", "obstructed", "police", [*_observed_held, OBSTRUCTED])
path("absconded", "absconded", "police", [*_custody, ESCAPED])
path("addicted", "addicted", "police", [*_observed, ADDICTED])
path("addicted_held", "addicted", "police", [*_observed_held, ADDICTED])
path("not_addicted", "not_addicted", "police", [*_observed, NOT_ADDICTED])
path("not_addicted_held", "not_addicted", "police", [*_observed_held, NOT_ADDICTED])
path("opened", "opened", "police", [])
_applied = path("voluntary_applied", "voluntary_applied", "clerk", [APPLIED])
path("under_observation_v", "under_observation_v", "clerk", [*_applied, RECEIVED])

CONFIDENTIAL_STATES = {"voluntary_applied", "under_observation_v"}
"""States only reached by a voluntary application, seen by the receiving facility alone."""


def start(world: World, version: str, name: str) -> Run:
    state, opener, steps = PATHS[name]
    world.at(VERSIONS[version].isoformat())
    run = Run(world, world.open(opener), VERSIONS[version])
    assert run.dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == state
    return run


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    for compiled in rulebook.versions("addiction_determination"):
        definition = compiled.definition
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        assert {state for state, _, _ in PATHS.values()} == open_states


STAR_CASES = [(version, name) for version in VERSIONS for name, (state, _, _) in PATHS.items() if name == state]


@pytest.mark.parametrize(("version", "name"), STAR_CASES, ids=[f"{v}-{n}" for v, n in STAR_CASES])
def test_any_open_state_takes_complaints_moves_and_closes_on_death(
    sqlite_world: World, version: str, name: str
) -> None:
    run = start(sqlite_world, version, name)
    state = run.dossier.state
    confidential = state in CONFIDENTIAL_STATES
    police = "clerk" if confidential else "police"
    complaint = {"complainant": "guardian", "complaint_against": "result", "summary": "Khiếu nại"}
    run.fire(police, "complaint_filed", const(complaint), TICK)
    assert (run.dossier.state, run.dossier.saved()["facts"]["complaint_against"]) == (state, "result")
    who_closes = police
    if not confidential:
        run.fire("police", "residence_changed", const({"new_commune_code": "00004"}), TICK)
        saved = run.dossier.view("other_police")
        assert (saved["state"], saved["commune_code"]) == (state, "00004")
        who_closes = "other_police"
    run.fire(who_closes, "died", day_field("died_on", evidence="Giấy báo tử"), TICK)
    assert run.dossier.state == "closed_deceased"
    assert run.dossier.open_tasks() == []


VOLUNTARY_CASES = [(version, name) for version in VERSIONS for name in sorted(CONFIDENTIAL_STATES)]


@pytest.mark.parametrize(("version", "name"), VOLUNTARY_CASES, ids=[f"{v}-{n}" for v, n in VOLUNTARY_CASES])
def test_residence_change_of_a_voluntary_applicant(sqlite_world: World, version: str, name: str) -> None:
    """The facility that holds the confidential application records the move; the police cannot see it."""
    run = start(sqlite_world, version, name)
    with pytest.raises(NotFoundError):
        run.fire("police", "residence_changed", const({"new_commune_code": "00004"}), TICK)
    run.fire("clerk", "residence_changed", const({"new_commune_code": "00004"}), TICK)
    saved = run.dossier.view("clerk")
    assert (saved["state"], saved["commune_code"]) == (name, "00004")


RETURNED = step("clerk", "request_returned", const({"reason": "papers_incomplete"}))
FOUND = step("police", "found", at_field("found_at"))
WITHDRAWN = step("clerk", "withdrawn", const({"reason": "Rút đơn"}))
V_CONTINUED = step("doctor", "observation_continued", const({"criteria_met": 2, "criterion_6_met": False}))

# Every transition not taken by a path above: (path to start from, steps, state expected at the end).
SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "negative_test": ("opened", [step("police", "test_negative", lab_result(False))], "closed_negative"),
    "criminal_referral": (
        "user_confirmed",
        [
            step(
                "police",
                "criminal_route",
                const({"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"}),
            )
        ],
        "criminal_referral",
    ),
    "user_management": (
        "user_confirmed",
        [step("police", "status_checked", const({"art27_case": "none", "penal_256a_window": "none"}))],
        "handed_to_management",
    ),
    "status_check_target_missed": ("user_confirmed", [TARGET_MISSED], "user_confirmed"),
    "extended_then_limit_in_custody": ("in_custody", [EXTENDED, limit_reached(121)], "determination_required"),
    "limit_in_custody": ("in_custody", [limit_reached(13)], "determination_required"),
    "released_in_custody": ("in_custody", [RELEASED], "determination_required"),
    "returned_in_custody": ("requested_in_custody", [RETURNED], "in_custody"),
    "extended_while_requested": ("requested_in_custody", [EXTENDED, limit_reached(121)], "requested"),
    "released_while_requested": ("requested_in_custody", [RELEASED], "requested"),
    "escaped_while_requested": ("requested_in_custody", [ESCAPED, FOUND], "determination_required"),
    "returned": ("requested", [RETURNED], "determination_required"),
    "extended_under_observation": ("under_observation_held", [EXTENDED, CONTINUED], "under_observation"),
    "limit_under_observation": ("under_observation_held", [limit_reached(13), CONTINUED], "observation_at_liberty"),
    "escaped_under_observation": ("under_observation_held", [ESCAPED], "absconded"),
    "addicted_at_liberty": ("observation_at_liberty", [ADDICTED, SERVED], "closed_addicted"),
    "not_addicted_at_liberty": ("observation_at_liberty", [NOT_ADDICTED, SERVED], "closed_not_addicted"),
    "limit_after_conclusion": ("addicted_held", [limit_reached(13)], "addicted"),
    "released_after_conclusion": ("addicted_held", [RELEASED, SERVED], "closed_addicted"),
    "limit_after_negative_conclusion": ("not_addicted_held", [limit_reached(13)], "not_addicted"),
    "released_after_negative_conclusion": ("not_addicted_held", [RELEASED], "not_addicted"),
    "result_target_missed": ("addicted", [TARGET_MISSED], "addicted"),
    "negative_result_target_missed": ("not_addicted", [TARGET_MISSED, SERVED], "closed_not_addicted"),
    "resent": ("obstructed", [RESENT], "requested"),
    "resent_held": ("obstructed_held", [RESENT], "requested_in_custody"),
    "limit_while_obstructed": ("obstructed_held", [limit_reached(13), RESENT], "requested"),
    "released_while_obstructed": ("obstructed_held", [RELEASED], "obstructed"),
    "voluntary_addicted": ("under_observation_v", [V_CONTINUED, ADDICTED], "addicted_v"),
    "voluntary_not_addicted": ("under_observation_v", [NOT_ADDICTED], "not_addicted_v"),
    "withdrawn_before_reception": ("voluntary_applied", [WITHDRAWN], "withdrawn_v"),
    "withdrawn_under_observation": ("under_observation_v", [WITHDRAWN], "withdrawn_v"),
}
SCENARIO_CASES = [(version, name) for version in VERSIONS for name in SCENARIOS]


@pytest.mark.parametrize(("version", "name"), SCENARIO_CASES, ids=[f"{v}-{n}" for v, n in SCENARIO_CASES])
def test_scenario(sqlite_world: World, version: str, name: str) -> None:
    begin, steps, expected = SCENARIOS[name]
    run = start(sqlite_world, version, begin)
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == expected


RELAPSE = {"closed_relapse": date(1990, 6, 15), "closed_relapse_minor": date(2011, 1, 1)}
RELAPSE_CASES = [(version, state) for version in VERSIONS for state in RELAPSE]


@pytest.mark.parametrize(("version", "expected"), RELAPSE_CASES, ids=[f"{v}-{s}" for v, s in RELAPSE_CASES])
def test_relapse_of_a_use_before_article_256a(sqlite_world: World, version: str, expected: str) -> None:
    """Case d (use during post-rehab management) reaches compulsory rehab only for a use before 01/07/2025:
    from then on the same use is the crime of art. 256a. A dossier of the 2026 version reaches these
    transitions only for such an earlier use (tested 20/06/2025, recorded in August 2026)."""
    world = sqlite_world
    world.at(VERSIONS[version].isoformat())
    dossier = world.open(date_of_birth=RELAPSE[expected])
    run = Run(world, dossier, VERSIONS[version])
    tested = {"tested_at": "2025-06-20T09:00:00+07:00", "test_ground": "self_declared", "sample_type": "urine"}
    run.fire("police", "test_positive", const({**tested, "substances": "Heroin"}), TICK)
    run.fire("police", "status_checked", const({"art27_case": "d"}), TICK)
    for who, event, make, wait in (REQUESTED, RECEIVED, ADDICTED, SERVED):
        run.fire(who, event, make, wait)
    saved = dossier.saved()
    assert (saved["state"], saved["procedure_version"]) == (expected, version)
    assert saved["history"][1]["regime"] == "VN2025A"
