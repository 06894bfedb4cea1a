"""Request and response bodies of the public API (the OpenAPI contract)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from states.definitions import PayloadField
from states.procedures import Rulebook

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_VERSION = 2_147_483_647


def _iso_date_only(value: Any) -> Any:
    """Only a ``YYYY-MM-DD`` string is a date: never a number (a timestamp) or a date and time."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("iso_date", "phải là ngày dạng YYYY-MM-DD")


IsoDate = Annotated[date, Field(strict=False), BeforeValidator(_iso_date_only)]


class _In(BaseModel):
    # Strict: a string is not a number, a boolean is not an integer, a number is not a date.
    model_config = ConfigDict(extra="forbid", strict=True)


class SubjectIn(_In):
    full_name: str = Field(min_length=1, max_length=255, description="Họ và tên")
    date_of_birth: IsoDate = Field(description="Ngày sinh (YYYY-MM-DD)")
    id_number: str = Field(pattern=r"^[0-9]{12}$", description="Số định danh cá nhân (12 chữ số)")
    commune_code: str = Field(pattern=r"^[0-9]{5}$", description="Mã xã, phường nơi cư trú (hoặc nơi vi phạm)")
    sex: Literal["male", "female"] | None = None
    address: str | None = Field(default=None, max_length=500)


class DossierCreate(_In):
    procedure: str = Field(min_length=1, max_length=60, examples=["addiction_determination"])
    subject: SubjectIn
    occurred_on: IsoDate | None = Field(
        default=None,
        description="Ngày của sự việc mở hồ sơ (ví dụ ngày phát hiện sử dụng); quyết định phiên bản thủ tục và "
        "chế độ pháp lý áp dụng. Mặc định: hôm nay",
    )


class EventIn(_In):
    event: str = Field(min_length=1, max_length=60)
    expected_version: int = Field(ge=1, le=MAX_VERSION, description="Phiên bản hồ sơ mà người gửi đã xem")
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="Dữ liệu của bước: đối tượng theo lược đồ của bước đó (xem `payload_schema` của từng bước "
        "trong `actions` của hồ sơ)",
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Số giây mã truy cập còn hiệu lực")
    refresh_token: str = Field(description="Mã làm mới (dùng một lần): gửi tới /auth/refresh để nhận mã mới")
    session_expires_at: str = Field(description="Hết phiên đăng nhập lúc (UTC); sau đó phải đăng nhập lại")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=200)


class SubjectOut(BaseModel):
    full_name: str
    date_of_birth: str
    id_number: str
    sex: str | None


class ActionOut(BaseModel):
    event: str
    title: str
    payload: dict[str, dict[str, Any]]
    payload_schema: str | None = Field(
        default=None, description="Tên lược đồ dữ liệu của bước trong components/schemas của hợp đồng OpenAPI"
    )
    required: list[str] = Field(default_factory=list, description="Các trường bắt buộc của dữ liệu bước")


class TaskOut(BaseModel):
    id: int
    state: str
    role: str
    holder_roles: list[str]
    unit_code: str | None
    title: str
    status: str
    opened_at: str
    closed_at: str | None


class DeadlineOut(BaseModel):
    id: int
    rule_id: str
    kind: str
    title: str
    status: str
    due_at: str
    due_at_local: str
    expiry_event: str | None
    explanation: dict[str, Any]
    explanation_vi: str


class HistoryOut(BaseModel):
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor: str
    actor_role: str
    actor_unit: str
    regime: str
    occurred_at: str
    payload: dict[str, Any]
    hash: str


