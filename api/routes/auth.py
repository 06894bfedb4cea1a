"""Login (OAuth2 password flow) and the current officer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ActorDep, ClaimsDep, ServicesDep, throttle_policy
from api.errors import ProblemRoute, problem_responses
from api.schemas import MeOut, RefreshIn, TokenOut
from api.security import issue_token
from states.actors import Actor
from states.logins import log_in
from states.sessions import Session, end_session, refresh_session, start_session

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
    address = request.client.host if request.client is not None else None
    session = start_session(wired.db, actor, wired.clock.now(), timedelta(hours=wired.settings.session_hours), address)
    return _tokens(wired, actor, session)


@router.post(
    "/auth/refresh",
    response_model=TokenOut,
    summary="Làm mới mã truy cập bằng mã làm mới (mã làm mới cũ hết hiệu lực)",
    operation_id="refresh_token",
    responses=problem_responses(400, 401, 413, 415, 422),
)
def refresh(body: RefreshIn, wired: ServicesDep) -> TokenOut:
    actor, session = refresh_session(wired.db, body.refresh_token, wired.clock.now())
    return _tokens(wired, actor, session)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Đăng xuất: phiên đăng nhập và mọi mã của nó hết hiệu lực ngay",
    operation_id="logout",
    responses=problem_responses(401),
)
def logout(claims: ClaimsDep, _actor: ActorDep, wired: ServicesDep) -> Response:
    end_session(wired.db, claims.session_id, wired.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _tokens(wired: ServicesDep, actor: Actor, session: Session) -> TokenOut:
    minutes = wired.settings.access_token_minutes
    token = issue_token(
        actor,
        secret=wired.settings.secret_key.get_secret_value(),
        now=wired.clock.now(),
        minutes=minutes,
        session_id=session.session_id,
    )
    return TokenOut(
        access_token=token,
        expires_in=minutes * 60,
        refresh_token=session.refresh_token,
        session_expires_at=session.expires_at.isoformat(),
    )


@router.get(
    "/me", response_model=MeOut, summary="Người dùng hiện tại", operation_id="get_me", responses=problem_responses(401)
)
def me(actor: ActorDep) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, role=actor.role, unit_code=actor.unit_code)
