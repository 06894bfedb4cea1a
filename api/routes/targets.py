"""Plan targets: a province imports the table its plan published (checked cell by cell) and reads the versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.report_schemas import TargetImportOut, TargetSetDetailOut, TargetSetOut
from states.target_files import MAX_BYTES
from states.targets import TargetImport, import_targets, target_set, target_sets

router = APIRouter(prefix="/api/v1", tags=["Chỉ tiêu kế hoạch"], route_class=ProblemRoute)


@router.post(
    "/targets/imports",
    response_model=TargetImportOut,
    summary="Nhập bảng chỉ tiêu của kế hoạch (xlsx hoặc CSV)",
    description="Bảng được kiểm tra từng ô: đơn vị không có hoặc đã sáp nhập, tổng dòng khác các thành phần, tổng cột "
    "khác dòng tổng đã ghi, tỷ lệ không khớp các số. Với dry_run: trả lời mọi chỗ không khớp, không lưu. Không có "
    "dry_run: bảng khớp được lưu thành phiên bản mới kèm văn bản nguồn và SHA-256 của tệp; bảng còn chỗ không khớp "
    "bị từ chối (422, liệt kê từng ô) và không có gì được lưu. Chỉ đơn vị cấp tỉnh (hoặc trung ương, nêu tỉnh).",
    operation_id="import_targets",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
async def import_target_table(
    wired: ServicesDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="Bảng chỉ tiêu .xlsx hoặc .csv (UTF-8)")],
    year: Annotated[int, Form(ge=2020, le=2100, description="Năm kế hoạch")],
    source: Annotated[str, Form(min_length=1, max_length=500, description="Văn bản ban hành bảng")],
    layout: Annotated[str, Form(max_length=60, description="Mẫu bảng (config/targets)")] = "rehab_plan",
    province: Annotated[str | None, Form(pattern=r"^[0-9]{2}$", description="Mã tỉnh (đơn vị trung ương)")] = None,
    dry_run: Annotated[bool, Form(description="Chỉ kiểm tra, không lưu")] = False,
) -> TargetImportOut:
    content = await file.read(MAX_BYTES + 1)
    request = TargetImport(layout, year, source, file.filename or "bang-chi-tieu", content, dry_run, province)
    answer = import_targets(wired.db, wired.rulebook, actor, request, wired.clock.now())
    return TargetImportOut.model_validate(answer)


@router.get(
    "/targets",
    response_model=list[TargetSetOut],
    summary="Các bảng chỉ tiêu đã nhập của tỉnh (mọi phiên bản)",
    operation_id="list_target_sets",
    responses=problem_responses(401, 403, 422),
)
def list_target_sets(
    wired: ServicesDep,
    actor: ActorDep,
    year: Annotated[int | None, Query(ge=2020, le=2100, description="Năm kế hoạch")] = None,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="Mã tỉnh (đơn vị trung ương)")] = None,
) -> list[TargetSetOut]:
    with wired.db.reading() as repo:
        return [TargetSetOut.model_validate(row) for row in target_sets(repo, wired.rulebook, actor, province, year)]


@router.get(
    "/targets/{set_id}",
    response_model=TargetSetDetailOut,
    summary="Một bảng chỉ tiêu đã nhập và các giá trị của nó",
    operation_id="get_target_set",
    responses=problem_responses(401, 403, 404, 422),
)
def get_target_set(
    set_id: Annotated[int, Path(ge=1, le=2**31 - 1)], wired: ServicesDep, actor: ActorDep
) -> TargetSetDetailOut:
    with wired.db.reading() as repo:
        return TargetSetDetailOut.model_validate(target_set(repo, wired.rulebook, actor, set_id))
