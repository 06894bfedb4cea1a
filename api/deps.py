"""Request dependencies: the wired services and the officer behind the bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.security import username_from_token
from config.settings import Settings
from states.accounts import actor_by_username
from states.actors import Actor
from states.clock import Clock
from states.engine import DossierEngine
from states.procedures import Rulebook
from states.store.database import Database

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


@dataclass(frozen=True)
class Services:
    settings: Settings
    rulebook: Rulebook
    db: Database
    clock: Clock
    engine: DossierEngine


def services(request: Request) -> Services:
    wired: Services = request.app.state.services
    return wired


ServicesDep = Annotated[Services, Depends(services)]


def current_actor(token: Annotated[str, Depends(oauth2_scheme)], wired: ServicesDep) -> Actor:
    username = username_from_token(token, secret=wired.settings.secret_key.get_secret_value(), now=wired.clock.now())
    with wired.db.reading() as repo:
        return actor_by_username(repo, username)


ActorDep = Annotated[Actor, Depends(current_actor)]
