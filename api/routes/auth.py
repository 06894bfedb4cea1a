"""Login (OAuth2 password flow) and the current officer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ActorDep, ServicesDep
from api.schemas import MeOut, TokenOut
from api.security import issue_token
from states.accounts import authenticate

router = APIRouter(prefix="/api/v1", tags=["Xác thực"])


@router.post("/auth/token", response_model=TokenOut, summary="Đăng nhập, nhận mã truy cập")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], wired: ServicesDep) -> TokenOut:
    with wired.db.reading() as repo:
        actor = authenticate(repo, form.username, form.password)
    token = issue_token(
        actor,
        secret=wired.settings.secret_key.get_secret_value(),
        now=wired.clock.now(),
        minutes=wired.settings.access_token_minutes,
    )
    return TokenOut(access_token=token)


@router.get("/me", response_model=MeOut, summary="Người dùng hiện tại")
def me(actor: ActorDep) -> MeOut:
    return MeOut(username=actor.username, full_name=actor.full_name, role=actor.role, unit_code=actor.unit_code)
