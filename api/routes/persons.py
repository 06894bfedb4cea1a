"""Persons: finding a person by name (with or without diacritics), identity number or birth date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.reads import ReadDep, log_read
from api.schemas import CaseOut, PersonPage
from states.cases import case_view
from states.reads import require_purpose_for_person
from states.worklists import DEFAULT_PAGE, MAX_PAGE, PersonQuery, find_persons

router = APIRouter(prefix="/api/v1", tags=["Người"], route_class=ProblemRoute)


@router.get(
    "/persons",
    response_model=PersonPage,
    summary="Tìm người theo họ tên (có hoặc không dấu), số định danh, ngày sinh",
    description="Chỉ những người có ít nhất một hồ sơ thuộc thẩm quyền của đơn vị người tìm, mỗi người kèm đúng "
    "các hồ sơ đó; xếp theo họ tên, từng trang (cursor).",
    operation_id="find_persons",
    responses=problem_responses(401, 422),
)
def persons(
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
    name: Annotated[str | None, Query(min_length=2, max_length=255, description="Họ tên, có dấu hoặc không")] = None,
    id_number: Annotated[str | None, Query(pattern=r"^[0-9]{12}$", description="Số định danh cá nhân")] = None,
    date_of_birth: Annotated[date | None, Query(description="Ngày sinh YYYY-MM-DD")] = None,
    cursor: Annotated[str | None, Query(max_length=400, description="next_cursor của trang trước")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Số người mỗi trang")] = DEFAULT_PAGE,
) -> PersonPage:
    query = PersonQuery(name, id_number, date_of_birth, cursor, limit)
    with wired.db.reading() as repo:
        page = PersonPage.model_validate(find_persons(repo, wired.rulebook, actor, query, wired.clock.now()))
    log_read(wired, actor, read, "person_search", read.query)
    return page


@router.get(
    "/persons/{id_number}/case",
    response_model=CaseOut,
    summary="Hồ sơ tổng hợp của một người: đang ở đâu, theo biện pháp nào, đến bao giờ, ai làm tiếp",
    operation_id="get_case",
    responses=problem_responses(401, 404, 422),
)
def case(
    id_number: Annotated[str, Path(pattern=r"^[0-9]{12}$", description="Số định danh cá nhân")],
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
) -> CaseOut:
    with wired.db.reading() as repo:
        answer = CaseOut.model_validate(case_view(repo, wired.rulebook, actor, id_number, wired.clock.now()))
    require_purpose_for_person(wired.db, id_number, read.purpose, wired.clock.now())
    log_read(wired, actor, read, "person", id_number)
    return answer
