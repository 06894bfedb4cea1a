"""Answers of the statistics endpoints: indicators, their figures and the dossiers behind a figure."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import DossierPerson


class IndicatorVersionOut(BaseModel):
    effective_from: str = Field(description="Ngày phiên bản định nghĩa có hiệu lực (YYYY-MM-DD)")
    measure: str = Field(description="stock (tồn cuối kỳ), flow (phát sinh trong kỳ), ratio (tỷ lệ), deadline_on_time")
    numerator: str | None = None
    denominator: str | None = None


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
