"""The life story of one person through seven dossiers, written once as data and run by any driver.

A man living in Phường Tây Hồ (Hà Nội) is found using heroin on Thursday 20/02/2025, while district police
still exist (regime VN2021). The story follows him through:

1. addiction determination (``determination``) — the district police test him and request the determination;
2. the voluntary-rehab registration window he lets pass across 01/03/2025 (``voluntary``), swept by the system;
3. a first compulsory-rehab dossier (``compulsory_1``) prepared by the commune police as successors of the
   commune chair and the district labour office, accepted by the district court, suspended, and resumed and
   decided after 01/07/2025 by the regional court (TAND khu vực) with the regional procuracy at the session, a
   complaint reviewed by the provincial court — a term of 18 months (12–24 before 01/07/2026);
4. its execution (``execution_1``), inheriting the decision's number, term and effective date: admission with
   the end of the term (a term date: it ends on a Saturday), 16 days at large that do not count, a reduction
   proposed on the very day half the term is served (a Sunday: an eligibility date is a term date, not moved to
   the next working day), the reduction, and the exemption of the remainder decided after 01/07/2026;
5. post-rehab supervision (``supervision``) under Luật 120/2025, 2 years from the day of completion;
6. a relapse in September 2026, in the supervision dossier: the Penal Code art. 256a check must be recorded,
   and cleared, before the relapse goes to determination — whose result the designated health facility
   records in that same dossier (under Luật 120/2025 no second addiction-determination dossier is opened: that
   procedure treats a use during post-rehab management as an art. 256a case, so it could never reach the
   administrative route the supervision dossier has cleared) — and then to compulsory rehab;
7. a second compulsory dossier (``compulsory_2``): 36 months as a repeat rehab (Luật 120/2025), the remedy
   window swept, and its execution (``execution_2``) opened.

At each step the story asserts the state, who must act next (the holders of the open tasks on that date, per
the regime of the date), the due dates of named deadlines with their legal explanation (time limits move past
days off, terms do not; pauses while at large or suspended are shown), the documents and follow-ups requested,
the regime and role recorded, and the refusals the law imposes. ``run_story`` runs it through a ``Driver``:
``EngineDriver`` here (the engine, on any ``Database`` — also used by ``bench/transitions.py``), and an HTTP
driver in ``tests/api/test_life_story_http.py``.

Only ``states`` and ``config`` are imported: the test suite, ``bench/transitions.py`` and ``hoso demo seed``
(people stopped at several points of the story) all run it::

    create_world(db, rulebook, StoryUnits(), password="…", now=clock.now())
    driver = EngineDriver(db, rulebook, clock=clock, checked=False)
    for serial in range(n):
        run_story(driver, subject=person(serial), verify=False)  # steps_count() transitions each
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from states.accounts import actor_by_username, create_unit, create_user
from states.actors import Actor
from states.cases import case_view
from states.chaining import open_followups
from states.clock import FixedClock
from states.engine import DossierEngine, FollowUp, SubjectInput
from states.errors import HosoError
from states.history_seal import DEVELOPMENT_KEYS, HistoryKeys
from states.identity import make_id_number
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database
from states.sweep import SweepOutcome, sweep_due_deadlines
from states.views import dossier_view

# -- who and where -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    full_name: str
    date_of_birth: date
    id_number: str
    commune_code: str
    sex: str
    address: str

    def subject(self) -> SubjectInput:
        return SubjectInput(
            full_name=self.full_name,
            date_of_birth=self.date_of_birth,
            id_number=self.id_number,
            commune_code=self.commune_code,
            sex=self.sex,
            address=self.address,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "id_number": self.id_number,
            "commune_code": self.commune_code,
            "sex": self.sex,
            "address": self.address,
        }


def person(serial: int = 250220) -> Person:
    """The man of the story (another ``serial`` gives another person with the same life, e.g. for a benchmark)."""
    born = date(1991, 9, 14)
    return Person(
        full_name="Trần Văn Hùng",
        date_of_birth=born,
        id_number=make_id_number("001", born, "male", serial),
        commune_code="00103",
        sex="male",
        address="Tổ dân phố số 5, phường Tây Hồ, Hà Nội",
    )


@dataclass(frozen=True)
class StoryUnits:
    """The units of the story, by code. The competent regional court and procuracy of the commune are
    parameters (a data file of courts per commune can supply them); the district units are historical (they
    existed until 28/02/2025 for the police, 30/06/2025 for the courts) and are stored as they were."""

    commune_code: str = "00103"
    commune_police: str = "CAX-00103"
    commune_committee: str = "UBX-00103"
    provincial_police: str = "CAT-01"
    health_facility: str = "CSYT-01-01"
    rehab_facility: str = "CSCN-01-01"
    regional_court: str = "TAKV-01-01"
    regional_procuracy: str = "VKSKV-01-01"
    provincial_court: str = "TAT-01"
    provincial_procuracy: str = "VKST-01"
    district_police: str = "CAQ-01-TAYHO"
    district_court: str = "TAQ-01-TAYHO"
    district_procuracy: str = "VKSQ-01-TAYHO"
    national: str = "HT"

    def current(self) -> list[dict[str, Any]]:
        """Units created as any unit is today (``create_unit``)."""
        commune, province = self.commune_code, "01"
        return [
            {"code": self.national, "name": "Hệ thống", "kind": "national"},
            {
                "code": self.commune_police,
                "name": "Công an phường Tây Hồ",
                "kind": "commune_police",
                "commune_code": commune,
            },
            {
                "code": self.commune_committee,
                "name": "UBND phường Tây Hồ",
                "kind": "commune_committee",
                "commune_code": commune,
            },
            {
                "code": self.provincial_police,
                "name": "Công an thành phố Hà Nội",
                "kind": "provincial_police",
                "province_code": province,
            },
            {
                "code": self.health_facility,
                "name": "Bệnh viện Tâm thần Hà Nội",
                "kind": "health_facility",
                "province_code": province,
            },
            {
                "code": self.rehab_facility,
                "name": "Cơ sở cai nghiện ma túy số 1 Hà Nội",
                "kind": "rehab_facility",
                "province_code": province,
            },
            {
                "code": self.regional_court,
                "name": "Tòa án nhân dân khu vực 1 - Hà Nội",
                "kind": "regional_court",
                "province_code": province,
            },
            {
                "code": self.regional_procuracy,
                "name": "Viện kiểm sát nhân dân khu vực 1 - Hà Nội",
                "kind": "regional_procuracy",
                "province_code": province,
            },
            {
                "code": self.provincial_court,
                "name": "Tòa án nhân dân thành phố Hà Nội",
                "kind": "provincial_court",
                "province_code": province,
            },
            {
                "code": self.provincial_procuracy,
                "name": "Viện kiểm sát nhân dân thành phố Hà Nội",
                "kind": "provincial_procuracy",
                "province_code": province,
            },
        ]

    def historical(self) -> list[dict[str, Any]]:
        """Units of kinds abolished by the 2025 reforms, stored as they existed (held to their province)."""
        return [
            {"code": self.district_police, "name": "Công an quận Tây Hồ", "kind": "district_police"},
            {"code": self.district_court, "name": "Tòa án nhân dân quận Tây Hồ", "kind": "district_court"},
            {
                "code": self.district_procuracy,
                "name": "Viện kiểm sát nhân dân quận Tây Hồ",
                "kind": "district_procuracy",
            },
        ]

    def officers(self) -> dict[str, tuple[str, str]]:
        """Officer label (also the username) → (role, unit code)."""
        return {
            "district_police": ("district_police", self.district_police),
            "district_court": ("district_court", self.district_court),
            "commune_police": ("commune_police", self.commune_police),
            "commune_chair": ("commune_chair", self.commune_committee),
            "registrar": ("voluntary_rehab_registration_officer", self.commune_committee),
            "supervisor": ("post_rehab_supervisor", self.commune_committee),
            "pc04": ("police_unit", self.provincial_police),
            "clerk": ("health_facility", self.health_facility),
            "physician": ("physician", self.health_facility),
            "facility_head": ("facility_head", self.health_facility),
            "regional_court": ("regional_court", self.regional_court),
            "regional_procuracy": ("regional_procuracy", self.regional_procuracy),
            "provincial_court": ("provincial_court", self.provincial_court),
            "director": ("rehab_facility_director", self.rehab_facility),
            "system": ("system", self.national),
        }


READER = "commune_police"
"""Every expectation is read as the commune police of the person's commune: they follow all his dossiers."""


# -- the vocabulary of the story -------------------------------------------------------------------------------


