"""Documents a step asks for are issued once: numbered in the unit's sequence, rendered in the NĐ 30 layout,
stored with their SHA-256 and linked to the step that asked for them."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from jinja2 import UndefinedError

from documents.compose import Composer, printable_bases
from documents.issue import Issuer, issue_claimed, pending_requests
from tests.conftest import Dossier, World
from tests.states.test_custody import held
from tests.states.test_drug_user_management import managed


@pytest.fixture
def issuer(world: World, tmp_path: Path) -> Iterator[Issuer]:
    yield Issuer.create(world.db, world.rulebook, tmp_path / "van-ban")


def issue_all(world: World, issuer: Issuer) -> list[str]:
    now = world.clock.now()
    claimed = pending_requests(world.db, worker="thu-nghiem", now=now, lease_seconds=60, limit=50)
    return [issuer.issue(outbox_id, now).outcome for outbox_id in claimed]


def documents(dossier: Dossier) -> list[dict[str, Any]]:
    with dossier.world.db.reading() as repo:
        return repo.documents.documents_of(dossier.id)


def text_of(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_a_custody_order_is_issued_numbered_stored_and_linked_to_its_step(world: World, issuer: Issuer) -> None:
    dossier = held(world)
    assert issue_all(world, issuer) == ["issued"] * len([r for r in dossier.outbox() if r["kind"] == "document"])
    by_form = {str(d["form_code"]): d for d in documents(dossier)}
    order = by_form["xlvphc.tam_giu"]
    assert order["number_symbol"] == "01/QĐ-CAX"
    assert (order["unit_code"], order["year"], order["number"]) == ("CAX-00070", 2026, 1)
    saved = dossier.saved()
    step = next(entry for entry in saved["history"] if entry["event"] == "custody_ordered")
    assert order["history_seq"] == step["seq"]
    stored = issuer.files.read(str(order["file_path"]))
    assert hashlib.sha256(stored).hexdigest() == order["sha256"] and len(stored) == order["size_bytes"]
    text = text_of(stored)
    assert "Số: 01/QĐ-CAX" in text
    assert "QUYẾT ĐỊNH" in text and "Về việc tạm giữ người theo thủ tục hành chính" in text
    assert "Hoàn Kiếm, ngày 02 tháng 3 năm 2026" in text
    assert "Họ và tên: Nguyễn Văn Thử" in text.replace("\t", " ") or "Nguyễn Văn Thử" in text
    assert "01/QĐ" in text  # the decision number the custody officer recorded
    assert text == unicodedata.normalize("NFC", text)
    assert "{{" not in text and "{%" not in text


def test_issuing_twice_issues_nothing_more_and_numbers_follow_on(world: World, issuer: Issuer) -> None:
    first = held(world)
    issue_all(world, issuer)
    before = documents(first)
    assert issue_all(world, issuer) == []
    assert documents(first) == before
    world.at("2026-03-02T08:00:00+07:00")
    second = held(world)
    issue_all(world, issuer)
    numbers = [d["number_symbol"] for d in documents(second) if d["form_code"] == "xlvphc.tam_giu"]
    assert numbers == ["02/QĐ-CAX"]


def test_a_request_claimed_by_a_dead_worker_is_issued_once_after_its_lease(world: World, issuer: Issuer) -> None:
    dossier = held(world)
    now = world.clock.now()
    lost = pending_requests(world.db, worker="chet", now=now, lease_seconds=60, limit=50)
    assert lost and pending_requests(world.db, worker="khac", now=now, lease_seconds=60, limit=50) == []
    world.at("2026-03-02T09:00:00+07:00")
    assert issue_all(world, issuer) == ["issued"] * len(lost)
    assert len(documents(dossier)) == len(lost)
    assert [issuer.issue(outbox_id, world.clock.now()).outcome for outbox_id in lost] == ["skipped"] * len(lost)


def test_a_failed_rendering_takes_no_number(world: World, issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    dossier = held(world)

    def broken(self: Issuer, *args: object) -> tuple[bytes, str, str]:
        raise OSError("đĩa đầy")

    monkeypatch.setattr(Issuer, "_render", broken)
    now = world.clock.now()
    claimed = pending_requests(world.db, worker="thu-nghiem", now=now, lease_seconds=60, limit=50)
    with pytest.raises(OSError):
        issuer.issue(claimed[0], now)
    monkeypatch.undo()
    for outbox_id in claimed:
        issuer.issue(outbox_id, now)
    assert [d["number"] for d in documents(dossier) if d["doc_type"] == "QĐ"] == [1]


def test_a_document_of_a_step_the_system_recorded_is_issued_by_the_commune_committee(
    world: World, issuer: Issuer
) -> None:
    """The end of a user's management is recorded by the sweep; its letter is the commune chairman's."""
    dossier = managed(world)
    issue_all(world, issuer)
    due = datetime.fromisoformat(dossier.deadlines("open")["management_term"]["due_at"])
    world.at((due + timedelta(minutes=1)).isoformat())
    world.sweep()
    assert issue_all(world, issuer) == ["issued"]
    letter = next(d for d in documents(dossier) if d["form_code"] == "hoso.qlsd_ket_thuc_quan_ly")
    assert letter["unit_code"] == "UBX-00070" and letter["number_symbol"] == "01/CV-UBND"
    text = text_of(issuer.files.read(str(letter["file_path"])))
    assert "UBND PHƯỜNG HOÀN KIẾM" in text and "HỆ THỐNG" not in text
    lines = text.splitlines()
    assert lines[lines.index("CHỦ TỊCH") + 1] == "chair"  # the holder of the committee's head role signs


@pytest.mark.parametrize(
    ("annotated", "printed"),
    [
        (
            "Luật XLVPHC Điều 122 khoản 1 điểm đ, khoản 3",
            ["Luật Xử lý vi phạm hành chính Điều 122 khoản 1 điểm đ, khoản 3"],
        ),
        (
            "NĐ 105/2021 Điều 38; Luật PCMT 120/2025/QH15 (số điều chưa kiểm chứng; trước đây Luật 73/2021 Điều 2 "
            "khoản 10); gửi kết quả về nơi cư trú — thủ tục chưa kiểm chứng",
            ["Nghị định 105/2021 Điều 38", "Luật Phòng, chống ma túy 120/2025/QH15"],
        ),
        (
            "BLHS Điều 256a (Luật 86/2025/QH15) — sử dụng trong thời gian quản lý",
            ["Bộ luật Hình sự Điều 256a (Luật 86/2025/QH15)"],
        ),
        (
            "PL 01/2022 (bốn loại quyết định); Luật PCMT 120/2025 Điều 36: trường giáo dưỡng [S]",
            ["Pháp lệnh 01/2022", "Luật Phòng, chống ma túy 120/2025 Điều 36"],
        ),
        ("Báo cáo định kỳ — kỳ báo cáo chưa kiểm chứng", []),
        (
            "PL 09/2014/UBTVQH13 Điều 26 khoản 4; trở lại thời gian hoãn — suy luận",
            ["Pháp lệnh 09/2014/UBTVQH13 Điều 26 khoản 4"],
        ),
    ],
)
def test_a_steps_legal_basis_is_printed_without_the_maintainers_notes(annotated: str, printed: list[str]) -> None:
    assert printable_bases(annotated) == printed


def test_a_form_whose_wording_breaks_waits_with_the_reason_and_the_others_are_issued(
    world: World, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = held(world)
    compose = Composer.compose

    def breaking(self: Composer, repo: Any, request: Any, form_code: str, **kwargs: Any) -> Any:
        if form_code == "xlvphc.tam_giu":
            raise UndefinedError("'dict object' has no attribute 'x'")
        return compose(self, repo, request, form_code, **kwargs)

    monkeypatch.setattr(Composer, "compose", breaking)
    outcomes = issue_claimed(
        issuer,
        pending_requests(world.db, worker="thu-nghiem", now=world.clock.now(), lease_seconds=60, limit=50),
        world.clock.now(),
        retry_seconds=30,
    )
    assert sorted(o.outcome for o in outcomes) == ["issued", "retry"]
    waiting = next(o for o in outcomes if o.outcome == "retry")
    assert "UndefinedError" in waiting.detail
    assert [d["form_code"] for d in documents(dossier)] == ["nd105.m03"]
    row = next(r for r in dossier.outbox() if r["id"] == waiting.outbox_id)
    assert row["status"] == "pending" and row["attempts"] == 1 and "UndefinedError" in row["last_error"]
