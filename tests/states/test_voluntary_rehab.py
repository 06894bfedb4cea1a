"""Voluntary drug rehabilitation (shared/procedures/03-voluntary-rehab.md), both versions, step by step.

A table of paths reaches each open state; scenarios then fire every remaining transition from there, on
both versions (2022-01-01, opened in March 2026 under VN2025B, and 2026-07-01, opened in August 2026 under
Luật 120/2025). Each step goes through ``Dossier.fire`` (reloaded from the database before and after), or
through the sweep for the expiry events of legal deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from states.chaining import open_followups
from states.errors import (
    GuardFailedError,
    NotFoundError,
    PermissionDeniedError,
    TransitionNotAllowedError,
    UnknownEventError,
)
from states.legal_time import VN_TZ
from tests.conftest import Dossier, World, add_officers

Maker = Callable[[datetime, str], dict[str, Any]]
Step = tuple[str, str, Maker, timedelta]
"""(officer, event, payload made from the time of the step and the version, time waited before the step)."""

V2022 = "2026-03-02T08:00:00+07:00"  # Monday, version 2022-01-01 (regime VN2025B)
V2026 = "2026-08-03T08:00:00+07:00"  # Monday, version 2026-07-01 (Luật 120/2025, VN2026)
VERSIONS = {"2022-01-01": V2022, "2026-07-01": V2026}
TICK = timedelta(minutes=10)
DAY = timedelta(days=1)

EXTRA_UNITS = (
    {
        "code": "DV-01",
        "name": "Tổ chức dịch vụ cai nghiện cộng đồng",
        "kind": "voluntary_rehab_community_provider",
        "province_code": "01",
    },
    {
        "code": "CS-01",
        "name": "Cơ sở cai nghiện tự nguyện số 1",
        "kind": "voluntary_rehab_provider",
        "province_code": "01",
    },
    {
        "code": "CS-02",
        "name": "Cơ sở cai nghiện tự nguyện số 2",
        "kind": "voluntary_rehab_provider",
        "province_code": "01",
    },
)
EXTRA_OFFICERS = {
    "registrar": ("voluntary_rehab_registration_officer", "UBX-00070"),
    "team": ("commune_rehab_team", "UBX-00070"),
    "provider": ("voluntary_rehab_community_provider", "DV-01"),
    "facility": ("voluntary_rehab_provider", "CS-01"),
    "other_facility": ("voluntary_rehab_provider", "CS-02"),
}


def add_vr_actors(world: World) -> World:
    """The conftest world plus a home/community provider, two voluntary rehab facilities and commune staff."""
    return add_officers(world, EXTRA_OFFICERS, units=EXTRA_UNITS, at=datetime(2024, 1, 1, tzinfo=UTC))


@pytest.fixture
def vr_world(world: World) -> World:
    return add_vr_actors(world)


@pytest.fixture
def vr_sqlite_world(sqlite_world: World) -> World:
    """The same on SQLite only, for the large tables of paths and scenarios."""
    return add_vr_actors(sqlite_world)


# -- payloads ------------------------------------------------------------------------------------------------


def none(_at: datetime, _version: str) -> dict[str, Any]:
    return {}


def const(payload: dict[str, Any]) -> Maker:
    return lambda _at, _version: payload


def moment(name: str, **extra: Any) -> Maker:
    return lambda at, _version: {name: at.isoformat(), **extra}


def day(name: str, **extra: Any) -> Maker:
    return lambda at, _version: {name: at.astimezone(VN_TZ).date().isoformat(), **extra}


def term(version: str, months: int = 6, round_: str = "first") -> dict[str, Any]:
    """The term of the measure as each version records it: months chosen (6–12) or the round (24/36)."""
    return {"term_months": months} if version == "2022-01-01" else {"rehab_round": round_}


def with_term(name: str, **extra: Any) -> Maker:
    return lambda at, version: {name: at.astimezone(VN_TZ).date().isoformat(), **extra, **term(version)}


def step(who: str, event: str, make: Maker = none, wait: timedelta = TICK) -> Step:
    return (who, event, make, wait)


TERM_WAIT = {"2022-01-01": timedelta(days=190), "2026-07-01": timedelta(days=740)}
"""Beyond the term recorded on the way (6 months; 24 months for a first rehab)."""

REG_HC = step("registrar", "registered_home_community", moment("registered_at", registrant="subject"))
REG_FAC = step("registrar", "registered_facility", moment("registered_at", registrant="subject", facility_unit="CS-01"))
REG_OST = step("registrar", "registered_substitution_therapy", moment("registered_at", registrant="subject"))
RETURNED = step("registrar", "dossier_returned", moment("returned_at", reason="Thiếu bản sao giấy tờ tùy thân"))
DECIDED = step("chair", "decision_issued", with_term("decided_on", decision_number="01/QĐ", provider_unit="DV-01"))
REFUSED = step("chair", "decision_refused", day("refused_on", reason="Chưa đủ điều kiện"))
STARTED = step("provider", "service_started", day("rehab_started_on", contract_number="HĐ-01"))
ADMITTED = step("facility", "admitted", with_term("rehab_started_on", contract_number="HĐ-02"))
NOT_STARTED = step("police", "not_started", day("ascertained_on", description="Không đến ký hợp đồng"))
NOT_ADMITTED = step("police", "not_admitted_or_not_presented", day("ascertained_on", description="Không đến cơ sở"))
LEFT_HC = step("provider", "left_service", day("left_on"))
LEFT_FAC = step("facility", "left_service", day("left_on"))
USE = step("police", "use_detected", moment("tested_at", substances="Heroin", penal_256a_window="none"))
USE_256A = step(
    "police", "use_detected", moment("tested_at", substances="Heroin", penal_256a_window="in_rehab_or_substitution")
)
CHANGED = step("chair", "changed_to_facility", day("changed_on", facility_unit="CS-01"))
MOVED = step("chair", "moved_residence", day("moved_on", new_commune_code="00004"))
EMON = step("chief", "e_monitoring_decided", day("decided_on", decision_number="05/QĐ-GSĐT"))
OTHER = step("police", "other_measure_applied", day("decided_on", measure="prison", decision_reference="12/2026/HS-ST"))
VIOLATION = step("police", "violation_recorded", day("recorded_on", record_number="27/BB"))
COMPULSORY = step("police", "compulsory_dossier_opened", day("opened_on"))
CRIMINAL = step(
    "police", "criminal_route", const({"penal_256a_window": "in_rehab_or_substitution", "investigation_body": "CQCSĐT"})
)
CERT_HC = step("chair", "certificate_issued", day("issued_on", certificate_number="01/GXN"))
CERT_FAC = step("facility", "certificate_issued", day("issued_on", certificate_number="02/GXN"))
COMPLAINT = step(
    "police", "complaint_filed", const({"complainant": "subject", "complaint_against": "other", "summary": "Khiếu nại"})
)
DIED = step("police", "died", day("died_on", evidence="Giấy báo tử"))
WINDOW_EXPIRED = step("system", "window_expired", wait=8 * DAY)
DECISION_OVERDUE = step("system", "decision_overdue", wait=5 * DAY)
TERM_ENDED = {"2022-01-01": 370 * DAY, "2026-07-01": 740 * DAY}


def completed(who: str) -> Step:
    return step(who, "completed", day("completed_on", evaluation="Đạt"), wait=timedelta(0))


# How to reach each open state.
HC_ACTIVE = [REG_HC, DECIDED, STARTED]
FACILITY_ACTIVE = [REG_FAC, ADMITTED]
PATHS: dict[str, list[Step]] = {
    "registration_open": [],
    "registered_hc": [REG_HC],
    "registered_facility": [REG_FAC],
    "hc_decided": [REG_HC, DECIDED],
    "hc_active": HC_ACTIVE,
    "facility_active": FACILITY_ACTIVE,
    "hc_completed": [*HC_ACTIVE, completed("team")],
    "facility_completed": [*FACILITY_ACTIVE, completed("facility")],
    "not_registered": [WINDOW_EXPIRED],
    "not_carried_out": [REG_HC, DECIDED, NOT_STARTED],
    "abandoned": [*HC_ACTIVE, LEFT_HC],
    "used_during_rehab": [*HC_ACTIVE, USE],
    "failed": [WINDOW_EXPIRED, VIOLATION],
}


def run(world: World, version: str, steps: list[Step], dossier: Dossier | None = None, **subject: Any) -> Dossier:
    """Open a dossier (on the version in force at its start) and fire the steps, moving the clock."""
    if dossier is None:
        world.at(VERSIONS[version])
        dossier = world.open("police", procedure="voluntary_rehab", **subject)
        assert dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        now = world.clock.now()
        if event == "completed":
            wait = TERM_WAIT[version]
        elif event == "term_ended":
            wait = TERM_ENDED[version]
        world.clock.set(now + wait)
        dossier.fire(who, event, make(world.clock.now().astimezone(VN_TZ), version))
    return dossier


def adult() -> dict[str, Any]:
    return {"date_of_birth": date(1990, 6, 15)}


def minor() -> dict[str, Any]:
    return {"date_of_birth": date(2011, 1, 10)}


# -- every open state: reachable, then death and complaints ------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("state", PATHS)
def test_each_open_state_takes_complaints_and_death(vr_sqlite_world: World, version: str, state: str) -> None:
    world = vr_sqlite_world
    dossier = run(world, version, PATHS[state], **adult())
    assert dossier.state == state
    run(world, version, [COMPLAINT], dossier)
    assert dossier.state == state
    assert dossier.saved()["facts"]["complaint_against"] == "other"
    run(world, version, [DIED], dossier)
    assert dossier.state == "closed_deceased"
    assert dossier.open_tasks() == []


# -- scenarios: every remaining transition, on both versions ------------------------------------------------

HC_CERTIFIED = [*HC_ACTIVE, completed("team"), CERT_HC]
SCENARIOS: dict[str, tuple[list[Step], str]] = {
    "returned_then_registered_for_substitution_therapy": ([RETURNED, REG_OST], "ost_registered"),
    "refused_then_registered_again": ([REG_HC, REFUSED, REG_HC, DECIDED], "hc_decided"),
    "decision_overdue_is_recorded": ([REG_HC, DECISION_OVERDUE], "registered_hc"),
    "home_community_completed": (HC_CERTIFIED, "completed"),
    "facility_completed": ([*FACILITY_ACTIVE, completed("facility"), CERT_FAC], "completed"),
    "not_presented_at_facility": ([REG_FAC, NOT_ADMITTED, VIOLATION, COMPULSORY], "handed_to_compulsory_adult"),
    "not_started_at_home": ([*PATHS["not_carried_out"], VIOLATION, COMPULSORY], "handed_to_compulsory_adult"),
    "abandoned_at_home": ([*HC_ACTIVE, LEFT_HC, VIOLATION, COMPULSORY], "handed_to_compulsory_adult"),
    "left_the_facility": ([*FACILITY_ACTIVE, LEFT_FAC, VIOLATION], "failed"),
    "use_at_facility_cleared": ([*FACILITY_ACTIVE, USE, VIOLATION, COMPULSORY], "handed_to_compulsory_adult"),
    "use_at_home_256a": ([*HC_ACTIVE, USE_256A, CRIMINAL], "criminal_referral"),
    "changed_to_facility": ([*HC_ACTIVE, CHANGED, completed("facility"), CERT_FAC], "completed"),
    "moved_residence": ([*HC_ACTIVE, MOVED], "hc_active"),
    "term_ended_at_home": ([*HC_ACTIVE, step("system", "term_ended"), completed("team")], "hc_completed"),
    "term_ended_at_facility": ([*FACILITY_ACTIVE, step("system", "term_ended")], "facility_active"),
    "prison_at_home": ([*HC_ACTIVE, OTHER], "terminated_other"),
    "prison_at_facility": ([*FACILITY_ACTIVE, OTHER], "terminated_other"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios(vr_sqlite_world: World, version: str, name: str) -> None:
    world = vr_sqlite_world
    steps, expected = SCENARIOS[name]
    dossier = run(world, version, steps, **adult())
    assert dossier.state == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_minor_goes_to_compulsory_rehab_for_minors(vr_world: World, version: str) -> None:
    """The same step routes by age on the day of the step (Luật PCMT 73/2021 Điều 32 / Điều 33)."""
    dossier = run(vr_world, version, [WINDOW_EXPIRED, VIOLATION, COMPULSORY], **minor())
    assert dossier.state == "handed_to_compulsory_minor"
    starts = [row["name"] for row in dossier.outbox() if row["kind"] == "start_procedure"]
    assert starts == ["compulsory_rehab_minor"]


def test_adult_is_refused_the_minor_route_and_goes_to_compulsory_rehab(vr_world: World) -> None:
    dossier = run(vr_world, "2026-07-01", [WINDOW_EXPIRED, VIOLATION, COMPULSORY], **adult())
    assert dossier.state == "handed_to_compulsory_adult"
    starts = [row["name"] for row in dossier.outbox() if row["kind"] == "start_procedure"]
    assert starts == ["compulsory_rehab_adult"]
    assert [row["name"] for row in dossier.outbox() if row["kind"] == "document"] == ["nd116.m27"]


# -- the registration window, inherited from addiction determination ------------------------------------------


def addicted_and_served(world: World) -> Dossier:
    """Addiction determination to `closed_addicted`, the result served on Friday 24/04/2026."""
    world.at("2026-03-02T08:00:00+07:00")
    parent = world.open("police", date_of_birth=date(1990, 6, 15))
    parent.fire(
        "police",
        "test_positive",
        {
            "tested_at": "2026-03-02T08:00:00+07:00",
            "test_ground": "caught_using",
            "sample_type": "urine",
            "substances": "Heroin",
        },
    )
    parent.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    parent.fire("police", "request_sent", {"facility_unit": "YT-01-01", "request_number": "12/GĐN"})
    world.at("2026-03-02T14:00:00+07:00")
    parent.fire(
        "clerk",
        "received",
        {"received_at": "2026-03-02T14:00:00+07:00", "assessment_place": "facility", "substance_class": "opioid"},
    )
    world.at("2026-03-03T09:00:00+07:00")
    conclusion = {"concluded_on": "2026-03-03", "criteria_met": 4, "criterion_6_met": False, "physician_name": "BS An"}
    parent.fire("head", "concluded_addicted", conclusion)
    world.at("2026-04-27T09:00:00+07:00")
    parent.fire("police", "result_served", {"served_at": "2026-04-24T10:00:00+07:00"})
    assert parent.state == "closed_addicted"
    return parent


def local_day(instant: str) -> date:
    return datetime.fromisoformat(instant).astimezone(VN_TZ).date()


def follow_up(world: World) -> Dossier:
    opened = [o for o in open_followups(world.engine, world.actors["system"]) if o.outcome == "opened"]
    assert len(opened) == 1 and opened[0].dossier_id is not None
    return Dossier(world, opened[0].dossier_id)


def test_registration_window_counts_from_the_inherited_notification(vr_world: World) -> None:
    parent = addicted_and_served(vr_world)
    dossier = follow_up(vr_world)
    saved = dossier.saved()
    assert (saved["procedure"], saved["procedure_version"], saved["state"]) == (
        "voluntary_rehab",
        "2022-01-01",
        "registration_open",
    )
    assert saved["facts"] == {"served_at": "2026-04-24T10:00:00+07:00"}
    assert saved["history"][0]["payload"]["parent_id"] == parent.id
    window = dossier.deadlines("open")["registration_window"]
    # 5 working days after Fri 24/04/2026 (27/04 Giỗ Tổ compensated, 30/04 and 01/05 off): Wed 06/05.
    assert local_day(window["due_at"]) == date(2026, 5, 6)
    assert window["explanation"]["start_source"] == "fact:served_at"
    assert window["explanation"]["parameter"] == "registration_window_working_days"
    assert dossier.open_tasks() == [("voluntary_rehab_registration_officer", "registration_open")]
    # Not yet due: the expiry event is refused; on Thursday 07/05 the sweep fires it.
    vr_world.at("2026-05-06T20:00:00+07:00")
    with pytest.raises(TransitionNotAllowedError, match="chưa có thời hạn nào đến hạn"):
        dossier.fire("system", "window_expired")
    assert dossier.state == "registration_open"
    vr_world.at("2026-05-07T08:00:00+07:00")
    # A registration after the window passed is refused even before the sweep has run.
    with pytest.raises(GuardFailedError, match="Đã hết thời hạn 05 ngày làm việc"):
        dossier.fire(
            "registrar",
            "registered_home_community",
            {"registered_at": "2026-05-07T08:00:00+07:00", "registrant": "subject"},
        )
    assert dossier.saved()["version"] == 1
    outcomes = vr_world.sweep()
    assert [(o.dossier_id, o.fired) for o in outcomes] == [(dossier.id, True)]
    assert dossier.state == "not_registered"
    assert dossier.deadlines()["registration_window"]["status"] == "expired"
    notices = [row for row in dossier.outbox() if row["kind"] == "notice"]
    assert notices[-1]["name"] == "commune_police"


def test_registration_within_the_window_and_the_paused_clock(vr_world: World) -> None:
    """The commune's consideration of a home/community registration stops the window; a refusal resumes it."""
    addicted_and_served(vr_world)
    dossier = follow_up(vr_world)
    vr_world.at("2026-05-04T08:00:00+07:00")  # Monday: 3 working days used (Tue 28, Wed 29, Mon 04)
    dossier.fire(
        "registrar",
        "registered_home_community",
        {"registered_at": "2026-05-04T08:00:00+07:00", "registrant": "subject"},
    )
    assert dossier.deadlines()["registration_window"]["status"] == "paused"
    decision = dossier.deadlines("open")["decision_limit"]
    assert local_day(decision["due_at"]) == date(2026, 5, 7)  # 3 working days: Tue 05, Wed 06, Thu 07
    vr_world.at("2026-05-06T08:00:00+07:00")
    dossier.fire("chair", "decision_refused", {"refused_on": "2026-05-06", "reason": "Hồ sơ không hợp lệ"})
    assert dossier.state == "registration_open"
    window = dossier.deadlines("open")["registration_window"]
    assert local_day(window["due_at"]) > date(2026, 5, 6)
    assert window["explanation"]["pauses"]
    assert dossier.deadlines()["decision_limit"]["status"] != "open"


