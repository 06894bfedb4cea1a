"""The SQL form of jurisdiction (``states.store.visibility``) lists exactly the dossiers ``covers`` lets an
officer see: every kind of unit, in and out of its territory, designated dossiers, confidential ones, regional
courts and procuracies with the communes the data gives them — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

from states.actors import Actor
from states.identity import make_id_number
from states.permissions import covers, sight_of
from states.places import commune
from states.store.worklists import DossierFilter
from states.units_data import default_units
from tests.conftest import World

HOAN_KIEM, DONG_DA, BA_DINH, HCM = "00070", "00235", "00004", "26740"
PARTIES: tuple[dict[str, str], ...] = (
    {},
    {"health_facility": "YT-01-01"},
    {"health_facility": "YT-01-02", "confidential": "YT-01-02"},
    {"rehab_facility": "CSCN-01-01"},
    {"regional_court": "TAKV-01-02"},
    {"commune_police": "CAX-00235"},
    {"confidential": "CAX-00070"},
)


def unserved_commune(kind: str, province_code: str) -> str | None:
    served = default_units().served_communes(kind)
    for code in (f"{n:05d}" for n in range(1, 30000)):
        if code in served:
            continue
        try:
            place = commune(code)
        except Exception:
            continue
        if place.province_code == province_code:
            return code
    return None


def seed(world: World) -> list[dict[str, Any]]:
    """Dossiers in four communes (and one the court data gives to no court, if any) × the parties above."""
    communes = [HOAN_KIEM, DONG_DA, BA_DINH, HCM]
    extra = unserved_commune("regional_court", "01")
    if extra is not None:
        communes.append(extra)
    opened_by = world.actors["police"].user_id
    now = world.clock.now()
    rows = []
    with world.db.transaction() as repo:
        for serial, (commune_code, parties) in enumerate(itertools.product(communes, PARTIES)):
            born = date(1990, 1, 1) + timedelta(days=serial)
            person_id = repo.insert_person(
                id_number=make_id_number("001", born, "male", serial),
                full_name=f"Người {serial}",
                date_of_birth=born,
                sex="male",
                commune_code=commune_code,
                created_at=now,
                name_key=f"nguoi {serial}",
            )
            row = {
                "id": str(uuid.uuid4()),
                "procedure_code": "addiction_determination",
                "procedure_version": "2022-01-01",
                "state": "tested",
                "version": 1,
                "person_id": person_id,
                "commune_code": commune_code,
                "province_code": commune(commune_code).province_code,
                "facts": {},
                "parties": parties,
                "opened_at": now + timedelta(minutes=serial),
                "opened_by": opened_by,
                "updated_at": now,
            }
            repo.insert_dossier(**row)
            rows.append(row)
    return rows


def actors(world: World) -> list[Actor]:
    places = [
        ("01", HOAN_KIEM),
        ("01", DONG_DA),
        ("79", HCM),
        ("01", None),
    ]
    codes = ["CAX-00070", "CAX-00235", "YT-01-01", "YT-01-02", "CSCN-01-01", "TAKV-01-01", "TAKV-01-02", "X-1"]
    result = []
    for kind, (province, commune_code), code in itertools.product(world.rulebook.regimes.unit_kinds, places, codes):
        for role in ("officer", "system"):
            result.append(Actor(1, "u", "U", role, code, kind, province, commune_code))
    return result


def test_the_visibility_clause_lists_exactly_what_covers_allows(world: World) -> None:
    rows = seed(world)
    checked = 0
    with world.db.reading() as repo:
        for actor in actors(world):
            expected = {row["id"] for row in rows if covers(world.rulebook.regimes, actor, row)}
            listed, total = repo.worklists.dossier_page(
                sight_of(world.rulebook.regimes, actor), DossierFilter(), None, 500
            )
            assert {row["id"] for row in listed} == expected, (actor.unit_kind, actor.unit_code, actor.role)
            assert total == len(expected)
            checked += 1
    assert checked > 100
