"""The one place where domain errors become HTTP responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from states.errors import (
    AuthenticationError,
    ConflictError,
    DefinitionError,
    HosoError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

_STATUS: tuple[tuple[type[HosoError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (DefinitionError, 500),
)

_FIELD_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "string_pattern_mismatch": "sai định dạng",
    "dict_type": "phải là đối tượng JSON",
    "json_invalid": "JSON không hợp lệ",
    "model_attributes_type": "phải là đối tượng JSON",
}


def status_for(error: HosoError) -> int:
    for error_type, status in _STATUS:
        if isinstance(error, error_type):
            return status
    return 400


def _code(error: HosoError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


async def _hoso_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HosoError)
    status = status_for(error)
    body: dict[str, Any] = {"detail": error.message, "code": _code(error), **error.details}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content=body, headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path"))
        problems.append(f"{location or 'nội dung'}: {_FIELD_MESSAGES.get(item.get('type', ''), item.get('msg', ''))}")
    return JSONResponse(
        status_code=422,
        content={"detail": "Dữ liệu gửi lên không hợp lệ — " + "; ".join(problems), "code": "invalid_request"},
    )


_HTTP_MESSAGES = {
    401: "Chưa đăng nhập hoặc mã truy cập không hợp lệ",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy địa chỉ yêu cầu",
    405: "Phương thức không được hỗ trợ cho địa chỉ này",
}


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    """Errors raised by the framework itself (no token, unknown route), in Vietnamese."""
    assert isinstance(error, StarletteHTTPException)
    detail = _HTTP_MESSAGES.get(error.status_code, str(error.detail))
    return JSONResponse(
        status_code=error.status_code, content={"detail": detail, "code": "http_error"}, headers=error.headers
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(HosoError, _hoso_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
