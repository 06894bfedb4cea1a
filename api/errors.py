"""The one place where errors become HTTP responses: RFC 9457 problem details, always in Vietnamese.

Every error answer is ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and a
stable ``code``; ``field``, ``current_version`` and ``problems`` when they apply. Request bodies are
checked before any route reads them: size, content type, strict UTF-8, plain JSON without lone surrogates
(PostgreSQL cannot store them) or non-finite numbers.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request, Response, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from states.errors import (
    AuthenticationError,
    ConflictError,
    DefinitionError,
    HosoError,
    InvalidInputError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
)

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:hoso:problem:"
MAX_BODY_BYTES = 1024 * 1024
MAX_PROBLEMS = 20

# ``ThrottledError`` is matched by name so that this mapping holds whichever module version defines it.
_THROTTLED = "ThrottledError"

_STATUS: tuple[tuple[type[HosoError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (DefinitionError, 500),
)

TITLES: dict[int, str] = {
    400: "Yêu cầu không đọc được",
    401: "Chưa xác thực",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    406: "Không có định dạng trả lời phù hợp",
    409: "Xung đột với dữ liệu hiện tại",
    413: "Nội dung gửi lên quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi máy chủ",
}

_UNEXPECTED = "Đã có lỗi ngoài dự kiến; yêu cầu không được thực hiện. Hãy thử lại sau hoặc báo quản trị viên."

_FIELD_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép",
    "iso_date": "phải là ngày dạng YYYY-MM-DD",
    "date_type": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "bool_type": "phải là true hoặc false",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "string_pattern_mismatch": "sai định dạng",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "literal_error": "không phải giá trị được phép",
    "enum": "không phải giá trị được phép",
    "dict_type": "phải là đối tượng JSON",
    "model_type": "phải là đối tượng JSON",
    "model_attributes_type": "phải là đối tượng JSON",
    "json_invalid": "JSON không hợp lệ",
}

_HTTP: dict[int, tuple[str, str]] = {
    400: ("malformed_body", "Nội dung gửi lên không đọc được"),
    401: ("authentication", "Chưa đăng nhập hoặc mã truy cập không hợp lệ"),
    403: ("permission_denied", "Không có quyền truy cập"),
    404: ("route_not_found", "Không tìm thấy địa chỉ yêu cầu"),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ cho địa chỉ này"),
}

_PAYLOAD_FIELD = re.compile(r"'([^']{1,60})'")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class BodyRejected(StarletteHTTPException):
    """A request body refused before any route reads it (FastAPI lets an ``HTTPException`` through)."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.code = code


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    current_version: int | None = None,
    problems: Iterable[Mapping[str, str | None]] = (),
) -> dict[str, Any]:
    """A problem-details body; ``problems`` is capped at ``MAX_PROBLEMS`` entries, the last one counting the rest."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    if current_version is not None:
        body["current_version"] = current_version
    items = [{k: v for k, v in item.items() if v is not None} for item in problems]
    if len(items) > MAX_PROBLEMS:
        rest = len(items) - (MAX_PROBLEMS - 1)
        items = [*items[: MAX_PROBLEMS - 1], {"detail": f"và {rest} lỗi khác"}]
    if items:
        body["problems"] = items
    return body


def problem_response(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> ProblemResponse:
    return ProblemResponse(status_code=status, content=body, headers=headers)


def status_for(error: HosoError) -> int:
    if any(cls.__name__ == _THROTTLED for cls in type(error).__mro__):
        return 429
    for error_type, status in _STATUS:
        if isinstance(error, error_type):
            return status
    return 400


def _code(error: HosoError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _payload_problems(error: HosoError) -> list[dict[str, str | None]]:
    raw = error.details.get("problems")
    if not isinstance(raw, list):
        return []
    items: list[dict[str, str | None]] = []
    for entry in raw:
        text = str(entry)
        name = _PAYLOAD_FIELD.search(text) if isinstance(error, PayloadError) else None
        items.append({"field": f"payload.{name.group(1)}" if name else None, "detail": text})
    return items


async def _hoso_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HosoError)
    status = status_for(error)
    headers: dict[str, str] = {}
    if status >= 500:
        logger.error("lỗi cấu hình khi xử lý yêu cầu: %s", error.message)
        return problem_response(status, problem(status, _code(error), _UNEXPECTED))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429:
        retry_after = error.details.get("retry_after")
        seconds = math.ceil(retry_after) if isinstance(retry_after, int | float) and retry_after > 0 else 1
        headers["Retry-After"] = str(seconds)
    field = error.details.get("field")
    version = error.details.get("current_version")
    problems = _payload_problems(error)
    named = {item["field"] for item in problems}
    if not isinstance(field, str) and len(named) == 1:
        field = next(iter(named))
    body = problem(
        status,
        _code(error),
        error.message,
        field=field if isinstance(field, str) else None,
        current_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        problems=problems,
    )
    return problem_response(status, body, headers or None)


def _location(item: Mapping[str, Any]) -> str:
    parts = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "header")]
    return ".".join(parts)


def _field_message(item: Mapping[str, Any]) -> str:
    return _FIELD_MESSAGES.get(str(item.get("type", "")), "giá trị không hợp lệ")


async def _validation_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    if any(item.get("type") == "json_invalid" for item in errors):
        return problem_response(400, problem(400, "malformed_json", "Nội dung gửi lên không phải JSON hợp lệ"))
    items = [{"field": _location(item) or None, "detail": _field_message(item)} for item in errors]
    shown = [f"{item['field'] or 'nội dung'}: {item['detail']}" for item in items[:MAX_PROBLEMS]]
    if len(items) > MAX_PROBLEMS:
        shown.append(f"và {len(items) - MAX_PROBLEMS} lỗi khác")
    fields = {item["field"] for item in items}
    only_field = next(iter(fields)) if len(fields) == 1 else None
    body = problem(
        422,
        "invalid_request",
        "Dữ liệu gửi lên không hợp lệ — " + "; ".join(shown),
        field=only_field,
        problems=items,
    )
    return problem_response(422, body)


async def _http_error(_request: Request, error: Exception) -> Response:
    """Errors raised by the framework itself (no token, unknown route, refused body), in Vietnamese."""
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    if isinstance(error, BodyRejected):
        code, detail = error.code, str(error.detail)
    else:
        code, detail = _HTTP.get(status, ("http_error", TITLES.get(status, "Yêu cầu không được thực hiện")))
    if status >= 500:
        code, detail = "internal_error", _UNEXPECTED
    headers = dict(error.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(status, problem(status, code, detail), headers or None)


async def _unexpected(_request: Request, error: Exception) -> Response:
    logger.exception("lỗi ngoài dự kiến khi xử lý yêu cầu", exc_info=error)
    return problem_response(500, problem(500, "internal_error", _UNEXPECTED))


# -- request bodies --------------------------------------------------------------------------------------


def _media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_json(body: bytes) -> Any:
    """Strict JSON: UTF-8 only, no NaN or Infinity, no lone surrogates anywhere in strings or keys."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRejected(400, "invalid_encoding", "Nội dung gửi lên phải được mã hóa UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        # Encoding back to UTF-8 fails on any lone surrogate (e.g. "\ud800"), wherever it is.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRejected(
            400, "invalid_unicode", "Nội dung gửi lên chứa ký tự Unicode không hợp lệ (nửa cặp thay thế)"
        ) from None
    except (ValueError, RecursionError):
        raise BodyRejected(400, "malformed_json", "Nội dung gửi lên không phải JSON hợp lệ") from None
    return value


