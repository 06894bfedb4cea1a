"""Compulsory rehabilitation of adults (đưa vào cơ sở cai nghiện bắt buộc người từ đủ 18 tuổi), both versions.

A table of paths reaches every open state; scenarios then fire every remaining transition from there, on
both versions (2022-01-01 opened in March 2026 under VN2025B, 2026-07-01 opened in August 2026 under
VN2026). Further tests check the guards' refusals (nothing saved), the due dates on the legal calendar, the
pause of the court's time limit while a supplement is awaited, the documents and follow-up procedures
requested, and the role successors across 01/03/2025 and 01/07/2025.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.chaining import open_followups
from states.errors import GuardFailedError, PermissionDeniedError
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import Dossier, World, add_officers

CODE = "compulsory_rehab_adult"
Maker = Callable[[datetime, str], dict[str, Any]]
Step = tuple[str, str, Maker, int]
"""(officer, event, payload made from the time of the step and the version, minutes waited before it)."""

VERSIONS = {
    "2022-01-01": datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ),  # Monday, under VN2025B
    "2026-07-01": datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),  # Monday, under Luật 120/2025 (VN2026)
}
TICK = 10
DAY = 24 * 60

# Units and officers of the court procedure. District units no longer exist (create_unit refuses them), so
# the historical district court, procuracy and labour office are inserted directly, held to their province.
EXTRA_UNITS = (
    {
        "code": "TAKV-01-01",
        "name": "Tòa án nhân dân khu vực 1 - Hà Nội",
        "kind": "regional_court",
        "province_code": "01",
    },
    {
        "code": "VKSKV-01-01",
        "name": "Viện kiểm sát nhân dân khu vực 1 - Hà Nội",
        "kind": "regional_procuracy",
        "province_code": "01",
    },
    {
        "code": "TAND-T-01",
        "name": "Tòa án nhân dân thành phố Hà Nội",
        "kind": "provincial_court",
        "province_code": "01",
    },
)
DISTRICT_UNITS = (
    {"code": "TAND-H-01", "name": "Tòa án nhân dân quận Hoàn Kiếm", "kind": "district_court"},
    {"code": "VKS-H-01", "name": "Viện kiểm sát nhân dân quận Hoàn Kiếm", "kind": "district_procuracy"},
    {"code": "LDTB-H-01", "name": "Phòng LĐTBXH quận Hoàn Kiếm", "kind": "district_labour_office"},
)
EXTRA_OFFICERS = {
    "rcourt": ("regional_court", "TAKV-01-01"),
    "rprocuracy": ("regional_procuracy", "VKSKV-01-01"),
    "pcourt": ("provincial_court", "TAND-T-01"),
    "dcourt": ("district_court", "TAND-H-01"),
    "dprocuracy": ("district_procuracy", "VKS-H-01"),
    "labour": ("district_labour_office", "LDTB-H-01"),
    "dossier_chair": ("compulsory_rehab_adult_dossier_chair", "UBX-00070"),
}


def add_court_world(world: World) -> World:
    return add_officers(world, EXTRA_OFFICERS, units=EXTRA_UNITS, historical_units=DISTRICT_UNITS)


@pytest.fixture
def court(world: World) -> World:
    return add_court_world(world)


@pytest.fixture
def sqlite_court(sqlite_world: World) -> World:
    return add_court_world(sqlite_world)


# -- payloads ------------------------------------------------------------------------------------------


def none(_at: datetime, _version: str) -> dict[str, Any]:
    return {}


def const(payload: dict[str, Any]) -> Maker:
    return lambda _at, _version: payload


def at_field(name: str, **extra: Any) -> Maker:
    return lambda at, _version: {name: at.isoformat(), **extra}


def day_field(name: str, **extra: Any) -> Maker:
    return lambda at, _version: {name: at.date().isoformat(), **extra}


def violation(status: str, case: str = "voluntary_not_done", window: str | None = "none") -> Maker:
    def make(at: datetime, _version: str) -> dict[str, Any]:
        payload = {"detected_at": at.isoformat(), "record_number": "01/BB", "art32_case": case}
        payload["addiction_status"] = status
        return payload if window is None else {**payload, "penal_256a_window": window}

    return make


def term(months_2022: int = 18, repeat: bool = False) -> dict[str, Any]:
    """A lawful term for each version: 12–24 months (Luật XLVPHC Art. 95); 24 first / 36 repeat (Luật 120)."""
    return {
        "2022-01-01": {"term_months": months_2022},
        "2026-07-01": {"term_months": 36 if repeat else 24, "repeat_rehab": repeat},
    }


def decision(at: datetime, version: str) -> dict[str, Any]:
    return {"announced_at": at.isoformat(), "decision_number": "05/QĐ-TA", **term()[version]}


def amended(outcome: str) -> Maker:
    def make(at: datetime, version: str) -> dict[str, Any]:
        payload = {
            "decided_on": at.date().isoformat(),
            "review_decision_number": "02/QĐ-XL",
            "amended_outcome": outcome,
        }
        return {**payload, **term(20, repeat=True)[version]} if outcome == "apply" else payload

    return make


def step(who: str, event: str, make: Maker = none, wait: int = TICK) -> Step:
    return (who, event, make, wait)


V_DETERMINED = step("police", "violation_recorded", violation("determined"))
V_TO_DETERMINE = step("police", "violation_recorded", violation("to_be_determined"))
RESULT = {"result_number": "07/PKQ"}
ADDICTED = step("police", "result_addicted", day_field("concluded_on", **RESULT))
NOT_ADDICTED = step("police", "result_not_addicted", day_field("concluded_on", **RESULT))
EXCLUDED = step("police", "excluded_category_found", day_field("found_on", category="pregnant", evidence="Giấy BV"))
AT_HOME = step("police", "interim_management_set", day_field("interim_from", placement="home", family_member="Mẹ"))
HELD = step(
    "police", "interim_management_set", day_field("interim_from", placement="holding_facility", facility_name="CS 1")
)
ABSCONDS = step("police", "subject_absconds", at_field("absconded_at"))
COMPLETED = step("police", "dossier_completed", at_field("notified_at", notified_to="subject"))
READ = step("police", "reading_done", at_field("read_at", notes="Không có ý kiến"))
READING_EXPIRED = step("system", "reading_period_expired", wait=8 * DAY)
RETURNED = step("police", "returned_for_supplement", day_field("returned_on", missing="Thiếu bản tường trình"))
CHECKED = step("police", "check_passed", day_field("checked_on"))
SENT = step("police", "proposal_sent", at_field("received_by_court_at", proposal_number="09/ĐN"))
NOT_PROPOSED = step("police", "decides_not_to_propose", day_field("decided_on", reason="Không đủ căn cứ"))
COURT_RETURNED = step("rcourt", "returned_missing_documents", day_field("returned_on", missing="Thiếu Mẫu 30"))
ACCEPTED = step("rcourt", "accepted", at_field("consideration_started_at", case_number="12/TL"))
ASSIGNED = step("rcourt", "judge_assigned", at_field("assigned_at", judge_name="Thẩm phán A"))
SUPPLEMENT_ASKED = step("rcourt", "supplement_requested", at_field("requested_at", items="Xác nhận cư trú"))
SUPPLEMENT_GIVEN = step("police", "supplement_received", at_field("received_at"))
SUPPLEMENT_MISSING = step("rcourt", "supplement_not_provided", at_field("recorded_at_time", reason="Không có"))
EXTENDED = step("rcourt", "extension_needed", day_field("decided_on", ground="complex"))
OPENED = step("rcourt", "session_opened", day_field("decided_on", planned_for="08:00 ngày 20, trực tuyến", online=True))
POSTPONED = step(
    "rcourt", "session_postponed", day_field("decided_on", ground="absent_with_reason", planned_for="ngày 25")
)
HELD_SESSION = step("rcourt", "session_held", at_field("held_at", procurator_present=True, online=True))
OPINION = step(
    "rprocuracy",
    "procuracy_opinion_given",
    at_field("given_at", procurator="Kiểm sát viên Vũ Thị Lan", opinion="Đề nghị áp dụng biện pháp"),
)
APPLY = step("rcourt", "decide_apply", decision)
NOT_APPLY = step(
    "rcourt", "decide_not_apply", at_field("announced_at", decision_number="06/QĐ-TA", reason="Không đủ căn cứ")
)
WITHDRAWN = step("police", "proposal_withdrawn", day_field("decided_on", reason="Rút đề nghị"))
DIED_AT_COURT = step("rcourt", "subject_died", day_field("died_on"))
DIED_BEFORE_COURT = step("police", "subject_died", day_field("died_on"))
TERMINATE = step("rcourt", "ground_to_terminate", day_field("decided_on", ground="criminal_prosecution"))
SUSPEND = step("rcourt", "ground_to_suspend", day_field("decided_on", ground="seriously_ill"))
RESUME = step("rcourt", "ground_ended", day_field("decided_on"))
WINDOW_EXPIRED = step("system", "window_expired_no_challenge", wait=10 * DAY)
CHALLENGE = {"document_number": "03/KN", "grounds": "Trái pháp luật"}
COMPLAINT = step("rcourt", "complaint_filed", day_field("filed_on", filer="subject", grounds="Không đồng ý"))
RECOMMENDATION = step("police", "recommendation_filed", day_field("filed_on", **CHALLENGE))
PROTEST = step("rprocuracy", "protest_filed", day_field("filed_on", **CHALLENGE))
FORWARDED = step("rcourt", "file_forwarded", at_field("forwarded_at"))
CHALLENGE_WITHDRAWN = step("pcourt", "challenge_withdrawn", day_field("withdrawn_on"))
UPHELD = step("pcourt", "review_upholds", day_field("decided_on", review_decision_number="01/QĐ-XL"))
AMENDED_APPLY = step("pcourt", "review_amends", amended("apply"))
AMENDED_NOT_APPLY = step("pcourt", "review_amends", amended("not_apply"))
REMITTED = step(
    "pcourt", "review_annuls_and_remits", at_field("consideration_started_at", review_decision_number="03/XL")
)
ANNULLED = step("pcourt", "review_annuls_and_terminates", day_field("decided_on", review_decision_number="04/XL"))
HANDOVER = step(
    "rcourt",
    "handover_to_execution",
    lambda at, _version: {
        "handed_over_on": at.date().isoformat(),
        "decision_effective_at": at.isoformat(),
        "executing_police": "Công an phường",
    },
)
RELEASED = step("police", "release_from_interim", day_field("released_on"))


def late(wait_days: int) -> Step:
    """A legal time limit passed: recorded by the system with a reminder, the state unchanged."""
    return step("system", "time_limit_passed", wait=wait_days * DAY)


# How to reach each open state.
PATHS: dict[str, tuple[str, list[Step]]] = {}


def path(name: str, state: str, steps: list[Step]) -> list[Step]:
    PATHS[name] = (state, steps)
    return steps


path("detected", "detected", [])
path("awaiting_addiction_result", "awaiting_addiction_result", [V_TO_DETERMINE])
_prep = path("dossier_in_preparation", "dossier_in_preparation", [V_DETERMINED])
_reading = path("dossier_open_for_reading", "dossier_open_for_reading", [*_prep, AT_HOME, COMPLETED])
_check = path("legality_check", "legality_check", [*_reading, READ])
_drafting = path("proposal_drafting", "proposal_drafting", [*_check, CHECKED])
_registry = path("at_court_registry", "at_court_registry", [*_drafting, SENT])
_accepted = path("accepted", "accepted", [*_registry, ACCEPTED])
_study = path("under_study", "under_study", [*_accepted, ASSIGNED])
path("awaiting_supplement", "awaiting_supplement", [*_study, SUPPLEMENT_ASKED])
_session = path("session_scheduled", "session_scheduled", [*_study, OPENED])
_deliberation = path("deliberation", "deliberation", [*_session, HELD_SESSION])
path("suspended", "suspended", [*_study, SUSPEND])
_applied = path("decided_apply", "decided_apply", [*_deliberation, APPLY])
_not_applied = path("decided_not_apply", "decided_not_apply", [*_deliberation, NOT_APPLY])
path("under_review_apply", "under_review_apply", [*_applied, COMPLAINT, FORWARDED])
path("under_review_not_apply", "under_review_not_apply", [*_not_applied, PROTEST, FORWARDED])
path("effective_apply", "effective_apply", [*_applied, WINDOW_EXPIRED])
path("effective_not_apply", "effective_not_apply", [*_not_applied, WINDOW_EXPIRED])
path("terminated", "terminated", [*_study, TERMINATE])


@dataclass
class Run:
    world: World
    dossier: Dossier
    now: datetime

    def fire(self, who: str, event: str, make: Maker, wait: int) -> None:
        self.now += timedelta(minutes=wait)
        self.world.at(self.now.isoformat())
        self.dossier.fire(who, event, make(self.now, self.version))

    @property
    def version(self) -> str:
        return str(self.dossier.saved()["procedure_version"])

    def steps(self, steps: list[Step]) -> None:
        for who, event, make, wait in steps:
            self.fire(who, event, make, wait)


def start(world: World, version: str, name: str, **subject: Any) -> Run:
    state, steps = PATHS[name]
    world.at(VERSIONS[version].isoformat())
    run = Run(world, world.open("police", CODE, **subject), VERSIONS[version])
    assert run.dossier.saved()["procedure_version"] == version
    run.steps(steps)
    assert run.dossier.state == state
    return run


def test_the_paths_reach_every_open_state(rulebook: Rulebook) -> None:
    versions = [c.definition for c in rulebook.all_versions() if c.definition.code == CODE]
    assert sorted(d.version for d in versions) == sorted(VERSIONS)
    for definition in versions:
        open_states = {name for name, spec in definition.states.items() if not spec.final}
        assert {state for state, _ in PATHS.values()} == open_states


# Every transition not taken by a path above: (path to start from, steps, state expected at the end).
SCENARIOS: dict[str, tuple[str, list[Step], str]] = {
    "addicted": ("awaiting_addiction_result", [ADDICTED], "dossier_in_preparation"),
    "not_addicted": ("awaiting_addiction_result", [NOT_ADDICTED], "closed_not_addicted"),
    "excluded_at_detection": ("detected", [EXCLUDED], "closed_excluded"),
    "excluded_in_preparation": ("dossier_in_preparation", [EXCLUDED], "closed_excluded"),
    "held_at_facility": ("dossier_in_preparation", [HELD, ABSCONDS], "dossier_in_preparation"),
    "preparation_late": ("dossier_in_preparation", [late(8), COMPLETED], "dossier_open_for_reading"),
    "absconds_while_reading": ("dossier_open_for_reading", [ABSCONDS, READING_EXPIRED], "legality_check"),
    "check_late_then_returned": ("legality_check", [ABSCONDS, late(8), RETURNED], "dossier_in_preparation"),
    "not_proposed": ("proposal_drafting", [ABSCONDS, NOT_PROPOSED], "closed_not_proposed"),
    "court_returns": ("at_court_registry", [COURT_RETURNED, SENT, late(4)], "at_court_registry"),
    "acceptance_late": ("accepted", [late(3), ASSIGNED], "under_study"),
    "supplement_given": ("awaiting_supplement", [SUPPLEMENT_GIVEN, EXTENDED, late(35)], "under_study"),
    "supplement_missing": ("awaiting_supplement", [SUPPLEMENT_MISSING, WITHDRAWN], "terminated"),
    "postponed_late": ("session_scheduled", [POSTPONED, late(16), WITHDRAWN], "terminated"),
    "procuracy_before_and_after_session": ("session_scheduled", [OPINION, HELD_SESSION, OPINION], "deliberation"),
    "suspended_session": ("session_scheduled", [SUSPEND, RESUME, TERMINATE, RELEASED], "closed_terminated"),
    "terminated_at_session": ("session_scheduled", [TERMINATE], "terminated"),
    "deliberation_late": ("deliberation", [late(16), WITHDRAWN], "terminated"),
    "terminated_in_deliberation": ("deliberation", [TERMINATE], "terminated"),
    "died_in_deliberation": ("deliberation", [DIED_AT_COURT], "terminated"),
    "died_in_session": ("session_scheduled", [DIED_AT_COURT], "terminated"),
    "died_in_study": ("under_study", [DIED_AT_COURT], "terminated"),
    "died_accepted": ("accepted", [DIED_AT_COURT], "terminated"),
    "died_awaiting_supplement": ("awaiting_supplement", [DIED_AT_COURT], "terminated"),
    "died_suspended": ("suspended", [DIED_AT_COURT], "terminated"),
    "withdrawn_in_study": ("under_study", [WITHDRAWN], "terminated"),
    "died_detected": ("detected", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_awaiting_result": ("awaiting_addiction_result", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_in_preparation": ("dossier_in_preparation", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_reading": ("dossier_open_for_reading", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_in_check": ("legality_check", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_drafting": ("proposal_drafting", [DIED_BEFORE_COURT], "closed_deceased"),
    "died_at_registry": ("at_court_registry", [DIED_BEFORE_COURT], "closed_deceased"),
    "handed_over": ("effective_apply", [HANDOVER], "handed_to_execution"),
    "released": ("effective_not_apply", [RELEASED], "closed_not_applied"),
    "recommendation_on_apply": ("decided_apply", [RECOMMENDATION, UPHELD], "effective_apply"),
    "protest_on_apply": ("decided_apply", [PROTEST, AMENDED_NOT_APPLY], "effective_not_apply"),
    "complaint_on_not_apply": ("decided_not_apply", [COMPLAINT, AMENDED_APPLY], "effective_apply"),
    "recommendation_on_not_apply": ("decided_not_apply", [RECOMMENDATION, UPHELD], "effective_not_apply"),
    "review_late_apply": ("under_review_apply", [late(10), CHALLENGE_WITHDRAWN], "effective_apply"),
    "review_late_not_apply": ("under_review_not_apply", [late(10), CHALLENGE_WITHDRAWN], "effective_not_apply"),
    "amended_term": ("under_review_apply", [AMENDED_APPLY], "effective_apply"),
    "remitted_apply": ("under_review_apply", [REMITTED, OPENED], "session_scheduled"),
    "remitted_not_apply": ("under_review_not_apply", [REMITTED], "under_study"),
    "annulled_apply": ("under_review_apply", [ANNULLED], "terminated"),
    "annulled_not_apply": ("under_review_not_apply", [ANNULLED], "terminated"),
}
SCENARIO_CASES = [(version, name) for version in VERSIONS for name in SCENARIOS]


@pytest.mark.parametrize(("version", "name"), SCENARIO_CASES, ids=[f"{v}-{n}" for v, n in SCENARIO_CASES])
def test_scenario(sqlite_court: World, version: str, name: str) -> None:
    begin, steps, expected = SCENARIOS[name]
    run = start(sqlite_court, version, begin)
    run.steps(steps)
    assert run.dossier.state == expected


PATH_CASES = [(version, name) for version in VERSIONS for name in PATHS]


@pytest.mark.parametrize(("version", "name"), PATH_CASES, ids=[f"{v}-{n}" for v, n in PATH_CASES])
def test_path(sqlite_court: World, version: str, name: str) -> None:
    start(sqlite_court, version, name)


# -- scenario checks on both backends ------------------------------------------------------------------


def outbox(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


def due_local(dossier: Dossier, rule: str) -> str:
    return str(dossier.deadlines()[rule]["due_at_local"])


def test_full_path_documents_deadlines_and_execution(court: World) -> None:
    run = start(court, "2022-01-01", "detected")
    dossier = run.dossier
    run.steps([V_DETERMINED])
    # Mon 02/03/2026 + 5 working days = Mon 09/03/2026, end of day.
    assert due_local(dossier, "dossier_preparation").startswith("2026-03-09T23:59:59")
    run.steps([HELD, COMPLETED])
    assert dossier.deadlines()["dossier_preparation"]["status"] == "met"
    assert due_local(dossier, "reading_period").startswith("2026-03-09T23:59:59")
    run.steps([READ, CHECKED, SENT])
    assert due_local(dossier, "court_return_limit").startswith("2026-03-04T23:59:59")
    assert due_local(dossier, "court_acceptance_limit").startswith("2026-03-03T23:59:59")
    run.steps([ACCEPTED, ASSIGNED])
    assert dossier.deadlines()["court_acceptance_limit"]["status"] == "met"
    # Accepted Mon 02/03/2026: 15 calendar days end on Tue 17/03/2026.
    assert due_local(dossier, "decision_limit").startswith("2026-03-17T23:59:59")
    run.steps([OPENED, HELD_SESSION, APPLY])
    assert dossier.deadlines()["decision_limit"]["status"] == "met"
    # Announced Mon 02/03/2026 + 5 working days (unverified parameter) = Mon 09/03/2026.
    window = dossier.deadlines()["remedy_window"]
    assert window["due_at_local"].startswith("2026-03-09T23:59:59")
    assert window["explanation"]["evidence"] == "unverified"
    assert dossier.saved()["facts"]["term_months"] == 18
    court.at("2026-03-10T08:00:00+07:00")
    assert [outcome.fired for outcome in court.sweep()] == [True]
    assert dossier.state == "effective_apply"
    run.now = datetime(2026, 3, 10, 8, 0, tzinfo=VN_TZ)
    run.steps([HANDOVER])
    assert dossier.state == "handed_to_execution"
    assert outbox(dossier, "start_procedure") == ["compulsory_rehab_execution"]
    documents = outbox(dossier, "document")
    for form in (
        "nd116.m27",
        "hoso.crad_giay_dua_vao_co_so_tiep_nhan",
        "nd116.m30",
        "hoso.crad_thong_bao_lap_ho_so",
        "hoso.crad_van_ban_de_nghi",
        "hoso.crad_thu_ly_phan_cong",
        "hoso.crad_mo_phien_hop",
        "hoso.crad_bien_ban_phien_hop",
        "hoso.crad_qd_ap_dung",
    ):
        assert form in documents
    notices = [row["payload"]["to_roles"] for row in dossier.outbox() if row["kind"] == "notice"]
    assert ["rehab_facility_director"] in notices
    assert dossier.open_tasks() == []


def test_follow_up_procedures_for_determination_and_not_addicted(court: World) -> None:
    run = start(court, "2022-01-01", "detected")
    run.steps([V_TO_DETERMINE])
    assert outbox(run.dossier, "start_procedure") == ["addiction_determination"]
    assert "dossier_preparation" not in run.dossier.deadlines("open")
    run.steps([NOT_ADDICTED])
    assert outbox(run.dossier, "start_procedure") == ["addiction_determination", "drug_user_management"]
    assert run.dossier.state == "closed_not_addicted"


def test_addiction_result_starts_the_dossier_time_limit(court: World) -> None:
    run = start(court, "2022-01-01", "awaiting_addiction_result")
    run.now = datetime(2026, 3, 6, 9, 0, tzinfo=VN_TZ)  # Friday
    run.steps([ADDICTED])
    # Fri 06/03/2026 + 5 working days = Fri 13/03/2026.
    assert due_local(run.dossier, "dossier_preparation").startswith("2026-03-13T23:59:59")


def test_court_time_limit_pauses_while_a_supplement_is_awaited(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")
    assert due_local(run.dossier, "decision_limit").startswith("2026-03-17T23:59:59")
    run.steps([SUPPLEMENT_ASKED])
    assert run.dossier.deadlines()["decision_limit"]["status"] == "paused"
    court.at("2026-03-30T08:00:00+07:00")
    assert court.sweep() == []  # a paused deadline is never swept
    run.now = datetime(2026, 3, 6, 8, 40, tzinfo=VN_TZ)  # four days after the request (02/03, 08:40)
    run.steps([SUPPLEMENT_GIVEN])
    limit = run.dossier.deadlines()["decision_limit"]
    assert limit["status"] == "open"
    # 4 days not counted: the 15 days now end on Saturday 21/03/2026, so the limit moves to Monday 23/03.
    assert limit["due_at_local"].startswith("2026-03-23T23:59:59")
    assert limit["explanation"]["pauses"]


def test_extension_only_while_the_fifteen_days_run(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")
    run.steps([step("system", "time_limit_passed", wait=16 * DAY)])
    version = run.dossier.saved()["version"]
    with pytest.raises(GuardFailedError, match="30 ngày"):
        run.fire(*EXTENDED)
    assert run.dossier.saved()["version"] == version


def test_extension_runs_to_thirty_days_from_acceptance(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")
    run.steps([EXTENDED])
    deadlines = run.dossier.deadlines()
    assert deadlines["decision_limit"]["status"] == "superseded"
    # Accepted Mon 02/03/2026 + 30 days = Wed 01/04/2026.
    assert deadlines["decision_limit_extended"]["due_at_local"].startswith("2026-04-01T23:59:59")


def test_time_limit_ending_on_a_day_off_moves_to_the_next_working_day(court: World) -> None:
    run = start(court, "2022-01-01", "at_court_registry")
    run.now = datetime(2026, 3, 6, 9, 0, tzinfo=VN_TZ)  # Friday 06/03/2026
    run.steps([ACCEPTED])
    # 15 days after Fri 06/03 is Sat 21/03/2026: the time limit ends on Mon 23/03/2026.
    assert due_local(run.dossier, "decision_limit").startswith("2026-03-23T23:59:59")


def test_challenge_after_the_window_is_refused(court: World) -> None:
    run = start(court, "2022-01-01", "decided_apply")
    run.now += timedelta(days=8)
    court.at(run.now.isoformat())
    version = run.dossier.saved()["version"]
    with pytest.raises(GuardFailedError, match="hết thời hạn khiếu nại"):
        run.dossier.fire("rcourt", "complaint_filed", COMPLAINT[2](run.now, "2022-01-01"))
    assert run.dossier.saved()["version"] == version
    assert run.dossier.state == "decided_apply"


def test_only_the_same_level_procuracy_protests(court: World) -> None:
    run = start(court, "2022-01-01", "decided_apply")
    with pytest.raises(PermissionDeniedError):
        run.fire("pcourt", "protest_filed", PROTEST[2], TICK)
    run.fire(*PROTEST)
    assert run.dossier.state == "under_review_apply"
    run.steps([FORWARDED])
    # Forwarded Mon 02/03/2026 + 7 working days (unverified) = Wed 11/03/2026.
    assert due_local(run.dossier, "review_limit").startswith("2026-03-11T23:59:59")


@pytest.mark.parametrize(
    ("version", "payload", "ok"),
    [
        ("2022-01-01", {"term_months": 11}, False),
        ("2022-01-01", {"term_months": 25}, False),
        ("2022-01-01", {"term_months": 12}, True),
        ("2022-01-01", {"term_months": 24}, True),
        ("2026-07-01", {"term_months": 18, "repeat_rehab": False}, False),
        ("2026-07-01", {"term_months": 24, "repeat_rehab": True}, False),
        ("2026-07-01", {"term_months": 36, "repeat_rehab": True}, True),
        ("2026-07-01", {"term_months": 24, "repeat_rehab": False}, True),
    ],
)
def test_term_of_the_measure(court: World, version: str, payload: dict[str, Any], ok: bool) -> None:
    run = start(court, version, "deliberation")
    make = const({"announced_at": "", "decision_number": "05/QĐ", **payload})
    run.now += timedelta(minutes=TICK)
    court.at(run.now.isoformat())
    body = {**make(run.now, version), "announced_at": run.now.isoformat()}
    if ok:
        run.dossier.fire("rcourt", "decide_apply", body)
        assert run.dossier.saved()["facts"]["term_months"] == payload["term_months"]
        return
    message = "12 tháng đến 24 tháng" if version == "2022-01-01" else "24 tháng đối với lần đầu và 36 tháng"
    with pytest.raises(GuardFailedError, match=message):
        run.dossier.fire("rcourt", "decide_apply", body)
    assert run.dossier.state == "deliberation"


def test_amending_to_apply_needs_a_lawful_term(court: World) -> None:
    run = start(court, "2022-01-01", "under_review_not_apply")
    run.now += timedelta(minutes=TICK)
    court.at(run.now.isoformat())
    body = {"decided_on": run.now.date().isoformat(), "review_decision_number": "9", "amended_outcome": "apply"}
    with pytest.raises(GuardFailedError, match="12 tháng đến 24 tháng"):
        run.dossier.fire("pcourt", "review_amends", body)
    assert run.dossier.state == "under_review_not_apply"


def test_penal_code_256a_check_comes_first_from_july_2025(court: World) -> None:
    run = start(court, "2022-01-01", "detected")
    run.now += timedelta(minutes=TICK)
    court.at(run.now.isoformat())
    for window in (None, "post_rehab_management"):
        body = violation("determined", case="relapse_post_rehab", window=window)(run.now, "2022-01-01")
        with pytest.raises(GuardFailedError, match="256a"):
            run.dossier.fire("police", "violation_recorded", body)
    assert run.dossier.saved()["version"] == 1
    run.dossier.fire("police", "violation_recorded", violation("determined", "relapse_post_rehab")(run.now, ""))
    assert run.dossier.state == "dossier_in_preparation"


def test_a_use_before_july_2025_needs_no_penal_check(court: World) -> None:
    court.at("2025-06-20T08:00:00+07:00")
    dossier = court.open("police", CODE)
    body = violation("determined", case="relapse_post_rehab", window=None)(
        datetime(2025, 6, 20, 8, 5, tzinfo=VN_TZ), ""
    )
    court.at("2025-06-20T08:10:00+07:00")
    dossier.fire("police", "violation_recorded", body)
    assert dossier.state == "dossier_in_preparation"


def test_a_minor_is_not_opened_here(court: World) -> None:
    court.at(VERSIONS["2022-01-01"].isoformat())
    with pytest.raises(Exception, match="tuổi"):
        court.open("police", CODE, date_of_birth=date(2010, 1, 1))


def test_electronic_monitoring_case_only_under_luat_120(court: World) -> None:
    for version, accepted in (("2022-01-01", False), ("2026-07-01", True)):
        run = start(court, version, "detected")
        run.now += timedelta(minutes=TICK)
        court.at(run.now.isoformat())
        body = violation("determined", case="e_monitoring_breach")(run.now, version)
        if accepted:
            run.dossier.fire("police", "violation_recorded", body)
            assert run.dossier.state == "dossier_in_preparation"
        else:
            with pytest.raises(Exception, match="art32_case"):
                run.dossier.fire("police", "violation_recorded", body)


def test_roles_pass_to_their_successors_across_the_reforms(court: World) -> None:
    """Chairman prepares and the labour office checks until 28/02/2025; the commune police from 01/03/2025;
    the district court decides until 30/06/2025, the regional court from 01/07/2025."""
    court.at("2025-02-20T08:00:00+07:00")
    dossier = court.open("police", CODE)
    run = Run(court, dossier, datetime(2025, 2, 20, 8, 0, tzinfo=VN_TZ))
    run.fire("chair", *V_DETERMINED[1:])
    assert dossier.saved()["history"][-1]["regime"] == "VN2021"
    with pytest.raises(PermissionDeniedError):
        run.fire("police", *AT_HOME[1:])
    run.steps([("dossier_chair", *AT_HOME[1:]), ("dossier_chair", *COMPLETED[1:]), ("dossier_chair", *READ[1:])])
    with pytest.raises(PermissionDeniedError):
        run.fire("police", *RETURNED[1:])
    run.fire("labour", *RETURNED[1:])
    assert dossier.state == "dossier_in_preparation"
    assert ("commune_police", "dossier_in_preparation") not in dossier.open_tasks()
    # From 01/03/2025 (VN2025A): the commune police prepares, checks and proposes.
    run.now = datetime(2025, 3, 3, 8, 0, tzinfo=VN_TZ)
    with pytest.raises(PermissionDeniedError):
        run.fire("dossier_chair", *COMPLETED[1:])
    with pytest.raises(PermissionDeniedError):
        run.fire("chair", *COMPLETED[1:])
    run.steps([COMPLETED, READ])
    with pytest.raises(PermissionDeniedError):
        run.fire("labour", *CHECKED[1:])
    run.steps([CHECKED])
    run.now = datetime(2025, 6, 25, 8, 0, tzinfo=VN_TZ)
    run.steps([SENT])
    with pytest.raises(PermissionDeniedError):
        run.fire("rcourt", *ACCEPTED[1:])
    run.steps([("dcourt", *ACCEPTED[1:]), ("dcourt", *ASSIGNED[1:])])
    assert dossier.saved()["history"][-1]["regime"] == "VN2025A"
    # From 01/07/2025 (VN2025B): the regional court carries on the pending case.
    run.now = datetime(2025, 7, 2, 8, 0, tzinfo=VN_TZ)
    court.at(run.now.isoformat())
    task = next(t for t in dossier.saved()["tasks"] if t["status"] == "open")
    assert task["holder_roles"] == ["regional_court"]
    with pytest.raises(PermissionDeniedError):
        run.fire("dcourt", *OPENED[1:])
    run.steps([OPENED, HELD_SESSION])
    run.steps([APPLY])
    with pytest.raises(PermissionDeniedError):
        run.fire("dprocuracy", *PROTEST[1:])
    run.steps([PROTEST])
    assert dossier.state == "under_review_apply"
    assert dossier.saved()["history"][-1]["regime"] == "VN2025B"


def test_opened_as_a_follow_up_of_a_relapse_with_the_penal_check_inherited(court: World) -> None:
    """Addiction determination of a relapse during post-rehab management (case d) for a use before
    01/07/2025 (not the crime of Penal Code art. 256a) opens this procedure; the day of the use is
    inherited, so the art. 256a check is not asked again for it."""
    now = VERSIONS["2022-01-01"]
    court.at(now.isoformat())
    parent = court.open("police")
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("police", "test_positive", {"test_ground": "caught_using", "sample_type": "urine", "substances": "Heroin"}),
        ("police", "status_checked", {"art27_case": "d"}),
        ("police", "request_sent", {"facility_unit": "YT-01-01", "request_number": "12/GĐN"}),
        ("clerk", "received", {"assessment_place": "facility", "substance_class": "opioid"}),
        ("head", "concluded_addicted", {"criteria_met": 3, "criterion_6_met": False, "physician_name": "BS"}),
        ("police", "result_served", {}),
    ]
    times = {"test_positive": "tested_at", "received": "received_at", "result_served": "served_at"}
    for who, event, payload in steps:
        now += timedelta(minutes=TICK)
        court.at(now.isoformat())
        body = dict(payload)
        if event in times:
            body[times[event]] = now.isoformat()
        if event == "test_positive":
            body["tested_at"] = "2025-06-20T09:00:00+07:00"
        if event == "concluded_addicted":
            body["concluded_on"] = now.date().isoformat()
        parent.fire(who, event, body)
    assert parent.state == "closed_relapse"
    opened = [o for o in open_followups(court.engine, court.actors["system"]) if o.outcome == "opened"]
    assert len(opened) == 1 and opened[0].dossier_id is not None
    child = Dossier(court, opened[0].dossier_id)
    saved = child.saved()
    assert (saved["procedure"], saved["state"]) == (CODE, "detected")
    assert saved["facts"]["tested_at"].startswith("2025-06-20")
    assert "penal_256a_window" not in saved["facts"]
    run = Run(court, child, now)
    run.steps([step("police", "violation_recorded", violation("determined", "relapse_post_rehab", window=None))])
    assert child.state == "dossier_in_preparation"
