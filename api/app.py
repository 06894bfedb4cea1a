"""The FastAPI application factory (the composition root of the web side)."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.deps import Services
from api.routes import auth, dossiers
from config import CONFIG_DIR
from config.settings import Settings, get_settings
from states.clock import Clock, SystemClock
from states.engine import DossierEngine
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    rulebook: Rulebook | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    rulebook = rulebook or load_rulebook(
        CONFIG_DIR, procedures_dir=settings.procedures_dir, calendars_dir=settings.calendars_dir
    )
    app = FastAPI(
        title="hoso — Hồ sơ cai nghiện ma túy",
        version="1",
        description="Máy trạng thái các thủ tục pháp lý về cai nghiện ma túy, thời hạn và văn bản.",
    )
    app.state.services = Services(
        settings=settings, rulebook=rulebook, db=db, clock=clock, engine=DossierEngine(rulebook, db, clock)
    )
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(dossiers.router)

    @app.get("/healthz", tags=["Hệ thống"], summary="Tình trạng dịch vụ")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
