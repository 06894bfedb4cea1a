"""Every transition of both versions of the management of illegal drug users, fired from the database.

A table of paths reaches each open state; scenarios then fire every remaining transition from there, on
both versions (2022-01-01, opened in March 2026 under VN2025B, and 2026-07-01, opened in August 2026 under
Luật 120/2025). Each step goes through ``Dossier.fire`` (or the sweep), which reloads the dossier and
records the transition for the session's coverage check (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import OTHER_COMMITTEE, World, add_officers
from tests.states.scenarios import Maker, Run, Step, at_field, const, day_field, step

PROCEDURE = "drug_user_management"

VERSIONS = {
    "2022-01-01": datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),  # Monday, under VN2025B
    "2026-07-01": datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),  # Monday, under Luật 120/2025 (VN2026)
}


def lab(positive: bool, *, ground: str = "caught_using") -> Maker:
    def make(at: datetime) -> dict[str, Any]:
        payload: dict[str, Any] = {"tested_at": at.isoformat(), "test_ground": ground, "sample_type": "urine"}
        return {**payload, "substances": "Methamphetamine"} if positive else payload

    return make


def positive_received(at: datetime) -> dict[str, Any]:
    return {**lab(True)(at), "result_received_at": at.isoformat()}


POSITIVE = step("police", "test_positive", positive_received)
PROPOSED = step("police", "proposal_sent", const({"proposal_number": "05/ĐN-CAP", "penal_256a_window": "none"}))
DECIDED = step("chair", "decision_issued", day_field("decided_on", decision_number="12/QĐ-UBND", helper="Chi hội CCB"))
USE = step("police", "use_detected", lab(True, ground="under_management"))
MOVED = step("police", "moved_out", at_field("moved_at", new_commune_code="00004"))
SANCTION = day_field("sanctioned_on", sanction_number="01/QĐ-XPHC", sanction_type="fine", fine_amount=1500000)
COMPLAINT = const({"complainant": "family", "complaint_against": "management_decision", "summary": "Khiếu nại"})

PATHS: dict[str, tuple[str, list[Step]]] = {}


def path(state: str, steps: list[Step]) -> list[Step]:
    PATHS[state] = (state, steps)
    return steps


path("detected", [])
_confirmed = path("user_confirmed", [POSITIVE])
_awaiting = path("awaiting_decision", [*_confirmed, PROPOSED])
_managed = path("under_management", [*_awaiting, DECIDED])
path("determination_pending", [*_managed, USE])
path("transfer_pending", [*_managed, MOVED])

MOVED_AWAY = {"transfer_pending"}
"""States in which the dossier belongs to the new commune (00004)."""


@pytest.fixture
def mworld(sqlite_world: World) -> Iterator[World]:
    """The world plus the People's Committee and chairman of the commune the person moves to."""
    world = sqlite_world
    yield add_officers(world, {"other_chair": ("commune_chair", "UBX-00004")}, units=[OTHER_COMMITTEE])


def start(world: World, version: str, state: str) -> Run:
    _, steps = PATHS[state]
    world.at(VERSIONS[version].isoformat())
    run = Run(world, world.open("police", procedure=PROCEDURE), VERSIONS[version])
    assert run.dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == state
    return run


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    for compiled in rulebook.versions(PROCEDURE):
        definition = compiled.definition
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        assert set(PATHS) == open_states


STAR_CASES = [(version, state) for version in VERSIONS for state in PATHS]


@pytest.mark.parametrize(("version", "state"), STAR_CASES, ids=[f"{v}-{s}" for v, s in STAR_CASES])
def test_any_open_state_takes_complaints_and_ends_on_death(mworld: World, version: str, state: str) -> None:
    run = start(mworld, version, state)
    police, chair = ("other_police", "other_chair") if state in MOVED_AWAY else ("police", "chair")
    run.fire(police, "complaint_filed", COMPLAINT)
    run.fire(chair, "complaint_filed", COMPLAINT)
    assert run.dossier.state == state
    assert run.dossier.saved()["facts"]["complaint_against"] == "management_decision"
    run.fire(police, "died", day_field("died_on", evidence="Trích lục khai tử"))
    assert run.dossier.state == "terminated_death_or_missing"
    assert run.dossier.open_tasks() == []
    assert run.dossier.deadlines("open") == {}