def t(text: str) -> datetime:
    """A moment in Vietnamese time, written ``YYYY-MM-DD HH:MM[:SS]``."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def iso(text: str) -> str:
    """The ISO 8601 form (with +07:00) of a moment written ``YYYY-MM-DD HH:MM``, as payloads carry it."""
    return t(text).isoformat()


@dataclass(frozen=True)
class Due:
    """A deadline as the dossier shows it: its due date (local) and its legal explanation."""

    rule_id: str
    due: str | None = None
    """``YYYY-MM-DD HH:MM:SS`` local, compared to the second."""
    status: str = "open"
    nature: str | None = None
    basis: str | None = None
    """A piece of ``explanation.legal_basis``."""
    start_source: str | None = None
    rolled_from: str | None = None
    """The calendar day the time limit fell on before moving past days off (Civil Code Art. 148)."""
    not_counted_days: float | None = None
    """The time the clock stood still (pauses), in days."""


@dataclass(frozen=True)
class Expect:
    state: str | None = None
    version: str | None = None
    """The procedure version the dossier is pinned to."""
    closed: bool | None = None
    next_roles: tuple[str, ...] | None = None
    """The roles holding the open tasks today (successors per the regime of the date), sorted."""
    deadlines: tuple[Due, ...] = ()
    documents: tuple[str, ...] | None = None
    """Official forms requested by the last step (outbox ``document`` rows of its history row)."""
    followups: tuple[str, ...] | None = None
    """Procedures the last step asked to open (outbox ``start_procedure``)."""
    notices: Mapping[str, tuple[str, ...]] | None = None
    """Notices of the last step: declared role → roles holding it on the day."""
    window: tuple[str, str] | None = None
    """(follow-up procedure, due ``YYYY-MM-DD HH:MM:SS``) of the window handed over by the last step."""
    regime: str | None = None
    actor_role: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Open:
    at: datetime
    dossier: str
    officer: str
    procedure: str
    occurred_on: date | None
    expect: Expect
    note: str = ""


@dataclass(frozen=True)
class Act:
    at: datetime
    dossier: str
    officer: str
    event: str
    payload: Mapping[str, Any]
    expect: Expect
    note: str = ""


@dataclass(frozen=True)
class Refuse:
    """A step the law refuses on that day: nothing is saved."""

    at: datetime
    dossier: str
    officer: str
    event: str
    payload: Mapping[str, Any]
    code: str
    """``permission_denied`` (403), ``guard_failed``, ``payload`` (422), ``transition_not_allowed`` (409)."""
    says: tuple[str, ...]
    """Pieces of the Vietnamese refusal."""
    note: str = ""


@dataclass(frozen=True)
class Opened:
    """A follow-up the drain opens (or links to a dossier of the person already open)."""

    dossier: str
    procedure: str
    parent: str
    outcome: str = "opened"
    expect: Expect = field(default_factory=Expect)


@dataclass(frozen=True)
class Drain:
    """``hoso outbox drain``: the follow-ups steps asked for, opened by the ``system`` identity."""

    at: datetime
    followups: tuple[Opened, ...]
    note: str = ""


@dataclass(frozen=True)
class Swept:
    dossier: str
    rule_id: str
    event: str
    expect: Expect = field(default_factory=Expect)


@dataclass(frozen=True)
class Sweep:
    """``hoso deadlines sweep``: the expiry events of every legal deadline past due, fired by ``system``."""

    at: datetime
    fired: tuple[Swept, ...]
    note: str = ""


@dataclass(frozen=True)
class CaseNow:
    state: str
    next_roles: tuple[str, ...]
    until: tuple[str, ...] = ()
    """Rule ids of the running terms and time limits, earliest first."""


@dataclass(frozen=True)
class Case:
    """The person's case (GET /api/v1/persons/{id_number}/case) as the reader sees it."""

    at: datetime
    now: Mapping[str, CaseNow]
    parents: Mapping[str, str | None]
    officer: str = READER
    note: str = ""


Step = Open | Act | Refuse | Drain | Sweep | Case


@dataclass(frozen=True)
class Chapter:
    title: str
    steps: tuple[Step, ...]


# -- the story -----------------------------------------------------------------------------------------------

PENAL_256A = "BLHS Điều 256a"


