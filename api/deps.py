"""Request dependencies: the wired services and the officer behind the bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.security import TokenClaims, claims_of_token
from config.settings import Settings, warn_if_development_secret
from states.accounts import SERVICE_ROLE, actor_by_username
from states.actors import Actor
from states.clock import Clock
from states.engine import DossierEngine
from states.errors import AuthenticationError
from states.logins import ThrottlePolicy
from states.procedures import Rulebook
from states.sessions import require_live_session
from states.store.database import Database

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


@dataclass(frozen=True)
class Services:
    settings: Settings
    rulebook: Rulebook
    db: Database
    clock: Clock
    engine: DossierEngine

    def __post_init__(self) -> None:
        # The services are wired once per application (``create_app``, hence ``hoso serve``): the moment to
        # say that this server signs its tokens with the public development secret.
        warn_if_development_secret(self.settings)


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        account_failures=settings.login_account_failures,
        address_failures=settings.login_address_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        first_delay=timedelta(seconds=settings.login_first_delay_seconds),
        max_delay=timedelta(minutes=settings.login_max_delay_minutes),
    )


def services(request: Request) -> Services:
    wired: Services = request.app.state.services
    return wired


ServicesDep = Annotated[Services, Depends(services)]


def current_claims(token: Annotated[str, Depends(oauth2_scheme)], wired: ServicesDep) -> TokenClaims:
    return claims_of_token(token, secret=wired.settings.secret_key.get_secret_value(), now=wired.clock.now())


ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]


def current_actor(claims: ClaimsDep, wired: ServicesDep, request: Request) -> Actor:
    """The officer of a live session, as the database says now: a disabled account, a changed role or unit, a
    logged-out session take effect at the next request."""
    now = wired.clock.now()
    with wired.db.reading() as repo:
        actor = actor_by_username(repo, claims.username)
    if actor.role == SERVICE_ROLE:
        # The service identity acts only in-process; a token naming it was not issued by this server's login.
        raise AuthenticationError("Mã truy cập không hợp lệ")
    require_live_session(wired.db, claims.session_id, actor.user_id, now)
    request.state.actor = f"{actor.username}@{actor.unit_code}"
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
