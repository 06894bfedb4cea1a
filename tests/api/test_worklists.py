"""Finding the work through the API: the dossier list and person search of an officer's jurisdiction, with
filters, totals and keyset pages, and the unit directory — nothing of another unit's dossiers is listed or
counted, and bad filters are refused in Vietnamese."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_api import client, login
from tests.conftest import World
from tests.states.test_custody import held

__all__ = ["client"]


def pages(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, page after page, and the total the first page announced."""
    items: list[dict[str, Any]] = []
    first = client.get(path, params=params, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    total = body["total"]
    while True:
        items += body["items"]
        if body["next_cursor"] is None:
            return items, total
        following = client.get(path, params={**params, "cursor": body["next_cursor"]}, headers=headers)
        assert following.status_code == 200, following.text
        body = following.json()


@pytest.fixture
def spread(world: World) -> dict[str, list[str]]:
    """Seven dossiers of Hoàn Kiếm (one in custody), three of Ba Đình, opened a minute apart."""
    opened: dict[str, list[str]] = {"00070": [], "00004": []}
    for minute in range(10):
        world.at(f"2026-03-02T08:{minute:02d}:00+07:00")
        commune_code, opener = ("00070", "police") if minute < 7 else ("00004", "other_police")
        dossier = world.open(opener, commune_code=commune_code, full_name=f"Lê Thị Hoa {minute}")
        opened[commune_code].append(dossier.id)
    world.at("2026-03-02T08:20:00+07:00")
    opened["held"] = [held(world).id]
    return opened


def test_each_unit_lists_and_counts_only_its_own_dossiers_newest_first(
    client: TestClient, spread: dict[str, list[str]]
) -> None:
    police, other = login(client, "police"), login(client, "other_police")
    mine, total = pages(client, "/api/v1/dossiers", police, limit=3)
    assert total == 8 and len(mine) == 8
    assert [d["id"] for d in mine] == spread["held"] + spread["00070"][::-1]
    assert {d["commune_code"] for d in mine} == {"00070"}
    theirs, total = pages(client, "/api/v1/dossiers", other, limit=2)
    assert total == 3 and [d["id"] for d in theirs] == spread["00004"][::-1]
    row = mine[1]
    assert row["procedure_title"] and row["state_title"] and row["commune_name"] == "Phường Hoàn Kiếm"
    assert row["person"]["full_name"] == "Lê Thị Hoa 6"
    # A filter naming the other unit's commune finds nothing, and says nothing more.
    outside = client.get("/api/v1/dossiers", params={"commune": "00004"}, headers=police).json()
    assert outside == {"items": [], "total": 0, "next_cursor": None}
    # The provincial police see both communes.
    both, total = pages(client, "/api/v1/dossiers", login(client, "pc04"), limit=50)
    assert total == 11 and len(both) == 11


def test_filters_by_state_time_limits_and_opening_day(
    client: TestClient, world: World, spread: dict[str, list[str]]
) -> None:
    police = login(client, "police")
    held_id = spread["held"][0]
    custody, total = pages(client, "/api/v1/dossiers", police, state="in_custody")
    assert total == 1 and [d["id"] for d in custody] == [held_id]
    assert custody[0]["next_due_at"] is not None and custody[0]["overdue"] is False
    due, _ = pages(client, "/api/v1/dossiers", police, due_from="2026-03-02", due_to="2026-03-02")
    assert [d["id"] for d in due] == [held_id]
    assert pages(client, "/api/v1/dossiers", police, due_from="2026-03-10")[1] == 0
    assert pages(client, "/api/v1/dossiers", police, overdue="true")[1] == 0
    world.at("2026-03-03T09:00:00+07:00")  # the 12 hours of custody ran out during the night
    police = login(client, "police")
    late, total = pages(client, "/api/v1/dossiers", police, overdue="true")
    assert total == 1 and late[0]["id"] == held_id and late[0]["overdue"] is True
    assert pages(client, "/api/v1/dossiers", police, overdue="false")[1] == 7
    assert pages(client, "/api/v1/dossiers", police, opened_from="2026-03-03")[1] == 0
    assert pages(client, "/api/v1/dossiers", police, opened_to="2026-03-02", open_only="true")[1] == 8
    assert pages(client, "/api/v1/dossiers", police, open_only="false")[1] == 0
    assert pages(client, "/api/v1/dossiers", police, procedure="compulsory_rehab_adult")[1] == 0
    # The unit filter: what a given unit covers, within what the caller covers.
    provincial = login(client, "pc04")
    assert pages(client, "/api/v1/dossiers", provincial, unit="CAX-00004")[1] == 3
    assert pages(client, "/api/v1/dossiers", police, unit="CAX-00004")[1] == 0


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"cursor": "không-phải-con-trỏ"}, "cursor", "Con trỏ trang"),
        ({"cursor": "MjAyNi0xMy0wMnx4"}, "cursor", "Con trỏ trang"),
        ({"due_from": "2026-03-05", "due_to": "2026-03-01"}, "due_to", "trước ngày đầu"),
        ({"opened_from": "2026-02-30"}, "opened_from", None),
        ({"procedure": "khong_co"}, "procedure", "Không có thủ tục"),
        ({"procedure": "addiction_determination", "state": "khong_co"}, "state", "Không có trạng thái"),
        ({"commune": "99999"}, "commune_code", "Không có xã, phường"),
        ({"commune": "7"}, "commune", None),
        ({"unit": "KHONG-CO"}, "unit", "Không có đơn vị"),
        ({"limit": "0"}, "limit", None),
        ({"limit": "201"}, "limit", None),
    ],
)
def test_bad_filters_are_refused_in_vietnamese(
    client: TestClient, params: dict[str, str], field: str, words: str | None
) -> None:
    answer = client.get("/api/v1/dossiers", params=params, headers=login(client, "police"))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    fields = [body.get("field") or "", *(item.get("field") or "" for item in body.get("problems") or [])]
    assert any(field in name for name in fields), body
    if words is not None:
        assert words in answer.text


