"""How a form is numbered and headed: its kind (from the start of its title) and the issuing agency's lines
(``config/documents.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from config import CONFIG_DIR
from states.yaml_loading import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocKind(_Strict):
    prefix: str = ""
    abbr: str | None = None
    citizen: bool = False
    unverified: bool = False


class Agency(_Strict):
    parent: str
    abbr: str
    unverified: bool = False


class DocumentRules(_Strict):
    doc_types: tuple[DocKind, ...]
    default_doc_type: DocKind
    agencies: dict[str, Agency]
    default_agency: Agency

    def kind_of(self, title: str) -> DocKind:
        """The kind whose prefix starts the title (longest first); the default kind otherwise."""
        matching = [kind for kind in self.doc_types if title.startswith(kind.prefix)]
        return max(matching, key=lambda kind: len(kind.prefix)) if matching else self.default_doc_type

    def agency(self, unit_kind: str) -> Agency:
        return self.agencies.get(unit_kind, self.default_agency)


@lru_cache(maxsize=4)
def document_rules(path: Path = CONFIG_DIR / "documents.yaml") -> DocumentRules:
    return load_model(path, DocumentRules)