class _CheckedRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class ProblemRoute(APIRoute):
    """A route whose body is checked first: content type (415), then strict JSON (400)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None:
            return handler
        form = isinstance(body_field.field_info, params.Form)

        async def checked(received: Request) -> Response:
            request = _CheckedRequest(received.scope, received.receive)
            media_type = _media_type(request)
            if form:
                accepted = media_type in ("application/x-www-form-urlencoded", "multipart/form-data")
                expected = "application/x-www-form-urlencoded"
            else:
                accepted = media_type is None or _is_json(media_type)
                expected = "application/json"
            if not accepted:
                raise BodyRejected(415, "unsupported_media_type", f"Nội dung gửi lên phải có kiểu {expected}")
            if not form and media_type is None and await request.body():
                raise BodyRejected(415, "unsupported_media_type", f"Nội dung gửi lên phải có kiểu {expected}")
            return await handler(request)

        return checked


class BodyLimit:
    """Refuses bodies over ``max_bytes`` (413): by their Content-Length, or while they are streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> BodyRejected:
        limit = self.max_bytes // 1024
        return BodyRejected(413, "body_too_large", f"Nội dung gửi lên vượt quá giới hạn {limit} KiB")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            refused: BodyRejected | None = None
            if not declared.isdigit():
                refused = BodyRejected(400, "invalid_content_length", "Độ dài nội dung (Content-Length) không hợp lệ")
            elif int(declared) > self.max_bytes:
                refused = self._too_large()
            if refused is not None:
                body = problem(refused.status_code, refused.code, str(refused.detail))
                response = problem_response(refused.status_code, body, {"Connection": "close"})
                await response(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, counted, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HosoError, _hoso_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)


# -- the contract: error responses of each route ---------------------------------------------------------

_DESCRIPTIONS: dict[int, str] = {
    400: "Nội dung không đọc được: JSON sai cú pháp, không phải UTF-8 hoặc chứa ký tự Unicode không hợp lệ",
    401: "Chưa đăng nhập hoặc mã truy cập không hợp lệ",
    403: "Sai vai trò hoặc ngoài thẩm quyền địa bàn",
    404: "Không tìm thấy",
    409: "Xung đột: phiên bản cũ hoặc bước không hợp lệ ở trạng thái hiện tại (kèm phiên bản hiện tại)",
    413: "Nội dung gửi lên vượt quá 1 MiB",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ hoặc chưa đủ điều kiện pháp lý",
    429: "Quá nhiều yêu cầu; thử lại sau số giây trong Retry-After",
    500: "Lỗi ngoài dự kiến của máy chủ",
}


def problem_responses(*statuses: int, conflict: str = "ProblemDetails") -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each a problem-details body."""
    declared: dict[int | str, dict[str, Any]] = {}
    for status in (*statuses, 500):
        schema = conflict if status == 409 else "ProblemDetails"
        entry: dict[str, Any] = {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "Số giây cần chờ trước khi thử lại", "schema": {"type": "integer"}}
            }
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": {"description": "Luôn là Bearer", "schema": {"type": "string"}}}
        declared[status] = entry
    return declared
