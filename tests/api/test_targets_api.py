"""Plan targets through the API: a provincial officer checks a table (every problem with its cell), is refused
a table that does not add up (nothing kept), imports a consistent one as a new version and reads it back; a
commune officer may read the province's targets but not import them."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.api.test_api import client, login
from tests.conftest import World
from tests.states.test_targets import GOOD, _csv

__all__ = ["client"]
FORM = {"year": "2026", "source": "Kế hoạch số 45/KH-UBND ngày 20/01/2026"}


def _post(client: TestClient, who: str, content: bytes, **form: str) -> httpx.Response:
    files = {"file": ("chi-tieu-2026.csv", content, "text/csv")}
    answer: httpx.Response = client.post(
        "/api/v1/targets/imports", data={**FORM, **form}, files=files, headers=login(client, who)
    )
    return answer


def test_a_province_checks_imports_and_reads_its_targets(client: TestClient, world: World) -> None:
    bad = [row[:] for row in GOOD]
    bad[3][5] = "51"
    checked = _post(client, "pc04", _csv(bad), dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json()["saved"] is False
    cells = {p["cell"]: p["message"] for p in checked.json()["problems"]}
    assert cells["F4"] == "Tổng 51 khác tổng các thành phần 15 + 22 + 13 = 50" and "F6" in cells

    refused = _post(client, "pc04", _csv(bad))
    assert refused.status_code == 422 and refused.json()["field"] == "file"
    assert "chưa lưu" in refused.json()["detail"]
    assert any(p["detail"].startswith("F4: ") for p in refused.json()["problems"])
    assert client.get("/api/v1/targets", headers=login(client, "pc04")).json() == []

    saved = _post(client, "pc04", _csv(GOOD))
    assert saved.status_code == 200 and saved.json()["saved"] is True and saved.json()["version"] == 1
    again = _post(client, "pc04", _csv(GOOD))
    assert again.json()["version"] == 2
    listed = client.get("/api/v1/targets", params={"year": 2026}, headers=login(client, "police")).json()
    assert [(s["version"], s["current"]) for s in listed] == [(2, True), (1, False)]
    assert listed[0]["imported_by"] == "pc04" and listed[0]["source_document"].startswith("Kế hoạch số 45")
    detail = client.get(f"/api/v1/targets/{listed[0]['id']}", headers=login(client, "pc04")).json()
    values = {(v["unit_code"], v["column_key"]): v["value"] for v in detail["values"]}
    assert values[("00004", "reached_share")] == "83.3" and values[("01", "new_rehab")] == "80"


def test_what_a_commune_or_a_stranger_sends_changes_nothing(client: TestClient, world: World) -> None:
    denied = _post(client, "police", _csv(GOOD))
    assert denied.status_code == 403 and "cấp tỉnh" in denied.json()["detail"]
    garbage = _post(client, "pc04", b"PK\x03\x04not a workbook")
    assert garbage.status_code == 422 and "xlsx" in garbage.json()["detail"]
    for form in ({"year": "1999"}, {"year": "hai nghìn"}, {"source": ""}, {"layout": "khong_co"}):
        answer = _post(client, "pc04", _csv(GOOD), **form)
        assert answer.status_code == 422, form
    too_big = _post(client, "pc04", b"a;b\n" * 400_000)
    assert too_big.status_code == 413
    assert client.get("/api/v1/targets/999", headers=login(client, "pc04")).status_code == 404
    assert client.get("/api/v1/targets", params={"province": "79"}, headers=login(client, "pc04")).status_code == 403
    assert client.get("/api/v1/targets", headers=login(client, "pc04")).json() == []