def test_registration_as_a_minor_through_the_legal_representative(vr_world: World) -> None:
    dossier = run(vr_world, "2022-01-01", [], **minor())
    registration = {"registered_at": V2022, "facility_unit": "CS-01"}
    with pytest.raises(GuardFailedError, match="thông qua người đại diện hợp pháp"):
        dossier.fire("registrar", "registered_facility", {**registration, "registrant": "subject"})
    assert dossier.saved()["version"] == 1
    dossier.fire(
        "registrar", "registered_facility", {"registered_at": V2022, "registrant": "guardian", "facility_unit": "CS-01"}
    )
    assert dossier.view("facility")["parties"] == {"voluntary_rehab_provider": "CS-01"}
    assert dossier.saved()["facts"]["registrant"] == "guardian"
    with pytest.raises(NotFoundError):
        dossier.fire(
            "other_facility", "admitted", {"rehab_started_on": "2026-03-02", "contract_number": "x", "term_months": 6}
        )


def test_substitution_therapy_is_handed_over_to_the_health_services(vr_world: World) -> None:
    """Substitution therapy is run outside hoso: the registration hands the person over, no dossier opens."""
    dossier = run(vr_world, "2022-01-01", [REG_OST], **adult())
    assert dossier.state == "ost_registered"
    assert [row["kind"] for row in dossier.outbox() if row["name"] == "substitution_therapy"] == ["handoff"]
    handoff = next(row for row in dossier.outbox() if row["kind"] == "handoff")
    assert handoff["payload"]["to_roles"] == ["substitution_therapy_facility"]
    assert "ngoài hoso" in handoff["payload"]["reason_vi"]
    assert open_followups(vr_world.engine, vr_world.actors["system"]) == []
    with vr_world.db.reading() as repo:
        assert repo.children(dossier.id) == []