def chapters(units: StoryUnits | None = None) -> tuple[Chapter, ...]:
    """The story, chapter by chapter. Unit codes come from ``units`` (the chosen facilities and courts)."""
    units = units or StoryUnits()
    health, rehab = units.health_facility, units.rehab_facility
    return (
        Chapter(
            "1. Phát hiện và xác định tình trạng nghiện — 20–26/02/2025, khung pháp lý 2021 (còn Công an cấp huyện)",
            (
                Open(
                    t("2025-02-20 09:00"),
                    "determination",
                    "district_police",
                    "addiction_determination",
                    date(2025, 2, 20),
                    Expect(
                        state="opened",
                        version="2022-01-01",
                        next_roles=("commune_police",),
                        regime="VN2021",
                        actor_role="district_police",
                    ),
                    "Công an quận Tây Hồ phát hiện; ngày của sự việc quyết định phiên bản 2022-01-01 và chế độ VN2021",
                ),
                Act(
                    t("2025-02-20 09:30"),
                    "determination",
                    "district_police",
                    "test_positive",
                    {
                        "tested_at": iso("2025-02-20 09:15"),
                        "test_ground": "caught_using",
                        "sample_type": "urine",
                        "substances": "Heroin",
                    },
                    Expect(
                        state="user_confirmed",
                        next_roles=("commune_police",),
                        documents=("nd105.m03",),
                        regime="VN2021",
                        actor_role="district_police",
                        deadlines=(Due("status_check_target", "2025-02-20 23:59:59"),),
                    ),
                    "Xét nghiệm dương tính (Mẫu 03 NĐ 105/2021); kiểm tra tình trạng trong ngày (chỉ tiêu hệ thống)",
                ),
                Act(
                    t("2025-02-20 10:00"),
                    "determination",
                    "district_police",
                    "status_checked",
                    {"art27_case": "a"},
                    Expect(
                        state="determination_required",
                        next_roles=("commune_police",),
                        deadlines=(Due("status_check_target", status="met"),),
                    ),
                    "Điều 27 khoản 1 điểm a; trước 01/07/2025 không phải kiểm tra Điều 256a BLHS",
                ),
                Act(
                    t("2025-02-20 10:30"),
                    "determination",
                    "district_police",
                    "request_sent",
                    {"facility_unit": health, "request_number": "15/GĐN-CAQ"},
                    Expect(state="requested", next_roles=("health_facility",), documents=("nd109.m02",)),
                    "Giấy đề nghị xác định tình trạng nghiện (Mẫu 02 NĐ 109/2021) gửi cơ sở y tế đủ điều kiện",
                ),
                Act(
                    t("2025-02-21 08:30"),
                    "determination",
                    "clerk",
                    "received",
                    {
                        "received_at": iso("2025-02-21 08:30"),
                        "assessment_place": "facility",
                        "substance_class": "opioid",
                    },
                    Expect(
                        state="under_observation",
                        next_roles=("facility_head", "physician"),
                        documents=("tt18.pl03",),
                    ),
                ),
                Act(
                    t("2025-02-25 15:00"),
                    "determination",
                    "facility_head",
                    "concluded_addicted",
                    {
                        "concluded_on": "2025-02-25",
                        "criteria_met": 4,
                        "criterion_6_met": True,
                        "physician_name": "BS. Nguyễn Thu Hà",
                    },
                    Expect(
                        state="addicted",
                        next_roles=("commune_police",),
                        documents=("nd109.m04",),
                        deadlines=(Due("result_service_target", "2025-02-26 23:59:59"),),
                    ),
                    "Đủ 4/6 tiêu chuẩn (TT 18/2021 Điều 4): kết luận nghiện, phiếu kết quả Mẫu 04 NĐ 109/2021",
                ),
                Act(
                    t("2025-02-26 09:00"),
                    "determination",
                    "district_police",
                    "result_served",
                    {"served_at": iso("2025-02-26 09:00")},
                    Expect(
                        state="closed_addicted",
                        closed=True,
                        documents=("hoso.thong_bao_ket_qua",),
                        followups=("voluntary_rehab",),
                        # 05 working days from the notification (Wed 26/02): Thu 27, Fri 28, Mon 03, Tue 04, Wed 05/03.
                        window=("voluntary_rehab", "2025-03-05 23:59:59"),
                        notices={"commune_chair": ("commune_chair",)},
                        regime="VN2021",
                        actor_role="district_police",
                        deadlines=(Due("result_service_target", status="met"),),
                    ),
                    "Thông báo kết quả: phải đăng ký cai nghiện tự nguyện trong 05 ngày làm việc (NĐ 116/2021 Điều 3)",
                ),
            ),
        ),
        Chapter(
            "2. Không đăng ký cai nghiện tự nguyện trong thời hạn — qua mốc 01/03/2025 (Bộ Công an quản lý cai nghiện)",
            (
                Drain(
                    t("2025-02-26 10:00"),
                    (
                        Opened(
                            "voluntary",
                            "voluntary_rehab",
                            parent="determination",
                            expect=Expect(
                                state="registration_open",
                                version="2022-01-01",
                                next_roles=("voluntary_rehab_registration_officer",),
                                facts={"served_at": iso("2025-02-26 09:00")},
                                deadlines=(
                                    Due(
                                        "registration_window",
                                        "2025-03-05 23:59:59",
                                        nature="time_limit",
                                        basis="NĐ 116/2021/NĐ-CP Điều 3 khoản 3",
                                        start_source="fact:served_at",
                                    ),
                                ),
                            ),
                        ),
                    ),
                    "Hồ sơ cai nghiện tự nguyện mở tiếp nối, kế thừa thời điểm thông báo (served_at)",
                ),
                Case(
                    t("2025-02-26 10:05"),
                    now={
                        "voluntary": CaseNow(
                            "registration_open", ("voluntary_rehab_registration_officer",), ("registration_window",)
                        )
                    },
                    parents={"determination": None, "voluntary": "determination"},
                ),
                Sweep(
                    t("2025-03-06 08:00"),
                    (
                        Swept(
                            "voluntary",
                            "registration_window",
                            "window_expired",
                            Expect(
                                state="not_registered",
                                next_roles=("commune_police",),
                                regime="VN2025A",
                                actor_role="system",
                                notices={"commune_police": ("commune_police",)},
                                deadlines=(Due("registration_window", status="expired"),),
                            ),
                        ),
                    ),
                    "Hết thời hạn 05 ngày làm việc mà không đăng ký: hệ thống ghi nhận, báo Công an cấp xã",
                ),
                Act(
                    t("2025-03-07 09:00"),
                    "voluntary",
                    "commune_police",
                    "violation_recorded",
                    {"recorded_on": "2025-03-07", "record_number": "03/BB-VPHC"},
                    Expect(
                        state="failed",
                        next_roles=("commune_police",),
                        documents=("nd116.m27",),
                        regime="VN2025A",
                        actor_role="commune_police",
                    ),
                    "Biên bản vi phạm Mẫu 27 NĐ 116/2021",
                ),
                Act(
                    t("2025-03-07 09:30"),
                    "voluntary",
                    "commune_police",
                    "compulsory_dossier_opened",
                    {"opened_on": "2025-03-07"},
                    Expect(
                        state="handed_to_compulsory_adult",
                        closed=True,
                        documents=(),
                        followups=("compulsory_rehab_adult",),
                    ),
                    "Luật PCMT 73/2021 Điều 32: lập hồ sơ đưa vào cơ sở cai nghiện bắt buộc",
                ),
            ),
        ),
        Chapter(
            "3. Hồ sơ đưa vào cơ sở cai nghiện bắt buộc lần thứ nhất — Công an cấp xã lập hồ sơ (từ 01/03/2025), "
            "TAND khu vực quyết định (từ 01/07/2025), TAND cấp tỉnh xét lại",
            (
                Drain(
                    t("2025-03-07 10:00"),
                    (
                        Opened(
                            "compulsory_1",
                            "compulsory_rehab_adult",
                            parent="voluntary",
                            expect=Expect(state="detected", version="2022-01-01", next_roles=("commune_police",)),
                        ),
                    ),
                ),
                Act(
                    t("2025-03-10 09:00"),
                    "compulsory_1",
                    "commune_police",
                    "violation_recorded",
                    {
                        "detected_at": iso("2025-03-10 09:00"),
                        "record_number": "04/BB-VPHC",
                        "art32_case": "voluntary_not_done",
                        "addiction_status": "determined",
                    },
                    Expect(
                        state="dossier_in_preparation",
                        # The task of the commune chair (compulsory_rehab_adult_dossier_chair) is held by the commune
                        # police from 01/03/2025 (TTLT 03/2025).
                        next_roles=("commune_police",),
                        documents=("nd116.m27",),
                        regime="VN2025A",
                        # 05 working days from Mon 10/03: Tue 11 … Fri 14, Mon 17/03.
                        deadlines=(Due("dossier_preparation", "2025-03-17 23:59:59", basis="NĐ 116/2021/NĐ-CP"),),
                    ),
                ),
                Refuse(
                    t("2025-03-11 09:00"),
                    "compulsory_1",
                    "district_police",
                    "interim_management_set",
                    {"interim_from": "2025-03-11", "placement": "home", "family_member": "Nguyễn Thị Lan (mẹ)"},
                    "permission_denied",
                    ("Công an cấp huyện", "vào ngày 2025-03-11", "Cán bộ Công an cấp xã"),
                    "Công an cấp huyện không còn từ 01/03/2025: bước của họ do người kế nhiệm thực hiện",
                ),
                Act(
                    t("2025-03-11 09:30"),
                    "compulsory_1",
                    "commune_police",
                    "interim_management_set",
                    {"interim_from": "2025-03-11", "placement": "home", "family_member": "Nguyễn Thị Lan (mẹ)"},
                    Expect(state="dossier_in_preparation", documents=("nd116.m35",), actor_role="commune_police"),
                ),
                Act(
                    t("2025-03-13 10:00"),
                    "compulsory_1",
                    "commune_police",
                    "dossier_completed",
                    {"notified_at": iso("2025-03-13 10:00"), "notified_to": "subject"},
                    Expect(
                        state="dossier_open_for_reading",
                        next_roles=("commune_police",),
                        documents=("nd116.m30", "hoso.crad_thong_bao_lap_ho_so"),
                        deadlines=(
                            Due("dossier_preparation", status="met"),
                            Due("reading_period", "2025-03-20 23:59:59"),
                        ),
                    ),
                ),
                Act(
                    t("2025-03-17 09:00"),
                    "compulsory_1",
                    "commune_police",
                    "reading_done",
                    {"read_at": iso("2025-03-17 09:00"), "notes": "Không có ý kiến"},
                    Expect(
                        state="legality_check",
                        # The district labour office's legality check passed to the commune police (unverified).
                        next_roles=("commune_police",),
                        deadlines=(Due("legality_check_limit", "2025-03-24 23:59:59"),),
                    ),
                ),
                Act(
                    t("2025-03-18 09:00"),
                    "compulsory_1",
                    "commune_police",
                    "check_passed",
                    {"checked_on": "2025-03-18"},
                    Expect(state="proposal_drafting", documents=("hoso.crad_ket_qua_kiem_tra",)),
                ),
                Act(
                    t("2025-03-20 09:00"),
                    "compulsory_1",
                    "commune_police",
                    "proposal_sent",
                    {"received_by_court_at": iso("2025-03-20 09:00"), "proposal_number": "12/ĐN-CAP"},
                    Expect(
                        state="at_court_registry",
                        next_roles=("district_court",),
                        documents=("hoso.crad_van_ban_de_nghi",),
                        notices={"district_court": ("district_court",)},
                        deadlines=(
                            Due("court_acceptance_limit", "2025-03-21 23:59:59"),
                            Due("court_return_limit", "2025-03-24 23:59:59"),
                        ),
                    ),
                    "Tòa án nhân dân quận Tây Hồ vẫn tồn tại đến 30/06/2025",
                ),
                Act(
                    t("2025-03-21 09:00"),
                    "compulsory_1",
                    "district_court",
                    "accepted",
                    {"consideration_started_at": iso("2025-03-21 09:00"), "case_number": "08/2025/TLST-CNBB"},
                    Expect(
                        state="accepted",
                        next_roles=("district_court",),
                        documents=("hoso.crad_thu_ly_phan_cong",),
                        regime="VN2025A",
                        actor_role="district_court",
                        # 15 days from Fri 21/03 fall on Sat 05/04: a time limit moves past Sat 05, Sun 06 and Mon
                        # 07/04 (Giỗ Tổ Hùng Vương) to the end of Tue 08/04 (Civil Code Art. 148).
                        deadlines=(
                            Due(
                                "decision_limit",
                                "2025-04-08 23:59:59",
                                nature="time_limit",
                                basis="PL 03/2022/UBTVQH15",
                                rolled_from="2025-04-05",
                            ),
                        ),
                    ),
                ),
                Act(
                    t("2025-03-21 10:00"),
                    "compulsory_1",
                    "district_court",
                    "judge_assigned",
                    {"assigned_at": iso("2025-03-21 10:00"), "judge_name": "Thẩm phán Phạm Quang Huy"},
                    Expect(state="under_study", deadlines=(Due("court_acceptance_limit", status="met"),)),
                ),
                Act(
                    t("2025-03-28 09:00"),
                    "compulsory_1",
                    "district_court",
                    "ground_to_suspend",
                    {"decided_on": "2025-03-28", "ground": "awaiting_assessment"},
                    Expect(
                        state="suspended",
                        documents=("hoso.crad_qd_tam_dinh_chi",),
                        deadlines=(Due("decision_limit", "2025-04-08 23:59:59", status="paused"),),
                    ),
                    "Tạm đình chỉ chờ kết quả đánh giá: thời hạn ra quyết định dừng lại",
                ),
                Refuse(
                    t("2025-07-03 09:00"),
                    "compulsory_1",
                    "district_court",
                    "ground_ended",
                    {"decided_on": "2025-07-03"},
                    "permission_denied",
                    ("Tòa án nhân dân cấp huyện", "vào ngày 2025-07-03", "Tòa án nhân dân khu vực"),
                    "Từ 01/07/2025 không còn Tòa án cấp huyện (Luật 81/2025/QH15)",
                ),
                Act(
                    t("2025-07-03 09:30"),
                    "compulsory_1",
                    "regional_court",
                    "ground_ended",
                    {"decided_on": "2025-07-03"},
                    Expect(
                        state="under_study",
                        # NQ 01/2025/NQ-HĐTP Art. 6: a matter the district court had accepted goes on at the regional
                        # court; its open task is now held by the regional court.
                        next_roles=("regional_court",),
                        regime="VN2025B",
                        actor_role="regional_court",
                        # 8 of the 15 days (to Sat 05/04) remained on 28/03: counted again from 03/07 they end on
                        # Fri 11/07/2025; the 97 days of suspension are not counted.
                        deadlines=(Due("decision_limit", "2025-07-11 23:59:59", not_counted_days=97),),
                    ),
                ),
                Act(
                    t("2025-07-04 09:00"),
                    "compulsory_1",
                    "regional_court",
                    "session_opened",
                    {"decided_on": "2025-07-04", "planned_for": "08:00 ngày 10/07/2025, trực tuyến", "online": True},
                    Expect(
                        state="session_scheduled",
                        next_roles=("regional_court", "regional_procuracy"),
                        documents=("hoso.crad_mo_phien_hop",),
                        notices={
                            "district_procuracy": ("regional_procuracy",),
                            "district_labour_office": ("commune_police",),
                        },
                    ),
                    "VKSND khu vực tham gia phiên họp (Luật 82/2025/QH15)",
                ),
                Act(
                    t("2025-07-10 08:00"),
                    "compulsory_1",
                    "regional_court",
                    "session_held",
                    {"held_at": iso("2025-07-10 08:00"), "procurator_present": True, "online": True},
                    Expect(state="deliberation", documents=("hoso.crad_bien_ban_phien_hop",)),
                ),
                Refuse(
                    t("2025-07-10 11:00"),
                    "compulsory_1",
                    "regional_court",
                    "decide_apply",
                    {"announced_at": iso("2025-07-10 11:00"), "decision_number": "25/2025/QĐ-TA", "term_months": 30},
                    "guard_failed",
                    ("từ 12 tháng đến 24 tháng", "Điều 95 Luật XLVPHC"),
                    "Trước 01/07/2026 thời hạn do Tòa án quyết định từ 12 đến 24 tháng",
                ),
                Act(
                    t("2025-07-10 11:00"),
                    "compulsory_1",
                    "regional_court",
                    "decide_apply",
                    {"announced_at": iso("2025-07-10 11:00"), "decision_number": "25/2025/QĐ-TA", "term_months": 18},
                    Expect(
                        state="decided_apply",
                        documents=("hoso.crad_qd_ap_dung",),
                        facts={"term_months": 18, "decision_number": "25/2025/QĐ-TA"},
                        deadlines=(
                            Due("decision_limit", status="met"),
                            # 05 working days from Thu 10/07: Fri 11, Mon 14 … Thu 17/07.
                            Due("remedy_window", "2025-07-17 23:59:59", nature="time_limit", basis="PL 03/2022"),
                        ),
                    ),
                ),
                Act(
                    t("2025-07-14 09:00"),
                    "compulsory_1",
                    "regional_court",
                    "complaint_filed",
                    {"filed_on": "2025-07-14", "filer": "subject", "grounds": "Không đồng ý với thời hạn 18 tháng"},
                    Expect(
                        state="under_review_apply",
                        next_roles=("provincial_court", "regional_court"),
                        documents=("hoso.crad_don_khieu_nai",),
                    ),
                ),
                Act(
                    t("2025-07-15 09:00"),
                    "compulsory_1",
                    "regional_court",
                    "file_forwarded",
                    {"forwarded_at": iso("2025-07-15 09:00")},
                    Expect(
                        state="under_review_apply",
                        notices={
                            "provincial_court": ("provincial_court",),
                            "provincial_procuracy": ("provincial_procuracy",),
                        },
                        deadlines=(Due("review_limit", "2025-07-24 23:59:59"),),
                    ),
                ),
                Act(
                    t("2025-07-22 09:00"),
                    "compulsory_1",
                    "provincial_court",
                    "review_upholds",
                    {"decided_on": "2025-07-22", "review_decision_number": "05/2025/QĐ-XL"},
                    Expect(
                        state="effective_apply",
                        next_roles=("regional_court",),
                        documents=("hoso.crad_qd_xet_lai",),
                        actor_role="provincial_court",
                        deadlines=(Due("review_limit", status="met"),),
                    ),
                ),
                Act(
                    t("2025-07-24 09:00"),
                    "compulsory_1",
                    "regional_court",
                    "handover_to_execution",
                    {
                        "handed_over_on": "2025-07-24",
                        "decision_effective_at": iso("2025-07-22 00:00"),
                        "executing_police": "Công an phường Tây Hồ",
                    },
                    Expect(
                        state="handed_to_execution",
                        closed=True,
                        followups=("compulsory_rehab_execution",),
                        notices={"commune_police": ("commune_police",)},
                    ),
                ),
            ),
        ),
        Chapter(
            "4. Thi hành tại cơ sở cai nghiện bắt buộc — bỏ trốn, giảm thời hạn, miễn chấp hành phần còn lại",
            (
                Drain(
                    t("2025-07-24 10:00"),
                    (
                        Opened(
                            "execution_1",
                            "compulsory_rehab_execution",
                            parent="compulsory_1",
                            expect=Expect(
                                state="decision_effective",
                                version="2022-01-01",
                                next_roles=("regional_court",),
                                # The court decision is not typed again: number, term and effective date inherited.
                                facts={
                                    "decision_number": "25/2025/QĐ-TA",
                                    "term_months": 18,
                                    "decision_effective_at": iso("2025-07-22 00:00"),
                                },
                            ),
                        ),
                    ),
                ),
                Case(
                    t("2025-07-24 10:05"),
                    now={"execution_1": CaseNow("decision_effective", ("regional_court",))},
                    parents={
                        "determination": None,
                        "voluntary": "determination",
                        "compulsory_1": "voluntary",
                        "execution_1": "compulsory_1",
                    },
                ),
                Act(
                    t("2025-07-25 09:00"),
                    "execution_1",
                    "regional_court",
                    "decision_sent",
                    {
                        "sent_at": iso("2025-07-25 09:00"),
                        "decision_date": "2025-07-10",
                        "rehab_kind": "adult_compulsory",
                        "facility_unit": rehab,
                    },
                    Expect(
                        state="awaiting_transfer",
                        # The escort task of the district police is held by the commune police and the provincial
                        # police units from 01/03/2025.
                        next_roles=("commune_police", "police_unit", "rehab_facility_director"),
                        notices={
                            "district_police": ("commune_police", "police_unit"),
                            "rehab_facility_director": ("rehab_facility_director",),
                            "district_procuracy": ("regional_procuracy",),
                        },
                        deadlines=(
                            Due(
                                "execution_limitation",
                                "2026-07-22 23:59:59",
                                basis="Luật XLVPHC Điều 108",
                                start_source="fact:decision_effective_at",
                            ),
                        ),
                    ),
                    "Thời hiệu thi hành 01 năm tính từ ngày quyết định có hiệu lực (kế thừa từ hồ sơ Tòa án)",
                ),
                Refuse(
                    t("2025-07-30 09:00"),
                    "execution_1",
                    "director",
                    "handed_over",
                    {
                        "admitted_at": iso("2025-07-30 09:00"),
                        "held_days": 0,
                        "term_end_at": iso("2027-02-01 00:00"),
                        "zone": "adult",
                    },
                    "guard_failed",
                    ("ngày kết thúc phải là 30/01/2027",),
                    "18 tháng từ 30/07/2025 hết vào thứ Bảy 30/01/2027: thời hạn không lùi sang ngày làm việc",
                ),
                Act(
                    t("2025-07-30 09:00"),
                    "execution_1",
                    "director",
                    "handed_over",
                    {
                        "admitted_at": iso("2025-07-30 09:00"),
                        "held_days": 0,
                        "term_end_at": iso("2027-01-30 00:00"),
                        "zone": "adult",
                    },
                    Expect(
                        state="serving",
                        next_roles=("rehab_facility_director",),
                        documents=("hoso.cnbb_bien_ban_giao_nhan",),
                        deadlines=(
                            Due("execution_limitation", status="met"),
                            Due(
                                "rehab_term",
                                "2027-01-30 23:59:59",
                                nature="term",
                                basis="không tính thời gian bỏ trốn (Điều 56 khoản 4)",
                                start_source="fact:term_end_at",
                            ),
                        ),
                    ),
                ),
                Act(
                    t("2025-10-06 20:00"),
                    "execution_1",
                    "director",
                    "absconded",
                    {"absconded_at": iso("2025-10-06 20:00"), "pursuit_decision_number": "07/QĐ-TT"},
                    Expect(
                        state="at_large",
                        next_roles=("commune_police", "police_unit", "rehab_facility_director"),
                        documents=("hoso.cnbb_quyet_dinh_truy_tim_co_so",),
                        notices={"district_police": ("commune_police", "police_unit")},
                        deadlines=(Due("rehab_term", "2027-01-30 23:59:59", status="paused"),),
                    ),
                    "Thời gian bỏ trốn không tính vào thời hạn (NĐ 116/2021 Điều 56 khoản 4)",
                ),
                Act(
                    t("2025-10-22 20:00"),
                    "execution_1",
                    "pc04",
                    "returned",
                    {"returned_at": iso("2025-10-22 20:00"), "return_mode": "voluntary"},
                    Expect(
                        state="serving",
                        regime="VN2025B",
                        actor_role="police_unit",
                        # 16 days at large: the end of the term moves from Sat 30/01 to Mon 15/02/2027.
                        deadlines=(Due("rehab_term", "2027-02-15 23:59:59", nature="term", not_counted_days=16),),
                    ),
                ),
                Refuse(
                    t("2026-05-16 09:00"),
                    "execution_1",
                    "director",
                    "reduction_proposed",
                    {
                        "proposed_on": "2026-05-16",
                        "rating_last_3_months": "good",
                        "merit": False,
                        "months_proposed": 3,
                    },
                    "guard_failed",
                    ("Chưa chấp hành được một nửa thời hạn",),
                    "Một nửa của 549 ngày, cộng 16 ngày bỏ trốn: chưa đủ vào thứ Bảy 16/05/2026",
                ),
                Act(
                    t("2026-05-17 09:00"),
                    "execution_1",
                    "director",
                    "reduction_proposed",
                    {
                        "proposed_on": "2026-05-17",
                        "rating_last_3_months": "good",
                        "merit": False,
                        "months_proposed": 3,
                    },
                    Expect(
                        state="reduction_under_consideration",
                        next_roles=("regional_court",),
                        documents=("hoso.cnbb_van_ban_de_nghi",),
                        notices={
                            "district_court": ("regional_court",),
                            "district_procuracy": ("regional_procuracy",),
                        },
                    ),
                    "Đủ điều kiện đúng ngày Chủ nhật 17/05/2026: mốc đủ điều kiện là mốc thời hạn, không lùi ngày",
                ),
                Act(
                    t("2026-05-25 09:00"),
                    "execution_1",
                    "regional_court",
                    "reduced",
                    {
                        "decided_on": "2026-05-25",
                        "court_decision_number": "14/2026/QĐ-GTH",
                        "months_granted": 3,
                        "term_end_at": iso("2026-11-15 00:00"),
                    },
                    Expect(
                        state="serving",
                        documents=("hoso.cnbb_quyet_dinh_giam",),
                        # 15/02/2027 less 3 months: Sunday 15/11/2026, a term that does not move.
                        deadlines=(Due("rehab_term", "2026-11-15 23:59:59", nature="term"),),
                    ),
                ),
                Act(
                    t("2026-06-15 09:00"),
                    "execution_1",
                    "director",
                    "exemption_remainder_proposed",
                    {
                        "proposed_on": "2026-06-15",
                        "remainder_ground": "clear_progress",
                        "details": "Tiến bộ rõ rệt, xếp loại tốt 06 tháng liên tục",
                    },
                    Expect(state="exemption_remainder_under_consideration", next_roles=("regional_court",)),
                ),
                Act(
                    t("2026-07-07 09:00"),
                    "execution_1",
                    "regional_court",
                    "exempted",
                    {"decided_on": "2026-07-07", "court_decision_number": "21/2026/QĐ-MCL"},
                    Expect(
                        state="completing",
                        version="2022-01-01",
                        next_roles=("rehab_facility_director",),
                        documents=("hoso.cnbb_quyet_dinh_mien_con_lai",),
                        regime="VN2026",
                        deadlines=(Due("rehab_term", status="met"),),
                    ),
                    "Người đang chấp hành tiếp tục theo quy định cũ đến khi xong (Luật 120/2025, điều chuyển tiếp)",
                ),
                Act(
                    t("2026-07-08 09:00"),
                    "execution_1",
                    "director",
                    "certificate_issued",
                    {
                        "rehab_completed_at": iso("2026-07-08 09:00"),
                        "certificate_number": "112/GCN-CSCN1",
                        "residence_after_release": "Phường Tây Hồ, Thành phố Hà Nội",
                    },
                    Expect(
                        state="completed",
                        next_roles=("commune_chair",),
                        documents=("hoso.cnbb_giay_chung_nhan", "hoso.cnbb_ban_nhan_xet"),
                        followups=("post_rehab_supervision",),
                        notices={
                            "commune_chair": ("commune_chair",),
                            "commune_police": ("commune_police",),
                            "district_court": ("regional_court",),
                        },
                    ),
                ),
            ),
        ),
        Chapter(
            "5. Quản lý sau cai nghiện theo Luật 120/2025 — 02 năm kể từ ngày chấp hành xong",
            (
                Drain(
                    t("2026-07-08 10:00"),
                    (
                        Opened(
                            "supervision",
                            "post_rehab_supervision",
                            parent="execution_1",
                            expect=Expect(
                                state="post_rehab_pending",
                                version="2026-07-01",
                                next_roles=("commune_chair",),
                                facts={
                                    "rehab_completed_at": iso("2026-07-08 09:00"),
                                    "rehab_kind": "adult_compulsory",
                                },
                            ),
                        ),
                    ),
                    "Sau khi chấp hành xong, quản lý sau cai nghiện theo luật mới (phiên bản 2026-07-01)",
                ),
                Act(
                    t("2026-07-09 08:30"),
                    "execution_1",
                    "commune_chair",
                    "handover",
                    {"received_on": "2026-07-09"},
                    Expect(state="post_rehab_pending", closed=True, actor_role="commune_chair"),
                ),
                Act(
                    t("2026-07-09 09:00"),
                    "supervision",
                    "commune_chair",
                    "facility_papers_received",
                    {
                        "received_at": iso("2026-07-09 09:00"),
                        "rehab_completed_at": iso("2026-07-08 09:00"),
                        "rehab_kind": "adult_compulsory",
                        "certificate_number": "112/GCN-CSCN1",
                        "issuing_body": "Cơ sở cai nghiện ma túy số 1 Hà Nội",
                        "residence_commune_code": units.commune_code,
                    },
                    Expect(
                        state="awaiting_decision",
                        next_roles=("commune_chair",),
                        documents=("hoso.qlsc_tiep_nhan_giay_to",),
                        deadlines=(Due("decision_time_limit", "2026-07-16 23:59:59"),),
                    ),
                ),
                Refuse(
                    t("2026-07-10 09:00"),
                    "supervision",
                    "commune_chair",
                    "decision_issued_one_year",
                    {"decided_on": "2026-07-10", "decision_number": "45/QĐ-UBND"},
                    "guard_failed",
                    ("Thời hạn 01 năm áp dụng với người từ đủ 12 đến dưới 18 tuổi",),
                    "Người thành niên sau cai nghiện bắt buộc: 02 năm, không phải 01 năm",
                ),
                Act(
                    t("2026-07-10 09:30"),
                    "supervision",
                    "commune_chair",
                    "decision_issued",
                    {"decided_on": "2026-07-10", "decision_number": "45/QĐ-UBND"},
                    Expect(
                        state="under_management",
                        next_roles=("commune_police", "post_rehab_supervisor"),
                        documents=("hoso.qlsc_quyet_dinh_quan_ly",),
                        notices={
                            "commune_police": ("commune_police",),
                            "post_rehab_supervisor": ("post_rehab_supervisor",),
                        },
                        # 2 years from the completion (08/07/2026), not from the decision: Saturday 08/07/2028, a
                        # term that ends on its calendar day.
                        deadlines=(
                            Due("decision_time_limit", status="met"),
                            Due(
                                "term_two_years",
                                "2028-07-08 23:59:59",
                                nature="term",
                                basis="Luật PCMT 120/2025/QH15",
                                start_source="fact:rehab_completed_at",
                            ),
                        ),
                    ),
                ),
                Act(
                    t("2026-07-13 09:00"),
                    "supervision",
                    "commune_chair",
                    "supervisor_assigned",
                    {
                        "assigned_on": "2026-07-13",
                        "supervisor_name": "Ông Lê Văn Minh, Tổ trưởng tổ dân phố số 5",
                        "supervisor_kind": "residential_group",
                    },
                    Expect(state="under_management", documents=("hoso.qlsc_giao_quan_ly",)),
                ),
                Case(
                    t("2026-07-13 09:05"),
                    now={
                        "supervision": CaseNow(
                            "under_management", ("commune_police", "post_rehab_supervisor"), ("term_two_years",)
                        )
                    },
                    parents={
                        "determination": None,
                        "voluntary": "determination",
                        "compulsory_1": "voluntary",
                        "execution_1": "compulsory_1",
                        "supervision": "execution_1",
                    },
                ),
            ),
        ),
        Chapter(
            "6. Tái nghiện sau 01/07/2026 — kiểm tra Điều 256a BLHS trước, rồi xác định tình trạng nghiện",
            (
                Act(
                    t("2026-09-14 09:00"),
                    "supervision",
                    "commune_police",
                    "test_positive",
                    {"used_at": iso("2026-09-14 08:30"), "substances": "Methamphetamine"},
                    Expect(
                        state="suspected_relapse",
                        next_roles=("commune_police",),
                        documents=("nd105.m03", "hoso.qlsc_bien_ban_su_dung"),
                        regime="VN2026",
                    ),
                    "Xét nghiệm người đang quản lý sau cai nghiện (Luật 120/2025): dương tính",
                ),
                Refuse(
                    t("2026-09-14 09:30"),
                    "supervision",
                    "commune_police",
                    "determination_requested",
                    {"facility_unit": health, "request_number": "31/GĐN-CAP"},
                    "guard_failed",
                    ("phải qua kiểm tra dấu hiệu tội phạm Điều 256a BLHS",),
                    "Không được đi tiếp đường hành chính khi chưa ghi kết quả kiểm tra Điều 256a BLHS",
                ),
                Refuse(
                    t("2026-09-14 09:30"),
                    "supervision",
                    "commune_police",
                    "criminal_path_applies",
                    {"penal_256a_window": "within_2y_after_post_rehab", "investigation_body": "CQCSĐT Công an TP"},
                    "guard_failed",
                    ("đang trong thời gian quản lý sau cai nghiện",),
                    "Người đang được quản lý: trường hợp của Điều 256a là 'trong thời gian quản lý sau cai nghiện'",
                ),
                Act(
                    t("2026-09-14 09:45"),
                    "supervision",
                    "commune_police",
                    "determination_requested",
                    {"penal_256a_window": "none", "facility_unit": health, "request_number": "31/GĐN-CAP"},
                    Expect(
                        state="awaiting_determination",
                        next_roles=("health_facility",),
                        documents=("nd109.m02",),
                        # The health facility designated here records its result in this dossier.
                        followups=(),
                        facts={"penal_256a_window": "none", "facility_unit": health},
                    ),
                    "Cơ quan điều tra không khởi tố: kiểm tra Điều 256a BLHS không có dấu hiệu tội phạm",
                ),
                Act(
                    t("2026-09-18 15:00"),
                    "supervision",
                    "clerk",
                    "addicted",
                    {"concluded_on": "2026-09-18", "result_number": "77/PKQ-BVTT"},
                    Expect(
                        state="relapse_confirmed",
                        next_roles=("commune_police",),
                        documents=("nd109.m04",),
                        notices={"commune_police": ("commune_police",)},
                        actor_role="health_facility",
                        # 05 working days from the use detected on Mon 14/09: Tue 15 … Fri 18, Mon 21/09.
                        deadlines=(
                            Due("relapse_dossier_time_limit", "2026-09-21 23:59:59", start_source="fact:used_at"),
                        ),
                    ),
                    "Cơ sở y tế kết luận nghiện lại (phiếu kết quả Mẫu 04 NĐ 109/2021)",
                ),
                Act(
                    t("2026-09-21 09:00"),
                    "supervision",
                    "commune_police",
                    "compulsory_dossier_opened",
                    {"opened_on": "2026-09-21"},
                    Expect(
                        state="closed_relapse",
                        closed=True,
                        followups=("compulsory_rehab_adult",),
                        deadlines=(Due("relapse_dossier_time_limit", status="met"),),
                    ),
                ),
                Drain(
                    t("2026-09-21 10:00"),
                    (
                        Opened(
                            "compulsory_2",
                            "compulsory_rehab_adult",
                            parent="supervision",
                            expect=Expect(
                                state="detected",
                                version="2026-07-01",
                                next_roles=("commune_police",),
                                facts={"penal_256a_window": "none", "tested_at": iso("2026-09-14 08:30")},
                            ),
                        ),
                    ),
                    "Kết quả kiểm tra Điều 256a BLHS ('không') được kế thừa; lần sử dụng (used_at) thành tested_at",
                ),
            ),
        ),
        Chapter(
            "7. Hồ sơ đưa vào cơ sở cai nghiện bắt buộc lần hai — Luật 120/2025: 36 tháng từ lần thứ hai",
            (
                Act(
                    t("2026-09-22 09:00"),
                    "compulsory_2",
                    "commune_police",
                    "violation_recorded",
                    {
                        "detected_at": iso("2026-09-22 09:00"),
                        "record_number": "12/BB-VPHC",
                        "art32_case": "relapse_post_rehab",
                        "addiction_status": "determined",
                    },
                    Expect(
                        state="dossier_in_preparation",
                        next_roles=("commune_police",),
                        documents=("nd116.m27",),
                        deadlines=(Due("dossier_preparation", "2026-09-29 23:59:59"),),
                    ),
                    "Nghiện lại trong thời gian quản lý sau cai nghiện, đã kiểm tra Điều 256a BLHS",
                ),
                Act(
                    t("2026-09-25 10:00"),
                    "compulsory_2",
                    "commune_police",
                    "dossier_completed",
                    {"notified_at": iso("2026-09-25 10:00"), "notified_to": "subject"},
                    Expect(
                        state="dossier_open_for_reading",
                        documents=("nd116.m30", "hoso.crad_thong_bao_lap_ho_so"),
                        deadlines=(Due("reading_period", "2026-10-02 23:59:59"),),
                    ),
                ),
                Act(
                    t("2026-09-28 09:00"),
                    "compulsory_2",
                    "commune_police",
                    "reading_done",
                    {"read_at": iso("2026-09-28 09:00")},
                    Expect(
                        state="legality_check",
                        next_roles=("commune_police",),
                        deadlines=(Due("legality_check_limit", "2026-10-05 23:59:59"),),
                    ),
                ),
                Act(
                    t("2026-09-29 09:00"),
                    "compulsory_2",
                    "commune_police",
                    "check_passed",
                    {"checked_on": "2026-09-29"},
                    Expect(state="proposal_drafting"),
                ),
                Act(
                    t("2026-09-30 09:00"),
                    "compulsory_2",
                    "commune_police",
                    "proposal_sent",
                    {"received_by_court_at": iso("2026-09-30 09:00"), "proposal_number": "44/ĐN-CAP"},
                    Expect(
                        state="at_court_registry",
                        next_roles=("regional_court",),
                        notices={"regional_court": ("regional_court",)},
                    ),
                ),
                Act(
                    t("2026-10-01 09:00"),
                    "compulsory_2",
                    "regional_court",
                    "accepted",
                    {"consideration_started_at": iso("2026-10-01 09:00"), "case_number": "61/2026/TLST-CNBB"},
                    Expect(
                        state="accepted",
                        # 15 days from Thu 01/10: Fri 16/10/2026, a working day.
                        deadlines=(Due("decision_limit", "2026-10-16 23:59:59", nature="time_limit"),),
                    ),
                ),
                Act(
                    t("2026-10-01 10:00"),
                    "compulsory_2",
                    "regional_court",
                    "judge_assigned",
                    {"assigned_at": iso("2026-10-01 10:00"), "judge_name": "Thẩm phán Đỗ Minh Châu"},
                    Expect(state="under_study"),
                ),
                Act(
                    t("2026-10-05 09:00"),
                    "compulsory_2",
                    "regional_court",
                    "session_opened",
                    {"decided_on": "2026-10-05", "planned_for": "08:00 ngày 12/10/2026, trực tuyến", "online": True},
                    Expect(state="session_scheduled", next_roles=("regional_court", "regional_procuracy")),
                ),
                Act(
                    t("2026-10-12 08:00"),
                    "compulsory_2",
                    "regional_court",
                    "session_held",
                    {"held_at": iso("2026-10-12 08:00"), "procurator_present": True, "online": True},
                    Expect(state="deliberation"),
                ),
                Refuse(
                    t("2026-10-12 11:00"),
                    "compulsory_2",
                    "regional_court",
                    "decide_apply",
                    {
                        "announced_at": iso("2026-10-12 11:00"),
                        "decision_number": "61/2026/QĐ-TA",
                        "term_months": 24,
                        "repeat_rehab": True,
                    },
                    "guard_failed",
                    ("36 tháng từ lần thứ hai trở đi", "Luật PCMT 120/2025/QH15"),
                    "Từ 01/07/2026 thời hạn do luật định: 24 tháng lần đầu, 36 tháng từ lần thứ hai",
                ),
                Act(
                    t("2026-10-12 11:00"),
                    "compulsory_2",
                    "regional_court",
                    "decide_apply",
                    {
                        "announced_at": iso("2026-10-12 11:00"),
                        "decision_number": "61/2026/QĐ-TA",
                        "term_months": 36,
                        "repeat_rehab": True,
                    },
                    Expect(
                        state="decided_apply",
                        documents=("hoso.crad_qd_ap_dung",),
                        regime="VN2026",
                        facts={"term_months": 36, "repeat_rehab": True},
                        # 05 working days from Mon 12/10: Tue 13 … Fri 16, Mon 19/10.
                        deadlines=(Due("remedy_window", "2026-10-19 23:59:59"),),
                    ),
                ),
                Sweep(
                    t("2026-10-20 08:00"),
                    (
                        Swept(
                            "compulsory_2",
                            "remedy_window",
                            "window_expired_no_challenge",
                            Expect(
                                state="effective_apply",
                                next_roles=("regional_court",),
                                deadlines=(Due("remedy_window", status="expired"),),
                            ),
                        ),
                    ),
                    "Không ai khiếu nại, kiến nghị, kháng nghị: quyết định có hiệu lực",
                ),
                Act(
                    t("2026-10-21 09:00"),
                    "compulsory_2",
                    "regional_court",
                    "handover_to_execution",
                    {
                        "handed_over_on": "2026-10-21",
                        # The window ended with 19/10; its expiry was recorded by the sweep at 08:00 on 20/10 (a
                        # fact of a step may not precede the previous step of the dossier).
                        "decision_effective_at": iso("2026-10-20 08:00"),
                        "executing_police": "Công an phường Tây Hồ",
                    },
                    Expect(state="handed_to_execution", closed=True, followups=("compulsory_rehab_execution",)),
                ),
                Drain(
                    t("2026-10-21 10:00"),
                    (
                        Opened(
                            "execution_2",
                            "compulsory_rehab_execution",
                            parent="compulsory_2",
                            expect=Expect(
                                state="decision_effective",
                                version="2026-07-01",
                                next_roles=("regional_court",),
                                facts={
                                    "decision_number": "61/2026/QĐ-TA",
                                    "term_months": 36,
                                    "decision_effective_at": iso("2026-10-20 08:00"),
                                },
                            ),
                        ),
                    ),
                ),
                Refuse(
                    t("2026-10-22 09:00"),
                    "execution_2",
                    "regional_court",
                    "decision_sent",
                    {
                        "sent_at": iso("2026-10-22 09:00"),
                        "decision_date": "2026-10-12",
                        "rehab_kind": "adult_compulsory",
                        "rehab_count": "first",
                        "facility_unit": rehab,
                    },
                    "guard_failed",
                    ("lần đầu là 24 tháng",),
                    "Thời hạn 36 tháng kế thừa từ quyết định chỉ hợp với lần cai nghiện thứ hai trở đi",
                ),
                Act(
                    t("2026-10-22 09:00"),
                    "execution_2",
                    "regional_court",
                    "decision_sent",
                    {
                        "sent_at": iso("2026-10-22 09:00"),
                        "decision_date": "2026-10-12",
                        "rehab_kind": "adult_compulsory",
                        "rehab_count": "repeat",
                        "facility_unit": rehab,
                    },
                    Expect(
                        state="awaiting_transfer",
                        next_roles=("commune_police", "rehab_facility_director"),
                        deadlines=(
                            Due(
                                "execution_limitation",
                                "2027-10-20 23:59:59",
                                start_source="fact:decision_effective_at",
                            ),
                        ),
                    ),
                ),
                Case(
                    t("2026-10-22 10:00"),
                    now={
                        "execution_2": CaseNow(
                            "awaiting_transfer",
                            ("commune_police", "rehab_facility_director"),
                            ("execution_limitation",),
                        )
                    },
                    parents={
                        "determination": None,
                        "voluntary": "determination",
                        "compulsory_1": "voluntary",
                        "execution_1": "compulsory_1",
                        "supervision": "execution_1",
                        "compulsory_2": "supervision",
                        "execution_2": "compulsory_2",
                    },
                ),
            ),
        ),
    )


