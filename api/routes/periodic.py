"""Periodic reports the scheduled flow produced: their state (due, produced, late, failed and why) and files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.report_schemas import PeriodicReportOut
from api.routes.documents import DOCX_MEDIA_TYPE, PDF_MEDIA_TYPE, DocxResponse, PdfResponse, _attachment, _store
from api.routes.reports import XlsxResponse, _file_responses
from documents.report_files import XLSX_MEDIA_TYPE
from states.periodic_reports import periodic_report_file, periodic_reports

router = APIRouter(prefix="/api/v1", tags=["Thống kê"], route_class=ProblemRoute)
_Id = Annotated[int, Path(ge=1, le=2**31 - 1, description="Số của báo cáo định kỳ")]


def _stored_responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    responses = _file_responses(media_type, what)
    responses[404]["description"] = "Không có báo cáo này, hoặc báo cáo của tỉnh khác"
    responses[409] = problem_responses(409)[409]
    responses[409]["description"] = "Báo cáo chưa lập được, hoặc tệp lưu trữ đã bị thay đổi sau khi lập"
    return responses


@router.get(
    "/reports/periodic",
    response_model=list[PeriodicReportOut],
    summary="Báo cáo định kỳ của tỉnh: đến hạn, đã lập, trễ hạn, lỗi (và lý do)",
    description="Luồng lập báo cáo định kỳ tạo mỗi báo cáo trước hạn nộp, lưu tệp kèm SHA-256 và thông báo cho đơn "
    "vị nhận; báo cáo chưa lập được ghi lý do và được thử lại. late: lập sau hạn, hoặc đã quá hạn mà chưa lập.",
    operation_id="list_periodic_reports",
    responses=problem_responses(401, 403, 422),
)
def list_periodic(
    wired: ServicesDep,
    actor: ActorDep,
    year: Annotated[int | None, Query(ge=2020, le=2100, description="Năm của kỳ báo cáo")] = None,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="Mã tỉnh (đơn vị trung ương)")] = None,
) -> list[PeriodicReportOut]:
    with wired.db.reading() as repo:
        rows = periodic_reports(repo, wired.rulebook, actor, province, year, wired.clock.now())
    return [PeriodicReportOut.model_validate(row) for row in rows]


@router.get(
    "/reports/periodic/{report_id}/xlsx",
    response_class=XlsxResponse,
    summary="Tệp xlsx của một báo cáo định kỳ, đúng như đã lập",
    description="Chỉ cấp khi SHA-256 của tệp lưu trữ còn khớp với mã đã ghi lúc lập; báo cáo chưa lập: 409 kèm lý do.",
    operation_id="download_periodic_report_xlsx",
    responses=_stored_responses(XLSX_MEDIA_TYPE, "Báo cáo .xlsx"),
)
def download_periodic_xlsx(report_id: _Id, wired: ServicesDep, actor: ActorDep) -> XlsxResponse:
    name, content = _stored(wired, actor, report_id, "xlsx")
    return XlsxResponse(content=content, headers=_attachment(name))


@router.get(
    "/reports/periodic/{report_id}/docx",
    response_class=DocxResponse,
    summary="Tệp .docx của một báo cáo định kỳ, đúng như đã lập",
    description="Chỉ cấp khi SHA-256 của tệp lưu trữ còn khớp với mã đã ghi lúc lập; báo cáo chưa lập: 409 kèm lý do.",
    operation_id="download_periodic_report_docx",
    responses=_stored_responses(DOCX_MEDIA_TYPE, "Báo cáo .docx"),
)
def download_periodic_docx(report_id: _Id, wired: ServicesDep, actor: ActorDep) -> DocxResponse:
    name, content = _stored(wired, actor, report_id, "docx")
    return DocxResponse(content=content, headers=_attachment(name))


@router.get(
    "/reports/periodic/{report_id}/pdf",
    response_class=PdfResponse,
    summary="Bản PDF ký số của một báo cáo định kỳ",
    description="Báo cáo định kỳ được ban hành như một văn bản: có số trong dãy số báo cáo của đơn vị, mã xác minh "
    "kèm mã QR, và bản PDF ký số (PAdES) bằng khóa của đơn vị. Chỉ cấp khi SHA-256 còn khớp; chưa có bản PDF: 409 "
    "kèm lý do.",
    operation_id="download_periodic_report_pdf",
    responses=_stored_responses(PDF_MEDIA_TYPE, "Báo cáo PDF đã ký số"),
)
def download_periodic_pdf(report_id: _Id, wired: ServicesDep, actor: ActorDep) -> PdfResponse:
    name, content = _stored(wired, actor, report_id, "pdf")
    return PdfResponse(content=content, headers=_attachment(name))


def _stored(wired: ServicesDep, actor: ActorDep, report_id: int, kind: str) -> tuple[str, bytes]:
    with wired.db.reading() as repo:
        return periodic_report_file(repo, wired.rulebook, actor, report_id, kind, _store(wired).read)
