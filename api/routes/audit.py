"""The record of reads: who looked at a dossier, when and for what declared purpose."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.reads import ReadDep, log_read
from api.schemas import ReadOut
from states.reads import reads_of_dossier

router = APIRouter(prefix="/api/v1", tags=["Nhật ký truy cập"], route_class=ProblemRoute)


@router.get(
    "/audit/reads",
    response_model=list[ReadOut],
    summary="Ai đã xem hồ sơ, khi nào, với mục đích gì (mới nhất trước)",
    description="Cho thủ trưởng đơn vị có thẩm quyền với hồ sơ và cán bộ đã mở hoặc đã ghi một bước của hồ sơ. "
    "Hồ sơ ngoài thẩm quyền được trả lời như hồ sơ không có.",
    operation_id="list_reads",
    responses=problem_responses(401, 403, 404, 422),
)
def reads(
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
    dossier: Annotated[str, Query(min_length=1, max_length=36, description="Mã hồ sơ")],
) -> list[ReadOut]:
    found = reads_of_dossier(wired.db, wired.rulebook, actor, dossier)
    log_read(wired, actor, read, "reads", dossier, dossier)
    return [ReadOut.model_validate(row) for row in found]
