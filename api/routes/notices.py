"""The unit's inbox of notices, and acknowledging one: the receiving unit's proof of service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import ActorDep, ServicesDep
from api.errors import ProblemRoute, problem_responses
from api.schemas import NoticeDeliveryOut, NoticeOut
from states.notices import acknowledge, inbox
from states.store.repository import Record

router = APIRouter(prefix="/api/v1", tags=["Thông báo"], route_class=ProblemRoute)

MAX_NOTICE_ID = 2_147_483_647
"""Notice ids are 32-bit integers on every backend: anything larger names no notice and is refused as input."""

_NoticeId = Annotated[int, Path(ge=1, le=MAX_NOTICE_ID, description="Số của thông báo")]


def _acknowledge_responses() -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(401, 404, 409, 422)
    responses[409]["description"] = "Lời nhắc nội bộ (cảnh báo thời hạn, báo quá hạn…): không cần xác nhận đã nhận"
    responses[404]["description"] = "Không có thông báo này trong hộp thư của đơn vị (không có, hoặc của đơn vị khác)"
    return responses


def mask_address(address: str) -> str:
    """Enough of an address to tell which one it is, not enough to use it: ``c***@example.vn``, ``09******12``."""
    local, at, domain = address.rpartition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(address) <= 4:
        return "*" * len(address)
    return address[:2] + "*" * (len(address) - 4) + address[-2:]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _delivery_out(delivery: Record) -> NoticeDeliveryOut:
    address = str(delivery["address"])
    masked = mask_address(address)
    error = delivery["last_error"]
    return NoticeDeliveryOut(
        channel=delivery["channel"],
        address=masked,
        status=delivery["status"],
        attempts=delivery["attempts"],
        sent_at=_iso(delivery["sent_at"]),
        delivered_at=_iso(delivery["delivered_at"]),
        # A mail server's refusal often repeats the address it refused.
        last_error=error.replace(address, masked) if error else None,
    )


def notice_out(row: Record) -> NoticeOut:
    return NoticeOut(
        id=row["id"],
        kind=row["kind"],
        role=row["role"],
        title=row["title"],
        body=row["body"],
        dossier_id=row["dossier_id"],
        created_at=row["created_at"].isoformat(),
        ack_due_at=_iso(row["ack_due_at"]),
        acknowledged_at=_iso(row["acknowledged_at"]),
        acknowledged_by=row["acknowledged_by_name"],
        escalated_at=_iso(row["escalated_at"]),
        deliveries=[_delivery_out(delivery) for delivery in row["deliveries"]],
    )


@router.get(
    "/notices",
    response_model=list[NoticeOut],
    summary="Hộp thư thông báo của đơn vị",
    description="Thông báo gửi cả đơn vị và gửi vai trò của người xem, mới nhất trước. Trang tiếp theo: gửi "
    "`before_id` là số của thông báo cuối cùng đã nhận.",
    operation_id="list_notices",
    responses=problem_responses(401, 422),
)
def list_notices(
    wired: ServicesDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Số thông báo tối đa mỗi trang")] = 50,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_NOTICE_ID, description="Chỉ các thông báo có số nhỏ hơn số này")
    ] = None,
    unacknowledged: Annotated[bool, Query(description="Chỉ các thông báo phải xác nhận mà chưa xác nhận")] = False,
) -> list[NoticeOut]:
    rows = inbox(wired.db, actor, limit=limit, before_id=before_id, unacknowledged=unacknowledged)
    return [notice_out(row) for row in rows]


@router.post(
    "/notices/{notice_id}/acknowledge",
    response_model=NoticeOut,
    summary="Xác nhận đơn vị đã nhận thông báo",
    description="Ghi người xác nhận và thời điểm. Xác nhận lại không thay đổi gì: trả về lần xác nhận đầu tiên.",
    operation_id="acknowledge_notice",
    responses=_acknowledge_responses(),
)
def acknowledge_notice(notice_id: _NoticeId, wired: ServicesDep, actor: ActorDep) -> NoticeOut:
    return notice_out(acknowledge(wired.db, actor, notice_id, wired.clock.now()))
