"""Statistics through the API: the indicator catalogue, a figure per period and area within the officer's own
area, and the dossiers behind a figure — listed within the officer's sight, and the look recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from states.store.tables import reads
from tests.api.test_api import client, login
from tests.conftest import World
from tests.states.population import write_population
from tests.states.test_statistics import GOLDEN_FILES, GOLDEN_PEOPLE, TREATED_FILES, TREATED_PEOPLE

__all__ = ["client"]
REPORT = "/api/v1/reports/indicators/drug_users_under_management"


def test_the_catalogue_lists_every_indicator_with_its_source(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/indicators", headers=login(client, "police"))
    assert answer.status_code == 200
    indicators = {row["code"]: row for row in answer.json()}
    assert {"drug_users_under_management", "deadlines_on_time", "completers_placed_under_post_rehab"} <= set(indicators)
    share = indicators["completers_placed_under_post_rehab"]
    assert share["unit"] == "%" and share["versions"][0]["numerator"] == "post_rehab_placements"
    assert indicators["drug_users_under_management"]["period_rule_title"].startswith("Kỳ báo cáo chốt số liệu")
    staffing = indicators["residents_per_staff"]["versions"][-1]
    assert {(g["indicator"], g["norm"]) for g in staffing["residents"]} == {
        ("compulsory_rehab_residents", 7),
        ("voluntary_facility_residents", 9),
    }
    assert "rehab_facility_officer" in staffing["staff_roles"]
    assert client.get("/api/v1/indicators").status_code == 401


def test_each_unit_reads_the_figures_of_its_own_area(client: TestClient, world: World) -> None:
    write_population(world.db, GOLDEN_PEOPLE, GOLDEN_FILES, world.actors["police"].user_id)
    police, pc04, ba_dinh = login(client, "police"), login(client, "pc04"), login(client, "other_police")
    own = client.get(REPORT, params={"period": "2026-01"}, headers=police)
    assert own.status_code == 200, own.text
    assert (
        own.json()["value"] == 2
        and isinstance(own.json()["value"], int)
        and own.json()["area"] == {"province_code": "01", "commune_code": "00070"}
    )
    assert client.get(REPORT, params={"period": "2026-01"}, headers=ba_dinh).json()["value"] == 0
    province = client.get(REPORT, params={"period": "2026-Q1"}, headers=pc04).json()
    assert province["value"] == 1 and [g["key"] for g in province["breakdowns"]["commune"]] == ["00004"]
    assert province["period"]["title"] == "quý 2026-Q1 (15/12/2025 – 14/03/2026)"

    refused = client.get(REPORT, params={"period": "2026-01", "commune": "00004"}, headers=police)
    assert refused.status_code == 403 and "xã/phường thuộc đơn vị mình" in refused.json()["detail"]
    other_province = client.get(REPORT, params={"period": "2026", "province": "79"}, headers=pc04)
    assert other_province.status_code == 403
    for params, field in (
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-Q1", "province": "99"}, "province"),
        ({"period": "2026-Q1", "commune": "99999"}, "commune"),
        ({"period": "2026-02-30"}, "period"),
    ):
        bad = client.get(REPORT, params=params, headers=pc04)
        assert (bad.status_code, bad.json()["field"]) == (422, field), params
        assert bad.json()["detail"]
    unknown = client.get("/api/v1/reports/indicators/khong_co", params={"period": "2026"}, headers=pc04)
    assert unknown.status_code == 422 and "Không có chỉ tiêu" in unknown.json()["detail"]


def test_persons_reached_and_residents_per_officer_are_answered_in_full(client: TestClient, world: World) -> None:
    write_population(world.db, TREATED_PEOPLE, TREATED_FILES, world.actors["police"].user_id)
    pc04 = login(client, "pc04")
    reached = client.get("/api/v1/reports/indicators/reached_by_treatment", params={"period": "2026-Q1"}, headers=pc04)
    assert reached.status_code == 200, reached.text
    assert (reached.json()["measure"], reached.json()["value"]) == ("during", 2)
    staff = client.get("/api/v1/reports/indicators/residents_per_staff", params={"period": "2026-Q1"}, headers=pc04)
    assert staff.status_code == 200, staff.text
    answer = staff.json()
    assert answer["norms"] == {"compulsory_rehab_residents": 7, "voluntary_facility_residents": 9}
    # Person 1 is a voluntary resident of CSTN-A, a facility hoso does not know and with no officer.
    assert answer["residents"] == {"compulsory_rehab_residents": 0, "voluntary_facility_residents": 1}
    assert answer["breakdowns"]["facility"] == [
        {
            "key": "CSTN-A",
            "title": "CSTN-A",
            "value": None,
            "numerator": 1,
            "denominator": 0,
            "met": None,
            "closed": None,
            "residents": {"compulsory_rehab_residents": 0, "voluntary_facility_residents": 1},
            "staff_needed": 0.1,
            "over_norm": True,
        }
    ]


def test_the_dossiers_behind_a_figure_are_listed_and_the_look_recorded(client: TestClient, world: World) -> None:
    ids = write_population(world.db, GOLDEN_PEOPLE, GOLDEN_FILES, world.actors["police"].user_id)
    pc04 = login(client, "pc04")
    drill = client.get(
        f"{REPORT}/dossiers",
        params={"period": "2026-01", "breakdown": "sex", "key": "female", "purpose": "Đối chiếu báo cáo tháng"},
        headers=pc04,
    )
    assert drill.status_code == 200, drill.text
    body = drill.json()
    assert (body["counted"], body["not_visible"]) == (1, 0)
    assert [item["id"] for item in body["items"]] == [ids[2]]
    # A ratio's figure stands on two lists: the caller says which.
    share = client.get(
        "/api/v1/reports/indicators/completers_placed_under_post_rehab/dossiers",
        params={"period": "2026-Q1"},
        headers=pc04,
    )
    assert share.status_code == 422 and "part=numerator" in share.json()["detail"]
    with world.db.engine.connect() as conn:
        logged = [tuple(row) for row in conn.execute(select(reads.c.kind, reads.c.purpose))]
    assert logged.count(("indicator_dossiers", "Đối chiếu báo cáo tháng")) == 1
