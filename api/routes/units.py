"""Units: the directory an officer picks from (the facility a request goes to, the court of a commune)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.schemas import UnitOut
from states.worklists import list_units

router = APIRouter(prefix="/api/v1", tags=["Đơn vị"], route_class=ProblemRoute)


@router.get(
    "/units",
    response_model=list[UnitOut],
    summary="Danh mục đơn vị (lọc theo loại, tỉnh, xã, tên)",
    operation_id="list_units",
    responses=problem_responses(401, 422),
)
def units(
    wired: ServicesDep,
    _actor: ActorDep,
    kind: Annotated[str | None, Query(max_length=40, description="Mã loại đơn vị, ví dụ rehab_facility")] = None,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="Mã tỉnh, thành phố")] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{5}$", description="Mã xã, phường")] = None,
    name: Annotated[str | None, Query(min_length=2, max_length=255, description="Tên, có dấu hoặc không")] = None,
) -> list[UnitOut]:
    with wired.db.reading() as repo:
        found = list_units(repo, wired.rulebook, kind=kind, province_code=province, commune_code=commune, name=name)
    return [UnitOut.model_validate(unit) for unit in found]
