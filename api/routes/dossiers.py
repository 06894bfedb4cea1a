"""Dossiers: open one, read it, fire an event on it, verify its history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.reads import ReadDep, log_read
from api.schemas import DossierCreate, DossierOut, DossierPage, EventIn, ProcedureVersionOut, VerifyOut
from states.engine import SubjectInput
from states.procedures import describe
from states.reads import require_purpose_if_sensitive
from states.views import dossier_view, step_answer, verify_history
from states.worklists import DEFAULT_PAGE, MAX_PAGE, DossierQuery, list_dossiers

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
    "/dossiers",
    response_model=DossierPage,
    responses=problem_responses(401, 422),
    summary="Danh sách hồ sơ thuộc thẩm quyền, có lọc và phân trang",
    description="Mới mở trước. Chỉ các hồ sơ đơn vị người xem có thẩm quyền; tổng số (total) cũng chỉ đếm chúng. "
    "Các ngày là ngày theo giờ Việt Nam.",
    operation_id="list_dossiers",
)
def dossiers(
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
    procedure: Annotated[str | None, Query(max_length=60, description="Mã thủ tục")] = None,
    state: Annotated[str | None, Query(max_length=60, description="Mã trạng thái")] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{5}$", description="Mã xã, phường của hồ sơ")] = None,
    unit: Annotated[
        str | None, Query(max_length=40, description="Chỉ hồ sơ thuộc thẩm quyền của đơn vị này (mã đơn vị)")
    ] = None,
    due_from: Annotated[date | None, Query(description="Có hạn xử lý còn mở từ ngày này")] = None,
    due_to: Annotated[date | None, Query(description="… đến hết ngày này")] = None,
    overdue: Annotated[bool | None, Query(description="true: có hạn đã qua; false: không có hạn nào đã qua")] = None,
    opened_from: Annotated[date | None, Query(description="Mở từ ngày")] = None,
    opened_to: Annotated[date | None, Query(description="Mở đến hết ngày")] = None,
    open_only: Annotated[bool | None, Query(description="true: chưa kết thúc; false: đã kết thúc")] = None,
    cursor: Annotated[str | None, Query(max_length=400, description="next_cursor của trang trước")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Số hồ sơ mỗi trang")] = DEFAULT_PAGE,
) -> DossierPage:
    query = DossierQuery(
        procedure=procedure,
        state=state,
        commune_code=commune,
        unit_code=unit,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
        opened_from=opened_from,
        opened_to=opened_to,
        open_only=open_only,
        cursor=cursor,
        limit=limit,
    )
    with wired.db.reading() as repo:
        page = DossierPage.model_validate(list_dossiers(repo, wired.rulebook, actor, query, wired.clock.now()))
    log_read(wired, actor, read, "dossier_list", read.query or "(tất cả)")
    return page


@router.get(
    "/dossiers/{dossier_id}",
    response_model=DossierOut,
    responses=_READ_ERRORS,
    summary="Xem hồ sơ",
    operation_id="get_dossier",
)
def get_dossier(dossier_id: str, wired: ServicesDep, actor: ActorDep, read: ReadDep) -> DossierOut:
    view = _view(wired, actor, dossier_id)
    require_purpose_if_sensitive(wired.db, view.id, read.purpose, wired.clock.now())
    log_read(wired, actor, read, "dossier", view.id, view.id)
    return view


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
def verify(dossier_id: str, wired: ServicesDep, actor: ActorDep, read: ReadDep) -> VerifyOut:
    with wired.db.reading() as repo:
        answer = VerifyOut.model_validate(
            verify_history(repo, wired.rulebook, dossier_id, actor, wired.engine.history_keys)
        )
    require_purpose_if_sensitive(wired.db, answer.dossier_id, read.purpose, wired.clock.now())
    log_read(wired, actor, read, "history", answer.dossier_id, answer.dossier_id)
    return answer
