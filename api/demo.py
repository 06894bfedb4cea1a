"""Demo data: the units of the data files, officers of Phường Hoàn Kiếm and Phường Tây Hồ (Hà Nội), recent
addiction-determination dossiers at varied stages, and people stopped at points of the life story (court,
facility, post-rehab supervision, relapse) with the court, procuracy, facility and supervisor who act on them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from api.demo_statistics import PROVIDER_OFFICERS, PROVIDER_UNITS, seed_statistics_people
from api.life_story import EngineDriver, StoryUnits, person, run_story, t
from states.accounts import SERVICE_ROLE, actor_by_username, create_unit, create_user
from states.actors import Actor
from states.chaining import open_followups
from states.clock import FixedClock
from states.engine import DossierEngine, SubjectInput
from states.history_seal import HistoryKeys
from states.identity import make_id_number
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database
from states.units_data import default_units, sync_units

DEMO_PASSWORD = "hoso-demo-2026"
COMMUNE = "00070"

UNITS: tuple[dict[str, Any], ...] = (
    {"code": "HT", "name": "Quản trị hệ thống hoso", "kind": "national"},
    {"code": "CAX-00070", "name": "Công an phường Hoàn Kiếm", "kind": "commune_police", "commune_code": COMMUNE},
    {
        "code": "UBX-00070",
        "name": "Ủy ban nhân dân phường Hoàn Kiếm",
        "kind": "commune_committee",
        "commune_code": COMMUNE,
    },
    {"code": "CAX-00004", "name": "Công an phường Ba Đình", "kind": "commune_police", "commune_code": "00004"},
    {
        "code": "YT-01-01",
        "name": "Cơ sở y tế xác định tình trạng nghiện số 1 (mẫu)",
        "kind": "health_facility",
        "province_code": "01",
    },
    {
        "code": "YT-79-01",
        "name": "Cơ sở y tế xác định tình trạng nghiện TP.HCM (mẫu)",
        "kind": "health_facility",
        "province_code": "79",
    },
)

USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "Quản trị viên", "admin", "HT"),
    ("system", "Hệ thống hoso", "system", "HT"),
    ("canbo.hoankiem", "Nguyễn Văn An", "commune_police", "CAX-00070"),
    ("truong.hoankiem", "Trần Văn Bình", "custody_officer", "CAX-00070"),
    ("chutich.hoankiem", "Lê Thị Cúc", "commune_chair", "UBX-00070"),
    ("canbo.badinh", "Phạm Văn Dũng", "commune_police", "CAX-00004"),
    ("pc04.hanoi", "Hoàng Văn Em", "police_unit", "CAT-01"),
    ("yte.tiepnhan", "Vũ Thị Giang", "health_facility", "YT-01-01"),
    ("yte.bacsi", "Đỗ Văn Hải", "physician", "YT-01-01"),
    ("yte.giamdoc", "Bùi Thị Khánh", "facility_head", "YT-01-01"),
    ("yte.hcm", "Ngô Văn Long", "health_facility", "YT-79-01"),
)

PHONES = {"canbo.hoankiem": "0912000001", "truong.hoankiem": "0912000002", "chutich.hoankiem": "0912000003"}
"""Demo phone numbers of the Hoàn Kiếm officers: their notices are also texted, through the recording SMS
adapter (``var/sms.jsonl``), so the delivery channel can be seen at work without a gateway."""

Step = tuple[str, str, dict[str, Any], float]
"""Who, which event, its payload, and how many hours before now it was recorded."""


def _stages(now: datetime) -> list[tuple[str, list[Step]]]:
    """Demo people and the steps already taken on their dossiers, timed relative to ``now``."""

    def at(hours_ago: float) -> str:
        return (now - timedelta(hours=hours_ago)).astimezone(VN_TZ).isoformat(timespec="minutes")

    # The day of the latest facts: an hour ago, so that no fact lies after the moment it is recorded.
    today = (now - timedelta(hours=1)).astimezone(VN_TZ).date().isoformat()
    test = {"tested_at": at(3), "test_ground": "caught_using", "sample_type": "urine"}
    checked: Step = ("canbo.hoankiem", "status_checked", {"art27_case": "a", "penal_256a_window": "none"}, 2.5)
    requested: Step = (
        "canbo.hoankiem",
        "request_sent",
        {"facility_unit": "YT-01-01", "request_number": "21/GĐN"},
        2.0,
    )
    received: Step = (
        "yte.tiepnhan",
        "received",
        {"received_at": at(1), "assessment_place": "facility", "substance_class": "opioid"},
        0.9,
    )
    concluded: Step = (
        "yte.giamdoc",
        "concluded_addicted",
        {"concluded_on": today, "criteria_met": 4, "criterion_6_met": True, "physician_name": "Đỗ Văn Hải"},
        0.5,
    )
    return [
        ("Đinh Văn Mạnh", []),
        ("Trịnh Văn Nam", [("canbo.hoankiem", "test_positive", {**test, "substances": "Methamphetamine"}, 2.9)]),
        (
            # Held for 10½ of the 12 hours: past 80 %, so the first sweep warns the commune police.
            "Lý Văn Phong",
            [
                ("canbo.hoankiem", "test_positive", {**test, "tested_at": at(11), "substances": "Heroin"}, 10.9),
                ("canbo.hoankiem", "status_checked", {"art27_case": "b", "penal_256a_window": "none"}, 10.8),
                (
                    "truong.hoankiem",
                    "custody_ordered",
                    {
                        "decision_number": "15/QĐ-TGNTTHC",
                        "ordered_at": at(10.4),
                        "custody_started_at": at(10.5),
                        "custody_place": "Trụ sở",
                    },
                    10.3,
                ),
            ],
        ),
        (
            # Tested five days ago and never checked: the same-day check is overdue, so the first sweep records
            # the missed target and escalates it to the head of the commune police.
            "Đặng Văn Quang",
            [("canbo.hoankiem", "test_positive", {**test, "tested_at": at(120), "substances": "Heroin"}, 119.9)],
        ),
        (
            "Mai Thị Quyên",
            [
                ("canbo.hoankiem", "test_positive", {**test, "substances": "Ketamine"}, 2.9),
                checked,
                requested,
                received,
            ],
        ),
        (
            "Tạ Văn Sơn",
            [
                ("canbo.hoankiem", "test_positive", {**test, "substances": "Heroin"}, 2.9),
                checked,
                requested,
                received,
                concluded,
            ],
        ),
        ("Kiều Thị Uyên", [("yte.tiepnhan", "application_filed", {"applied_on": today, "filed_by": "subject"}, 0.2)]),
        (
            "Vương Văn Tài",
            [
                ("canbo.hoankiem", "test_positive", {**test, "substances": "Heroin"}, 2.9),
                checked,
                requested,
                received,
                concluded,
                ("canbo.hoankiem", "result_served", {"served_at": at(0.3)}, 0.2),
            ],
        ),
    ]


STORY_PEOPLE: tuple[tuple[int, str, datetime | None, str], ...] = (
    (250220, "Trần Văn Hùng", None, "cả câu chuyện: lần hai đưa vào cơ sở cai nghiện bắt buộc"),
    (
        250221,
        "Phan Văn Khải",
        t("2026-10-05 10:00"),
        "hồ sơ lần hai: đã mở phiên họp, chờ Viện kiểm sát",
    ),
    (250222, "Lưu Văn Lộc", t("2026-09-14 09:00"), "đang quản lý sau cai nghiện"),
    (250223, "Hồ Văn Minh", t("2026-05-16 09:00"), "đang chấp hành tại cơ sở cai nghiện bắt buộc"),
    (250224, "Đặng Văn Nam", t("2025-07-16 09:00"), "quyết định bị khiếu nại, chờ Tòa án cấp tỉnh xét lại"),
)
"""People of Phường Tây Hồ living the life story (api/life_story.py) up to a moment: (serial, name, stop, what
they show). Later stops run first: an earlier stop never leaves a deadline that a later run's sweep would fire."""