class DossierOut(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _name_payload_schemas(cls, data: Any) -> Any:
        """Each action names its payload schema in the contract and lists its required fields."""
        if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
            return data
        actions = [
            {
                "payload_schema": payload_schema_name(data["procedure"], data["procedure_version"], action["event"]),
                "required": [name for name, field in action.get("payload", {}).items() if field.get("required")],
                **action,
            }
            if isinstance(action, dict)
            else action
            for action in data["actions"]
        ]
        return {**data, "actions": actions}

    visible: bool = Field(
        default=True,
        description="false khi bước vừa ghi đã chuyển hồ sơ ra ngoài thẩm quyền của người gửi: chỉ còn phiên "
        "bản, trạng thái và nơi hồ sơ được chuyển đến",
    )
    id: str
    procedure: str
    procedure_title: str
    procedure_version: str
    state: str
    state_title: str
    final: bool
    version: int
    regime: str
    subject: SubjectOut | None
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    facts: dict[str, Any]
    parties: dict[str, str]
    opened_at: str
    closed_at: str | None
    actions: list[ActionOut]
    tasks: list[TaskOut]
    deadlines: list[DeadlineOut]
    history: list[HistoryOut]


class VerifyOut(BaseModel):
    dossier_id: str
    valid: bool
    rows: int
    head_hash: str | None = None
    first_invalid_seq: int | None = None
    reason: str | None = None


class ProcedureVersionOut(BaseModel):
    code: str
    version: str
    title_vi: str
    regimes: list[str]
    states: int
    transitions: int
    deadlines: int


class MeOut(BaseModel):
    username: str
    full_name: str
    role: str
    unit_code: str


class PersonDossierOut(BaseModel):
    id: str
    procedure: str
    state: str
    opened_at: str
    closed: bool


class PersonOut(BaseModel):
    id_number: str
    full_name: str
    date_of_birth: str
    sex: str | None
    dossiers: list[PersonDossierOut] = Field(description="Chỉ các hồ sơ thuộc thẩm quyền của đơn vị người tìm")


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int = Field(description="Số người khớp điều kiện trong thẩm quyền của đơn vị người tìm")
    next_cursor: str | None = Field(description="Gửi lại làm tham số cursor để lấy trang sau; null: hết danh sách")


class DossierPerson(BaseModel):
    full_name: str
    date_of_birth: str
    id_number: str


class DossierSummary(BaseModel):
    id: str
    procedure: str
    procedure_title: str
    procedure_version: str
    state: str
    state_title: str
    final: bool
    version: int
    regime: str
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    opened_at: str
    closed: bool
    person: DossierPerson
    next_due_at: str | None = Field(description="Hạn xử lý sớm nhất còn mở (UTC, ISO 8601)")
    overdue: bool = Field(description="Hạn xử lý sớm nhất đã qua")


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int = Field(description="Số hồ sơ khớp điều kiện trong thẩm quyền của đơn vị người xem")
    next_cursor: str | None = Field(description="Gửi lại làm tham số cursor để lấy trang sau; null: hết danh sách")


class UnitOut(BaseModel):
    code: str
    name: str
    kind: str
    kind_title: str
    province_code: str | None
    commune_code: str | None


class DeskTaskOut(BaseModel):
    id: int
    title: str
    status: str
    role: str
    role_title: str
    unit_code: str | None
    dossier_id: str
    procedure: str
    procedure_title: str
    state: str
    state_title: str
    person_name: str
    commune_code: str
    opened_at: str
    closed_at: str | None
    assignee_id: int | None = Field(description="Cán bộ đang giữ nhiệm vụ; null: đang chờ trong hàng của đơn vị")
    assignee_name: str | None
    owner_id: int | None = Field(description="Cán bộ đã ủy quyền nhiệm vụ và sẽ nhận lại khi trả")
    due_at: str | None = Field(description="Hạn xử lý sớm nhất còn mở của hồ sơ (UTC, ISO 8601)")
    working_days_left: int | None = Field(description="Số ngày làm việc còn lại đến hạn (âm: đã quá hạn)")
    overdue: bool


class TaskPage(BaseModel):
    items: list[DeskTaskOut] = Field(description="Gấp nhất trước: hạn xử lý sớm nhất, rồi nhiệm vụ cũ nhất")
    total: int
    next_cursor: str | None


class TaskEventOut(BaseModel):
    action: str = Field(description="claimed, released, assigned, delegated, returned, reassigned")
    at: str
    actor: str | None
    from_user: str | None
    to_user: str | None
    instead_of: str | None = Field(description="Giao cho người thay vì người này vắng mặt")
    note: str | None


class GiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1, le=2_147_483_647, description="Cán bộ nhận nhiệm vụ (cùng đơn vị)")
    note: str | None = Field(default=None, max_length=2000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_user_id: int = Field(ge=1, le=2_147_483_647)
    to_user_id: int = Field(ge=1, le=2_147_483_647)
    task_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] | None = Field(
        default=None, max_length=1000, description="Chỉ các nhiệm vụ này; bỏ trống: mọi nhiệm vụ đang mở của cán bộ"
    )
    note: str | None = Field(default=None, max_length=2000)