# -- terms, guards, documents ----------------------------------------------------------------------------------


def test_2022_term_is_chosen_between_6_and_12_months(vr_world: World) -> None:
    dossier = run(vr_world, "2022-01-01", [REG_HC], **adult())
    vr_world.at("2026-03-03T08:00:00+07:00")
    payload = {"decided_on": "2026-03-03", "decision_number": "01/QĐ", "provider_unit": "DV-01"}
    for months in (5, 13):
        with pytest.raises(GuardFailedError, match="từ đủ 06 tháng đến 12 tháng"):
            dossier.fire("chair", "decision_issued", {**payload, "term_months": months})
    assert dossier.state == "registered_hc"
    assert dossier.saved()["version"] == 2
    dossier.fire("chair", "decision_issued", {**payload, "term_months": 9})
    statuses = {rule: d["status"] for rule, d in dossier.deadlines().items()}
    assert statuses == {"registration_window": "met", "decision_limit": "met"}
    assert dossier.view("provider")["parties"] == {"voluntary_rehab_community_provider": "DV-01"}
    # Service starts on Saturday 07/03/2026: the 12-month maximum term ends on Sunday 07/03/2027 (a term
    # does not move past days off).
    vr_world.at("2026-03-09T08:00:00+07:00")
    dossier.fire("provider", "service_started", {"rehab_started_on": "2026-03-07", "contract_number": "HĐ-01"})
    term_max = dossier.deadlines("open")["term_maximum"]
    assert local_day(term_max["due_at"]) == date(2027, 3, 7)
    assert term_max["explanation"]["nature"] == "term"
    # The chosen 9 months run until 07/12/2026: completion before it is refused.
    vr_world.at("2026-12-06T08:00:00+07:00")
    with pytest.raises(GuardFailedError, match="Chưa hết thời hạn cai nghiện đã quyết định"):
        dossier.fire("team", "completed", {"completed_on": "2026-12-06", "evaluation": "Đạt"})
    vr_world.at("2026-12-07T08:00:00+07:00")
    dossier.fire("team", "completed", {"completed_on": "2026-12-07", "evaluation": "Đạt"})
    dossier.fire("chair", "certificate_issued", {"issued_on": "2026-12-07", "certificate_number": "01/GXN"})
    assert dossier.state == "completed"
    rows = dossier.outbox()
    assert [r["name"] for r in rows if r["kind"] == "document"] == [
        "hoso.vr_don_dang_ky",
        "hoso.vr_so_dang_ky",
        "hoso.vr_quyet_dinh_gd_cd",
        "hoso.vr_hop_dong_dich_vu",
        "hoso.vr_xac_nhan_hoan_thanh_gd_cd",
    ]
    assert [r["name"] for r in rows if r["kind"] == "start_procedure"] == ["post_rehab_supervision"]
    assert dossier.deadlines()["term_maximum"]["status"] != "open"


