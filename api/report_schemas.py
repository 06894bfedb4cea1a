"""Answers of the statistics endpoints: indicators, their figures and the dossiers behind a figure."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import DossierPerson


class ResidentGroupOut(BaseModel):
    indicator: str = Field(description="Chỉ tiêu đếm nhóm học viên (theo cơ sở)")
    norm: int = Field(description="Định mức: số học viên tối đa của nhóm trên một cán bộ")


class IndicatorVersionOut(BaseModel):
    effective_from: str = Field(description="Ngày phiên bản định nghĩa có hiệu lực (YYYY-MM-DD)")
    measure: str = Field(
        description="stock (tồn cuối kỳ), flow (phát sinh trong kỳ), during (có mặt vào bất kỳ lúc nào trong kỳ), "
        "ratio (tỷ lệ), deadline_on_time (đúng hạn), per_staff (học viên trên một cán bộ)"
    )
    numerator: str | None = None
    denominator: str | None = None
    residents: list[ResidentGroupOut] = Field(
        default_factory=list, description="Chỉ tiêu theo cán bộ: các nhóm học viên và định mức của từng nhóm"
    )
    staff_roles: list[str] = Field(
        default_factory=list, description="Chỉ tiêu theo cán bộ: vai trò của cán bộ được tính là cán bộ của cơ sở"
    )


class IndicatorOut(BaseModel):
    code: str
    title: str
    unit: str = Field(description="Đơn vị tính: người, %, …")
    source: str = Field(description="Căn cứ pháp lý hoặc kế hoạch yêu cầu số liệu")
    unverified: str | None = Field(description="Điểm chưa kiểm chứng của định nghĩa")
    breakdowns: list[str]
    periods: list[str]
    period_rule: str
    period_rule_title: str
    versions: list[IndicatorVersionOut]


class PeriodOut(BaseModel):
    label: str
    kind: str
    first_day: str
    last_day: str
    title: str


class AreaOut(BaseModel):
    province_code: str | None
    commune_code: str | None


class GroupOut(BaseModel):
    key: str = Field(description="Mã nhóm: mã xã, mã tỉnh, giới tính, nhóm tuổi, mã cơ sở")
    title: str
    value: int | float | None = Field(
        description="Số người (số nguyên), hoặc % với tỷ lệ và chỉ tiêu đúng hạn; null: mẫu số bằng 0"
    )
    numerator: int | None = None
    denominator: int | None = None
    met: int | None = Field(default=None, description="Chỉ tiêu đúng hạn: số thời hạn thực hiện đúng hạn")
    closed: int | None = Field(default=None, description="Chỉ tiêu đúng hạn: số thời hạn đã kết thúc trong kỳ")
    residents: dict[str, int] | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: số học viên của từng nhóm (theo mã chỉ tiêu đếm nhóm)"
    )
    staff_needed: float | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: số cán bộ cần theo định mức (Σ học viên nhóm / định mức nhóm)"
    )
    over_norm: bool | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: vượt định mức (số cán bộ cần nhiều hơn số cán bộ hiện có)"
    )


class IndicatorReportOut(BaseModel):
    indicator: str
    title: str
    unit: str
    measure: str
    version: str = Field(description="Phiên bản định nghĩa đã dùng (hiệu lực vào ngày cuối kỳ)")
    source: str
    unverified: str | None
    period: PeriodOut
    area: AreaOut
    value: int | float | None = Field(description="Số người (số nguyên), hoặc % với tỷ lệ và chỉ tiêu đúng hạn")
    numerator: int | None = None
    denominator: int | None = None
    met: int | None = None
    closed: int | None = None
    residents: dict[str, int] | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: số học viên của từng nhóm (theo mã chỉ tiêu đếm nhóm)"
    )
    norms: dict[str, int] | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: định mức của từng nhóm — số học viên tối đa trên một cán bộ"
    )
    staff_needed: float | None = Field(default=None, description="Chỉ tiêu theo cán bộ: số cán bộ cần theo định mức")
    over_norm: bool | None = Field(
        default=None, description="Chỉ tiêu theo cán bộ: toàn địa bàn thiếu cán bộ so với định mức"
    )
    breakdowns: dict[str, list[GroupOut]]


class FigureDossierOut(BaseModel):
    id: str
    procedure: str
    procedure_title: str
    state: str
    state_title: str
    commune_code: str
    commune_name: str
    opened_at: str
    person: DossierPerson


class FigureDossiersOut(BaseModel):
    indicator: str
    title: str
    unit: str
    measure: str
    version: str
    source: str
    unverified: str | None
    period: PeriodOut
    area: AreaOut
    breakdown: str | None
    key: str | None
    counted: int = Field(description="Số người (hoặc thời hạn) được đếm của số liệu này")
    dossiers: int = Field(description="Số hồ sơ đứng sau số liệu")
    not_visible: int = Field(description="Số hồ sơ trong đó ngoài thẩm quyền xem của cán bộ (không liệt kê)")
    items: list[FigureDossierOut]
    next_cursor: str | None


class TargetProblemOut(BaseModel):
    cell: str = Field(description="Ô của bảng (cột chữ, dòng số), ví dụ C10")
    unit: str | None = Field(description="Đơn vị của dòng (mã xã hoặc tên như bảng ghi)")
    column: str | None = Field(description="Khóa cột trong mẫu bảng")
    message: str


class TargetImportOut(BaseModel):
    layout: str
    province_code: str
    year: int
    units: int = Field(description="Số đơn vị đọc được")
    problems: list[TargetProblemOut] = Field(description="Mọi chỗ không khớp, kèm ô; rỗng: bảng khớp")
    saved: bool = Field(description="Bảng đã được lưu thành phiên bản mới")
    version: int | None
    file_sha256: str | None = None


class TargetValueOut(BaseModel):
    unit_code: str = Field(description="Mã xã, hoặc mã tỉnh cho dòng tổng")
    column_key: str
    value: str = Field(description="Giá trị đúng như bảng ghi (số thập phân, dấu chấm)")


class TargetSetOut(BaseModel):
    id: int
    layout: str
    province_code: str
    year: int
    version: int
    current: bool = Field(description="Phiên bản mới nhất của bảng (layout, tỉnh, năm)")
    source_document: str
    file_name: str
    file_sha256: str
    imported_by: str
    imported_at: str


class TargetSetDetailOut(TargetSetOut):
    values: list[TargetValueOut]


class PlanLineOut(BaseModel):
    key: str = Field(description="Khóa cột trong mẫu bảng chỉ tiêu")
    title: str
    kind: str = Field(description="number (số người) hoặc percent (%)")
    indicator: str | None = Field(description="Chỉ tiêu thống kê đo kết quả (nếu có)")
    target: int | float | None = Field(description="Chỉ tiêu kế hoạch của đơn vị")
    actual: int | float | None = Field(description="Kết quả tính từ hồ sơ trong kỳ")
    reached_percent: int | float | None = Field(description="Tỷ lệ đạt so với kế hoạch (%)")


class PlanAreaOut(BaseModel):
    province_code: str
    commune_code: str | None
    name: str


class PlanTargetSetOut(BaseModel):
    id: int
    version: int
    source_document: str
    file_sha256: str


class PlanReportOut(BaseModel):
    layout: str
    title: str
    basis: str
    year: int
    period: str
    area: PlanAreaOut
    target_set: PlanTargetSetOut
    lines: list[PlanLineOut]


class PeriodicReportOut(BaseModel):
    id: int
    schedule: str = Field(description="Loại báo cáo (config/reports.yaml): month, quarter, half_year, year")
    title: str
    province_code: str
    period: str
    layout: str
    recipient_unit: str = Field(description="Đơn vị nhận báo cáo")
    due_on: str = Field(description="Hạn nộp (ngày)")
    status: str = Field(description="pending (chờ lập), produced (đã lập), failed (chưa lập được, sẽ thử lại)")
    late: bool = Field(description="Lập sau hạn nộp, hoặc đã quá hạn mà chưa lập")
    attempts: int
    last_error: str | None = Field(description="Lý do lần lập gần nhất không thành")
    next_attempt_at: str | None
    produced_at: str | None
    xlsx_sha256: str | None
    docx_sha256: str | None
    document_id: int | None = Field(description="Số của báo cáo trong sổ văn bản đã ban hành")
    number_symbol: str | None = Field(description="Số, ký hiệu của báo cáo (dãy số báo cáo của đơn vị trong năm)")
    verification_code: str | None = Field(
        description="Mã xác minh (mã QR trên báo cáo trỏ tới trang xác minh công khai)"
    )
    pdf_status: str | None = Field(
        description="Bản PDF: pending (chờ chuyển đổi), signed (đã ký số), unsigned (đơn vị chưa có khóa ký), "
        "unavailable (máy chủ không chuyển đổi được)"
    )
    pdf_note: str | None
    signer_subject: str | None = Field(description="Chủ thể chứng thư đã ký bản PDF")
