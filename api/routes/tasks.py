"""The officers' task desk: inbox, unit queue, archive; claim, release, assign, delegate, return, reassign;
substitutes for an absence; the officers of one's unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.schemas import (
    DeskTaskOut,
    GiveIn,
    NoteIn,
    OfficerOut,
    ReassignIn,
    ReassignOut,
    SubstituteIn,
    SubstituteOut,
    TaskEventOut,
    TaskPage,
)
from states.taskdesk import TaskDesk
from states.worklists import DEFAULT_PAGE, MAX_PAGE

router = APIRouter(prefix="/api/v1", tags=["Nhiệm vụ"], route_class=ProblemRoute)

TaskId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Mã nhiệm vụ")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor của trang trước")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Số nhiệm vụ mỗi trang")]
_CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)


def _desk(wired: ServicesDep) -> TaskDesk:
    return TaskDesk(wired.rulebook, wired.db, wired.clock)


@router.get(
    "/tasks/inbox",
    response_model=TaskPage,
    summary="Nhiệm vụ của tôi (đang giữ), gấp nhất trước",
    operation_id="task_inbox",
    responses=problem_responses(401, 422),
)
def inbox(wired: ServicesDep, actor: ActorDep, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> TaskPage:
    return TaskPage.model_validate(_desk(wired).inbox(actor, cursor, limit))


@router.get(
    "/tasks/queue",
    response_model=TaskPage,
    summary="Hàng chờ của đơn vị: nhiệm vụ chưa ai nhận mà tôi nhận được, gấp nhất trước",
    operation_id="task_queue",
    responses=problem_responses(401, 422),
)
def queue(wired: ServicesDep, actor: ActorDep, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> TaskPage:
    return TaskPage.model_validate(_desk(wired).queue(actor, cursor, limit))


@router.get(
    "/tasks/unit",
    response_model=TaskPage,
    summary="Mọi nhiệm vụ đang mở của đơn vị (thủ trưởng đơn vị)",
    operation_id="unit_tasks",
    responses=problem_responses(401, 403, 422),
)
def unit_tasks(wired: ServicesDep, actor: ActorDep, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> TaskPage:
    return TaskPage.model_validate(_desk(wired).unit_tasks(actor, cursor, limit))


@router.get(
    "/tasks/archive",
    response_model=TaskPage,
    summary="Nhiệm vụ đã xong mà tôi đã làm hoặc đã giữ",
    operation_id="task_archive",
    responses=problem_responses(401, 422),
)
def archive(wired: ServicesDep, actor: ActorDep, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> TaskPage:
    return TaskPage.model_validate(_desk(wired).archive(actor, cursor, limit))


@router.get(
    "/tasks/{task_id}/events",
    response_model=list[TaskEventOut],
    summary="Lịch sử giao, nhận, ủy quyền của một nhiệm vụ",
    operation_id="task_events",
    responses=problem_responses(401, 404, 422),
)
def events(task_id: TaskId, wired: ServicesDep, actor: ActorDep) -> list[TaskEventOut]:
    return [TaskEventOut.model_validate(event) for event in _desk(wired).task_events(actor, task_id)]


@router.post(
    "/tasks/{task_id}/claim",
    response_model=DeskTaskOut,
    summary="Nhận một nhiệm vụ trong hàng chờ",
    operation_id="claim_task",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def claim(task_id: TaskId, wired: ServicesDep, actor: ActorDep) -> DeskTaskOut:
    return DeskTaskOut.model_validate(_desk(wired).claim(actor, task_id))


@router.post(
    "/tasks/{task_id}/release",
    response_model=DeskTaskOut,
    summary="Trả nhiệm vụ về hàng chờ của đơn vị",
    operation_id="release_task",
    responses=problem_responses(401, 404, 409, 422),
)
def release(task_id: TaskId, wired: ServicesDep, actor: ActorDep) -> DeskTaskOut:
    return DeskTaskOut.model_validate(_desk(wired).release(actor, task_id))


@router.post(
    "/tasks/{task_id}/assign",
    response_model=DeskTaskOut,
    summary="Giao nhiệm vụ cho một cán bộ của đơn vị (thủ trưởng); người vắng mặt thì giao cho người thay",
    operation_id="assign_task",
    responses=_CHANGE,
)
def assign(task_id: TaskId, body: GiveIn, wired: ServicesDep, actor: ActorDep) -> DeskTaskOut:
    return DeskTaskOut.model_validate(_desk(wired).assign(actor, task_id, body.user_id, body.note))


@router.post(
    "/tasks/{task_id}/delegate",
    response_model=DeskTaskOut,
    summary="Ủy quyền nhiệm vụ đang giữ cho đồng nghiệp; nhiệm vụ trở về khi người đó trả lại",
    operation_id="delegate_task",
    responses=_CHANGE,
)
def delegate(task_id: TaskId, body: GiveIn, wired: ServicesDep, actor: ActorDep) -> DeskTaskOut:
    return DeskTaskOut.model_validate(_desk(wired).delegate(actor, task_id, body.user_id, body.note))


@router.post(
    "/tasks/{task_id}/return",
    response_model=DeskTaskOut,
    summary="Trả nhiệm vụ được ủy quyền về người đã ủy quyền",
    operation_id="return_task",
    responses=_CHANGE,
)
def give_back(task_id: TaskId, body: NoteIn, wired: ServicesDep, actor: ActorDep) -> DeskTaskOut:
    return DeskTaskOut.model_validate(_desk(wired).give_back(actor, task_id, body.note))


@router.post(
    "/tasks/reassign",
    response_model=ReassignOut,
    summary="Chuyển hàng loạt nhiệm vụ đang mở của một cán bộ sang cán bộ khác (thủ trưởng)",
    operation_id="reassign_tasks",
    responses=_CHANGE,
)
def reassign(body: ReassignIn, wired: ServicesDep, actor: ActorDep) -> ReassignOut:
    moved = _desk(wired).reassign(actor, body.from_user_id, body.to_user_id, body.task_ids, body.note)
    return ReassignOut.model_validate(moved)


@router.get(
    "/substitutes",
    response_model=list[SubstituteOut],
    summary="Lịch cử người làm thay của đơn vị (từ hôm nay)",
    operation_id="list_substitutes",
    responses=problem_responses(401),
)
def substitutes(wired: ServicesDep, actor: ActorDep) -> list[SubstituteOut]:
    return [SubstituteOut.model_validate(row) for row in _desk(wired).substitutes(actor)]


@router.post(
    "/substitutes",
    response_model=SubstituteOut,
    status_code=status.HTTP_201_CREATED,
    summary="Cử người làm thay trong thời gian vắng mặt",
    operation_id="add_substitute",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
def add_substitute(body: SubstituteIn, wired: ServicesDep, actor: ActorDep) -> SubstituteOut:
    row = _desk(wired).add_substitute(
        actor,
        user_id=body.user_id,
        substitute_id=body.substitute_id,
        from_day=body.from_day,
        to_day=body.to_day,
        reason=body.reason,
    )
    return SubstituteOut.model_validate(row)


@router.post(
    "/substitutes/{substitute_id}/revoke",
    response_model=SubstituteOut,
    summary="Hủy lịch cử người làm thay",
    operation_id="revoke_substitute",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def revoke_substitute(
    substitute_id: Annotated[int, Path(ge=1, le=2_147_483_647)], wired: ServicesDep, actor: ActorDep
) -> SubstituteOut:
    return SubstituteOut.model_validate(_desk(wired).revoke_substitute(actor, substitute_id))


@router.get(
    "/officers",
    response_model=list[OfficerOut],
    summary="Cán bộ đang làm việc của đơn vị tôi",
    operation_id="list_officers",
    responses=problem_responses(401),
)
def officers(wired: ServicesDep, actor: ActorDep) -> list[OfficerOut]:
    return [OfficerOut.model_validate(row) for row in _desk(wired).colleagues(actor)]