@pytest.mark.parametrize(("version", "state"), STAR_CASES, ids=[f"{v}-{s}" for v, s in STAR_CASES])
def test_any_open_state_ends_when_declared_missing(mworld: World, version: str, state: str) -> None:
    run = start(mworld, version, state)
    chair = "other_chair" if state in MOVED_AWAY else "chair"
    run.fire(chair, "declared_missing", day_field("declared_on", court_decision="03/2026/QĐST-DS"))
    assert run.dossier.state == "terminated_death_or_missing"


SANCTION_STATES = ["user_confirmed", "awaiting_decision", "under_management", "determination_pending"]
SANCTION_CASES = [(version, state) for version in VERSIONS for state in SANCTION_STATES]


@pytest.mark.parametrize(("version", "state"), SANCTION_CASES, ids=[f"{v}-{s}" for v, s in SANCTION_CASES])
def test_the_sanction_is_recorded_without_changing_the_state(mworld: World, version: str, state: str) -> None:
    run = start(mworld, version, state)
    run.fire("police", "sanction_decided", SANCTION)
    assert run.dossier.state == state
    assert run.dossier.saved()["facts"]["sanction_type"] == "fine"
    assert [row["name"] for row in run.dossier.outbox() if row["kind"] == "document"][-1] == "hoso.qlsd_xu_phat"


# (start state, steps, expected state)
SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "negative": ("detected", [step("police", "test_negative", lab(False))], "closed_negative"),
    "positive_by_provincial_unit": (
        "detected",
        [step("pc04", "test_positive", positive_received)],
        "user_confirmed",
    ),
    "handed_over": (
        "detected",
        [
            step(
                "police",
                "handed_over",
                lambda at: {
                    "source_dossier": "XD-0001",
                    "handover_ground": "not_in_art27",
                    "tested_at": (at - timedelta(hours=2)).isoformat(),
                    "test_ground": "tip_off",
                    "substances": "Ketamine",
                    "result_received_at": at.isoformat(),
                },
            )
        ],
        "user_confirmed",
    ),
    "no_stable_residence": (
        "user_confirmed",
        [step("police", "routed", const({"route": "no_stable_residence"}))],
        "handed_to_determination",
    ),
    "commune_education": (
        "user_confirmed",
        [step("police", "routed", const({"route": "commune_education_ground", "prior_drug_sanctions": 2}))],
        "handed_to_commune_education",
    ),
    "excluded": (
        "user_confirmed",
        [step("police", "routed", const({"route": "excluded", "exclusion_ground": "prison"}))],
        "closed_excluded",
    ),
    "criminal_before_proposal": (
        "user_confirmed",
        [
            step(
                "police",
                "criminal_route",
                const({"penal_256a_window": "within_2y_after_post_rehab", "investigation_body": "CQĐT Công an TP"}),
            )
        ],
        "criminal_referral",
    ),
    "criminal_during_term": (
        "under_management",
        [
            step(
                "police",
                "criminal_route",
                lambda at: {
                    "penal_256a_window": "user_management",
                    "tested_at": at.isoformat(),
                    "investigation_body": "CQĐT Công an TP",
                },
            )
        ],
        "criminal_referral",
    ),
    "returned_and_resent": (
        "awaiting_decision",
        [step("chair", "proposal_returned", const({"reason": "Thiếu bản tự khai"})), PROPOSED],
        "awaiting_decision",
    ),
    "not_decided": (
        "awaiting_decision",
        [step("chair", "not_decided", const({"reason": "not_resident"}))],
        "closed_not_decided",
    ),
    "delivered_tested_unknown": (
        "under_management",
        [
            step("chair", "decision_delivered", day_field("delivered_on", recipients="Người bị quản lý; gia đình")),
            step("police", "test_negative", lab(False, ground="under_management")),
            step("police", "whereabouts_unknown", day_field("unknown_since")),
        ],
        "under_management",
    ),
    "addicted": (
        "determination_pending",
        [step("police", "result_addicted", at_field("served_at", determination_dossier="XD-0002"))],
        "terminated_addicted",
    ),
    "not_addicted": (
        "determination_pending",
        [step("police", "result_not_addicted", at_field("served_at", determination_dossier="XD-0002"))],
        "under_management",
    ),
    "commune_education_during_term": (
        "under_management",
        [
            step(
                "police",
                "commune_education_ground_met",
                day_field("recorded_on", prior_drug_sanctions=2, record_number="07/BB-VPHC"),
            ),
            step(
                "chair",
                "commune_education_decided",
                day_field("education_decided_on", education_decision_number="20/QĐ-UBND"),
            ),
        ],
        "terminated_commune_education",
    ),
    "reform_school": (
        "under_management",
        [
            step(
                "chair",
                "sent_to_reform_school_or_compulsory_education",
                day_field("measure_decided_on", measure="compulsory_education", court_decision="15/QĐ-TA"),
            )
        ],
        "terminated_other_measure",
    ),
    "prison": (
        "under_management",
        [step("chair", "prison_sentence_started", day_field("imprisoned_on", judgment="101/2026/HS-ST"))],
        "terminated_prison",
    ),
    "accepted_by_police": (
        "transfer_pending",
        [step("other_police", "accepted", at_field("presented_at"))],
        "under_management",
    ),
    "accepted_by_chair": (
        "transfer_pending",
        [step("other_chair", "accepted", at_field("presented_at"))],
        "under_management",
    ),
}
SCENARIO_CASES = [(version, name) for version in VERSIONS for name in SCENARIOS]


