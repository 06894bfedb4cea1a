"""The FastAPI application factory (the composition root of the web side)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from api import access_log, errors
from api.deps import Services
from api.routes import audit, auth, documents, dossiers, notices, periodic, persons, reports, targets, tasks, units
from api.schemas import EMPTY_PAYLOAD, ConflictProblem, ProblemDetails, payload_schemas
from config import CONFIG_DIR
from config.settings import Settings, get_settings
from states.clock import Clock, SystemClock
from states.engine import DossierEngine
from states.history_seal import keys_from_settings
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database

TITLE = "hoso — API hồ sơ cai nghiện ma túy"
VERSION = "1"
DESCRIPTION = (
    "Máy trạng thái các thủ tục pháp lý về cai nghiện ma túy, thời hạn và văn bản.\n\n"
    "Mọi lỗi trả về dạng problem details (RFC 9457, `application/problem+json`) với `code` ổn định, "
    "`detail` tiếng Việt, `field` khi lỗi nằm ở một trường, `current_version` với mọi lỗi 409 khi thực hiện "
    "bước, `problems` (tối đa 20) khi có nhiều lỗi. Dữ liệu của từng bước có lược đồ riêng trong "
    "`components/schemas` (tên trong `payload_schema` của mỗi bước ở `actions`)."
)
DOCS_ASSETS = "/docs/assets"


def _components_of(*models: type[ProblemDetails]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def build_openapi(app: FastAPI, rulebook: Rulebook) -> dict[str, Any]:
    """The contract: routes, problem details, and one named payload schema per (procedure, version, event)."""
    schema = get_openapi(title=TITLE, version=VERSION, description=DESCRIPTION, routes=app.routes)
    components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2") and response.get("description") == "Successful Response":
                    response["description"] = "Thành công"
    components.update(_components_of(ProblemDetails, ConflictProblem))
    _mark_uploads_binary(components)
    payloads = payload_schemas(rulebook)
    components.update(payloads)
    event_in = components["EventIn"]["properties"]
    event_in["payload"] = {
        "title": "Payload",
        "description": event_in["payload"].get("description", ""),
        "anyOf": [
            {"$ref": f"#/components/schemas/{name}"}
            for name in sorted(payloads, key=lambda name: (name == EMPTY_PAYLOAD, name))
        ],
    }
    return schema


def _mark_uploads_binary(components: dict[str, Any]) -> None:
    """An uploaded file also says ``format: binary`` (the OpenAPI 3.0 way), so that generated clients send it as
    a file part; FastAPI writes only the 3.1 ``contentMediaType``."""
    for component in components.values():
        for field in component.get("properties", {}).values():
            if field.get("type") == "string" and field.get("contentMediaType") == "application/octet-stream":
                field["format"] = "binary"


def _docs(app: FastAPI) -> None:
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=TITLE,
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


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
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.services = Services(
        settings=settings,
        rulebook=rulebook,
        db=db,
        clock=clock,
        engine=DossierEngine(
            rulebook,
            db,
            clock,
            clock_skew=settings.clock_skew,
            history_keys=keys_from_settings(settings),
        ),
    )
    errors.install(app)
    access_log.install(app)
    app.include_router(auth.router)
    app.include_router(dossiers.router)
    app.include_router(persons.router)
    app.include_router(notices.router)
    app.include_router(documents.router)
    app.include_router(units.router)
    app.include_router(tasks.router)
    app.include_router(audit.router)
    app.include_router(reports.router)
    app.include_router(periodic.router)
    app.include_router(targets.router)
    _docs(app)

    @app.get(
        "/healthz",
        tags=["Hệ thống"],
        summary="Tình trạng dịch vụ",
        operation_id="healthz",
        responses=errors.problem_responses(),
    )
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, rulebook)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