# -- drivers ---------------------------------------------------------------------------------------------------


class Driver(Protocol):
    """What the story needs from a way of using hoso (the engine in-process, or the HTTP API)."""

    def at(self, moment: datetime) -> None: ...

    def open(self, officer: str, procedure: str, subject: Person, occurred_on: date | None) -> str: ...

    def fire(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> None: ...

    def refused(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> tuple[str, str]:
        """The refusal's problem code and Vietnamese message; raises ``StoryError`` if the step was saved."""
        ...

    def drain(self) -> list[FollowUp]: ...

    def sweep(self) -> list[SweepOutcome]: ...

    def view(self, officer: str, dossier_id: str) -> dict[str, Any]: ...

    def outbox(self, dossier_id: str) -> list[dict[str, Any]]: ...

    def case(self, officer: str, id_number: str) -> dict[str, Any]: ...


class StoryError(AssertionError):
    """A step of the story did not go as the law says."""


def refusal_code(error: HosoError) -> str:
    """The problem code the API answers for an engine refusal: the error's class in snake case, without
    ``Error`` (as api.errors names it): ``permission_denied``, ``guard_failed``, ``transition_not_allowed``…"""
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def create_world(db: Database, rulebook: Rulebook, units: StoryUnits, *, password: str, now: datetime) -> None:
    """The units and officers of the story, in an empty migrated database (every officer with ``password``)."""
    with db.transaction() as repo:
        for unit in units.current():
            create_unit(repo, rulebook.regimes, **unit)
        for unit in units.historical():
            repo.insert_unit(**{"commune_code": None, "province_code": "01", **unit})
        for username, (role, unit_code) in units.officers().items():
            create_user(
                repo,
                rulebook.regimes,
                username=username,
                password=password,
                full_name=username,
                role=role,
                unit_code=unit_code,
                now=now,
            )


class EngineDriver:
    """The story through the engine, as the officers' units would use it in-process: a new engine for every
    step (nothing survives in memory), each step read back from the database — the version moved by one, the
    state and the last history row are those of the step — and handed to ``on_saved`` (the test suite records
    the transition for its coverage check)."""

    def __init__(
        self,
        db: Database,
        rulebook: Rulebook,
        *,
        clock: FixedClock | None = None,
        on_saved: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
        checked: bool = True,
        history_keys: HistoryKeys = DEVELOPMENT_KEYS,
    ) -> None:
        self.history_keys = history_keys
        self.db = db
        self.rulebook = rulebook
        self.clock = clock or FixedClock(t("2025-02-20 08:00"))
        self.on_saved = on_saved
        self.checked = checked
        """Read every step back (the whole dossier, before and after); a benchmark turns it off and only reads
        the version it fires on."""
        self._actors: dict[str, Actor] = {}

    @property
    def engine(self) -> DossierEngine:
        return DossierEngine(self.rulebook, self.db, self.clock, history_keys=self.history_keys)

    def actor(self, officer: str) -> Actor:
        if officer not in self._actors:
            with self.db.reading() as repo:
                self._actors[officer] = actor_by_username(repo, officer)
        return self._actors[officer]

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def open(self, officer: str, procedure: str, subject: Person, occurred_on: date | None) -> str:
        return self.engine.open_dossier(self.actor(officer), procedure, subject.subject(), occurred_on=occurred_on)

    def saved(self, dossier_id: str) -> dict[str, Any]:
        """The dossier as stored, read by the ``system`` identity (which sees every dossier)."""
        return self.view("system", dossier_id)

    def fire(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> None:
        if not self.checked:
            with self.db.reading() as repo:
                row = repo.dossier(dossier_id)
            assert row is not None
            self.engine.fire(self.actor(officer), dossier_id, event, dict(payload), int(row["version"]))
            return
        before = self.saved(dossier_id)
        result = self.engine.fire(self.actor(officer), dossier_id, event, dict(payload), before["version"])
        after = self.saved(dossier_id)
        last = after["history"][-1]
        if not (after["version"] == before["version"] + 1 == result.version and after["state"] == result.state):
            raise StoryError(f"'{event}' was not saved as answered: {before['version']} → {after['version']}")
        if (last["event"], last["seq"], last["to_state"]) != (event, result.version, result.state):
            raise StoryError(f"the last history row is not the step '{event}': {last}")
        if self.on_saved is not None:
            self.on_saved(after, last)

    def refused(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> tuple[str, str]:
        before = self.saved(dossier_id)
        try:
            self.engine.fire(self.actor(officer), dossier_id, event, dict(payload), before["version"])
        except HosoError as error:
            after = self.saved(dossier_id)
            if (after["version"], after["state"], after["facts"]) != (
                before["version"],
                before["state"],
                before["facts"],
            ):
                raise StoryError(f"the refused step '{event}' changed the dossier") from error
            return refusal_code(error), error.message
        raise StoryError(f"'{event}' by {officer} was accepted; the law refuses it")

    def drain(self) -> list[FollowUp]:
        return open_followups(self.engine, self.actor("system"))

    def sweep(self) -> list[SweepOutcome]:
        outcomes = sweep_due_deadlines(self.engine, self.actor("system"))
        if self.on_saved is not None:
            for dossier_id in {outcome.dossier_id for outcome in outcomes if outcome.fired}:
                saved = self.saved(dossier_id)
                for entry in saved["history"][1:]:
                    self.on_saved(saved, entry)
        return outcomes

    def view(self, officer: str, dossier_id: str) -> dict[str, Any]:
        with self.db.reading() as repo:
            return dossier_view(repo, self.rulebook, dossier_id, self.actor(officer), self.clock.now())

    def outbox(self, dossier_id: str) -> list[dict[str, Any]]:
        with self.db.reading() as repo:
            return repo.outbox(dossier_id)

    def case(self, officer: str, id_number: str) -> dict[str, Any]:
        with self.db.reading() as repo:
            return case_view(repo, self.rulebook, self.actor(officer), id_number, self.clock.now())


# -- running the story -----------------------------------------------------------------------------------------


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(VN_TZ).replace(microsecond=0)


def _check(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise StoryError(f"{where}: {message}")


def _next_roles(view: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted({role for task in view["tasks"] if task["status"] == "open" for role in task["holder_roles"]}))


def _deadline(view: Mapping[str, Any], rule_id: str) -> Mapping[str, Any] | None:
    """The latest deadline of that rule (an earlier one may have been superseded, e.g. after a reduction)."""
    found = [d for d in view["deadlines"] if d["rule_id"] == rule_id]
    return max(found, key=lambda d: d["id"]) if found else None


def check_due(view: Mapping[str, Any], due: Due, where: str) -> None:
    deadline = _deadline(view, due.rule_id)
    known = [d["rule_id"] for d in view["deadlines"]]
    _check(deadline is not None, where, f"no deadline '{due.rule_id}' (has {known})")
    assert deadline is not None
    label = f"{where}, deadline {due.rule_id}"
    _check(deadline["status"] == due.status, label, f"status {deadline['status']!r}, expected {due.status!r}")
    explanation: Mapping[str, Any] = deadline["explanation"]
    if due.due is not None:
        shown = _local(deadline["due_at_local"])
        _check(shown == t(due.due), label, f"due {shown.isoformat()}, expected {t(due.due).isoformat()}")
    if due.nature is not None:
        nature = explanation.get("nature", "time_limit")
        _check(nature == due.nature, label, f"nature {nature!r}, expected {due.nature!r}")
    if due.basis is not None:
        basis = str(explanation.get("legal_basis", ""))
        _check(due.basis in basis, label, f"legal basis {basis!r} does not cite {due.basis!r}")
    if due.start_source is not None:
        source = explanation.get("start_source")
        _check(source == due.start_source, label, f"counted from {source!r}, expected {due.start_source!r}")
    if due.rolled_from is not None:
        rolled = explanation.get("computation", {}).get("rolled_from")
        _check(rolled == due.rolled_from, label, f"moved from {rolled!r}, expected {due.rolled_from!r}")
    if due.not_counted_days is not None:
        seconds = sum(pause["not_counted_seconds"] for pause in explanation.get("pauses", []))
        _check(
            seconds == round(due.not_counted_days * 86_400),
            label,
            f"{seconds / 86_400:g} days not counted, expected {due.not_counted_days:g}",
        )


def check_dossier(driver: Driver, dossier_id: str, expect: Expect, where: str) -> dict[str, Any]:
    view = driver.view(READER, dossier_id)
    if expect.state is not None:
        _check(view["state"] == expect.state, where, f"state {view['state']!r}, expected {expect.state!r}")
    if expect.version is not None:
        shown = view["procedure_version"]
        _check(shown == expect.version, where, f"procedure version {shown}, expected {expect.version}")
    if expect.closed is not None:
        closed = view["closed_at"] is not None
        _check(closed == expect.closed, where, f"closed {closed}, expected {expect.closed}")
    if expect.next_roles is not None:
        roles = _next_roles(view)
        _check(roles == expect.next_roles, where, f"next to act {roles}, expected {expect.next_roles}")
    for due in expect.deadlines:
        check_due(view, due, where)
    last = view["history"][-1]
    if expect.regime is not None:
        _check(last["regime"] == expect.regime, where, f"regime {last['regime']!r}, expected {expect.regime!r}")
    if expect.actor_role is not None:
        shown = last["actor_role"]
        _check(shown == expect.actor_role, where, f"recorded role {shown!r}, expected {expect.actor_role!r}")
    for name, value in expect.facts.items():
        shown = view["facts"].get(name)
        _check(shown == value, where, f"fact {name} = {shown!r}, expected {value!r}")
    if (
        expect.documents is not None
        or expect.followups is not None
        or expect.notices is not None
        or expect.window is not None
    ):
        rows = [row for row in driver.outbox(dossier_id) if row["history_seq"] == view["version"]]

        def names(kind: str) -> tuple[str, ...]:
            return tuple(row["name"] for row in rows if row["kind"] == kind)

        if expect.documents is not None:
            shown = names("document")
            _check(shown == expect.documents, where, f"documents requested {shown}, expected {expect.documents}")
        if expect.followups is not None:
            shown = names("start_procedure")
            _check(shown == expect.followups, where, f"follow-ups asked {shown}, expected {expect.followups}")
        if expect.notices is not None:
            notices = {row["name"]: tuple(row["payload"]["to_roles"]) for row in rows if row["kind"] == "notice"}
            _check(notices == dict(expect.notices), where, f"notices {notices}, expected {dict(expect.notices)}")
        if expect.window is not None:
            procedure, window_due = expect.window
            start = next((row for row in rows if row["kind"] == "start_procedure" and row["name"] == procedure), None)
            _check(start is not None and start["payload"]["window"] is not None, where, f"no window for {procedure}")
            assert start is not None
            shown_due = _local(start["payload"]["window"]["due_at"])
            expected_due = t(window_due)
            _check(shown_due == expected_due, where, f"window due {shown_due.isoformat()}, expected {expected_due}")
    return view


def run_story(
    driver: Driver,
    *,
    subject: Person | None = None,
    units: StoryUnits | None = None,
    verify: bool = True,
    until: datetime | None = None,
) -> dict[str, str]:
    """Run every chapter through ``driver``; return the dossier ids by label. With ``verify`` (the default)
    every expectation is asserted (``StoryError`` names the chapter, step and what differs); without, only
    the steps are taken (a benchmark) — refusals are still required to be refused. With ``until``, the story
    stops before its first step at or after that moment."""
    who = subject or person()
    ids: dict[str, str] = {}
    labels: dict[str, str] = {}
    for chapter in chapters(units or StoryUnits()):
        for number, step in enumerate(chapter.steps, start=1):
            if until is not None and step.at >= until:
                return ids  # the person's life so far: the story stops before its first step at ``until``
            where = f"{chapter.title} — bước {number} ({type(step).__name__} {step.at.isoformat()})"
            driver.at(step.at)
            if isinstance(step, Open):
                dossier_id = driver.open(step.officer, step.procedure, who, step.occurred_on)
                ids[step.dossier], labels[dossier_id] = dossier_id, step.dossier
                if verify:
                    check_dossier(driver, dossier_id, step.expect, f"{where} {step.dossier}")
            elif isinstance(step, Act):
                where = f"{where} {step.dossier}: {step.officer} {step.event}"
                if verify:
                    actions = [a["event"] for a in driver.view(step.officer, ids[step.dossier])["actions"]]
                    _check(step.event in actions, where, f"not among the officer's actions {actions}")
                driver.fire(step.officer, ids[step.dossier], step.event, step.payload)
                if verify:
                    check_dossier(driver, ids[step.dossier], step.expect, where)
            elif isinstance(step, Refuse):
                where = f"{where} {step.dossier}: {step.officer} {step.event} (bị từ chối)"
                code, message = driver.refused(step.officer, ids[step.dossier], step.event, step.payload)
                _check(code == step.code, where, f"refused as {code!r} ({message}), expected {step.code!r}")
                for piece in step.says:
                    _check(piece in message, where, f"the refusal {message!r} does not say {piece!r}")
            elif isinstance(step, Drain):
                _drain(driver, step, ids, labels, where, verify)
            elif isinstance(step, Sweep):
                outcomes = driver.sweep()
                shown = sorted((labels.get(o.dossier_id, o.dossier_id), o.rule_id, o.event, o.fired) for o in outcomes)
                expected = sorted((s.dossier, s.rule_id, s.event, True) for s in step.fired)
                _check(shown == expected, where, f"the sweep fired {shown}, expected {expected}")
                if verify:
                    for swept in step.fired:
                        check_dossier(driver, ids[swept.dossier], swept.expect, f"{where} {swept.dossier}")
            elif verify:
                _check_case(driver, step, who, ids, labels, where)
    return ids


def _drain(driver: Driver, step: Drain, ids: dict[str, str], labels: dict[str, str], where: str, verify: bool) -> None:
    outcomes = driver.drain()
    shown = [outcome.outcome for outcome in outcomes]
    _check(shown == [f.outcome for f in step.followups], where, f"follow-ups {shown}, expected {step.followups}")
    for outcome, followup in zip(outcomes, step.followups, strict=True):
        label = f"{where} {followup.dossier}"
        _check(outcome.dossier_id is not None, label, "no dossier")
        assert outcome.dossier_id is not None
        if followup.outcome == "opened":
            ids[followup.dossier], labels[outcome.dossier_id] = outcome.dossier_id, followup.dossier
        else:
            _check(outcome.dossier_id == ids[followup.dossier], label, "linked to another dossier")
        if not verify:
            continue
        view = check_dossier(driver, outcome.dossier_id, followup.expect, label)
        _check(view["procedure"] == followup.procedure, label, f"procedure {view['procedure']}")
        opening = view["history"][0]
        if followup.outcome == "opened":
            parent = opening["payload"].get("parent_id")
            _check(parent == ids[followup.parent], label, f"parent {labels.get(parent, parent)!r}")
            _check(opening["actor_role"] == "system", label, f"opened by {opening['actor_role']!r}")


def _check_case(
    driver: Driver, step: Case, who: Person, ids: Mapping[str, str], labels: Mapping[str, str], where: str
) -> None:
    case = driver.case(step.officer, who.id_number)
    now = {labels.get(d["id"], d["id"]): d for d in case["now"]}
    _check(set(now) == set(step.now), where, f"open dossiers {sorted(now)}, expected {sorted(step.now)}")
    for label, expected in step.now.items():
        shown = now[label]
        _check(shown["state"] == expected.state, where, f"{label} is {shown['state']!r}, expected {expected.state!r}")
        roles = tuple(sorted({role for task in shown["next"] for role in task["holder_roles"]}))
        _check(roles == expected.next_roles, where, f"{label}: next {roles}, expected {expected.next_roles}")
        until = tuple(entry["rule_id"] for entry in shown["until"])
        _check(until == expected.until, where, f"{label}: until {until}, expected {expected.until}")
    parents = {labels.get(d["id"], d["id"]): labels.get(d["parent_id"] or "", d["parent_id"]) for d in case["dossiers"]}
    _check(parents == dict(step.parents), where, f"dossiers and parents {parents}, expected {dict(step.parents)}")
    order = [labels.get(d["id"], d["id"]) for d in case["dossiers"]]
    _check(order == list(step.parents), where, f"dossiers in the order {order}, expected {list(step.parents)}")
    _check(
        all(ids[label] in {d["id"] for d in case["dossiers"]} for label in step.parents),
        where,
        "a dossier of the story is missing from the case",
    )


def steps_count(units: StoryUnits | None = None) -> int:
    """Transitions the story fires (acts and sweeps), e.g. to report a rate."""
    total = 0
    for chapter in chapters(units or StoryUnits()):
        for step in chapter.steps:
            total += 1 if isinstance(step, Act) else len(step.fired) if isinstance(step, Sweep) else 0
    return total


__all__: Sequence[str] = (
    "Case",
    "Chapter",
    "Driver",
    "EngineDriver",
    "Person",
    "StoryError",
    "StoryUnits",
    "chapters",
    "create_world",
    "person",
    "run_story",
    "steps_count",
)