def test_the_person_search_pages_through_every_visible_person(client: TestClient, spread: dict[str, Any]) -> None:
    police = login(client, "police")
    found, total = pages(client, "/api/v1/persons", police, name="le thi hoa", limit=2)
    assert total == 7 and len(found) == 7
    assert len({p["id_number"] for p in found}) == 7
    assert all(len(p["dossiers"]) == 1 for p in found)
    other, total = pages(client, "/api/v1/persons", login(client, "other_police"), name="LÊ THỊ HOA")
    assert total == 3 and {p["full_name"] for p in other} == {"Lê Thị Hoa 7", "Lê Thị Hoa 8", "Lê Thị Hoa 9"}
    bad = client.get("/api/v1/persons", params={"name": "le thi", "cursor": "%%%"}, headers=police)
    assert bad.status_code == 422 and "Con trỏ trang" in bad.text


def test_the_unit_directory_is_filtered_by_kind_place_and_name(client: TestClient) -> None:
    police = login(client, "police")
    facilities = client.get("/api/v1/units", params={"kind": "health_facility", "province": "01"}, headers=police)
    assert facilities.status_code == 200
    assert [u["code"] for u in facilities.json()] == ["YT-01-01", "YT-01-02"]
    assert facilities.json()[0]["kind_title"].startswith("Cơ sở y tế")
    by_name = client.get("/api/v1/units", params={"name": "cong an phuong hoan kiem"}, headers=police).json()
    assert [u["code"] for u in by_name] == ["CAX-00070"]
    refused = client.get("/api/v1/units", params={"kind": "khong_co"}, headers=police)
    assert refused.status_code == 422 and "Không có loại đơn vị" in refused.text
    assert client.get("/api/v1/units").status_code == 401