class ReassignOut(BaseModel):
    moved: int
    task_ids: list[int]


class SubstituteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="Cán bộ vắng mặt; bỏ trống: chính người gửi"
    )
    substitute_id: int = Field(ge=1, le=2_147_483_647, description="Cán bộ làm thay (cùng đơn vị, cùng vai trò)")
    from_day: date
    to_day: date
    reason: str | None = Field(default=None, max_length=500)


class SubstituteOut(BaseModel):
    id: int
    user_id: int
    user_name: str
    substitute_id: int
    substitute_name: str
    from_day: str
    to_day: str
    reason: str | None
    revoked: bool


class OfficerOut(BaseModel):
    id: int
    full_name: str
    role: str
    role_title: str


class ReadOut(BaseModel):
    at: str
    username: str
    full_name: str
    unit_code: str
    role: str
    role_title: str
    kind: str = Field(description="dossier, dossier_list, person, person_search, document, control_slip, history")
    path: str
    purpose: str | None = Field(description="Mục đích người xem đã nêu")


class ProblemItem(BaseModel):
    """Một lỗi của yêu cầu."""

    field: str | None = Field(default=None, description="Trường bị lỗi (đường dẫn, ví dụ subject.id_number)")
    detail: str = Field(description="Mô tả lỗi")


class ProblemDetails(BaseModel):
    """Mọi câu trả lời lỗi (RFC 9457, application/problem+json)."""

    type: str = Field(description="URI ổn định của loại lỗi", examples=["urn:hoso:problem:stale_version"])
    title: str = Field(description="Tiêu đề ngắn theo mã trạng thái HTTP")
    status: int = Field(description="Mã trạng thái HTTP")
    detail: str = Field(description="Giải thích cho người dùng")
    code: str = Field(description="Mã lỗi ổn định (snake_case)", examples=["stale_version"])
    field: str | None = Field(default=None, description="Trường bị lỗi, khi lỗi nằm ở một trường")
    current_version: int | None = Field(default=None, description="Phiên bản hiện tại của hồ sơ (lỗi 409)")
    problems: list[ProblemItem] | None = Field(default=None, description="Danh sách lỗi (tối đa 20)", max_length=20)


class ConflictProblem(ProblemDetails):
    """Lỗi 409 khi thực hiện bước: luôn kèm phiên bản hiện tại của hồ sơ."""

    current_version: int = Field(description="Phiên bản hiện tại của hồ sơ: tải lại hồ sơ rồi gửi lại")


# -- the payload of each event, from the procedure files ---------------------------------------------------

EMPTY_PAYLOAD = "EmptyPayload"
_MAX_STRING = 500
_MAX_TEXT = 10_000


