"""The catalogue of official forms (``config/forms.yaml``) that steps request."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from states.yaml_loading import load_model


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_vi: str
    source: str
    status: Literal["verified", "unverified", "engine"]


class FormCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    forms: dict[str, Form]


def load_forms(config_dir: Path) -> FormCatalogue:
    return load_model(config_dir / "forms.yaml", FormCatalogue)
