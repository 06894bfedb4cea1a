"""Mermaid state diagrams generated from a procedure definition, for legal review."""

from __future__ import annotations

from states.definitions import ANY_OPEN_STATE, SAME_STATE, ProcedureDefinition


def mermaid(definition: ProcedureDefinition) -> str:
    lines = [
        "---",
        f"title: {definition.title_vi} ({definition.code}, hiệu lực từ {definition.version})",
        "---",
        "stateDiagram-v2",
    ]
    for name, state in definition.states.items():
        lines.append(f'    state "{state.title_vi}" as {name}')
    lines.append(f"    [*] --> {definition.initial_state}")
    from_any: list[str] = []
    for transition in definition.transitions:
        roles = ", ".join(transition.roles)
        label = transition.event + (f" [{', '.join(g.name for g in transition.guards)}]" if transition.guards else "")
        if ANY_OPEN_STATE in transition.source:
            dest = "giữ nguyên trạng thái" if transition.dest == SAME_STATE else transition.dest
            from_any.append(f"{label} → {dest} ({roles})")
            continue
        for source in transition.source:
            dest = source if transition.dest == SAME_STATE else transition.dest
            lines.append(f"    {source} --> {dest} : {label} ({roles})")
    for final in sorted(definition.final_states):
        lines.append(f"    {final} --> [*]")
    if from_any:
        lines.append(f"    note right of {definition.initial_state}")
        lines.append("        Từ mọi trạng thái chưa kết thúc:")
        lines.extend(f"        {entry}" for entry in from_any)
        lines.append("    end note")
    return "\n".join(lines) + "\n"


def diagram_file_name(definition: ProcedureDefinition) -> str:
    return f"{definition.code}-{definition.version}.md"


def mermaid_document(definition: ProcedureDefinition) -> str:
    """A Markdown page with the diagram, as committed under docs/procedures/ for legal review."""
    regimes = ", ".join(definition.regimes)
    return (
        f"# {definition.title_vi} — phiên bản {definition.version} ({regimes})\n\n"
        f"Sinh từ `config/procedures/{definition.code}/{definition.version}.yaml` bằng `hoso procedures diagrams`; "
        "không sửa tay.\n\n```mermaid\n" + mermaid(definition) + "```\n"
    )
