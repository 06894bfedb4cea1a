"""The declared purpose of a read (``X-Purpose`` header or ``purpose`` query field) and its record."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request

from api.deps import Services
from states.actors import Actor
from states.reads import Read, clean_purpose, record_read

PurposeHeader = Annotated[
    str | None,
    Header(
        alias="X-Purpose",
        max_length=1500,
        description="Mục đích xem (chữ UTF-8 mã hóa phần trăm, như encodeURIComponent); bắt buộc khi xem hồ sơ "
        "của người chưa thành niên",
    ),
]
PurposeQuery = Annotated[
    str | None,
    Query(alias="purpose", max_length=500, description="Mục đích xem, thay cho tiêu đề X-Purpose"),
]


def declared_purpose(header: str | None, query: str | None) -> str | None:
    """The purpose as the officer wrote it: the query field, or the header (percent-encoded UTF-8; raw UTF-8
    bytes, which HTTP carries as Latin-1, are read back as UTF-8)."""
    if query is not None and query.strip():
        return clean_purpose(query)
    if header is None:
        return None
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        header = header.encode("latin-1").decode("utf-8")
    return clean_purpose(unquote(header))


@dataclass(frozen=True)
class ReadRequest:
    """The request being answered and the purpose its officer declared."""

    request: Request
    purpose: str | None

    @property
    def query(self) -> str:
        return self.request.url.query


def read_request(request: Request, x_purpose: PurposeHeader = None, purpose: PurposeQuery = None) -> ReadRequest:
    return ReadRequest(request, declared_purpose(x_purpose, purpose))


ReadDep = Annotated[ReadRequest, Depends(read_request)]


def log_read(
    wired: Services, actor: Actor, read: ReadRequest, kind: str, target: str, dossier_id: str | None = None
) -> None:
    record_read(
        wired.db,
        actor,
        Read(kind=kind, target=target, path=read.request.url.path, purpose=read.purpose, dossier_id=dossier_id),
        wired.clock.now(),
    )
