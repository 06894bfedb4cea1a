"""Statistics: the indicators hoso computes, their figures per period and area, and the dossiers behind a figure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.reads import ReadDep, log_read
from api.report_schemas import (
    FigureDossiersOut,
    IndicatorOut,
    IndicatorReportOut,
    IndicatorVersionOut,
    PlanReportOut,
    ResidentGroupOut,
)
from api.routes.documents import DOCX_MEDIA_TYPE, DocxResponse, _attachment
from documents.report_files import XLSX_MEDIA_TYPE, chart, report_docx, report_heading, report_xlsx
from states.indicators import load_indicators
from states.legal_time import VN_TZ
from states.plan_progress import plan_progress
from states.statistics import DrillDown, area_report, figure_dossiers, indicator_report

router = APIRouter(prefix="/api/v1", tags=["Thống kê"], route_class=ProblemRoute)


class XlsxResponse(Response):
    media_type = XLSX_MEDIA_TYPE


_Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,80}$", description="Mã chỉ tiêu")]
_Period = Annotated[
    str, Query(max_length=10, description="Kỳ báo cáo: 2026 (năm), 2026-H1 (6 tháng), 2026-Q3 (quý), 2026-07 (tháng)")
]
_Province = Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="Mã tỉnh, thành phố")]
_Commune = Annotated[str | None, Query(pattern=r"^[0-9]{5}$", description="Mã xã, phường")]


@router.get(
    "/indicators",
    response_model=list[IndicatorOut],
    summary="Danh mục chỉ tiêu thống kê",
    description="Mỗi chỉ tiêu: đối tượng đếm, cách chia, căn cứ, các kỳ báo cáo và các phiên bản định nghĩa theo ngày.",
    operation_id="list_indicators",
    responses=problem_responses(401),
)
def indicators(wired: ServicesDep, actor: ActorDep) -> list[IndicatorOut]:
    catalogue = load_indicators()
    return [
        IndicatorOut(
            code=indicator.code,
            title=indicator.title_vi,
            unit=indicator.unit_vi,
            source=indicator.source,
            unverified=indicator.unverified,
            breakdowns=list(indicator.breakdowns),
            periods=list(indicator.periods),
            period_rule=indicator.period_rule,
            period_rule_title=catalogue.periods.rules[indicator.period_rule].title_vi,
            versions=[
                IndicatorVersionOut(
                    effective_from=v.effective_from.isoformat(),
                    measure=v.measure,
                    numerator=v.numerator,
                    denominator=v.denominator,
                    residents=[ResidentGroupOut(indicator=g.indicator, norm=g.norm) for g in v.residents],
                    staff_roles=list(v.staff_roles),
                )
                for v in indicator.versions
            ],
        )
        for indicator in catalogue.indicators.values()
    ]


@router.get(
    "/reports/indicators/{code}",
    response_model=IndicatorReportOut,
    summary="Số liệu của một chỉ tiêu trong một kỳ, theo địa bàn và các cách chia",
    description="Tính từ chính các hồ sơ: mỗi người được đếm một lần trong kỳ (theo hồ sơ có bước được đếm muộn "
    "nhất), nên tổng các xã bằng số của tỉnh. Địa bàn mặc định là địa bàn của đơn vị người xem; đơn vị cấp xã chỉ "
    "xem xã mình, đơn vị cấp tỉnh chỉ xem tỉnh mình.",
    operation_id="get_indicator_report",
    responses=problem_responses(401, 403, 422),
)
def indicator_figures(
    code: _Code,
    wired: ServicesDep,
    actor: ActorDep,
    period: _Period,
    province: _Province = None,
    commune: _Commune = None,
) -> IndicatorReportOut:
    with wired.db.reading() as repo:
        answer = indicator_report(repo, wired.rulebook, load_indicators(), actor, code, period, province, commune)
    return IndicatorReportOut.model_validate(answer)


@router.get(
    "/reports/indicators/{code}/dossiers",
    response_model=FigureDossiersOut,
    summary="Các hồ sơ đứng sau một số liệu",
    description="Một hồ sơ cho mỗi người được đếm (hồ sơ đã xếp người đó vào nhóm), chỉ liệt kê hồ sơ thuộc thẩm "
    "quyền xem của cán bộ; số hồ sơ còn lại được nêu ở not_visible. Mỗi lần xem được ghi nhật ký truy cập.",
    operation_id="get_indicator_dossiers",
    responses=problem_responses(401, 403, 422),
)
def indicator_dossiers(
    code: _Code,
    wired: ServicesDep,
    actor: ActorDep,
    read: ReadDep,
    period: _Period,
    province: _Province = None,
    commune: _Commune = None,
    breakdown: Annotated[
        Literal["commune", "province", "sex", "age_group", "facility", "substance"] | None,
        Query(description="Cách chia của nhóm cần xem; bỏ trống: toàn bộ số liệu"),
    ] = None,
    key: Annotated[str | None, Query(max_length=80, description="Mã nhóm trong cách chia (key của nhóm)")] = None,
    part: Annotated[
        Literal["numerator", "denominator"] | None, Query(description="Chỉ tiêu tỷ lệ: tử số hay mẫu số")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=36, description="next_cursor của trang trước")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Số hồ sơ mỗi trang")] = 50,
) -> FigureDossiersOut:
    request = DrillDown(code, period, province, commune, breakdown, key, part, cursor, limit)
    with wired.db.reading() as repo:
        answer = FigureDossiersOut.model_validate(
            figure_dossiers(repo, wired.rulebook, load_indicators(), actor, request)
        )
    log_read(wired, actor, read, "indicator_dossiers", f"{code}:{period}:{breakdown or ''}:{key or ''}")
    return answer


_Layout = Annotated[str, Query(max_length=60, description="Mẫu bảng chỉ tiêu (config/targets)")]


@dataclass(frozen=True)
class PlanQuery:
    """Which plan report: the period, the area (default: the officer's) and the layout of the target table."""

    period: _Period
    province: _Province = None
    commune: _Commune = None
    layout: _Layout = "rehab_plan"


_PlanQuery = Annotated[PlanQuery, Depends()]


def _file_responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(401, 403, 404, 422)
    responses[404]["description"] = "Chưa có bảng chỉ tiêu của năm cho tỉnh"
    responses[200] = {
        "description": what,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"Content-Disposition": {"description": "Tên tệp (ASCII)", "schema": {"type": "string"}}},
    }
    return responses


