"""Issued documents: a dossier's list, one document's file, and the public check of a file or a verification
code (what the QR code printed on a document points to)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Response, UploadFile

from api.deps import ActorDep, ServicesDep
from api.errors import MAX_BODY_BYTES, BodyRejected, ProblemRoute, problem_responses
from api.reads import ReadDep, ReadRequest, log_read
from api.schemas import DocumentOut, DocumentVerificationOut
from documents.control_slip import control_slip, render_slip
from documents.files import FileStore
from documents.signing import load_trust_roots
from documents.verification import verify_file, verify_stored
from states.documents_view import document_file, dossier_documents, hides_identity_in, visible_dossier
from states.legal_time import VN_TZ
from states.reads import require_purpose_if_sensitive

router = APIRouter(prefix="/api/v1", tags=["Văn bản"], route_class=ProblemRoute)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"
MAX_DOCUMENT_ID = 2_147_483_647
MAX_UPLOAD_BYTES = MAX_BODY_BYTES
"""An uploaded file is capped by the request body limit (1 MiB, multipart overhead included); an issued
.docx is a few tens of KiB."""

_DocumentId = Annotated[int, Path(ge=1, le=MAX_DOCUMENT_ID, description="Số của văn bản")]
_Code = Annotated[str, Path(min_length=1, max_length=40, description="Mã xác minh in trên văn bản")]


class DocxResponse(Response):
    media_type = DOCX_MEDIA_TYPE


class PdfResponse(Response):
    media_type = PDF_MEDIA_TYPE


def ascii_file_name(form_code: str, number_symbol: str | None, document_id: int, suffix: str = ".docx") -> str:
    """A file name any browser and mail client keeps: diacritics dropped, anything else but letters, digits,
    dots, underscores and hyphens turned into hyphens."""
    stem = f"{form_code}-{number_symbol}" if number_symbol else f"{form_code}-{document_id}"
    plain = unicodedata.normalize("NFKD", stem.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-._") or f"van-ban-{document_id}"
    return f"{cleaned}{suffix}"


def _store(wired: ServicesDep) -> FileStore:
    return FileStore(wired.settings.documents_dir)


def _roots(wired: ServicesDep) -> list[Any]:
    return load_trust_roots([path for path in wired.settings.signing_trust_roots if path.is_file()])


def _file_responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(401, 403, 404, 409, 422)
    responses[403]["description"] = (
        "Văn bản chứa dữ liệu mà vai trò của cán bộ không được xem (dữ liệu sức khỏe, nhận dạng người chưa thành niên)"
    )
    responses[404]["description"] = "Không có văn bản này, hoặc hồ sơ của văn bản ngoài thẩm quyền địa bàn"
    responses[409]["description"] = (
        "Tệp lưu trữ đã bị thay đổi sau khi ban hành (hoặc không còn), hoặc văn bản chưa có bản PDF: không được cấp"
    )
    responses[200] = {
        "description": what,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"Content-Disposition": {"description": "Tên tệp (ASCII)", "schema": {"type": "string"}}},
    }
    return responses


def _verify_code_responses() -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(404, 422)
    responses[404]["description"] = "Không có văn bản nào mang mã xác minh này"
    return responses


def _verify_file_responses() -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(400, 413, 415, 422)
    responses[413]["description"] = "Tệp gửi lên vượt quá 1 MiB"
    return responses


@router.get(
    "/dossiers/{dossier_id}/documents",
    response_model=list[DocumentOut],
    summary="Các văn bản đã ban hành của hồ sơ",
    description="Cũ nhất trước. Hồ sơ ngoài thẩm quyền địa bàn được trả lời như hồ sơ không có.",
    operation_id="list_dossier_documents",
    responses=problem_responses(401, 404, 422),
)
def list_documents(
    dossier_id: str,
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
) -> list[DocumentOut]:
    with wired.db.reading() as repo:
        rows = dossier_documents(repo, wired.rulebook.regimes, actor, dossier_id)
    _purpose_bound(wired, actor, read, "document", dossier_id, dossier_id)
    return [DocumentOut.model_validate(row) for row in rows]


@router.get(
    "/dossiers/{dossier_id}/control-slip",
    response_class=DocxResponse,
    summary="Phiếu kiểm soát quá trình giải quyết hồ sơ",
    description="Lập từ lịch sử hồ sơ lúc yêu cầu: mỗi lần giao hồ sơ giữa các đơn vị (bên giao, bên nhận, thời "
    "gian đến phút) và kết quả so với thời hạn (trước hạn, đúng hạn, quá hạn). Hồ sơ ngoài thẩm quyền địa bàn được "
    "trả lời như hồ sơ không có.",
    operation_id="download_control_slip",
    responses=_file_responses(DOCX_MEDIA_TYPE, "Phiếu kiểm soát (.docx)"),
)
def download_control_slip(
    dossier_id: str,
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
) -> DocxResponse:
    with wired.db.reading() as repo:
        dossier = visible_dossier(repo, wired.rulebook.regimes, actor, dossier_id)
        today = wired.clock.now().astimezone(VN_TZ).date()
        slip = control_slip(repo, wired.rulebook, dossier, initials_only=hides_identity_in(repo, actor, dossier, today))
    _purpose_bound(wired, actor, read, "control_slip", str(dossier["id"]), str(dossier["id"]))
    return DocxResponse(content=render_slip(slip), headers=_attachment(f"phieu-kiem-soat-{slip.dossier_code[:8]}.docx"))


@router.get(
    "/documents/{document_id}/file",
    response_class=DocxResponse,
    summary="Tải tệp văn bản",
    description="Tệp chỉ được cấp khi SHA-256 của tệp lưu trữ còn khớp với giá trị đã ghi lúc ban hành.",
    operation_id="download_document",
    responses=_file_responses(DOCX_MEDIA_TYPE, "Tệp .docx đã ban hành"),
)
def download_document(
    document_id: _DocumentId,
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
) -> DocxResponse:
    content, headers = _stored_file(wired, actor, document_id, pdf=False)
    _document_read(wired, actor, read, document_id)
    return DocxResponse(content=content, headers=headers)


@router.get(
    "/documents/{document_id}/pdf",
    response_class=PdfResponse,
    summary="Tải bản PDF đã ký số của văn bản",
    description="Bản PDF được chuyển từ tệp .docx và ký số (PAdES) bằng khóa của đơn vị ban hành; chỉ được cấp khi "
    "SHA-256 còn khớp. Văn bản chưa có bản PDF (đang chờ, hoặc máy chủ không chuyển đổi được) trả lời 409 kèm lý do.",
    operation_id="download_document_pdf",
    responses=_file_responses(PDF_MEDIA_TYPE, "Bản PDF đã ký số"),
)
def download_document_pdf(
    document_id: _DocumentId,
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
) -> PdfResponse:
    content, headers = _stored_file(wired, actor, document_id, pdf=True)
    _document_read(wired, actor, read, document_id)
    return PdfResponse(content=content, headers=headers)


def _purpose_bound(
    wired: ServicesDep, actor: ActorDep, read: ReadRequest, kind: str, target: str, dossier_id: str
) -> None:
    require_purpose_if_sensitive(wired.db, dossier_id, read.purpose, wired.clock.now())
    log_read(wired, actor, read, kind, target, dossier_id)


def _document_read(wired: ServicesDep, actor: ActorDep, read: ReadRequest, document_id: int) -> None:
    with wired.db.reading() as repo:
        row = repo.documents.document(document_id)
    assert row is not None  # _stored_file found it
    _purpose_bound(wired, actor, read, "document", str(document_id), str(row["dossier_id"]))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _stored_file(wired: ServicesDep, actor: ActorDep, document_id: int, *, pdf: bool) -> tuple[bytes, dict[str, str]]:
    """The stored .docx or PDF of a document the officer may see, still hashing to its recorded SHA-256."""
    with wired.db.reading() as repo:
        today = wired.clock.now().astimezone(VN_TZ).date()
        found = document_file(
            repo, wired.rulebook.regimes, actor, document_id, _store(wired).read, today=today, pdf=pdf
        )
    suffix = ".pdf" if pdf else ".docx"
    name = ascii_file_name(found.document["form_code"], found.document["number_symbol"], document_id, suffix)
    return found.content, _attachment(name)


@router.get(
    "/documents/verify/{code}",
    response_model=DocumentVerificationOut,
    summary="Xác minh văn bản theo mã (công khai)",
    description="Không cần đăng nhập: là địa chỉ mã QR trên văn bản trỏ tới. Không cho biết tên người trong văn "
    "bản hay hồ sơ. Kiểm tra tệp lưu trữ còn nguyên vẹn và chữ ký số của bản PDF.",
    operation_id="verify_document_code",
    responses=_verify_code_responses(),
)
def verify_by_code(code: _Code, wired: ServicesDep) -> DocumentVerificationOut:
    return DocumentVerificationOut.model_validate(verify_stored(wired.db, code, _store(wired).read, _roots(wired)))


@router.post(
    "/documents/verify",
    response_model=DocumentVerificationOut,
    summary="Xác minh tệp văn bản (công khai)",
    description="Không cần đăng nhập. SHA-256 của tệp gửi lên (.docx hoặc bản PDF đã ký) được đối chiếu với các "
    "văn bản hoso đã ban hành: chỉ tệp nguyên vẹn mới hợp lệ; với tệp PDF, chữ ký số phải hợp lệ và do khóa tin cậy.",
    operation_id="verify_document_file",
    responses=_verify_file_responses(),
)
def verify_by_file(
    file: Annotated[UploadFile, File(description="Tệp .docx hoặc .pdf cần xác minh")], wired: ServicesDep
) -> DocumentVerificationOut:
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise BodyRejected(413, "body_too_large", f"Tệp gửi lên vượt quá giới hạn {MAX_UPLOAD_BYTES // 1024} KiB")
    return DocumentVerificationOut.model_validate(verify_file(wired.db, data, _store(wired).read, _roots(wired)))