@pytest.mark.parametrize(("version", "name"), SCENARIO_CASES, ids=[f"{v}-{n}" for v, n in SCENARIO_CASES])
def test_each_branch(mworld: World, version: str, name: str) -> None:
    state, steps, expected = SCENARIOS[name]
    run = start(mworld, version, state)
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == expected


LIMIT_CASES = [(version, state) for version in VERSIONS for state in ("user_confirmed", "awaiting_decision")]


@pytest.mark.parametrize(("version", "state"), LIMIT_CASES, ids=[f"{v}-{s}" for v, s in LIMIT_CASES])
def test_the_decision_limit_passes_and_is_reported(mworld: World, version: str, state: str) -> None:
    run = start(mworld, version, state)
    due = datetime.fromisoformat(run.dossier.deadlines("open")["decision_limit"]["due_at"])
    run.wait_until(due + timedelta(minutes=1))
    run.fire("system", "decision_limit_passed", wait=0)
    assert run.dossier.state == state
    assert run.dossier.deadlines()["decision_limit"]["status"] == "expired"
    notices = [row for row in run.dossier.outbox() if row["kind"] == "notice"]
    assert {row["name"] for row in notices[-2:]} == {"commune_chair", "commune_police"}


TERM_CASES = [(version, state) for version in VERSIONS for state in ("under_management", "determination_pending")]


@pytest.mark.parametrize(("version", "state"), TERM_CASES, ids=[f"{v}-{s}" for v, s in TERM_CASES])
def test_the_term_expires_by_the_sweep(mworld: World, version: str, state: str) -> None:
    run = start(mworld, version, state)
    due = datetime.fromisoformat(run.dossier.deadlines("open")["management_term"]["due_at"])
    run.wait_until(due + timedelta(minutes=1))
    outcomes = mworld.sweep()
    assert any(outcome.fired for outcome in outcomes)
    assert run.dossier.state == "completed"
    assert run.dossier.deadlines()["management_term"]["status"] == "expired"


@pytest.mark.parametrize("version", list(VERSIONS))
def test_the_term_runs_on_while_the_file_is_transferred(mworld: World, version: str) -> None:
    run = start(mworld, version, "transfer_pending")
    term = run.dossier.deadlines("open")["management_term"]
    due = datetime.fromisoformat(term["due_at"])
    run.wait_until(due + timedelta(minutes=1))
    if version == "2026-07-01":
        # The 24-hour presentation limit passed long ago: the system records it first.
        run.fire("system", "arrival_report_missed", wait=0)
        assert run.dossier.state == "transfer_pending"
    run.fire("system", "term_expired", wait=0)
    assert run.dossier.state == "completed"
