"""Execution of the compulsory-rehab decision (shared/procedures/07-execution-and-early-release.md).

Scenarios on both backends: transfer and admission with the days held deducted, the term as a deadline that
ends on its calendar day and stops while the person is at large or suspended for treatment, reduction after
half the term, completion opening post-rehab supervision; the 1-year execution limitation (restarted when an
evasion ends); the court's 2 + 3 working days on postponement and exemption; every guard's refusal; role
succession across 01/03/2025 and 01/07/2025; the 2026 version (Luật 120/2025: 24/36 months, prison first).
The helpers here also drive tests/states/test_compulsory_rehab_execution_coverage.py.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.chaining import open_followups
from states.errors import (
    GuardFailedError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    TransitionNotAllowedError,
)
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database
from tests.conftest import WORLD_START, Dossier, World, add_officers, build_world

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
CODE = "compulsory_rehab_execution"

EXTRA_UNITS = (
    ("TAH-01", "Tòa án nhân dân quận Hoàn Kiếm", "district_court"),
    ("CAH-01", "Công an quận Hoàn Kiếm", "district_police"),
    ("VKSH-01", "Viện kiểm sát nhân dân quận Hoàn Kiếm", "district_procuracy"),
    ("TAKV-01-01", "Tòa án nhân dân khu vực 1 - Hà Nội", "regional_court"),
    ("VKSKV-01-01", "Viện kiểm sát nhân dân khu vực 1 - Hà Nội", "regional_procuracy"),
    ("TAT-01", "Tòa án nhân dân thành phố Hà Nội", "provincial_court"),
    ("CSCN-01", "Cơ sở cai nghiện ma túy số 1 Hà Nội", "rehab_facility"),
    ("CSCN-02", "Cơ sở cai nghiện ma túy số 2 Hà Nội", "rehab_facility"),
)
EXTRA_OFFICERS = {
    "dcourt": ("district_court", "TAH-01"),
    "dpolice": ("district_police", "CAH-01"),
    "dprocuracy": ("district_procuracy", "VKSH-01"),
    "rcourt": ("regional_court", "TAKV-01-01"),
    "rprocuracy": ("regional_procuracy", "VKSKV-01-01"),
    "pcourt": ("provincial_court", "TAT-01"),
    "director": ("rehab_facility_director", "CSCN-01"),
    "other_director": ("rehab_facility_director", "CSCN-02"),
}


def add_execution_officers(world: World) -> World:
    """Courts, procuracies, district police (units of before 01/07/2025 inserted as they existed) and two
    rehab facilities with their directors."""
    units = [{"code": code, "name": name, "kind": kind} for code, name, kind in EXTRA_UNITS]
    return add_officers(world, EXTRA_OFFICERS, historical_units=units, at=WORLD_START)


@pytest.fixture
def cre_world(db: Database, rulebook: Rulebook) -> World:
    return add_execution_officers(build_world(db, rulebook, WORLD_START))


@pytest.fixture
def cre_sqlite_world(sqlite_db: Database, rulebook: Rulebook) -> World:
    return add_execution_officers(build_world(sqlite_db, rulebook, WORLD_START))


# -- the two versions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    start: datetime
    officers: dict[str, str]
    term_months: int
    decision_extra: dict[str, Any] = field(default_factory=dict)


PROFILES = {
    # Run under VN2021 (Monday 06/03/2023): district court, district police, district procuracy.
    "2022-01-01": Profile(
        datetime(2023, 3, 6, 8, 0, tzinfo=VN_TZ),
        {"court": "dcourt", "escort": "dpolice", "procuracy": "dprocuracy"},
        18,
    ),
    # Run under VN2026 (Monday 03/08/2026): regional court, provincial police unit, regional procuracy.
    "2026-07-01": Profile(
        datetime(2026, 8, 3, 8, 0, tzinfo=VN_TZ),
        {"court": "rcourt", "escort": "pc04", "procuracy": "rprocuracy"},
        24,
        {"rehab_count": "first"},
    ),
}


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def instant(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).isoformat()


def local_due(dossier: Dossier, rule_id: str) -> datetime:
    return datetime.fromisoformat(dossier.deadlines()[rule_id]["due_at"]).astimezone(VN_TZ)


@dataclass
class Run:
    world: World
    dossier: Dossier
    now: datetime
    profile: Profile

    def who(self, key: str) -> str:
        return self.profile.officers.get(key, key)

    def step(self, who: str, event: str, make: Maker, wait: timedelta = HOUR) -> None:
        self.now += wait
        self.world.at(self.now.isoformat())
        self.dossier.fire(self.who(who), event, make(self))

    def refused(self, error: type[Exception], match: str, who: str, event: str, payload: dict[str, Any]) -> None:
        """A refused step changes nothing."""
        self.world.at(self.now.isoformat())
        before = self.dossier.saved()
        with pytest.raises(error, match=match):
            self.world.engine.fire(self.world.actors[self.who(who)], self.dossier.id, event, payload, before["version"])
        after = self.dossier.saved()
        assert (after["version"], after["state"], after["facts"]) == (
            before["version"],
            before["state"],
            before["facts"],
        )


Maker = Callable[[Run], dict[str, Any]]
Step = tuple[str, str, Maker, timedelta]


def none(_run: Run) -> dict[str, Any]:
    return {}


def decision(run: Run) -> dict[str, Any]:
    return {
        "sent_at": run.now.isoformat(),
        "decision_number": "05/2023/QĐ-TA",
        "decision_date": (run.now - 12 * DAY).date().isoformat(),
        "decision_effective_at": (run.now - DAY).isoformat(),
        "term_months": run.profile.term_months,
        "facility_unit": "CSCN-01",
        "rehab_kind": "adult_compulsory",
        **run.profile.decision_extra,
    }


HELD_DAYS = 3


def admission(run: Run) -> dict[str, Any]:
    end = add_months(run.now.date(), run.profile.term_months) - HELD_DAYS * DAY
    return {"admitted_at": run.now.isoformat(), "held_days": HELD_DAYS, "term_end_at": instant(end), "zone": "adult"}


def court_decision(run: Run) -> dict[str, Any]:
    return {"decided_on": run.now.date().isoformat(), "court_decision_number": "01/QĐ-TA"}


def absconded_at(run: Run) -> dict[str, Any]:
    return {"absconded_at": run.now.isoformat(), "pursuit_decision_number": "01/QĐ-TT"}


def reduced_by(months: int) -> Maker:
    def make(run: Run) -> dict[str, Any]:
        end = add_months(local_due(run.dossier, "rehab_term").date(), -months)
        return {**court_decision(run), "months_granted": months, "term_end_at": instant(end)}

    return make


def postponement_request(run: Run) -> dict[str, Any]:
    return {
        "requested_on": run.now.date().isoformat(),
        "filed_by": "subject",
        "postponement_ground": "serious_illness",
        "certified_by": "Bệnh viện Bạch Mai",
    }


def exemption_request(run: Run) -> dict[str, Any]:
    return {
        "requested_on": run.now.date().isoformat(),
        "filed_by": "guardian",
        "requested_while": "awaiting_transfer",
        "exemption_ground": "serious_illness",
        "certified_by": "Bệnh viện K",
    }


def reduction_proposal(months: int = 2, *, rating: str = "fairly_good", merit: bool = False) -> Maker:
    return lambda run: {
        "proposed_on": run.now.date().isoformat(),
        "rating_last_3_months": rating,
        "merit": merit,
        "months_proposed": months,
    }


def suspension_proposal(days: int = 12, treatment: str = "inpatient") -> Maker:
    return lambda run: {
        "proposed_on": run.now.date().isoformat(),
        "treatment": treatment,
        "treatment_days": days,
        "medical_records": "Bệnh án nội trú",
    }


def remainder_proposal(ground: str) -> Maker:
    return lambda run: {"proposed_on": run.now.date().isoformat(), "remainder_ground": ground, "details": "Hồ sơ"}


def half_wait(months: int) -> timedelta:
    """Enough days for half of the term to be served."""
    return timedelta(days=months * 31 // 2 + 20)


DECISION: Step = ("court", "decision_sent", decision, HOUR)
HANDED: Step = ("director", "handed_over", admission, 4 * DAY)
HOSPITAL: Step = (
    "director",
    "hospitalised",
    lambda r: {"hospitalised_at": r.now.isoformat(), "hospital": "BV Bạch Mai"},
    30 * DAY,
)
SUSPENSION: Step = ("director", "suspension_proposed", suspension_proposal(), 12 * DAY)
SUSPENDED: Step = ("court", "suspended", court_decision, 2 * DAY)
REMAINDER: Step = ("director", "exemption_remainder_proposed", remainder_proposal("other_legal_ground"), 30 * DAY)

PATHS: dict[str, tuple[str | None, str, list[Step]]] = {}
"""Path name → (version it applies to, or None for both; state reached; steps)."""


def path(name: str, state: str, steps: list[Step], version: str | None = None) -> list[Step]:
    PATHS[name] = (version, state, steps)
    return steps


path("decision_effective", "decision_effective", [])
_awaiting = path("awaiting_transfer", "awaiting_transfer", [DECISION])
_postponing = path(
    "postponement_under_consideration",
    "postponement_under_consideration",
    [*_awaiting, ("court", "postponement_requested", postponement_request, DAY)],
)
_postponed = path("postponed", "postponed", [*_postponing, ("court", "postponed", court_decision, DAY)])
path(
    "exemption_under_consideration",
    "exemption_under_consideration",
    [*_awaiting, ("court", "exemption_requested", exemption_request, DAY)],
)
path(
    "exemption_under_consideration_postponed",
    "exemption_under_consideration",
    [
        *_postponed,
        ("court", "exemption_requested", lambda r: {**exemption_request(r), "requested_while": "postponed"}, DAY),
    ],
)
path("at_large_pre_admission", "at_large_pre_admission", [*_awaiting, ("escort", "absconded", absconded_at, DAY)])
_serving = path("serving", "serving", [*_awaiting, HANDED])
path("at_large", "at_large", [*_serving, ("director", "absconded", absconded_at, DAY)])
path(
    "reduction_under_consideration",
    "reduction_under_consideration",
    [*_serving, ("director", "reduction_proposed", reduction_proposal(), half_wait(24))],
)
_hospital = path("in_hospital", "in_hospital", [*_serving, HOSPITAL])
_suspension = path("suspension_under_consideration", "suspension_under_consideration", [*_hospital, SUSPENSION])
_suspended = path("suspended_medical", "suspended_medical", [*_suspension, SUSPENDED])
_remainder = path(
    "exemption_remainder_under_consideration", "exemption_remainder_under_consideration", [*_serving, REMAINDER]
)
path(
    "exemption_remainder_under_consideration_suspended",
    "exemption_remainder_under_consideration_suspended",
    [
        *_suspended,
        ("director", "exemption_remainder_proposed", remainder_proposal("short_remainder_after_suspension"), DAY),
    ],
)
_completing = path("completing", "completing", [*_remainder, ("court", "exempted", court_decision, DAY)])
CERTIFICATE: Step = (
    "director",
    "certificate_issued",
    lambda r: {
        "rehab_completed_at": r.now.isoformat(),
        "certificate_number": "12/GCN",
        "residence_after_release": "00070",
    },
    DAY,
)
path("completed", "completed", [*_completing, CERTIFICATE])
path(
    "serving_prison_term",
    "serving_prison_term",
    [
        *_serving,
        (
            "escort",
            "criminal_prosecution",
            lambda r: {"prosecuted_on": r.now.date().isoformat(), "investigation_body": "CQĐT"},
            DAY,
        ),
    ],
    version="2026-07-01",
)


def start(
    world: World, version: str, name: str, *, term_months: int | None = None, minor: bool = False, **subject: Any
) -> Run:
    only_for, state, steps = PATHS[name]
    assert only_for in (None, version)
    profile = PROFILES[version]
    if term_months is not None:
        profile = replace(profile, term_months=term_months)
    if minor:
        profile = replace(profile, decision_extra={**profile.decision_extra, "rehab_kind": "minor_compulsory"})
        subject.setdefault("date_of_birth", date(2007, 1, 10) if version == "2022-01-01" else date(2011, 1, 10))
    world.at(profile.start.isoformat())
    run = Run(world, world.open(profile.officers["court"], procedure=CODE, **subject), profile.start, profile)
    assert run.dossier.saved()["procedure_version"] == version
    for who, event, make, wait in steps:
        run.step(who, event, make, wait)
    assert run.dossier.state == state
    return run


def names(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


# -- the full path: admission, absconding, reduction, completion -----------------------------------------------


def test_term_from_admission_to_post_rehab_supervision(cre_world: World) -> None:
    world = cre_world
    world.at("2023-03-06T08:00:00+07:00")
    dossier = world.open("dcourt", procedure=CODE)
    assert dossier.open_tasks() == [("district_court", "decision_effective")]
    run = Run(world, dossier, datetime(2023, 3, 6, 9, 0, tzinfo=VN_TZ), PROFILES["2022-01-01"])
    world.at(run.now.isoformat())
    dossier.fire(
        "dcourt",
        "decision_sent",
        {**decision(run), "decision_effective_at": "2023-03-02T00:00:00+07:00", "decision_date": "2023-02-20"},
    )
    assert dossier.state == "awaiting_transfer"
    assert sorted(dossier.open_tasks()) == [
        ("district_police", "awaiting_transfer"),
        ("rehab_facility_director", "awaiting_transfer"),
    ]
    # The 1-year limitation from the decision's effect: Sat 02/03/2024 is a day off → Mon 04/03/2024.
    assert local_due(dossier, "execution_limitation").date() == date(2024, 3, 4)
    assert sorted(names(dossier, "notice")) == ["district_police", "district_procuracy", "rehab_facility_director"]

    # Admission on Fri 10/03/2023 for 18 months less 2 days held: Sun 08/09/2024 — a term stays on Sunday.
    run.now = datetime(2023, 3, 10, 10, 0, tzinfo=VN_TZ)
    admitted = {"admitted_at": run.now.isoformat(), "held_days": 2, "term_end_at": "2024-09-10T00:00:00+07:00"}
    run.refused(GuardFailedError, "08/09/2024", "director", "handed_over", admitted)
    run.refused(
        GuardFailedError, "trừ số ngày đã bị giữ", "director", "handed_over", {**admitted, "term_end_at": "10/09/2024"}
    )
    dossier.fire("director", "handed_over", {**admitted, "term_end_at": "2024-09-08T00:00:00+07:00"})
    assert dossier.state == "serving"
    term = dossier.deadlines()["rehab_term"]
    assert local_due(dossier, "rehab_term").date() == date(2024, 9, 8)
    assert term["explanation"]["nature"] == "term"
    assert term["explanation"]["computation"]["rolled_from"] is None
    assert dossier.deadlines()["execution_limitation"]["status"] == "met"
    assert names(dossier, "document") == ["hoso.cnbb_bien_ban_giao_nhan"]

    # Ten days at large do not count: the end moves to Wed 18/09/2024.
    run.step(
        "director",
        "absconded",
        lambda r: {"absconded_at": "2023-05-01T20:00:00+07:00", "pursuit_decision_number": "7/QĐ"},
        timedelta(days=60),
    )
    assert dossier.state == "at_large"
    assert dossier.deadlines()["rehab_term"]["status"] == "paused"
    assert "police_unit" not in names(dossier, "notice") and "district_police" in names(dossier, "notice")
    run.now = datetime(2023, 5, 11, 20, 0, tzinfo=VN_TZ)
    world.at(run.now.isoformat())
    returned = {"returned_at": "2023-05-01T19:00:00+07:00", "return_mode": "voluntary"}
    run.refused(PayloadError, "bỏ trốn", "director", "returned", returned)
    dossier.fire("director", "returned", {**returned, "returned_at": run.now.isoformat()})
    assert local_due(dossier, "rehab_term").date() == date(2024, 9, 18)
    pause = dossier.deadlines()["rehab_term"]["explanation"]["pauses"][0]
    assert (pause["paused_by"], pause["resumed_by"], pause["not_counted_seconds"]) == (
        "absconded",
        "returned",
        10 * 86400,
    )

    # Half of the 18 months (550 days) is not served on 20/11/2023 (303 days left); it is on 27/12/2023.
    run.now = datetime(2023, 11, 20, 9, 0, tzinfo=VN_TZ)
    run.refused(GuardFailedError, "một nửa thời hạn", "director", "reduction_proposed", reduction_proposal()(run))
    run.step("director", "reduction_proposed", reduction_proposal(2), timedelta(days=37))
    assert dossier.state == "reduction_under_consideration"
    assert names(dossier, "document")[-1] == "hoso.cnbb_van_ban_de_nghi"
    run.now += 9 * DAY
    wrong = {**court_decision(run), "months_granted": 2, "term_end_at": "2024-09-18T00:00:00+07:00"}
    run.refused(GuardFailedError, "18/07/2024", "dcourt", "reduced", wrong)
    run.refused(GuardFailedError, "từ 01 đến 03 tháng", "dcourt", "reduced", {**wrong, "months_granted": 4})
    dossier.fire("dcourt", "reduced", {**wrong, "term_end_at": "2024-07-18T00:00:00+07:00"})
    assert dossier.state == "serving"
    assert local_due(dossier, "rehab_term").date() == date(2024, 7, 18)
    assert [d["status"] for d in dossier.saved()["deadlines"] if d["rule_id"] == "rehab_term"] == ["superseded", "open"]

    # The end of the term belongs to time: refused before, fired by the sweep after.
    run.now = datetime(2024, 7, 18, 22, 0, tzinfo=VN_TZ)
    run.refused(TransitionNotAllowedError, "thời hạn", "system", "end_date_reached", {})
    world.at("2024-07-19T08:00:00+07:00")
    world.sweep()
    assert dossier.state == "completing"
    assert dossier.deadlines()["rehab_term"]["status"] == "expired"

    world.at("2024-07-19T09:00:00+07:00")
    dossier.fire(
        "director",
        "certificate_issued",
        {
            "rehab_completed_at": "2024-07-19T08:30:00+07:00",
            "certificate_number": "12/GCN",
            "residence_after_release": "00070",
        },
    )
    assert dossier.state == "completed"
    assert names(dossier, "document")[-2:] == ["hoso.cnbb_giay_chung_nhan", "hoso.cnbb_ban_nhan_xet"]
    follow_up = next(row for row in dossier.outbox() if row["kind"] == "start_procedure")
    assert follow_up["name"] == "post_rehab_supervision"
    # post_rehab_supervision inherits the completion instant (its 2-year term counts from it) and the measure.
    facts = follow_up["payload"]["facts"]
    assert (facts["rehab_completed_at"], facts["rehab_kind"]) == ("2024-07-19T08:30:00+07:00", "adult_compulsory")
    assert dossier.open_tasks() == [("commune_chair", "completed")]
    world.at("2024-07-22T09:00:00+07:00")
    dossier.fire("chair", "handover", {"received_on": "2024-07-22"})
    assert dossier.state == "post_rehab_pending"
    assert dossier.open_tasks() == []


def test_suspension_for_treatment_stops_the_term(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "suspension_under_consideration")
    before = local_due(run.dossier, "rehab_term")
    run.step("court", "suspended", court_decision, DAY)
    assert run.dossier.deadlines()["rehab_term"]["status"] == "paused"
    run.step("director", "recovered", lambda r: {"returned_at": r.now.isoformat()}, 20 * DAY)
    assert run.dossier.state == "serving"
    # Stopped from the day of the court's decision to the day of the return twenty days later: the term, counted
    # in days, ends twenty days later at the end of its day.
    assert local_due(run.dossier, "rehab_term") - before == 20 * DAY
    # While suspended and under consideration of the remainder, the term stays stopped.
    run = start(cre_world, "2022-01-01", "exemption_remainder_under_consideration_suspended")
    assert run.dossier.deadlines()["rehab_term"]["status"] == "paused"
    run.step("court", "refused", lambda r: {**court_decision(r), "reason": "Chưa đủ căn cứ"}, DAY)
    assert (run.dossier.state, run.dossier.deadlines()["rehab_term"]["status"]) == ("suspended_medical", "paused")


# -- pre-admission: limitation, postponement and exemption, pursuit -------------------------------------------


def test_execution_limitation_restarts_when_the_evasion_ends(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "at_large_pre_admission")
    assert run.dossier.deadlines()["execution_limitation"]["status"] == "escaped"
    assert names(run.dossier, "document") == ["nd116.m41"]
    run.now = datetime(2023, 9, 1, 10, 0, tzinfo=VN_TZ)
    found = {"found_at": run.now.isoformat(), "return_mode": "preventive_measure"}
    cre_world.at(run.now.isoformat())
    run.dossier.fire("dpolice", "found", found)
    assert names(run.dossier, "document")[-1] == "hoso.cnbb_bien_phap_ngan_chan"
    # One year from the end of the evasion: Sun 01/09/2024, then the National Day days off 02–03/09/2024
    # → Wed 04/09/2024 (a limitation period is a time limit: it moves past days off).
    assert local_due(run.dossier, "execution_limitation_after_evasion").date() == date(2024, 9, 4)
    run.now = datetime(2024, 9, 4, 20, 0, tzinfo=VN_TZ)
    run.refused(TransitionNotAllowedError, "thời hạn", "system", "execution_limitation_expired", {})
    run.step("system", "execution_limitation_expired", none, DAY)
    assert run.dossier.state == "closed_lapsed"


def test_postponement_court_time_limits_on_working_days(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "awaiting_transfer")
    # Request received Fri 10/03/2023: accepted within 2 working days → Tue 14/03/2023.
    run.now = datetime(2023, 3, 10, 9, 0, tzinfo=VN_TZ)
    cre_world.at(run.now.isoformat())
    run.dossier.fire("dcourt", "postponement_requested", postponement_request(run))
    assert local_due(run.dossier, "court_acceptance").date() == date(2023, 3, 14)
    assert names(run.dossier, "document") == ["hoso.cnbb_don_hoan_mien"]
    # Accepted Mon 13/03: the judge decides within 3 working days → Thu 16/03/2023.
    run.step("dcourt", "request_accepted", lambda r: {"accepted_on": "2023-03-13", "judge_name": "TP Lan"}, 3 * DAY)
    assert run.dossier.deadlines()["court_acceptance"]["status"] == "met"
    assert local_due(run.dossier, "court_decision").date() == date(2023, 3, 16)
    run.refused(
        GuardFailedError,
        "đã được thụ lý",
        "dcourt",
        "request_accepted",
        {"accepted_on": "2023-03-13", "judge_name": "X"},
    )
    # Late: the miss is recorded and the procuracy told, the state stays.
    run.step("system", "court_time_limit_missed", none, 5 * DAY)
    assert run.dossier.state == "postponement_under_consideration"
    assert names(run.dossier, "notice")[-1] == "district_procuracy"
    run.step("dcourt", "postponed", court_decision, DAY)
    assert run.dossier.state == "postponed"
    assert run.dossier.open_tasks() == [("commune_police", "postponed")]
    assert run.dossier.deadlines()["execution_limitation"]["status"] == "open"


def test_exemption_grounds_follow_the_stage(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "awaiting_transfer")
    run.now += DAY
    voluntary = {**exemption_request(run), "exemption_ground": "voluntary_rehab_confirmed"}
    run.refused(GuardFailedError, "thời gian được hoãn", "dcourt", "exemption_requested", voluntary)
    run.refused(
        GuardFailedError,
        "chờ đưa vào cơ sở",
        "dcourt",
        "exemption_requested",
        {**voluntary, "requested_while": "postponed"},
    )
    run.step("dcourt", "exemption_requested", exemption_request, DAY)
    run.step("dcourt", "exempted", court_decision, DAY)
    assert run.dossier.state == "closed_exempted"
    assert names(run.dossier, "document")[-1] == "hoso.cnbb_quyet_dinh_mien"


# -- guards ---------------------------------------------------------------------------------------------------


def test_term_of_the_decision_by_age(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "decision_effective")
    run.now += HOUR
    run.refused(GuardFailedError, "từ 12 đến 24 tháng", "dcourt", "decision_sent", {**decision(run), "term_months": 25})
    run.refused(
        GuardFailedError, "Điều 96", "dcourt", "decision_sent", {**decision(run), "rehab_kind": "minor_compulsory"}
    )
    minor = start(cre_world, "2022-01-01", "decision_effective", minor=True)
    minor.now += HOUR
    minor.refused(
        GuardFailedError, "từ 06 đến 12 tháng", "dcourt", "decision_sent", {**decision(minor), "term_months": 18}
    )
    minor.step("dcourt", "decision_sent", lambda r: {**decision(r), "term_months": 9})
    assert minor.dossier.state == "awaiting_transfer"
    late = {**decision(run), "decision_effective_at": (run.now + DAY).isoformat()}
    run.refused(PayloadError, "hiệu lực", "dcourt", "decision_sent", late)


def test_reduction_conditions(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "serving")
    run.now += half_wait(18)
    run.refused(
        GuardFailedError, "khá trở lên", "director", "reduction_proposed", reduction_proposal(rating="average")(run)
    )
    run.refused(GuardFailedError, "từ 01 đến 03 tháng", "director", "reduction_proposed", reduction_proposal(4)(run))
    run.refused(
        GuardFailedError, "từ 01 đến 03 tháng", "director", "reduction_proposed", reduction_proposal(7, merit=True)(run)
    )
    run.step("director", "reduction_proposed", reduction_proposal(5, merit=True), DAY)
    assert run.dossier.state == "reduction_under_consideration"
    minor = start(cre_world, "2022-01-01", "serving", term_months=9, minor=True)
    minor.now += half_wait(9)
    minor.refused(GuardFailedError, "từ đủ 18 tuổi", "director", "reduction_proposed", reduction_proposal()(minor))


def test_exemption_of_the_remainder_after_half_the_term(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "serving")
    run.now += 30 * DAY
    early = remainder_proposal("clear_progress")(run)
    run.refused(GuardFailedError, "Điều 112", "director", "exemption_remainder_proposed", early)
    run.refused(
        GuardFailedError,
        "tạm đình chỉ",
        "director",
        "exemption_remainder_proposed",
        remainder_proposal("short_remainder_after_suspension")(run),
    )
    run.step("director", "exemption_remainder_proposed", remainder_proposal("merit"), half_wait(18))
    run.step("dcourt", "exempted", court_decision, DAY)
    assert run.dossier.state == "completing"
    assert names(run.dossier, "document")[-1] == "hoso.cnbb_quyet_dinh_mien_con_lai"


def test_suspension_needs_more_than_ten_days_of_treatment(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "in_hospital")
    run.now += 10 * DAY
    run.refused(GuardFailedError, "trên 10 ngày", "director", "suspension_proposed", suspension_proposal(10)(run))
    run.refused(
        GuardFailedError,
        "nội trú",
        "director",
        "suspension_proposed",
        suspension_proposal(15, "outpatient_facility_cannot_treat")(run),
    )
    minor = start(cre_world, "2022-01-01", "in_hospital", term_months=9, minor=True)
    minor.step("director", "suspension_proposed", suspension_proposal(11, "outpatient_facility_cannot_treat"), 11 * DAY)
    assert minor.dossier.state == "suspension_under_consideration"


def test_return_mode_decides_the_document(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "at_large")
    run.step("dpolice", "returned", lambda r: {"returned_at": r.now.isoformat(), "return_mode": "voluntary"}, DAY)
    assert names(run.dossier, "document") == ["hoso.cnbb_bien_ban_giao_nhan", "hoso.cnbb_quyet_dinh_truy_tim_co_so"]


# -- who may act ------------------------------------------------------------------------------------------------


def test_only_the_designated_facility_acts(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "awaiting_transfer")
    run.now += DAY
    run.refused(NotFoundError, "Không tìm thấy hồ sơ", "other_director", "handed_over", admission(run))


def test_roles_pass_to_the_successors(cre_world: World) -> None:
    world = cre_world
    world.at("2025-02-24T08:00:00+07:00")  # VN2021: district court and district police
    dossier = world.open("dcourt", procedure=CODE)
    run = Run(world, dossier, datetime(2025, 2, 24, 9, 0, tzinfo=VN_TZ), PROFILES["2022-01-01"])
    run.step("dcourt", "decision_sent", decision, HOUR)
    assert dossier.saved()["history"][-1]["regime"] == "VN2021"
    run.step("court", "postponement_requested", postponement_request, DAY)
    run.step("court", "postponed", court_decision, DAY)
    run.step("police", "ground_ended", lambda r: {"ended_on": r.now.date().isoformat(), "report": "Đã khỏi"}, DAY)
    # From 01/03/2025 the district police are gone: the escort is the commune or provincial police.
    run.now = datetime(2025, 3, 3, 9, 0, tzinfo=VN_TZ)
    run.refused(PermissionDeniedError, "Công an cấp huyện", "dpolice", "absconded", absconded_at(run))
    assert sorted(
        role for task in dossier.view("pc04")["tasks"] if task["status"] == "open" for role in task["holder_roles"]
    ) == [
        "commune_police",
        "police_unit",
        "rehab_facility_director",
    ]
    run.step("pc04", "absconded", absconded_at, HOUR)
    run.step("police", "found", lambda r: {"found_at": r.now.isoformat(), "return_mode": "voluntary"}, DAY)
    run.step("director", "handed_over", admission, DAY)
    # From 01/07/2025 the regional court decides for the facility's area; the district court no longer may.
    run.now = datetime(2025, 7, 2, 9, 0, tzinfo=VN_TZ)
    run.step("director", "hospitalised", lambda r: {"hospitalised_at": r.now.isoformat(), "hospital": "BV"}, HOUR)
    run.step("director", "suspension_proposed", suspension_proposal(12), 12 * DAY)
    run.refused(PermissionDeniedError, "Tòa án nhân dân cấp huyện", "dcourt", "suspended", court_decision(run))
    run.step("rcourt", "suspended", court_decision, HOUR)
    assert (dossier.state, dossier.saved()["history"][-1]["regime"]) == ("suspended_medical", "VN2025B")
    run.step(
        "rprocuracy",
        "challenge_filed",
        lambda r: {
            "filed_on": r.now.date().isoformat(),
            "filed_by": "procuracy",
            "decision_challenged": "QĐ tạm đình chỉ",
        },
        HOUR,
    )
    assert dossier.state == "suspended_medical"


# -- 2026: Luật 120/2025 ----------------------------------------------------------------------------------------


def test_2026_terms_are_fixed_by_law(cre_world: World) -> None:
    run = start(cre_world, "2026-07-01", "decision_effective")
    run.now += HOUR
    run.refused(GuardFailedError, "24 tháng", "rcourt", "decision_sent", {**decision(run), "term_months": 18})
    run.refused(
        GuardFailedError,
        "36 tháng",
        "rcourt",
        "decision_sent",
        {**decision(run), "term_months": 24, "rehab_count": "repeat"},
    )
    run.refused(PermissionDeniedError, "Tòa án", "dcourt", "decision_sent", decision(run))
    run.step("rcourt", "decision_sent", lambda r: {**decision(r), "term_months": 36, "rehab_count": "repeat"})
    assert sorted(names(run.dossier, "notice")) == ["police_unit", "regional_procuracy", "rehab_facility_director"]
    run.step(
        "director",
        "handed_over",
        lambda r: {**admission(r), "term_end_at": instant(add_months(r.now.date(), 36) - HELD_DAYS * DAY)},
        DAY,
    )
    assert local_due(run.dossier, "rehab_term").date() == add_months(run.now.date(), 36) - HELD_DAYS * DAY
    minor = start(cre_world, "2026-07-01", "serving", minor=True)
    assert minor.dossier.saved()["facts"]["rehab_kind"] == "minor_compulsory"


def test_2026_prison_first_then_the_rest_of_the_term(cre_world: World) -> None:
    run = start(cre_world, "2026-07-01", "serving_prison_term")
    # The term keeps running in prison (the rest is served on release); released early, back to the facility.
    assert run.dossier.deadlines()["rehab_term"]["status"] == "open"
    due = local_due(run.dossier, "rehab_term")
    run.step("director", "released_from_prison", lambda r: {"returned_at": r.now.isoformat()}, 100 * DAY)
    assert (run.dossier.state, local_due(run.dossier, "rehab_term")) == ("serving", due)


def test_completion_opens_post_rehab_supervision_with_the_completion_instant(cre_world: World) -> None:
    run = start(cre_world, "2022-01-01", "completed")
    completed_at = run.dossier.saved()["facts"]["rehab_completed_at"]
    outcomes = open_followups(cre_world.engine, cre_world.actors["system"])
    opened = next(outcome for outcome in outcomes if outcome.outcome == "opened")
    assert opened.dossier_id is not None
    child = Dossier(cre_world, opened.dossier_id).saved()
    assert child["procedure"] == "post_rehab_supervision"
    assert child["facts"] == {"rehab_completed_at": completed_at, "rehab_kind": "adult_compulsory"}
    assert child["history"][0]["payload"]["parent_id"] == run.dossier.id
