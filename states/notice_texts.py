"""The Vietnamese texts of notices (``config/notices.yaml``), rendered with jinja2; a missing variable is an
error, never an empty gap in a message sent to another agency."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

from config import CONFIG_DIR
from states.errors import DefinitionError
from states.legal_time import VN_TZ
from states.yaml_loading import read_yaml


def local_time(instant: datetime | None) -> str:
    """'16:30 ngày 28/04/2026' in Vietnamese time ('ngày 28/04/2026' for a fact recorded as a day); empty for
    no instant."""
    if instant is None:
        return ""
    local = instant.astimezone(VN_TZ)
    day = f"ngày {local.strftime('%d/%m/%Y')}"
    return day if (local.hour, local.minute, local.second) == (0, 0, 0) else f"{local.strftime('%H:%M')} {day}"


class NoticeTexts:
    def __init__(self, raw: dict[str, Any]) -> None:
        environment = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self._templates: dict[tuple[str, str], Template] = {}
        for kind, parts in raw.items():
            if isinstance(parts, str):
                parts = {"text": parts}
            for part, source in parts.items():
                self._templates[(kind, part)] = environment.from_string(str(source))

    def render(self, kind: str, part: str = "text", **context: Any) -> str:
        try:
            template = self._templates[(kind, part)]
        except KeyError:
            raise DefinitionError(f"Thiếu mẫu thông báo {kind}.{part} trong config/notices.yaml") from None
        return template.render(**context).strip()

    def parts(self) -> list[tuple[str, str]]:
        return sorted(self._templates)


@lru_cache(maxsize=4)
def notice_texts(path: Path = CONFIG_DIR / "notices.yaml") -> NoticeTexts:
    return NoticeTexts(read_yaml(path))
