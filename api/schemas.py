"""Request and response bodies of the public API (the OpenAPI contract)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectIn(_In):
    full_name: str = Field(min_length=1, max_length=255, description="Họ và tên")
    date_of_birth: date = Field(description="Ngày sinh")
    id_number: str = Field(pattern=r"^\d{12}$", description="Số định danh cá nhân (12 chữ số)")
    commune_code: str = Field(pattern=r"^\d{5}$", description="Mã xã, phường nơi cư trú (hoặc nơi vi phạm)")
    sex: Literal["male", "female"] | None = None
    address: str | None = Field(default=None, max_length=500)


class DossierCreate(_In):
    procedure: str = Field(min_length=1, max_length=60, examples=["addiction_determination"])
    subject: SubjectIn


class EventIn(_In):
    event: str = Field(min_length=1, max_length=60)
    expected_version: int = Field(ge=1, description="Phiên bản hồ sơ mà người gửi đã xem")
    payload: dict[str, Any] = Field(default_factory=dict)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class SubjectOut(BaseModel):
    full_name: str
    date_of_birth: str
    id_number: str
    sex: str | None


class ActionOut(BaseModel):
    event: str
    title: str
    payload: dict[str, dict[str, Any]]


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
    id: str
    procedure: str
    procedure_title: str
    procedure_version: str
    state: str
    state_title: str
    final: bool
    version: int
    regime: str
    subject: SubjectOut
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