def seed(db: Database, rulebook: Rulebook, engine: DossierEngine) -> list[str]:
    """Creates the demo data once; returns printable lines (empty when it was already there)."""
    now = engine.clock.now()
    story_units = StoryUnits()
    with db.transaction() as repo:
        if repo.username_taken("admin"):
            return []
        sync_units(repo, rulebook.regimes, default_units())
        for unit in (*UNITS, *PROVIDER_UNITS):
            create_unit(repo, rulebook.regimes, **unit)
        for unit in story_units.current():
            if repo.unit(unit["code"]) is None:
                create_unit(repo, rulebook.regimes, **unit)
        for unit in story_units.historical():
            repo.insert_unit(**{"commune_code": None, "province_code": "01", **unit})
        officers = [*USERS, *PROVIDER_OFFICERS, *_story_officers(story_units)]
        for username, full_name, role, unit_code in officers:
            create_user(
                repo,
                rulebook.regimes,
                username=username,
                password=None if role == SERVICE_ROLE else DEMO_PASSWORD,
                full_name=full_name,
                role=role,
                unit_code=unit_code,
                now=now,
                phone=PHONES.get(username),
            )
    lines = [f"Người dùng mẫu (mật khẩu chung: {DEMO_PASSWORD}; tài khoản system chỉ chạy nội bộ, không đăng nhập):"]
    lines += [f"  {username:<18} {role:<38} {unit}" for username, _, role, unit in officers]
    lines.append("Những người đi qua chuỗi thủ tục (phường Tây Hồ 00103; api/life_story.py), đến thời điểm dừng:")
    lines += _story_people(db, rulebook, now, story_units, engine.history_keys)
    lines.append("Hồ sơ mẫu (xác định tình trạng nghiện, phường Hoàn Kiếm 00070):")
    lines += _recent_people(db, rulebook, engine, now)
    lines.append("Người sử dụng ma túy được quản lý, cai nghiện tự nguyện, giáo dục tại xã (số liệu thống kê):")
    lines += seed_statistics_people(db, rulebook, engine, now)
    return lines


