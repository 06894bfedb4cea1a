"""The Mermaid diagrams committed under docs/procedures/ are those of the procedure files as they are."""

from __future__ import annotations

from pathlib import Path

from states.diagrams import diagram_file_name, mermaid_document
from states.procedures import Rulebook

DIAGRAMS = Path(__file__).resolve().parents[1] / "docs" / "procedures"


def test_every_procedure_version_has_its_current_diagram(rulebook: Rulebook) -> None:
    expected = {diagram_file_name(c.definition): mermaid_document(c.definition) for c in rulebook.all_versions()}
    committed = {path.name: path.read_text(encoding="utf-8") for path in DIAGRAMS.glob("*.md")}
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    orphans = sorted(set(committed) - set(expected))
    assert not stale and not orphans, (
        f"run `hoso procedures diagrams`: outdated or missing {stale}, no longer a procedure version {orphans}"
    )
