"""Dossiers: open one, read it, fire an event on it, verify its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import ActorDep, ServicesDep
from api.schemas import DossierCreate, DossierOut, EventIn, ProcedureVersionOut, VerifyOut
from states.engine import SubjectInput
from states.procedures import describe
from states.views import dossier_view, verify_history

router = APIRouter(prefix="/api/v1", tags=["Hồ sơ"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Chưa đăng nhập hoặc mã truy cập không hợp lệ"},
    403: {"description": "Sai vai trò hoặc ngoài thẩm quyền địa bàn"},
    404: {"description": "Không tìm thấy"},
    409: {"description": "Xung đột: phiên bản cũ hoặc bước không hợp lệ ở trạng thái hiện tại"},
    422: {"description": "Dữ liệu không hợp lệ hoặc chưa đủ điều kiện pháp lý"},
}


def _view(wired: ServicesDep, actor: ActorDep, dossier_id: str) -> DossierOut:
    with wired.db.reading() as repo:
        return DossierOut.model_validate(dossier_view(repo, wired.rulebook, dossier_id, actor, wired.clock.now()))


@router.get("/procedures", response_model=list[ProcedureVersionOut], summary="Các thủ tục và phiên bản")
def procedures(wired: ServicesDep, _actor: ActorDep) -> list[ProcedureVersionOut]:
    return [ProcedureVersionOut.model_validate(row) for row in describe(wired.rulebook)]


@router.post(
    "/dossiers",
    response_model=DossierOut,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    summary="Mở hồ sơ",
)
def open_dossier(body: DossierCreate, wired: ServicesDep, actor: ActorDep) -> DossierOut:
    subject = SubjectInput(**body.subject.model_dump())
    dossier_id = wired.engine.open_dossier(actor, body.procedure, subject)
    return _view(wired, actor, dossier_id)


@router.get("/dossiers/{dossier_id}", response_model=DossierOut, responses=_ERRORS, summary="Xem hồ sơ")
def get_dossier(dossier_id: str, wired: ServicesDep, actor: ActorDep) -> DossierOut:
    return _view(wired, actor, dossier_id)


@router.post(
    "/dossiers/{dossier_id}/events",
    response_model=DossierOut,
    responses=_ERRORS,
    summary="Thực hiện một bước của thủ tục",
)
def fire_event(dossier_id: str, body: EventIn, wired: ServicesDep, actor: ActorDep) -> DossierOut:
    wired.engine.fire(actor, dossier_id, body.event, body.payload, body.expected_version)
    return _view(wired, actor, dossier_id)


@router.get(
    "/dossiers/{dossier_id}/history/verify",
    response_model=VerifyOut,
    responses=_ERRORS,
    summary="Kiểm tra chuỗi băm của lịch sử hồ sơ",
)
def verify(dossier_id: str, wired: ServicesDep, actor: ActorDep) -> VerifyOut:
    with wired.db.reading() as repo:
        return VerifyOut.model_validate(verify_history(repo, wired.rulebook, dossier_id, actor))
