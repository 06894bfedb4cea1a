"""Actual against target: the province's imported table next to the figures its dossiers give, as JSON, as an
xlsx workbook (exact values, formulas kept, a chart) and as a .docx report in the NĐ 30/2020 layout (a chart)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.routes.reports import XlsxResponse
from tests.api.test_api import client, login
from tests.conftest import World
from tests.states.population import DossierSpec, PersonSpec, Step, write_population
from tests.states.test_targets import GOOD, _csv

__all__ = ["client"]
PLAN = "/api/v1/reports/plan"

# Two compulsory admissions and one placement under post-rehab management in Hoàn Kiếm in 2026.
PEOPLE = [PersonSpec("male", date(1990, 1, 1)) for _ in range(3)]
FILES = [
    DossierSpec(
        0,
        "compulsory_rehab_execution",
        "00070",
        "01",
        10,
        "decision_effective",
        (Step(12, "decision_sent", "awaiting_transfer"), Step(20, "handed_over", "serving")),
    ),
    DossierSpec(
        1,
        "compulsory_rehab_execution",
        "00070",
        "01",
        30,
        "decision_effective",
        (Step(31, "decision_sent", "awaiting_transfer"), Step(40, "handed_over", "serving")),
    ),
    DossierSpec(
        2,
        "post_rehab_supervision",
        "00004",
        "01",
        30,
        "post_rehab_pending",
        (Step(35, "facility_papers_received", "awaiting_decision"), Step(40, "decision_issued", "under_management")),
    ),
]


def _seed(client: TestClient, world: World) -> None:
    files = {"file": ("chi-tieu.csv", _csv(GOOD), "text/csv")}
    form = {"year": "2026", "source": "Kế hoạch số 45/KH-UBND ngày 20/01/2026"}
    saved = client.post("/api/v1/targets/imports", data=form, files=files, headers=login(client, "pc04"))
    assert saved.status_code == 200, saved.text
    write_population(world.db, PEOPLE, FILES, world.actors["police"].user_id)


def test_each_target_stands_next_to_what_the_dossiers_give(client: TestClient, world: World) -> None:
    _seed(client, world)
    commune = client.get(PLAN, params={"period": "2026"}, headers=login(client, "police"))
    assert commune.status_code == 200, commune.text
    lines = {line["key"]: line for line in commune.json()["lines"]}
    assert commune.json()["area"] == {"province_code": "01", "commune_code": "00070", "name": "Phường Hoàn Kiếm"}
    assert (lines["new_rehab_compulsory"]["target"], lines["new_rehab_compulsory"]["actual"]) == (15, 2)
    assert lines["new_rehab_compulsory"]["reached_percent"] == 13.3
    # The total is the sum of its components' figures; the share is the ratio of the actual numbers.
    assert lines["new_rehab"]["actual"] == 2 and lines["new_rehab"]["target"] == 50
    # Both residents were reached by treatment during the year, and both have a record at its end.
    assert (lines["reached_by_treatment"]["indicator"], lines["reached_by_treatment"]["target"]) == (
        "reached_by_treatment",
        170,
    )
    assert (lines["reached_by_treatment"]["actual"], lines["registered_addicts"]["actual"]) == (2, 2)
    assert (lines["reached_share"]["indicator"], lines["reached_share"]["actual"]) == (
        "reached_by_treatment_share",
        100,
    )
    province = client.get(PLAN, params={"period": "2026-H1"}, headers=login(client, "pc04")).json()
    assert {line["key"]: line["target"] for line in province["lines"]}["registered_addicts"] == 320
    assert province["target_set"]["version"] == 1 and province["period"] == "2026-H1"

    missing = client.get(PLAN, params={"period": "2025"}, headers=login(client, "pc04"))
    assert missing.status_code == 404 and "Chưa có bảng chỉ tiêu" in missing.json()["detail"]
    other = client.get(PLAN, params={"period": "2026", "commune": "00004"}, headers=login(client, "police"))
    assert other.status_code == 403


def test_the_report_files_hold_the_exact_values_the_formulas_and_a_chart(client: TestClient, world: World) -> None:
    _seed(client, world)
    pc04 = login(client, "pc04")
    xlsx = client.get(f"{PLAN}/xlsx", params={"period": "2026"}, headers=pc04)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XlsxResponse.media_type
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["Chỉ tiêu"]
    by_commune = book["Theo xã"]
    assert isinstance(sheet, Worksheet)
    assert isinstance(by_commune, Worksheet)
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5) if row[0].value}
    compulsory = rows["Cai nghiện bắt buộc"]
    assert (compulsory[2].value, compulsory[3].value) == (24, 2)
    share = str(compulsory[4].value)
    assert share.startswith("=IF(") and "ROUND(D" in share
    assert str(by_commune.cell(row=by_commune.max_row, column=3).value).startswith("=SUM(C2:C")
    assert {row[0].value for row in by_commune.iter_rows(min_row=2)} >= {"00070", "00004"}
    # Each commune's figure links to the dossiers behind it.
    linked = [
        str(c.hyperlink.target) for row in by_commune.iter_rows(min_row=2) for c in row if c.hyperlink is not None
    ]
    assert any(
        "/api/v1/reports/indicators/compulsory_rehab_entries/dossiers?period=2026&breakdown=commune&key=00070" in t
        for t in linked
    ), linked
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        assert any(name.startswith("xl/media/") and name.endswith(".png") for name in archive.namelist())  # the chart

    docx = client.get(f"{PLAN}/docx", params={"period": "2026"}, headers=pc04)
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text and "Kế hoạch số 45/KH-UBND" in text
    header = [cell.text for cell in document.tables[0].rows[0].cells]
    assert header == ["BỘ CÔNG AN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    assert document.tables[0].rows[1].cells[0].text == "CÔNG AN THÀNH PHỐ HÀ NỘI"
    targets_table = document.tables[1]
    found = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in targets_table.rows[1:]}
    assert found["Cai nghiện bắt buộc"] == ["24", "2", "8,3"]
    assert len(document.inline_shapes) == 1


def test_the_chart_is_drawn_offline_as_svg_or_png(client: TestClient, world: World) -> None:
    _seed(client, world)
    svg = client.get(f"{PLAN}/chart/svg", params={"period": "2026"}, headers=login(client, "pc04"))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert (
        svg.text.lstrip().startswith("<?xml")
        and "<svg" in svg.text
        and "http://" not in svg.text.split("<svg", 1)[1][:0]
    )
    png = client.get(f"{PLAN}/chart/png", params={"period": "2026"}, headers=login(client, "pc04"))
    assert png.content.startswith(b"\x89PNG")
    again = client.get(f"{PLAN}/chart/png", params={"period": "2026"}, headers=login(client, "pc04"))
    assert again.content == png.content  # the same figures draw the same bytes
