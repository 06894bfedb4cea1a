"""Dossiers: open one, read it, fire an event on it, verify its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.schemas import DossierCreate, DossierOut, EventIn, ProcedureVersionOut, VerifyOut
from states.engine import SubjectInput
from states.procedures import describe
from states.views import dossier_view, step_answer, verify_history

router = APIRouter(prefix="/api/v1", tags=["Hồ sơ"], route_class=ProblemRoute)

_READ_ERRORS = problem_responses(401, 403, 404, 422)
_BODY = (400, 413, 415, 422)


def _view(wired: ServicesDep, actor: ActorDep, dossier_id: str) -> DossierOut:
    with wired.db.reading() as repo:
        return DossierOut.model_validate(dossier_view(repo, wired.rulebook, dossier_id, actor, wired.clock.now()))


@router.get(
    "/procedures",
    response_model=list[ProcedureVersionOut],
    summary="Các thủ tục và phiên bản",
    operation_id="list_procedures",
    responses=problem_responses(401),
)
def procedures(wired: ServicesDep, _actor: ActorDep) -> list[ProcedureVersionOut]:
    return [ProcedureVersionOut.model_validate(row) for row in describe(wired.rulebook)]


@router.post(
    "/dossiers",
    response_model=DossierOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*_BODY, 401, 403, 404, 409),
    summary="Mở hồ sơ",
    operation_id="open_dossier",
)
def open_dossier(
    body: DossierCreate,
    wired: ServicesDep,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Khóa do người gửi tạo (ví dụ UUID): gửi lại cùng yêu cầu với cùng khóa chỉ mở một hồ sơ",
        ),
    ] = None,
) -> DossierOut:
    subject = SubjectInput(**body.subject.model_dump())
    dossier_id = wired.engine.open_dossier(
        actor, body.procedure, subject, occurred_on=body.occurred_on, idempotency_key=idempotency_key
    )
    return _view(wired, actor, dossier_id)


@router.get(
    "/dossiers/{dossier_id}",
    response_model=DossierOut,
    responses=_READ_ERRORS,
    summary="Xem hồ sơ",
    operation_id="get_dossier",
)
def get_dossier(dossier_id: str, wired: ServicesDep, actor: ActorDep) -> DossierOut:
    return _view(wired, actor, dossier_id)


@router.post(
    "/dossiers/{dossier_id}/events",
    response_model=DossierOut,
    responses=problem_responses(*_BODY, 401, 403, 404, 409, conflict="ConflictProblem"),
    summary="Thực hiện một bước của thủ tục",
    operation_id="fire_event",
)
def fire_event(dossier_id: str, body: EventIn, wired: ServicesDep, actor: ActorDep) -> DossierOut:
    result = wired.engine.fire(actor, dossier_id, body.event, body.payload, body.expected_version)
    with wired.db.reading() as repo:
        return DossierOut.model_validate(step_answer(repo, wired.rulebook, result.dossier_id, actor, wired.clock.now()))


@router.get(
    "/dossiers/{dossier_id}/history/verify",
    response_model=VerifyOut,
    responses=_READ_ERRORS,
    summary="Kiểm tra chuỗi băm của lịch sử hồ sơ",
    operation_id="verify_history",
)
def verify(dossier_id: str, wired: ServicesDep, actor: ActorDep) -> VerifyOut:
    with wired.db.reading() as repo:
        return VerifyOut.model_validate(verify_history(repo, wired.rulebook, dossier_id, actor))