def _pascal(identifier: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", identifier) if part)


def payload_schema_name(procedure: str, version: str, event: str) -> str:
    """The component name of an event's payload, e.g. ``AddictionDetermination20260701TestPositivePayload``."""
    return f"{_pascal(procedure)}{version.replace('-', '')}{_pascal(event)}Payload"


def _field_schema(field: PayloadField) -> dict[str, Any]:
    described: dict[str, Any] = {"description": field.title_vi}
    if field.type == "string":
        return {"type": "string", "minLength": 1, "maxLength": _MAX_STRING, **described}
    if field.type == "text":
        return {"type": "string", "minLength": 1, "maxLength": _MAX_TEXT, **described}
    if field.type == "integer":
        return {"type": "integer", **described}
    if field.type == "boolean":
        return {"type": "boolean", **described}
    if field.type == "date":
        return {"type": "string", "format": "date", "description": f"{field.title_vi} (YYYY-MM-DD)"}
    if field.type == "datetime":
        return {
            "type": "string",
            "format": "date-time",
            "description": f"{field.title_vi} (ISO 8601; không ghi múi giờ thì hiểu là giờ Việt Nam, UTC+7)",
        }
    choices = "; ".join(f"{value}: {label}" for value, label in field.choices.items())
    return {"type": "string", "enum": list(field.choices), "description": f"{field.title_vi} — {choices}"}


def payload_schemas(rulebook: Rulebook) -> dict[str, dict[str, Any]]:
    """One JSON schema per (procedure, version, event), named by ``payload_schema_name``, plus the empty one.

    ``title`` is the component name because client generators name their classes after it; the Vietnamese
    title of the step is the first line of ``description``.
    """
    schemas: dict[str, dict[str, Any]] = {
        EMPTY_PAYLOAD: {
            "title": EMPTY_PAYLOAD,
            "description": "Bước không có dữ liệu",
            "type": "object",
            "properties": {},
            "additionalProperties": False,
        }
    }
    for compiled in rulebook.all_versions():
        definition = compiled.definition
        for event, spec in definition.events.items():
            name = payload_schema_name(definition.code, compiled.version, event)
            schema: dict[str, Any] = {
                "title": name,
                "description": f"{spec.title_vi}\n\nDữ liệu của bước '{event}' — {definition.title_vi}, "
                f"phiên bản {compiled.version}.",
                "type": "object",
                "properties": {field_name: _field_schema(field) for field_name, field in spec.payload.items()},
                "additionalProperties": False,
                "x-hoso-procedure": definition.code,
                "x-hoso-version": compiled.version,
                "x-hoso-event": event,
            }
            required = [field_name for field_name, field in spec.payload.items() if field.required]
            if required:
                schema["required"] = required
            schemas[name] = schema
    return schemas


class CaseDeadlineOut(BaseModel):
    rule_id: str
    title: str
    status: str
    due_at_local: str
    nature: str
    explanation_vi: str = Field(
        description="Cách tính thời hạn bằng lời: ngày bắt đầu, ngày nghỉ không tính, hạn cuối, căn cứ"
    )


class CaseTaskOut(BaseModel):
    title: str
    holder_roles: list[str]
    unit_code: str | None


class CaseDossierOut(BaseModel):
    id: str
    parent_id: str | None
    procedure: str
    procedure_title: str
    procedure_version: str
    state: str
    state_title: str
    open: bool
    opened_at: str
    closed_at: str | None
    until: list[CaseDeadlineOut] = Field(description="Thời hạn, kỳ hạn đang chạy hoặc tạm dừng, sớm nhất trước")
    next: list[CaseTaskOut] = Field(description="Việc phải làm tiếp và vai trò giữ việc hôm nay")


class CaseOut(BaseModel):
    id_number: str
    full_name: str
    date_of_birth: str
    now: list[CaseDossierOut] = Field(description="Các hồ sơ đang mở: người này đang ở đâu, theo biện pháp nào")
    dossiers: list[CaseDossierOut] = Field(description="Mọi hồ sơ đơn vị được xem, theo thứ tự mở")


class NoticeDeliveryOut(BaseModel):
    channel: str = Field(description="Kênh gửi ngoài ứng dụng: email hoặc sms")
    address: str = Field(description="Địa chỉ nhận đã che bớt, ví dụ c***@example.vn hoặc 09******12")
    status: str
    attempts: int
    sent_at: str | None = Field(description="Thời điểm gửi (ISO 8601, có múi giờ)")
    delivered_at: str | None = Field(description="Thời điểm kênh xác nhận đã chuyển (ISO 8601, có múi giờ)")
    last_error: str | None = Field(description="Lỗi của lần gửi gần nhất")


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(description="Loại thông báo, ví dụ dossier_notice, handoff, deadline_warning, ack_escalation")
    role: str | None = Field(description="Vai trò nhận trong đơn vị; null: cả đơn vị")
    title: str
    body: str
    dossier_id: str | None
    created_at: str = Field(description="Thời điểm tạo (ISO 8601, có múi giờ)")
    ack_due_at: str | None = Field(
        description="Hạn xác nhận đã nhận; null với lời nhắc nội bộ, không cần xác nhận (ISO 8601, có múi giờ)"
    )
    acknowledged_at: str | None = Field(description="Thời điểm đơn vị xác nhận đã nhận (ISO 8601, có múi giờ)")
    acknowledged_by: str | None = Field(description="Họ tên cán bộ đã xác nhận")
    escalated_at: str | None = Field(
        description="Thời điểm báo thủ trưởng đơn vị vì quá hạn chưa xác nhận (ISO 8601, có múi giờ)"
    )
    deliveries: list[NoticeDeliveryOut] = Field(description="Các lần gửi qua email, SMS tới cán bộ của đơn vị")


class DocumentOut(BaseModel):
    id: int = Field(description="Số của văn bản trong hoso")
    form_code: str = Field(description="Mã biểu mẫu")
    title: str = Field(description="Tên biểu mẫu")
    number_symbol: str | None = Field(description="Số, ký hiệu (không có với đơn của công dân)")
    issued_at: str = Field(description="Thời điểm ban hành (ISO 8601)")
    unit: str = Field(description="Mã đơn vị ban hành")
    unit_name: str = Field(description="Tên đơn vị ban hành")
    sha256: str = Field(description="SHA-256 của tệp .docx đã ban hành")
    size: int = Field(description="Kích thước tệp (byte)")
    verification_code: str = Field(description="Mã xác minh (đường dẫn của mã QR)")
    history_seq: int = Field(description="Số thứ tự bước trong lịch sử hồ sơ đã yêu cầu văn bản")
    pdf_status: Literal["pending", "signed", "unsigned", "unavailable"] = Field(
        description="Bản PDF: đang chờ, đã ký số, chưa ký (đơn vị chưa có khóa), "
        "không có (máy chủ không chuyển đổi được)"
    )
    pdf_note: str | None = Field(description="Ghi chú về bản PDF và chữ ký số")
    pdf_sha256: str | None = Field(description="SHA-256 của bản PDF")
    pdf_size: int | None = Field(description="Kích thước bản PDF (byte)")
    signer_subject: str | None = Field(description="Chủ thể chứng thư đã ký bản PDF")


class VerifiedDocumentOut(BaseModel):
    """What anyone holding a document may learn of it: no person's name, no dossier."""

    form_code: str
    title: str = Field(description="Tên biểu mẫu")
    number_symbol: str | None = Field(description="Số, ký hiệu")
    unit_name: str = Field(description="Tên đơn vị ban hành")
    issued_at: str = Field(description="Thời điểm ban hành (ISO 8601)")


class SignatureOut(BaseModel):
    signed: bool = Field(description="Tệp có chữ ký số")
    intact: bool = Field(description="Nội dung được chữ ký bao phủ không bị thay đổi")
    trusted: bool = Field(description="Chứng thư của người ký do cơ quan chứng thực tin cậy cấp")
    valid: bool = Field(description="Chữ ký số hợp lệ (có, nguyên vẹn, tin cậy)")
    signer: str | None = Field(description="Chủ thể chứng thư của người ký")
    signer_unit_code: str | None = Field(description="Mã đơn vị ghi trong chứng thư")
    signed_at: str | None = Field(description="Thời điểm ký (ISO 8601)")
    detail: str = Field(description="Kết quả kiểm tra bằng lời")


class DocumentVerificationOut(BaseModel):
    valid: bool = Field(description="Văn bản do hoso ban hành và chưa bị sửa đổi")
    reason: str | None = Field(description="Lý do khi không hợp lệ")
    stored_intact: bool | None = Field(description="Tệp lưu trữ của văn bản còn nguyên vẹn (khi tìm thấy văn bản)")
    document: VerifiedDocumentOut | None
    signature: SignatureOut | None = Field(description="Kết quả kiểm tra chữ ký số của bản PDF (null với tệp .docx)")
    signature_note: str = Field(description="Ghi chú về chữ ký số")