def _story_officers(units: StoryUnits) -> list[tuple[str, str, str, str]]:
    """The story's officers (their labels are their usernames), except the service identity the demo has."""
    return [
        (username, f"Cán bộ mẫu ({username})", role, unit_code)
        for username, (role, unit_code) in units.officers().items()
        if role != SERVICE_ROLE
    ]


def _story_people(db: Database, rulebook: Rulebook, now: datetime, units: StoryUnits, keys: HistoryKeys) -> list[str]:
    lines = []
    for serial, name, stop, shows in STORY_PEOPLE:
        # Nothing is recorded after the moment of seeding: on an earlier clock every story stops at ``now``.
        until = now if stop is None or stop > now else stop
        driver = EngineDriver(db, rulebook, clock=FixedClock(now), checked=False, history_keys=keys)
        ids = run_story(driver, subject=replace(person(serial), full_name=name), units=units, verify=False, until=until)
        with db.reading() as repo:
            rows = {label: repo.dossier(dossier_id) for label, dossier_id in ids.items()}
        running = [f"{label}={row['state']}" for label, row in rows.items() if row and row["closed_at"] is None]
        lines.append(f"  {name:<16} {shows} — đang mở: {', '.join(running)}")
    return lines


def _recent_people(db: Database, rulebook: Rulebook, engine: DossierEngine, now: datetime) -> list[str]:
    with db.reading() as repo:
        actors: dict[str, Actor] = {username: actor_by_username(repo, username) for username, *_ in USERS}
    lines = []
    for serial, (name, steps) in enumerate(_stages(now), start=1):
        born = date(1985 + serial * 2, serial, 10 + serial)
        sex = "female" if name.split()[1] == "Thị" else "male"
        subject = SubjectInput(
            full_name=name,
            date_of_birth=born,
            id_number=make_id_number("001", born, sex, 500 + serial),
            commune_code=COMMUNE,
            sex=sex,
        )
        opener = "yte.tiepnhan" if steps and steps[0][1] == "application_filed" else "canbo.hoankiem"
        # Each step is recorded at its own time, after the facts it records, as an officer would have.
        clock = FixedClock(now - timedelta(hours=max([3.5] + [hours_ago + 0.5 for *_, hours_ago in steps])))
        timed = DossierEngine(rulebook, db, clock, clock_skew=engine.clock_skew, history_keys=engine.history_keys)
        dossier_id = timed.open_dossier(actors[opener], "addiction_determination", subject)
        version, state = 1, rulebook.in_force("addiction_determination", now.date()).definition.initial_state
        for username, event, payload, hours_ago in steps:
            clock.set(now - timedelta(hours=hours_ago))
            result = timed.fire(actors[username], dossier_id, event, payload, version)
            version, state = result.version, result.state
        lines.append(f"  {dossier_id}  {name:<16} {state}")
    # The follow-ups those steps asked for (the registration window after a result served) open now.
    for followup in open_followups(engine, actors["system"]):
        lines.append(f"  {followup.dossier_id}  thủ tục tiếp theo: {followup.outcome} — {followup.detail}")
    return lines
