"""Demo people whose dossiers feed the statistics the life story does not reach: drug users under management,
voluntary rehab at home or in the community, at a facility and on substitution therapy, commune education — each
walked through
the engine step by step in the days before the demo starts, as the officers of Phường Hoàn Kiếm would record them —
and the sample target tables a new user imports (one consistent, one with the errors a check must find)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from states.accounts import actor_by_username
from states.actors import Actor
from states.clock import FixedClock
from states.engine import DossierEngine, SubjectInput
from states.identity import make_id_number
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database

COMMUNE = "00070"
PROVIDER_UNITS: tuple[dict[str, Any], ...] = (
    {
        "code": "DVCD-01",
        "name": "Tổ chức dịch vụ cai nghiện tại gia đình, cộng đồng Hoàn Kiếm (mẫu)",
        "kind": "voluntary_rehab_community_provider",
        "province_code": "01",
    },
    {
        "code": "TCGD-00070",
        "name": "Hội Liên hiệp Phụ nữ phường Hoàn Kiếm",
        "kind": "commune_education_supervising_org",
        "commune_code": COMMUNE,
    },
    {
        "code": "CSTN-01",
        "name": "Cơ sở cai nghiện ma túy tự nguyện Hà Nội (mẫu)",
        "kind": "voluntary_rehab_provider",
        "province_code": "01",
    },
)
PROVIDER_OFFICERS: tuple[tuple[str, str, str, str], ...] = (
    ("dangky.hoankiem", "Trịnh Thị Lan", "voluntary_rehab_registration_officer", "UBX-00070"),
    ("dichvu.congdong", "Lương Văn Minh", "voluntary_rehab_community_provider", "DVCD-01"),
    ("coso.tunguyen", "Kiều Thị Ngọc", "voluntary_rehab_provider", "CSTN-01"),
    ("giaoduc.hoankiem", "Phùng Thị Xuân", "commune_education_supervisor", "TCGD-00070"),
)

Payload = Callable[[datetime, str], dict[str, Any]]
Walk = tuple[str, str, str, list[tuple[str, str, Payload]]]
"""(name, procedure, opener, steps: officer, event, payload made from the step's time and the dossier's version)."""


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _day(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).date().isoformat()


def _term(version: str) -> dict[str, Any]:
    """The term as each version records it: 6 months (2022 version, 6–12) or the first round (Luật 120/2025)."""
    return {"term_months": 6} if version == "2022-01-01" else {"rehab_round": "first"}


def _managed() -> list[tuple[str, str, Payload]]:
    return [
        (
            "canbo.hoankiem",
            "test_positive",
            lambda at, _v: {
                "tested_at": _at(at - timedelta(minutes=20)),
                "test_ground": "caught_using",
                "sample_type": "urine",
                "substances": "Methamphetamine",
                "result_received_at": _at(at - timedelta(minutes=20)),
            },
        ),
        (
            "canbo.hoankiem",
            "proposal_sent",
            lambda _at, _v: {
                "proposal_number": "05/ĐN-CAX",
                "helper_proposed": "Chi hội Cựu chiến binh",
                "penal_256a_window": "none",
            },
        ),
        (
            "chutich.hoankiem",
            "decision_issued",
            lambda at, _v: {
                "decision_number": "12/QĐ-UBND",
                "decided_on": _day(at),
                "helper": "Chi hội Cựu chiến binh tổ dân phố 3",
            },
        ),
    ]


def _educated() -> list[tuple[str, str, Payload]]:
    """From the third violation within six months to education under a helper (commune education)."""
    return [
        (
            "canbo.hoankiem",
            "preparation_started",
            lambda at, _v: {
                "first_violation_on": _day(at - timedelta(days=80)),
                "first_sanction_on": _day(at - timedelta(days=78)),
                "second_sanction_on": _day(at - timedelta(days=40)),
                "third_violation_at": _at(at - timedelta(days=1)),
                "violation_record_number": "07/BB-VPHC",
                "penal_256a_window": "none",
            },
        ),
        (
            "canbo.hoankiem",
            "dossier_completed",
            lambda at, _v: {
                "notified_at": _at(at - timedelta(hours=1)),
                "notified_person": "subject",
                "reading_place": "Công an phường Hoàn Kiếm",
            },
        ),
        ("canbo.hoankiem", "reading_done", lambda at, _v: {"read_on": _day(at)}),
        ("canbo.hoankiem", "dossier_sent", lambda at, _v: {"sent_on": _day(at)}),
        (
            "chutich.hoankiem",
            "meeting_convened",
            lambda at, _v: {"convened_on": _day(at), "meeting_place": "UBND phường", "members": "Theo giấy mời"},
        ),
        (
            "chutich.hoankiem",
            "meeting_held",
            lambda at, _v: {
                "held_at": _at(at - timedelta(hours=1)),
                "subject_present": True,
                "majority_opinion": "apply",
            },
        ),
        (
            "chutich.hoankiem",
            "decide_apply_4_months",
            lambda at, _v: {"decided_on": _day(at), "decision_number": "09/QĐ-GDX", "supervising_unit": "TCGD-00070"},
        ),
        (
            "chutich.hoankiem",
            "decision_delivered",
            lambda at, _v: {"delivered_on": _day(at), "recipients": "Người được giáo dục; gia đình"},
        ),
        (
            "giaoduc.hoankiem",
            "helper_assigned",
            lambda at, _v: {
                "assigned_on": _day(at),
                "helper_name": "Trần Thị Giúp",
                "helper_kind": "community_member",
                "persons_helped": 1,
            },
        ),
    ]


def _returned_by_the_court() -> list[tuple[str, str, Payload]]:
    """A compulsory-rehab proposal prepared by the commune police and returned by the regional court for a
    missing document."""
    return [
        (
            "canbo.hoankiem",
            "violation_recorded",
            lambda at, _v: {
                "detected_at": _at(at - timedelta(hours=1)),
                "record_number": "11/BB",
                "art32_case": "voluntary_not_done",
                "addiction_status": "determined",
                "penal_256a_window": "none",
            },
        ),
        (
            "canbo.hoankiem",
            "dossier_completed",
            lambda at, _v: {"notified_at": _at(at - timedelta(hours=1)), "notified_to": "subject"},
        ),
        ("canbo.hoankiem", "reading_done", lambda at, _v: {"read_at": _at(at - timedelta(hours=1))}),
        ("canbo.hoankiem", "check_passed", lambda at, _v: {"checked_on": _day(at)}),
        (
            "canbo.hoankiem",
            "proposal_sent",
            lambda at, _v: {"received_by_court_at": _at(at - timedelta(hours=1)), "proposal_number": "14/ĐN"},
        ),
        (
            "regional_court",
            "returned_missing_documents",
            lambda at, _v: {"returned_on": _day(at), "missing": "Thiếu bản tường trình của người bị đề nghị"},
        ),
    ]


WALKS: tuple[Walk, ...] = (
    ("Cao Văn Đạt", "drug_user_management", "canbo.hoankiem", _managed()),
    ("Mai Thị Hoa", "drug_user_management", "canbo.hoankiem", _managed()),
    ("Tạ Văn Quý", "drug_user_management", "canbo.hoankiem", _managed()),
    (
        "Đinh Văn Sơn",
        "voluntary_rehab",
        "dangky.hoankiem",
        [
            (
                "dangky.hoankiem",
                "registered_home_community",
                lambda at, _v: {"registered_at": _at(at), "registrant": "subject"},
            ),
            (
                "chutich.hoankiem",
                "decision_issued",
                lambda at, v: {
                    "decided_on": _day(at),
                    "decision_number": "21/QĐ-UBND",
                    "provider_unit": "DVCD-01",
                    **_term(v),
                },
            ),
            (
                "dichvu.congdong",
                "service_started",
                lambda at, _v: {"rehab_started_on": _day(at), "contract_number": "HĐ-07"},
            ),
        ],
    ),
    (
        "Khổng Văn Tài",
        "voluntary_rehab",
        "dangky.hoankiem",
        [
            (
                "dangky.hoankiem",
                "registered_facility",
                lambda at, _v: {"registered_at": _at(at), "registrant": "subject", "facility_unit": "CSTN-01"},
            ),
            (
                "coso.tunguyen",
                "admitted",
                lambda at, v: {"rehab_started_on": _day(at), "contract_number": "HĐ-TN-03", **_term(v)},
            ),
        ],
    ),
    ("Âu Văn Bình", "commune_education", "canbo.hoankiem", _educated()),
    ("Giáp Văn Cường", "compulsory_rehab_adult", "canbo.hoankiem", _returned_by_the_court()),
    (
        "Lục Văn Thắng",
        "voluntary_rehab",
        "dangky.hoankiem",
        [
            (
                "dangky.hoankiem",
                "registered_substitution_therapy",
                lambda at, _v: {"registered_at": _at(at), "registrant": "subject"},
            )
        ],
    ),
)


def seed_statistics_people(db: Database, rulebook: Rulebook, engine: DossierEngine, now: datetime) -> list[str]:
    """Each walk opened a day more before ``now`` than it has steps, a day between its steps: recent enough that
    none of the time limits they start has run out when the demo begins."""
    with db.reading() as repo:
        officers: dict[str, Actor] = {
            username: actor_by_username(repo, username)
            for username in {"canbo.hoankiem", "chutich.hoankiem", "regional_court", *(o[0] for o in PROVIDER_OFFICERS)}
        }
    lines = []
    for serial, (name, procedure, opener, steps) in enumerate(WALKS, start=1):
        start = now - timedelta(days=len(steps) + 2) + timedelta(hours=serial)
        born = date(1988 + serial, serial, 3 + serial)
        sex = "female" if " Thị " in name else "male"
        subject = SubjectInput(
            full_name=name,
            date_of_birth=born,
            id_number=make_id_number("001", born, sex, 800 + serial),
            commune_code=COMMUNE,
            sex=sex,
        )
        clock = FixedClock(start)
        timed = DossierEngine(rulebook, db, clock, clock_skew=engine.clock_skew, history_keys=engine.history_keys)
        dossier_id = timed.open_dossier(officers[opener], procedure, subject)
        with db.reading() as repo:
            pinned = str((repo.dossier(dossier_id) or {})["procedure_version"])
        version, state = 1, ""
        for step_number, (who, event, payload) in enumerate(steps, start=1):
            moment = start + timedelta(days=step_number, hours=1)
            clock.set(moment)
            result = timed.fire(officers[who], dossier_id, event, payload(moment, pinned), version)
            version, state = result.version, result.state
        lines.append(f"  {dossier_id}  {name:<16} {procedure}: {state}")
    return lines


# -- sample target tables --------------------------------------------------------------------------------------

HEADER = [
    "STT",
    "Đơn vị",
    "Số người nghiện có hồ sơ quản lý",
    "Số người nghiện được tiếp cận điều trị, cai nghiện",
    "Tỷ lệ tiếp cận điều trị, cai nghiện (%)",
    "Tổng số cai nghiện mới",
    "Cai nghiện bắt buộc",
    "Cai nghiện tại gia đình, cộng đồng",
    "Cai nghiện tự nguyện tại cơ sở",
    "Tỷ lệ cai nghiện mới (%)",
    "Tỷ lệ quản lý sau cai nghiện (%)",
]
CONSISTENT = [
    ["1", "Phường Hoàn Kiếm", 40, 34, 85, 10, 3, 4, 3, 25, 100],
    ["2", "Phường Ba Đình", 36, 30, 83.3, 9, 3, 4, 2, 25, 100],
    ["3", "Phường Tây Hồ", 24, 20, 83.3, 6, 2, 3, 1, 25, 100],
    ["", "Tổng cộng", 100, 84, 84, 25, 8, 11, 6, 25, 100],
]


def _with_errors() -> list[list[Any]]:
    """The consistent table with what a check must find: a merged commune written by its old name, a total
    that is not the sum of its parts, a percentage that does not match its numbers, a wrong published total."""
    rows = [row[:] for row in CONSISTENT]
    rows[0][5] = 11  # F5: 11 ≠ 3 + 4 + 3
    rows[1][4] = 90  # E6: 30 / 36 = 83,33 %
    rows.insert(3, ["4", "Phường Hàng Bạc", 5, 4, 80, 1, 1, 0, 0, 20, 100])  # merged into Hoàn Kiếm
    rows[-1][2] = 110  # the published total of registered addicts
    return rows


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Chỉ tiêu 2026"
    sheet.append(["BIỂU CHỈ TIÊU CÔNG TÁC CAI NGHIỆN MA TÚY NĂM 2026 (mẫu)"])
    sheet.append(["(Kèm theo Kế hoạch số 45/KH-UBND ngày 20/01/2026 của Ủy ban nhân dân thành phố Hà Nội — mẫu)"])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def write_sample_tables(directory: Path) -> list[Path]:
    """The two sample tables, as a province publishes them, for a new user to import."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("chi-tieu-2026-ha-noi-co-loi.xlsx", _with_errors()), ("chi-tieu-2026-ha-noi.xlsx", CONSISTENT)):
        path = directory / name
        path.write_bytes(_workbook(rows))
        written.append(path)
    return written
