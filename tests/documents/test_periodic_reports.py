"""Periodic reports are produced before their due date for every province with a plan table, stored with their
SHA-256 and announced to the recipient unit through its inbox and the delivery queue, once however often the flow
runs; a province without a table sees its report fail with the reason and retried, then produced (late) once the
table is imported."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import select

from documents.demo_ca import ensure_demo_ca, ensure_unit_key
from documents.files import FileStore
from documents.pdf import PdfConverter
from documents.pdf_stage import PdfFinisher, SigningSetup, pdf_batch
from documents.periodic import produce_due_reports
from documents.signing import check_pdf, load_trust_roots
from states.accounts import create_unit
from states.errors import HosoError
from states.indicators import load_indicators
from states.notices import Posting
from states.periodic_reports import planned_reports, report_plan
from states.store.tables import notices
from states.targets import TargetImport, import_targets
from tests.api.test_api import login
from tests.api.test_documents import client, documents_dir
from tests.conftest import World, add_officers
from tests.states.test_targets import GOOD, _csv

__all__ = ["client", "documents_dir"]
# 08/06/2026 09:00 in Hà Nội: two days before the six-month report is due (10/06), after the May report's.
JUNE_8 = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def _province_of_hcmc(world: World) -> None:
    with world.db.transaction() as repo:
        create_unit(
            repo,
            world.rulebook.regimes,
            code="CAT-79",
            name="Công an Thành phố Hồ Chí Minh",
            kind="provincial_police",
            province_code="79",
        )
    add_officers(world, {"pc04_hcm": ("police_unit", "CAT-79")})


def _import_hanoi(world: World) -> None:
    request = TargetImport("rehab_plan", 2026, "Kế hoạch số 45/KH-UBND ngày 20/01/2026", "t.csv", _csv(GOOD))
    import_targets(world.db, world.rulebook, world.actors["pc04"], request, JUNE_8 - timedelta(days=100))


def test_the_plan_names_which_reports_are_due_and_when() -> None:
    plan = report_plan()
    rule = load_indicators().periods.rules[plan.period_rule]
    due = planned_reports(plan, rule, {"provincial_police": {"01": "CAT-01"}}, JUNE_8)
    labels = {(p.schedule.code, p.period.label): p for p in due}
    half = labels[("half_year", "2026-H1")]
    assert half.due_at == datetime(2026, 6, 11, 0, 0, tzinfo=half.due_at.tzinfo)  # the end of 10 June
    assert half.produce_from.date() == date(2026, 6, 8)
    assert ("month", "2026-05") in labels  # closed on 14/05, due 19/05: produced late if still missing
    assert ("month", "2026-06") not in labels and ("year", "2026") not in labels


def test_a_report_goes_to_the_unit_in_charge_on_its_due_date() -> None:
    plan = report_plan()
    rule = load_indicators().periods.rules[plan.period_rule]
    recipients = {"provincial_labour_dept": {"01": "LDTBXH-01"}, "provincial_police": {"01": "CAT-01"}}
    # Before 01/03/2025 rehab reports went to the labour department, from then on to the provincial police.
    january = planned_reports(plan, rule, recipients, datetime(2025, 1, 18, 2, 0, tzinfo=UTC))
    assert {(p.period.label, p.recipient_unit) for p in january if p.schedule.code == "month"} >= {
        ("2025-01", "LDTBXH-01")
    }
    march = planned_reports(plan, rule, recipients, datetime(2025, 3, 18, 2, 0, tzinfo=UTC))
    assert ("2025-03", "CAT-01") in {(p.period.label, p.recipient_unit) for p in march if p.schedule.code == "month"}
    assert "LDTBXH-01" not in {p.recipient_unit for p in march if p.period.label == "2025-03"}


def test_reports_are_produced_stored_and_announced_once(world: World, tmp_path: Path) -> None:
    _province_of_hcmc(world)
    _import_hanoi(world)
    world.at(JUNE_8.isoformat())
    store = FileStore(tmp_path / "files")
    outcomes = produce_due_reports(world.db, world.rulebook, store, world.actors["system"], JUNE_8, worker="w1")
    by_place = {}
    with world.db.reading() as repo:
        for row in repo.reports.of_province("01", 2026) + repo.reports.of_province("79", 2026):
            by_place[(row["province_code"], row["schedule"], row["period"])] = row
    hanoi = by_place[("01", "half_year", "2026-H1")]
    assert hanoi["status"] == "produced" and hanoi["produced_at"] is not None
    for kind in ("xlsx", "docx"):
        content = store.read(hanoi[f"{kind}_name"])
        assert hashlib.sha256(content).hexdigest() == hanoi[f"{kind}_sha256"]
    hcmc = by_place[("79", "half_year", "2026-H1")]
    assert hcmc["status"] == "failed" and "Chưa có bảng chỉ tiêu" in hcmc["last_error"] and hcmc["attempts"] == 1
    assert {o.outcome for o in outcomes} == {"produced", "failed"}

    announced = _announced(world)
    assert {unit for _, unit, _ in announced} == {"CAT-01"}
    assert any(title == "Báo cáo 6 tháng 2026-H1 đã lập" for _, _, title in announced)
    assert any(title.endswith("(trễ hạn)") for _, _, title in announced)  # May's report, due 19/05

    again = produce_due_reports(world.db, world.rulebook, store, world.actors["system"], JUNE_8, worker="w2")
    assert again == []  # the produced ones are done; the failed one waits for its retry time
    assert _announced(world) == announced

    # Hồ Chí Minh City imports its table; the retry produces the report, announced to its police.
    request = TargetImport("rehab_plan", 2026, "Kế hoạch 12/KH-UBND", "t.csv", _csv(_hcmc_table()))
    import_targets(world.db, world.rulebook, world.actors["pc04_hcm"], request, JUNE_8)
    later = JUNE_8 + timedelta(hours=1)
    retried = produce_due_reports(world.db, world.rulebook, store, world.actors["system"], later, worker="w1")
    assert [o.outcome for o in retried if "79 2026-H1" in o.detail] == ["produced"]


def _announced(world: World) -> list[tuple[int, str, str]]:
    with world.db.engine.connect() as conn:
        query = select(notices.c.id, notices.c.unit_code, notices.c.title).where(notices.c.kind == "periodic_report")
        return [(int(row.id), str(row.unit_code), str(row.title)) for row in conn.execute(query.order_by(notices.c.id))]


def _hcmc_table() -> list[list[str]]:
    rows = [row[:] for row in GOOD]
    rows[3][1], rows[4][1] = "26506", "26526"
    return rows


def test_the_province_reads_its_reports_and_their_files_as_produced(
    client: TestClient, world: World, documents_dir: Path
) -> None:
    _province_of_hcmc(world)
    _import_hanoi(world)
    world.at(JUNE_8.isoformat())
    produce_due_reports(world.db, world.rulebook, FileStore(documents_dir), world.actors["system"], JUNE_8, worker="w")
    pc04 = login(client, "pc04")
    listed = client.get("/api/v1/reports/periodic", params={"year": 2026}, headers=pc04)
    assert listed.status_code == 200, listed.text
    rows = {(r["schedule"], r["period"]): r for r in listed.json()}
    half = rows[("half_year", "2026-H1")]
    assert (half["status"], half["late"], half["due_on"]) == ("produced", False, "2026-06-10")
    assert rows[("month", "2026-05")]["late"] is True
    docx = client.get(f"/api/v1/reports/periodic/{half['id']}/docx", headers=pc04)
    assert docx.status_code == 200 and hashlib.sha256(docx.content).hexdigest() == half["docx_sha256"]
    xlsx = client.get(f"/api/v1/reports/periodic/{half['id']}/xlsx", headers=pc04)
    assert hashlib.sha256(xlsx.content).hexdigest() == half["xlsx_sha256"]

    hcmc = login(client, "pc04_hcm")
    theirs = {(r["schedule"], r["period"]): r for r in client.get("/api/v1/reports/periodic", headers=hcmc).json()}
    waiting = theirs[("half_year", "2026-H1")]
    assert waiting["status"] == "failed" and "Chưa có bảng chỉ tiêu" in waiting["last_error"]
    refused = client.get(f"/api/v1/reports/periodic/{waiting['id']}/xlsx", headers=hcmc)
    assert refused.status_code == 409 and "chưa được lập" in refused.json()["detail"]
    assert client.get(f"/api/v1/reports/periodic/{half['id']}/xlsx", headers=hcmc).status_code == 404

    with world.db.reading() as repo:
        stored = documents_dir / str(repo.reports.report(half["id"])["xlsx_name"])  # type: ignore[index]
    stored.write_bytes(stored.read_bytes() + b"x")
    altered = client.get(f"/api/v1/reports/periodic/{half['id']}/xlsx", headers=pc04)
    assert altered.status_code == 409 and "đã bị thay đổi" in altered.json()["detail"]


def test_a_report_is_issued_numbered_verifiable_and_signed(
    client: TestClient, world: World, documents_dir: Path, tmp_path: Path
) -> None:
    """The .docx of each report takes the next number of its unit's reports of the year (no gap), carries the QR
    code of its public verification page, is recorded among the issued documents and is signed as PDF by the
    documents stage with the unit's key."""
    _import_hanoi(world)
    world.at(JUNE_8.isoformat())
    produce_due_reports(
        world.db,
        world.rulebook,
        FileStore(documents_dir),
        world.actors["system"],
        JUNE_8,
        worker="w",
        public_url="https://hoso.example.gov.vn",
    )
    with world.db.reading() as repo:
        rows = sorted(repo.reports.of_province("01", 2026), key=lambda row: row["document_id"] or 0)
        produced = [row for row in rows if row["status"] == "produced"]
        issued = [repo.documents.document(int(row["document_id"])) for row in produced]
        numbers = repo.documents.numbers("CAT-01", "BC", 2026)
    assert len(produced) >= 2
    assert numbers == list(range(1, len(produced) + 1))
    for row, document in zip(produced, issued, strict=True):
        assert document is not None and document["dossier_id"] is None
        assert document["number_symbol"] == f"{document['number']:02d}/BC-CAT" == row["number_symbol"]
        assert document["sha256"] == row["docx_sha256"] and document["file_path"] == row["docx_name"]
        assert document["title"].startswith("Báo cáo 6 tháng kỳ 2026-H1:" if row["period"] == "2026-H1" else "Báo cáo")
        assert document["issued_by"] == world.actors["system"].user_id
        text = docx_text(FileStore(documents_dir).read(row["docx_name"]))
        assert f"Số: {row['number_symbol']}" in text
        assert f"https://hoso.example.gov.vn/api/v1/documents/verify/{row['verification_code']}" in text
        assert "chưa đánh số" not in text

    half = next(row for row in produced if row["period"] == "2026-H1")
    public = client.get(f"/api/v1/documents/verify/{half['verification_code']}")
    assert public.status_code == 200, public.text
    assert public.json()["valid"] is True
    assert public.json()["document"]["number_symbol"] == half["number_symbol"]
    # Not a dossier's document: the documents routes do not hand it out; the report's own routes do.
    pc04 = login(client, "pc04")
    assert client.get(f"/api/v1/documents/{half['document_id']}/docx", headers=pc04).status_code == 404
    waiting = client.get(f"/api/v1/reports/periodic/{half['id']}/pdf", headers=pc04)
    assert waiting.status_code == 409 and "chưa có bản PDF" in waiting.json()["detail"]

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) không có trên máy: không chuyển được báo cáo sang PDF để ký")
    pki = tmp_path / "pki"
    ensure_demo_ca(pki)
    ensure_unit_key(pki, "CAT-01", "Công an thành phố Hà Nội")
    finisher = PdfFinisher(
        world.db,
        FileStore(documents_dir),
        PdfConverter(),
        SigningSetup(keys_dir=pki, trust_roots=(pki / "ca.cert.pem",)),
    )
    outcomes = pdf_batch(finisher, worker="w", now=JUNE_8, batch_size=20, lease_seconds=60, retry_seconds=30)
    assert {o.outcome for o in outcomes} == {"signed"} and len(outcomes) == len(produced)
    listed = {r["id"]: r for r in client.get("/api/v1/reports/periodic", headers=pc04).json()}
    assert listed[half["id"]]["pdf_status"] == "signed" and "Hà Nội" in listed[half["id"]]["signer_subject"]
    pdf = client.get(f"/api/v1/reports/periodic/{half['id']}/pdf", headers=pc04)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The public check knows the file; the served app trusts other roots than this test's CA.
    check = client.post("/api/v1/documents/verify", files={"file": ("bc.pdf", pdf.content, "application/pdf")})
    assert check.status_code == 200 and check.json()["stored_intact"] is True, check.text
    assert check.json()["document"]["number_symbol"] == half["number_symbol"]
    assert check.json()["signature"]["intact"] is True
    signature = check_pdf(pdf.content, load_trust_roots([pki / "ca.cert.pem"]))
    assert signature.valid and signature.signer_unit_code == "CAT-01"
    assert signature.reason == f"Ban hành văn bản {half['number_symbol']}"


def test_a_report_that_fails_after_numbering_gives_its_number_back(
    world: World, documents_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number is taken in the transaction that records the report as produced: a failure after it (here the
    notice) rolls the number back, and the retry takes it."""
    _import_hanoi(world)
    world.at(JUNE_8.isoformat())
    store = FileStore(documents_dir)
    system = world.actors["system"]

    def broken(*args: object, **kwargs: object) -> int:
        raise HosoError("Hộp thư của đơn vị nhận tạm không ghi được")

    monkeypatch.setattr(Posting, "post", broken)
    failed = produce_due_reports(world.db, world.rulebook, store, system, JUNE_8, worker="w")
    assert failed and {o.outcome for o in failed} == {"failed"}
    with world.db.reading() as repo:
        assert repo.documents.numbers("CAT-01", "BC", 2026) == []
    monkeypatch.undo()
    later = JUNE_8 + timedelta(hours=5)
    retried = produce_due_reports(world.db, world.rulebook, store, system, later, worker="w")
    assert {o.outcome for o in retried} == {"produced"}
    with world.db.reading() as repo:
        assert repo.documents.numbers("CAT-01", "BC", 2026) == list(range(1, len(retried) + 1))


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)
