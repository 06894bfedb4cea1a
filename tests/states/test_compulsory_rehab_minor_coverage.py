"""Every transition of both versions of compulsory rehab for persons aged 12 to under 18, fired step by step.

A table of paths reaches each open state; scenarios then fire every remaining transition from there, on
both versions (2022-01-01, opened in March 2026 under VN2025B — the district court's steps are done by the
regional court, the district labour office's by the commune police — and 2026-07-01, opened in August 2026
under Luật 120/2025). Each step goes through ``Dossier.fire``, which records it for the session's transition
coverage check (tests/conftest.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import World
from tests.states.scenarios import TICK, Run, Step, at_field, const, day_field, step
from tests.states.test_compulsory_rehab_minor import PROCEDURE, add_court_actors

OLD, NEW = "2022-01-01", "2026-07-01"
VERSIONS = {
    OLD: datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),  # Monday, VN2025B
    NEW: datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),  # Monday, VN2026
}
BORN = date(2010, 5, 10)
DAY = 24 * 60
COURT, PROPOSER, PROCURACY, REVIEW = "rjudge", "police", "rproc", "pcourt"


def breach(at: datetime) -> dict[str, Any]:
    return {
        "breached_at": at.isoformat(),
        "record_number": "05/BB",
        "art33_case": "a",
        "addiction_result_number": "17/PKQ",
        "addiction_concluded_on": at.date().isoformat(),
        "penal_256a_window": "none",
    }


BREACH = step("police", "breach_recorded", breach)
COMPLETED = step(
    "police",
    "dossier_completed",
    at_field("notified_at", guardian_name="Trần Thị Mẹ", guardian_opinion="Đồng ý", minor_statement="Bản tường trình"),
)
TO_LABOUR = step("police", "sent_to_labour_office", day_field("sent_on"))
PROPOSED = step(PROPOSER, "proposal_sent", day_field("sent_on", proposal_number="09/ĐN"))
ACCEPTED = step(COURT, "accepted", at_field("accepted_at", case_number="03/2026/TLCNBB"))
ASSIGNED = step(COURT, "judge_assigned", const({"judge_name": "Thẩm phán Lê Văn Xử"}))
SUPPLEMENT = step(COURT, "supplement_requested", at_field("requested_at", documents_requested="Học bạ"))
SUPPLIED = step(PROPOSER, "supplement_received", at_field("received_at"))
OPENED = step(COURT, "meeting_opened", day_field("ordered_on", meeting_form="online", meeting_time="8 giờ ngày mai"))
HELD = step(
    COURT,
    "meeting_held",
    at_field(
        "held_at", meeting_form="online", guardian_attendance="present", defender="legal_aid", procurator_present=True
    ),
)
SEND = {
    OLD: step(COURT, "decide_send", at_field("decided_at", decision_number="01/QĐ", term_months=9)),
    NEW: step(
        COURT,
        "decide_send",
        at_field("decided_at", decision_number="01/QĐ", term_months=9, facility_kind="reform_school"),
    ),
}
NOT_SEND = step(
    COURT, "decide_not_send", at_field("decided_at", decision_number="02/QĐ", reason="Có biện pháp phù hợp hơn")
)
SUSPEND = step(COURT, "suspend", day_field("decided_on", ground="serious_illness"))
RESUMED = step(COURT, "ground_ended", day_field("resumed_on"))
COMPLAINT = step(COURT, "complaint_filed", at_field("filed_at", complainant="guardian", summary="Khiếu nại"))
RECOMMENDATION = step(PROPOSER, "recommendation_filed", day_field("filed_on", summary="Kiến nghị"))
PROTEST = step(PROCURACY, "protest_filed", day_field("filed_on", protest_number="01/QĐKN"))
UPHELD = step(REVIEW, "upheld", day_field("reviewed_on"))
AMENDED_SEND = step(REVIEW, "amended", day_field("reviewed_on", amended_measure="send", term_months=6))
AMENDED_NOT = step(REVIEW, "amended", day_field("reviewed_on", amended_measure="not_send", term_months=0))
REMITTED = step(REVIEW, "annulled_remitted", day_field("reviewed_on"))
ANNULLED = step(REVIEW, "annulled_terminated", day_field("reviewed_on"))
TERMINATE = step(COURT, "terminate", day_field("decided_on", ground="proposal_withdrawn"))
LIMIT_PASSED = step("system", "decision_time_limit_passed", wait=17 * DAY)
WINDOW_EXPIRED = step("system", "window_expired", wait=9 * DAY)


def paths(version: str) -> dict[str, tuple[str, list[Step]]]:
    """How to reach each open state of a version (name → state, steps)."""
    labour = [TO_LABOUR] if version == OLD else []
    result: dict[str, tuple[str, list[Step]]] = {}

    def path(name: str, state: str, steps: list[Step]) -> list[Step]:
        result[name] = (state, steps)
        return steps

    path("detected", "detected", [])
    prepared = path("dossier_in_preparation", "dossier_in_preparation", [BREACH])
    notified = path("dossier_notified", "dossier_notified", [*prepared, COMPLETED])
    if version == OLD:
        path("labour_office_check", "labour_office_check", [*notified, *labour])
    registry = path("at_court_registry", "at_court_registry", [*notified, *labour, PROPOSED])
    accepted = path("accepted", "accepted", [*registry, ACCEPTED])
    checking = path("under_check", "under_check", [*accepted, ASSIGNED])
    path("awaiting_supplement", "awaiting_supplement", [*checking, SUPPLEMENT])
    scheduled = path("meeting_scheduled", "meeting_scheduled", [*checking, OPENED])
    deliberation = path("deliberation", "deliberation", [*scheduled, HELD])
    path("suspended", "suspended", [*checking, SUSPEND])
    sent = path("decided_send", "decided_send", [*deliberation, SEND[version]])
    not_sent = path("decided_not_send", "decided_not_send", [*deliberation, NOT_SEND])
    path("under_review_send", "under_review_send", [*sent, COMPLAINT])
    path("under_review_not_send", "under_review_not_send", [*not_sent, PROTEST])
    return result


def start(world: World, version: str, name: str) -> Run:
    add_court_actors(world)
    state, steps = paths(version)[name]
    world.at(VERSIONS[version].isoformat())
    run = Run(world, world.open("police", PROCEDURE, date_of_birth=BORN), VERSIONS[version])
    assert run.dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == state
    return run


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    for version in VERSIONS:
        definition = rulebook.pinned(PROCEDURE, version).definition
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        assert {state for state, _ in paths(version).values()} == open_states


# Every transition not taken by a path above: (path to start from, steps, state expected at the end).
SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "not_addicted": (
        "detected",
        [step("police", "addiction_not_confirmed", day_field("concluded_on", result_number="18/PKQ"))],
        "closed_not_addicted",
    ),
    "dead_before_breach": (
        "detected",
        [step("police", "died", day_field("died_on", evidence="Giấy báo tử"))],
        "closed_deceased",
    ),
    "dead_in_preparation": (
        "dossier_in_preparation",
        [step("police", "died", day_field("died_on", evidence="Giấy báo tử"))],
        "closed_deceased",
    ),
    "dead_when_notified": (
        "dossier_notified",
        [step("police", "died", day_field("died_on", evidence="Giấy báo tử"))],
        "closed_deceased",
    ),
    "returned_by_court": (
        "at_court_registry",
        [step(COURT, "returned_incomplete", const({"reason": "Thiếu tài liệu"}))],
        "*",
    ),
    "opinions": (
        "under_check",
        [step(COURT, "opinions_requested", const({"consulted_party": "school", "questions": "Tình hình học tập"}))],
        "under_check",
    ),
    "extension": ("under_check", [step(COURT, "extension", const({"reason": "Phức tạp"}))], "under_check"),
    "supplied": ("awaiting_supplement", [SUPPLIED], "under_check"),
    "supplement_time_passed": (
        "awaiting_supplement",
        [step("system", "supplement_time_passed", wait=6 * DAY), SUPPLIED],
        "under_check",
    ),
    "limit_accepted": ("accepted", [LIMIT_PASSED], "accepted"),
    "limit_under_check": ("under_check", [LIMIT_PASSED], "under_check"),
    "limit_awaiting_supplement": ("awaiting_supplement", [LIMIT_PASSED], "awaiting_supplement"),
    "limit_meeting_scheduled": ("meeting_scheduled", [LIMIT_PASSED], "meeting_scheduled"),
    "limit_deliberation": ("deliberation", [LIMIT_PASSED], "deliberation"),
    "postponed": (
        "meeting_scheduled",
        [step(COURT, "meeting_postponed", const({"reason": "Người giám hộ ốm", "meeting_time": "Tuần sau"})), HELD],
        "deliberation",
    ),
    "terminated_under_check": ("under_check", [TERMINATE], "terminated"),
    "terminated_meeting": ("meeting_scheduled", [TERMINATE], "terminated"),
    "terminated_deliberation": ("deliberation", [TERMINATE], "terminated"),
    "suspended_meeting": ("meeting_scheduled", [SUSPEND, RESUMED], "under_check"),
    "resumed": ("suspended", [RESUMED], "under_check"),
    "effective_send": ("decided_send", [WINDOW_EXPIRED], "decision_effective_send"),
    "effective_not_send": ("decided_not_send", [WINDOW_EXPIRED], "closed_not_sent"),
    "complaint_not_send": ("decided_not_send", [COMPLAINT, UPHELD], "closed_not_sent"),
    "recommendation_send": ("decided_send", [RECOMMENDATION, AMENDED_NOT], "closed_not_sent"),
    "recommendation_not_send": ("decided_not_send", [RECOMMENDATION, AMENDED_SEND], "decision_effective_send"),
    "protest_send": ("decided_send", [PROTEST, ANNULLED], "terminated"),
    "upheld_send": ("under_review_send", [UPHELD], "decision_effective_send"),
    "amended_send_to_send": ("under_review_send", [AMENDED_SEND], "decision_effective_send"),
    "amended_not_send_to_not_send": ("under_review_not_send", [AMENDED_NOT], "closed_not_sent"),
    "remitted_send": ("under_review_send", [REMITTED], "under_check"),
    "remitted_not_send": ("under_review_not_send", [REMITTED], "under_check"),
    "annulled_not_send": ("under_review_not_send", [ANNULLED], "terminated"),
}
LABOUR_SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "returned_by_labour_office": (
        "labour_office_check",
        [step(PROPOSER, "returned_for_supplement", const({"reason": "Thiếu ý kiến của cha mẹ"}))],
        "dossier_in_preparation",
    ),
    "dead_at_labour_office": (
        "labour_office_check",
        [step("police", "died", day_field("died_on", evidence="Giấy báo tử"))],
        "closed_deceased",
    ),
}
RETURNED_TO = {OLD: "labour_office_check", NEW: "dossier_in_preparation"}
SCENARIO_CASES = [(v, n) for v in VERSIONS for n in SCENARIOS] + [(OLD, n) for n in LABOUR_SCENARIOS]


@pytest.mark.parametrize(("version", "name"), SCENARIO_CASES, ids=[f"{v}-{n}" for v, n in SCENARIO_CASES])
def test_scenario(sqlite_world: World, version: str, name: str) -> None:
    begin, steps, expected = {**SCENARIOS, **LABOUR_SCENARIOS}[name]
    run = start(sqlite_world, version, begin)
    for who, event, make, wait in steps:
        run.fire(who, event, make, wait)
    assert run.dossier.state == (RETURNED_TO[version] if expected == "*" else expected)


COURT_STATES = [
    "at_court_registry",
    "accepted",
    "under_check",
    "awaiting_supplement",
    "meeting_scheduled",
    "deliberation",
    "suspended",
    "decided_send",
    "decided_not_send",
]
ACT_CASES = [(v, s) for v in VERSIONS for s in COURT_STATES]


@pytest.mark.parametrize(("version", "name"), ACT_CASES, ids=[f"{v}-{s}" for v, s in ACT_CASES])
def test_a_complaint_about_a_procedural_act_leaves_the_state(sqlite_world: World, version: str, name: str) -> None:
    """PL 01/2022 Art. 43–44: a complaint about an act of the court is recorded at any stage; it does not stop
    the consideration, and the court is told to resolve it."""
    run = start(sqlite_world, version, name)
    act = {"complainant": "defender", "act": "time_limits", "summary": "Chậm giải quyết"}
    run.fire(COURT, "act_complaint_filed", at_field("filed_at", **act), TICK)
    saved = run.dossier.saved()
    assert (saved["state"], saved["facts"]["act"]) == (name, "time_limits")
    notice = run.dossier.outbox()[-1]
    assert (notice["kind"], notice["payload"]["to_roles"]) == ("notice", ["regional_court"])