def test_2026_term_is_24_months_first_time_and_36_months_later(vr_world: World) -> None:
    dossier = run(vr_world, "2026-07-01", [REG_FAC], **adult())
    vr_world.at("2026-08-08T08:00:00+07:00")  # Saturday
    dossier.fire(
        "facility", "admitted", {"rehab_started_on": "2026-08-08", "contract_number": "HĐ-9", "rehab_round": "repeat"}
    )
    term_first = dossier.deadlines("open")["term_first"]
    assert local_day(term_first["due_at"]) == date(2028, 8, 8)  # a Tuesday; 24 months as a term
    assert term_first["explanation"]["parameter"] == "term_first_months"
    # A second rehab: 24 months are not enough, 36 are.
    vr_world.at("2028-08-09T08:00:00+07:00")
    with pytest.raises(GuardFailedError, match="24 tháng lần đầu, 36 tháng lần thứ hai"):
        dossier.fire("facility", "completed", {"completed_on": "2028-08-09", "evaluation": "Đạt"})
    vr_world.at("2029-08-08T08:00:00+07:00")
    dossier.fire("facility", "completed", {"completed_on": "2029-08-08", "evaluation": "Đạt"})
    dossier.fire("facility", "certificate_issued", {"issued_on": "2029-08-08", "certificate_number": "02/GXN"})
    assert dossier.state == "completed"
    assert [r["name"] for r in dossier.outbox() if r["kind"] == "document"] == [
        "nd116.m22",
        "hoso.vr_so_dang_ky",
        "hoso.vr_hop_dong_dich_vu",
        "hoso.vr_xac_nhan_hoan_thanh_co_so",
    ]


