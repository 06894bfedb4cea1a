"""What each official form says: its body, signature, addressees and recipients, as data
(``config/documents.d/*.yaml``), checked against the forms catalogue and the steps that request each form.

A form's strings are Jinja text over the blocks of ``documents.context.DocumentContext`` (``person``,
``dossier``, ``step``, ``agency``) and the form's own declared ``fields`` (``form.<name>``), each of which
names where its value comes from:

- ``step.<field>``: the payload of the step that requested the document;
- ``event.<event>.<field>``: the latest earlier step of that event in the dossier (or this one);
- ``happened.<event>``: "có" when that step is in the dossier's history up to this one, else empty (for
  ``when`` conditions: which conclusion was reached, whether custody was ordered …);
- ``document.<form code>``: number and date of the latest document of that form issued for the dossier.

A value that is absent prints as the dotted blank of a paper form, or as the field's ``default`` (empty for
``happened``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, TemplateSyntaxError, nodes
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config import CONFIG_DIR
from states.definitions import ProcedureDefinition
from states.errors import DefinitionError
from states.forms import FormCatalogue
from states.yaml_loading import load_model

BLANK = "…………………"
"""What a paper form leaves for a value nobody recorded."""
BLOCKS = frozenset({"person", "dossier", "step", "agency", "form"})
IDENTITY = "identity"
"""A body item printing the person's identity lines (name, date of birth, ID number, residence)."""
STEP_FACTS = "step_facts"
"""A body item printing every recorded field of the requesting step with its label."""
_SOURCE = re.compile(r"^(step\.[a-z0-9_]+|event\.[a-z0-9_]+\.[a-z0-9_]+|happened\.[a-z0-9_]+|document\.[a-z0-9_.]+)$")
_JINJA = Environment(autoescape=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSource(_Strict):
    """A value a form prints (``form.<name>``) and where it comes from."""

    source: str = Field(alias="from")
    default: str | None = None

    @property
    def fallback(self) -> str:
        if self.default is not None:
            return self.default
        return "" if self.kind == "happened" else BLANK

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if not _SOURCE.fullmatch(value):
            raise ValueError(
                "nguồn phải có dạng step.<trường>, event.<sự kiện>.<trường>, happened.<sự kiện> hoặc document.<mã mẫu>"
            )
        return value

    @property
    def kind(self) -> Literal["step", "event", "happened", "document"]:
        head = self.source.split(".", 1)[0]
        assert head in ("step", "event", "happened", "document")
        return head  # type: ignore[return-value]


class BodyItem(_Strict):
    """A body paragraph: bold ``lead`` ("Điều 1.") and Jinja ``text``, printed only ``when`` it holds."""

    text: str = ""
    lead: str = ""
    when: str = ""
    block: Literal["", "identity", "step_facts"] = ""


class Signer(_Strict):
    """Who signs and how (NĐ 30/2020 Điều 13, documents-spec §2.5): ``office`` above the name; ``collective``
    makes it "TM. <collective>"; ``deputy_of`` makes it "KT. <deputy_of>" (a deputy signing for the head).
    ``name`` says whose name is printed: the officer who recorded the step, or the person (citizen forms)."""

    office: str
    collective: str = ""
    deputy_of: str = ""
    name: Literal["officer", "person"] = "officer"


class FormBody(_Strict):
    issuer: str = ""
    """The kind of unit that issues the form when the step was recorded by another (e.g. ``commune_committee``
    for a certificate of a term the system closed): that unit of the dossier's commune (or province) issues
    it, signed by the holder of its head role (config/alerts.yaml ``heads``), else left for a hand signature."""
    title: str = ""
    """Printed title (kind of document); defaults to the catalogue title's kind ("QUYẾT ĐỊNH") or the title."""
    subtitle: str = ""
    """Trích yếu; defaults to "Về việc …" from the catalogue title for decisions."""
    authority: str = ""
    addressees: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    """Legal bases printed before those of the requesting transition ("Căn cứ …")."""
    proposal: str = ""
    """The last basis line ("Theo đề nghị của …")."""
    operative_heading: str = ""
    body: tuple[BodyItem, ...] = ()
    signer: Signer
    recipients: tuple[str, ...] = ()
    fields: dict[str, FieldSource] = Field(default_factory=dict)
    unverified: str = ""
    """Why the wording is hoso's best reading rather than the official form's text (empty when checked)."""

    @model_validator(mode="after")
    def _ends_with_text(self) -> FormBody:
        if not self.body or self.body[-1].block or self.body[-1].when or not self.body[-1].text.strip():
            raise ValueError("đoạn cuối của nội dung phải là một đoạn chữ luôn in (dấu ./. được thêm vào sau nó)")
        if self.body[-1].text.rstrip().endswith(("./.", ".")):
            raise ValueError("đoạn cuối không tự ghi dấu kết thúc: mẫu thêm ./. hoặc . (đơn) khi dựng")
        return self

    @field_validator("body", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [_item(entry) for entry in value]
        return value

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every Jinja string of the form, with where it sits (for error messages)."""
        for name in ("title", "subtitle", "authority", "proposal", "operative_heading"):
            yield name, getattr(self, name)
        for index, line in enumerate(self.addressees):
            yield f"addressees[{index}]", line
        for index, line in enumerate(self.bases):
            yield f"bases[{index}]", line
        for index, item in enumerate(self.body):
            yield f"body[{index}].text", item.text
            yield f"body[{index}].lead", item.lead
            if item.when:
                yield f"body[{index}].when", "{{ " + item.when + " }}"
        for name in ("office", "collective", "deputy_of"):
            yield f"signer.{name}", getattr(self.signer, name)
        for index, line in enumerate(self.recipients):
            yield f"recipients[{index}]", line


def _item(entry: object) -> object:
    if entry in (IDENTITY, STEP_FACTS):
        return {"block": entry}
    if isinstance(entry, str):
        return {"text": entry}
    return entry


class FormBodies(_Strict):
    forms: dict[str, FormBody]


@lru_cache(maxsize=4)
def form_bodies(config_dir: Path = CONFIG_DIR) -> dict[str, FormBody]:
    """Every ``documents.d`` fragment merged (a form described twice is an error)."""
    bodies: dict[str, FormBody] = {}
    for path in sorted((config_dir / "documents.d").glob("*.yaml")):
        for code, body in load_model(path, FormBodies).forms.items():
            if code in bodies:
                raise DefinitionError(f"{path}: mẫu {code} đã được mô tả ở tệp khác", path=str(path))
            bodies[code] = body
    return bodies


def requesting_events(definitions: list[ProcedureDefinition]) -> dict[str, list[tuple[ProcedureDefinition, str]]]:
    """Form code → every (procedure version, event) whose transition requests it."""
    found: dict[str, list[tuple[ProcedureDefinition, str]]] = {}
    for definition in definitions:
        for transition in definition.transitions:
            for code in transition.documents or ():
                pairs = found.setdefault(code, [])
                if (definition, transition.event) not in pairs:
                    pairs.append((definition, transition.event))
    return found


def problems(bodies: Mapping[str, FormBody], forms: FormCatalogue, definitions: list[ProcedureDefinition]) -> list[str]:
    """Everything wrong with the form bodies, in Vietnamese: unknown forms, forms without a body, Jinja that
    does not parse or reads an undeclared value, and sources no requesting step can provide."""
    found: list[str] = []
    requested = requesting_events(definitions)
    for code in sorted(set(bodies) - set(forms.forms)):
        found.append(f"{code}: không có trong danh mục mẫu (config/forms.yaml, forms.d)")
    for code in sorted(set(forms.forms) - set(bodies)):
        found.append(f"{code}: chưa có nội dung văn bản (config/documents.d)")
    for code, body in sorted(bodies.items()):
        found += [f"{code}: {problem}" for problem in _body_problems(body, requested.get(code, []), definitions)]
    return found


def _body_problems(
    body: FormBody, requesters: list[tuple[ProcedureDefinition, str]], definitions: list[ProcedureDefinition]
) -> Iterator[str]:
    for where, text in body.texts():
        if not text:
            continue
        try:
            tree = _JINJA.parse(text)
        except TemplateSyntaxError as error:
            yield f"{where}: cú pháp Jinja sai ({error.message})"
            continue
        for name in _names(tree):
            if name not in BLOCKS:
                yield f"{where}: biến {name!r} không có (chỉ dùng person, dossier, step, agency, form)"
        for used in _form_fields(tree):
            if used not in body.fields:
                yield f"{where}: form.{used} chưa được khai báo trong fields"
    for name, source in body.fields.items():
        yield from _source_problems(name, source, requesters, definitions)


def _source_problems(
    name: str,
    source: FieldSource,
    requesters: list[tuple[ProcedureDefinition, str]],
    definitions: list[ProcedureDefinition],
) -> Iterator[str]:
    parts = source.source.split(".")
    if source.kind == "step":
        if not any(parts[1] in _payload(definition, event) for definition, event in requesters):
            yield f"fields.{name}: không bước nào yêu cầu mẫu này có trường {parts[1]}"
    elif source.kind == "event":
        procedures = {definition.code for definition, _ in requesters}
        if not any(
            definition.code in procedures and parts[2] in _payload(definition, parts[1]) for definition in definitions
        ):
            yield f"fields.{name}: không thủ tục nào yêu cầu mẫu này có bước {parts[1]} với trường {parts[2]}"
    elif source.kind == "happened":
        procedures = {definition.code for definition, _ in requesters}
        if not any(definition.code in procedures and parts[1] in definition.events for definition in definitions):
            yield f"fields.{name}: không thủ tục nào yêu cầu mẫu này có bước {parts[1]}"


def _payload(definition: ProcedureDefinition, event: str) -> Mapping[str, object]:
    found = definition.events.get(event)
    return found.payload if found is not None else {}


def _names(tree: nodes.Template) -> set[str]:
    assigned = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"} - assigned


def _form_fields(tree: nodes.Template) -> set[str]:
    return {
        node.attr
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "form"
    }


def _describe(code: str, forms: FormCatalogue, requested: dict[str, list[tuple[ProcedureDefinition, str]]]) -> str:
    form = forms.forms[code]
    lines = [f"{code}: {form.title_vi} [{form.status}] — {form.source}"]
    for definition, event in requested.get(code, []):
        lines.append(f"  bước {event} của {definition.code} {definition.version}:")
        sources = [t for t in definition.transitions if t.event == event and code in (t.documents or ())]
        for transition in sources:
            roles = ", ".join(transition.roles)
            lines.append(f"    {'/'.join(transition.source)} → {transition.dest} (vai trò: {roles})")
        for name, field in definition.events[event].payload.items():
            choices = f" {dict(field.choices)}" if field.choices else ""
            required = " (bắt buộc)" if field.required else ""
            lines.append(f"    step.{name}: {field.type}{required} — {field.title_vi}{choices}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from states.procedures import load_rulebook

    parser = argparse.ArgumentParser(
        prog="python -m documents.bodies",
        description="Kiểm tra nội dung các mẫu văn bản (config/documents.d) với danh mục mẫu và các bước yêu cầu.",
    )
    parser.add_argument("--show", nargs="*", default=None, help="in các bước yêu cầu mẫu và trường của chúng")
    arguments = parser.parse_args(argv)
    rulebook = load_rulebook(CONFIG_DIR)
    definitions = [compiled.definition for compiled in rulebook.all_versions()]
    if arguments.show is not None:
        requested = requesting_events(definitions)
        for code in arguments.show or sorted(rulebook.forms.forms):
            print(_describe(code, rulebook.forms, requested))
        return 0
    found = problems(form_bodies(CONFIG_DIR), rulebook.forms, definitions)
    for problem in found:
        print(problem)
    print(f"{len(found)} lỗi")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