@router.get(
    "/reports/plan",
    response_model=PlanReportOut,
    summary="Kết quả thực hiện so với chỉ tiêu kế hoạch, theo đơn vị và kỳ",
    description="Chỉ tiêu của bảng mới nhất đã nhập cho năm của kỳ; kết quả tính từ hồ sơ trong kỳ (năm, 6 tháng, "
    "quý, tháng). Xã được so với dòng của xã, tỉnh với dòng tổng của bảng.",
    operation_id="get_plan_report",
    responses=problem_responses(401, 403, 404, 422),
)
def plan_report(wired: ServicesDep, actor: ActorDep, query: _PlanQuery) -> PlanReportOut:
    return PlanReportOut.model_validate(_plan(wired, actor, query))


@router.get(
    "/reports/plan/xlsx",
    response_class=XlsxResponse,
    summary="Báo cáo kết quả so với kế hoạch, tệp xlsx (kèm biểu đồ)",
    description="Trang 'Chỉ tiêu' (kế hoạch, thực hiện, tỷ lệ đạt bằng công thức), 'Số liệu' (mọi chỉ tiêu thống kê "
    "của kỳ) và 'Theo xã' (cộng bằng công thức SUM); biểu đồ vẽ sẵn, không cần mạng.",
    operation_id="download_plan_report_xlsx",
    responses=_file_responses(XLSX_MEDIA_TYPE, "Báo cáo .xlsx"),
)
def plan_report_xlsx(wired: ServicesDep, actor: ActorDep, query: _PlanQuery) -> XlsxResponse:
    plan, figures = _plan_and_figures(wired, actor, query)
    content = report_xlsx(plan, figures, public_url=wired.settings.public_url)
    return XlsxResponse(content=content, headers=_attachment(_file_name(plan, "xlsx")))


@router.get(
    "/reports/plan/docx",
    response_class=DocxResponse,
    summary="Báo cáo kết quả so với kế hoạch, tệp .docx theo thể thức Nghị định 30/2020/NĐ-CP (kèm biểu đồ)",
    operation_id="download_plan_report_docx",
    responses=_file_responses(DOCX_MEDIA_TYPE, "Báo cáo .docx"),
)
def plan_report_docx(wired: ServicesDep, actor: ActorDep, query: _PlanQuery) -> DocxResponse:
    plan, figures = _plan_and_figures(wired, actor, query)
    with wired.db.reading() as repo:
        unit = repo.unit(actor.unit_code) or {"name": actor.unit_code, "kind": actor.unit_kind}
    heading = report_heading(unit, plan["area"]["province_code"])
    content = report_docx(plan, figures, heading, on=wired.clock.now().astimezone(VN_TZ).date())
    return DocxResponse(content=content, headers=_attachment(_file_name(plan, "docx")))


def _file_name(plan: dict[str, Any], suffix: str) -> str:
    return f"bao-cao-{plan['area']['commune_code'] or plan['area']['province_code']}-{plan['period']}.{suffix}"


def _plan_and_figures(
    wired: ServicesDep, actor: ActorDep, query: PlanQuery
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    catalogue = load_indicators()
    with wired.db.reading() as repo:
        plan = plan_progress(
            repo, wired.rulebook, catalogue, actor, query.period, query.layout, query.province, query.commune
        )
        figures = area_report(repo, wired.rulebook, catalogue, actor, query.period, query.province, query.commune)
    return plan, figures


class SvgResponse(Response):
    media_type = "image/svg+xml"


class PngResponse(Response):
    media_type = "image/png"


def _chart_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(401, 403, 404, 422)
    responses[200] = {
        "description": "Biểu đồ",
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
    }
    return responses


@router.get(
    "/reports/plan/chart/svg",
    response_class=SvgResponse,
    summary="Biểu đồ thực hiện so với kế hoạch (SVG), vẽ sẵn không cần mạng",
    operation_id="get_plan_chart_svg",
    responses=_chart_responses(SvgResponse.media_type),
)
def plan_chart_svg(wired: ServicesDep, actor: ActorDep, query: _PlanQuery) -> SvgResponse:
    return SvgResponse(content=chart(_plan(wired, actor, query), "svg"), headers={"Cache-Control": "no-store"})


@router.get(
    "/reports/plan/chart/png",
    response_class=PngResponse,
    summary="Biểu đồ thực hiện so với kế hoạch (PNG), vẽ sẵn không cần mạng",
    operation_id="get_plan_chart_png",
    responses=_chart_responses(PngResponse.media_type),
)
def plan_chart_png(wired: ServicesDep, actor: ActorDep, query: _PlanQuery) -> PngResponse:
    return PngResponse(content=chart(_plan(wired, actor, query), "png"), headers={"Cache-Control": "no-store"})


def _plan(wired: ServicesDep, actor: ActorDep, query: PlanQuery) -> dict[str, Any]:
    with wired.db.reading() as repo:
        return plan_progress(
            repo, wired.rulebook, load_indicators(), actor, query.period, query.layout, query.province, query.commune
        )