def test_2026_electronic_monitoring_by_the_head_of_commune_police(vr_world: World) -> None:
    dossier = run(vr_world, "2026-07-01", HC_ACTIVE, **adult())
    with pytest.raises(PermissionDeniedError):
        dossier.fire("police", "e_monitoring_decided", {"decided_on": "2026-08-03", "decision_number": "x"})
    run(vr_world, "2026-07-01", [EMON], dossier)
    assert dossier.state == "hc_active"
    assert dossier.saved()["history"][-1]["regime"] == "VN2026"
    assert "hoso.vr_giam_sat_dien_tu" in [r["name"] for r in dossier.outbox() if r["kind"] == "document"]
    # Not in the 2022 version.
    old = run(vr_world, "2022-01-01", HC_ACTIVE, **adult())
    with pytest.raises(UnknownEventError):
        old.fire("chief", "e_monitoring_decided", {"decided_on": "2026-03-02", "decision_number": "x"})


def test_use_during_rehab_and_the_penal_code_256a(vr_world: World) -> None:
    dossier = run(vr_world, "2022-01-01", [*HC_ACTIVE, USE_256A], **adult())
    with pytest.raises(GuardFailedError, match="Điều 256a BLHS"):
        dossier.fire("police", "violation_recorded", {"recorded_on": "2026-03-02", "record_number": "27/BB"})
    assert dossier.state == "used_during_rehab"
    cleared = run(vr_world, "2022-01-01", [*HC_ACTIVE, USE], **adult(), full_name="Trần Văn Cường")
    with pytest.raises(GuardFailedError, match="Chưa xác định trường hợp nào"):
        cleared.fire("police", "criminal_route", {"penal_256a_window": "none", "investigation_body": "CQCSĐT"})


