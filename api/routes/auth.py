"""Login (OAuth2 password flow) and the current officer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ActorDep, ServicesDep, throttle_policy
from api.errors import ProblemRoute, problem_responses
from api.schemas import MeOut, TokenOut
from api.security import issue_token
from states.logins import log_in

router = APIRouter(prefix="/api/v1", tags=["Xác thực"], route_class=ProblemRoute)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Đăng nhập, nhận mã truy cập",
    operation_id="login",
    responses=problem_responses(400, 401, 413, 415, 422, 429),
)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], wired: ServicesDep, request: Request) -> TokenOut:
    actor = log_in(
        wired.db,
        form.username,
        form.password,
        address=request.client.host if request.client is not None else None,
        now=wired.clock.now(),
        policy=throttle_policy(wired.settings),
    )
    token = issue_token(
        actor,
        secret=wired.settings.secret_key.get_secret_value(),
        now=wired.clock.now(),
        minutes=wired.settings.access_token_minutes,
    )
    return TokenOut(access_token=token)


@router.get(
    "/me", response_model=MeOut, summary="Người dùng hiện tại", operation_id="get_me", responses=problem_responses(401)
)
def me(actor: ActorDep) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, role=actor.role, unit_code=actor.unit_code)