def test_use_before_july_2025_is_not_a_crime_and_steps_cross_the_reforms(vr_world: World) -> None:
    """A dossier of 2025: steps before and after 01/03/2025 and 01/07/2025 are done by the same commune roles
    (none of them was abolished) and recorded with the regime of their day."""
    vr_world.at("2025-02-24T08:00:00+07:00")
    dossier = vr_world.open("police", procedure="voluntary_rehab", date_of_birth=date(1990, 6, 15))
    dossier.fire(
        "registrar",
        "registered_home_community",
        {"registered_at": "2025-02-24T08:00:00+07:00", "registrant": "subject"},
    )
    vr_world.at("2025-03-03T08:00:00+07:00")
    payload = {"decided_on": "2025-03-03", "decision_number": "01/QĐ", "provider_unit": "DV-01", "term_months": 6}
    dossier.fire("chair", "decision_issued", payload)
    vr_world.at("2025-06-30T08:00:00+07:00")
    dossier.fire("provider", "service_started", {"rehab_started_on": "2025-06-30", "contract_number": "HĐ"})
    vr_world.at("2025-07-02T08:00:00+07:00")
    dossier.fire(
        "police",
        "use_detected",
        {
            "tested_at": "2025-06-30T20:00:00+07:00",
            "substances": "Heroin",
            "penal_256a_window": "in_rehab_or_substitution",
        },
    )
    with pytest.raises(GuardFailedError, match="chỉ áp dụng với hành vi sử dụng từ ngày 01/07/2025"):
        dossier.fire(
            "police",
            "criminal_route",
            {"penal_256a_window": "in_rehab_or_substitution", "investigation_body": "CQCSĐT"},
        )
    dossier.fire("police", "violation_recorded", {"recorded_on": "2025-07-02", "record_number": "27/BB"})
    assert dossier.state == "failed"
    regimes = [row["regime"] for row in dossier.saved()["history"]]
    # The use is recorded on 02/07/2025 but happened on 30/06/2025: its step follows the fact (VN2025A).
    assert regimes == ["VN2021", "VN2021", "VN2025A", "VN2025A", "VN2025A", "VN2025B"]
