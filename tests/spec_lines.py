"""The "## States and transitions" section of the research files (shared/procedures/0[1-8]*.md), as data
(with a "States and transitions:" list inside another section: file 03 has one under ``## Branch S``).

A line there holds one or more backquoted chains; lines without one are ignored, and text outside
the backquotes is commentary. The forms that occur in the eight files:

- ``A --event (role|role)--> B``, with an optional guard ``[…]`` before the roles; the roles may be free text
  (``(proposer: x | y from 01/03/2025)``, ``(escort_police → facility_director)``) or absent
  (``--addicted--> B``, ``--concluded_* --> B``). Roles and guards are kept as written, never compared.
- several sources ``A|B``; ``A|...|B`` (a range: only the named ends are checked); ``any`` / ``any state``
  (every open state); a qualifier after a source (``SERVING [M]``, ``UNDER_MANAGEMENT [date ≥ …]``,
  ``*_UNDER_CONSIDERATION (after decision)``) is dropped.
- a continuation ``--event2 (role)--> C``, inside the same backquotes or in the next ones after some
  commentary: its source is the previous destination — except the complementary outcome of the same step
  (``--addicted--> X`` then ``--not_addicted--> Y``), which leaves from the same source as its sibling.
- a chain that starts with ``--`` on its line takes its source from the words before it: ``any state`` /
  ``Any state`` / ``Regime: any state`` is every open state; ``any pre-decision state`` or no words at all is
  a scoped "some states" source that names no state.
- destinations ``B``, ``same state``, ``A|B`` and ``A | B`` (each one is a spec transition),
  ``[file 07] X`` (a state of another procedure), ``X@new_commune`` (X), ``(sub-flag …)`` (same state) and
  ``(state implied by …)`` (not specified).
- events ``e``, alternatives ``e1|e2`` and ``e1 ∨ e2`` (each one is a spec transition), a wildcard
  ``concluded_*``, and an event with a condition (``found ∧ complies``, ``inpatient_days>10 [A] ∨ (…)``):
  the leading name is the event, the rest is guard text.
- wildcard states ``DECIDED_*_PENDING_REMEDIES`` and ``DECISION_EFFECTIVE_*`` expand to the named states of
  the file; a wildcard source with several destinations pairs each source with the destination of the same
  variable part (``DECIDED_APPLY_PENDING_REMEDIES`` → ``DECISION_EFFECTIVE_APPLY``) when such a pairing
  exists.

Run ``python -m tests.spec_lines`` to print what is parsed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SPEC_DIR = Path(os.environ.get("HOSO_SPEC_DIR", Path(__file__).resolve().parents[2] / "shared" / "procedures"))
"""The research files; ``HOSO_SPEC_DIR`` overrides the default (``shared/procedures`` beside the project)."""

SPEC_FILES = {
    "addiction_determination": "01",
    "drug_user_management": "02",
    "voluntary_rehab": "03",
    "commune_education": "04",
    "compulsory_rehab_adult": "05",
    "compulsory_rehab_minor": "06",
    "compulsory_rehab_execution": "07",
    "post_rehab_supervision": "08",
}
"""Procedure code → number of its research file."""

SECTION = "## States and transitions"
SUBSECTION = "States and transitions:"
ANY = "any"
"""Source: every open state."""
SOME = "some"
"""Source: some states the spec does not name (``any pre-decision state``, a chain with no source)."""
SAME = "same state"
UNSPECIFIED = "unspecified"
"""Destination the spec does not name (``(state implied by the final decision)``)."""

SourceKind = Literal["state", "any", "some"]
DestKind = Literal["state", "same", "external", "unspecified"]

_CHAIN = re.compile(r"`([^`]*-->[^`]*)`")
_STATE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_STATE_PATTERN = re.compile(r"^[A-Z*][A-Z0-9_*]*$")
_EVENT = re.compile(r"^[a-z][a-z0-9_]*\*?[a-z0-9_]*$")
_LEADING_NAME = re.compile(r"[a-z][a-z0-9_]*\*?")
_EXTERNAL = re.compile(r"^\[file\s+(\d+)\]\s*(.+)$")
_ANY_PREFIX = re.compile(r"(?:^|[\s:])any(?:\s+state)?\s*:?\s*$", re.IGNORECASE)


def normalise(text: str) -> str:
    """Spec text compared as written: no backquotes, no list bullet, runs of whitespace collapsed."""
    return " ".join(text.replace("`", "").split()).removeprefix("- ").removeprefix("* ")


@dataclass(frozen=True)
class SpecTransition:
    """One (source, event, destination) the spec asks for."""

    source: str
    """A spec state name, or ``ANY`` / ``SOME``."""
    source_kind: SourceKind
    event: str
    """An event name; may hold ``*`` (``concluded_*``)."""
    dest: str
    """A spec state name (of this procedure, or of another one when ``dest_kind`` is ``external``), or
    ``SAME`` / ``UNSPECIFIED``."""
    dest_kind: DestKind
    segment: str
    """The backquoted chain this comes from, normalised."""
    guard: str = ""
    roles: str = ""
    scope: str = ""
    """For a ``SOME`` source: the words that limit it (``any pre-decision state``)."""

    def __str__(self) -> str:
        source = f"{self.source} ({self.scope})" if self.source_kind == "some" and self.scope else self.source
        dest = f"[other procedure] {self.dest}" if self.dest_kind == "external" else self.dest
        return f"{source} --{self.event}--> {dest}"


@dataclass(frozen=True)
class SpecLine:
    number: int
    """1-based line number in the file."""
    raw: str
    prefix: str
    """The words before the first chain (``any state``, ``Regime: any state``)."""
    chains: tuple[str, ...]
    """The backquoted chains of the line, normalised."""
    transitions: tuple[SpecTransition, ...]
    notes: tuple[str, ...] = ()
    """What the parser could not read as a state or an event (shown, never silently dropped)."""

    @property
    def text(self) -> str:
        """The line's chain text: what a ``spec_departures`` entry names."""
        return " ".join(self.chains)

    @property
    def full(self) -> str:
        """The whole line, normalised (commentary included)."""
        return normalise(self.raw)

    def covered_by(self, departure: str) -> frozenset[str]:
        """The chains of this line a ``spec_departures`` text names (empty: it does not name this line).

        A departure names the line's chain text, or one of its backquoted chains, or a piece of the line as
        written (``any state --regime_change (system)--> same state``, a chain with its commentary) that
        holds whole chains: then it covers those chains.
        """
        text = normalise(departure)
        if text == self.text:
            return frozenset(self.chains)
        if text not in self.full:
            return frozenset()
        return frozenset(chain for chain in self.chains if chain in text)


@dataclass(frozen=True)
class SpecFile:
    path: Path
    lines: tuple[SpecLine, ...]
    states: frozenset[str]

    @property
    def transitions(self) -> Iterator[tuple[SpecLine, SpecTransition]]:
        for line in self.lines:
            for transition in line.transitions:
                yield line, transition

    def lines_named_by(self, departure: str) -> list[SpecLine]:
        return [line for line in self.lines if line.covered_by(departure)]


# --- reading one hop: `SOURCE --label--> DEST` ---


@dataclass
class _Hop:
    source: str | None
    """Source text as written; None for a continuation."""
    label: str
    dest: str


@dataclass
class _Label:
    events: tuple[str, ...]
    guard: str
    roles: str
    notes: list[str] = field(default_factory=list)


def _hops(chain: str) -> list[_Hop]:
    parts = chain.split("-->")
    hops: list[_Hop] = []
    head, _, label = parts[0].partition("--")
    source: str | None = head.strip() or None
    for part in parts[1:]:
        dest, sep, next_label = part.partition("--")
        hops.append(_Hop(source=source, label=label.strip(), dest=dest.strip()))
        source, label = None, next_label
        if not sep:
            break
    return hops


def _groups(text: str, opening: str, closing: str) -> tuple[str, list[str]]:
    """``text`` without its top-level ``opening…closing`` groups, and the groups."""
    rest: list[str] = []
    groups: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == opening:
            depth += 1
            if depth == 1:
                current = []
                continue
        elif char == closing and depth:
            depth -= 1
            if depth == 0:
                groups.append("".join(current).strip())
                continue
        (current if depth else rest).append(char)
    return "".join(rest), groups


def _split_top(text: str, separators: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if depth == 0 and char in separators:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _label(label: str) -> _Label:
    roles = ""
    text = label.strip()
    if text.endswith(")"):
        depth = 0
        for index in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[index], 0)
            if depth == 0:
                roles, text = text[index + 1 : -1].strip(), text[:index].strip()
                break
    expression, guards = _groups(text, "[", "]")
    expression = " ".join(expression.split())
    alternatives = [part for part in _split_top(expression, "|∨") if part]
    if alternatives and all(_EVENT.match(part) for part in alternatives):
        return _Label(events=tuple(alternatives), guard="; ".join(guards), roles=roles)
    found = _LEADING_NAME.search(expression)
    if found is None:
        return _Label(events=(), guard="; ".join(guards), roles=roles, notes=[f"no event in {label!r}"])
    condition = expression[found.end() :].strip().removeprefix("∧").strip()
    return _Label(events=(found.group(),), guard="; ".join([condition, *guards]).strip("; "), roles=roles)


# --- sources and destinations ---


@dataclass(frozen=True)
class _Place:
    """Where a hop leaves from or goes to, before wildcards are expanded."""

    kind: Literal["state", "any", "some", "same", "external", "unspecified"]
    names: tuple[str, ...] = ()
    scope: str = ""


def _source(text: str, notes: list[str]) -> _Place:
    bare, _ = _groups(text, "[", "]")
    bare, _ = _groups(bare, "(", ")")
    names: list[str] = []
    for part in (p.strip() for p in bare.split("|")):
        if part.lower() in {"any", "any state"}:
            return _Place("any")
        if part in {"...", "…"}:
            continue
        if _STATE_PATTERN.match(part):
            names.append(part)
        else:
            notes.append(f"source {part!r} is not a state name")
    return _Place("state", tuple(names))


def _dest(text: str, notes: list[str]) -> _Place:
    if text.lower() == SAME:
        return _Place("same")
    if text.startswith("("):
        return _Place("same") if "flag" in text else _Place("unspecified", scope=text)
    external = _EXTERNAL.match(text)
    if external:
        return _Place("external", (external.group(2).strip(),), scope=f"file {external.group(1)}")
    names: list[str] = []
    for part in (p.strip().partition("@")[0] for p in text.split("|")):
        if _STATE_PATTERN.match(part):
            names.append(part)
        else:
            notes.append(f"destination {part!r} is not a state name")
    return _Place("state", tuple(names))


def _prefix_source(prefix: str) -> _Place:
    words = " ".join(prefix.lstrip("-* ").split()).removeprefix("(").removesuffix(")")
    if _ANY_PREFIX.search(words):
        return _Place("any")
    return _Place("some", scope=words or "no source written")


def _complementary(first: Iterable[str], second: Iterable[str]) -> bool:
    return any(a == f"not_{b}" or b == f"not_{a}" for a in first for b in second)


# --- wildcards ---


def _expand(names: Iterable[str], states: frozenset[str]) -> list[tuple[str, str | None]]:
    """Each name with the text its ``*`` stands for (None for a plain name)."""
    result: list[tuple[str, str | None]] = []
    for name in names:
        if "*" not in name:
            result.append((name, None))
            continue
        regex = re.compile("^" + re.escape(name).replace(r"\*", "(.+)") + "$")
        for state in sorted(states):
            found = regex.match(state)
            if found:
                result.append((state, found.group(1)))
    return result


def _pairs(sources: list[tuple[str, str | None]], dests: list[str]) -> list[tuple[str, str]]:
    """(source, destination) pairs: by the variable part of a wildcard source when it picks one destination
    for every source, otherwise every source with every destination."""
    captures = [capture for _, capture in sources if capture is not None]
    if len(dests) > 1 and sources and len(captures) == len(sources):
        first = captures[0]
        patterns = sorted({d[: d.rfind(first)] + "*" + d[d.rfind(first) + len(first) :] for d in dests if first in d})
        for pattern in patterns:
            paired = [(name, pattern.replace("*", capture or "")) for name, capture in sources]
            if all(dest in dests for _, dest in paired):
                return paired
    return [(name, dest) for name, _ in sources for dest in dests]


# --- a file ---


def parse_text(text: str, path: Path = Path("<text>")) -> SpecFile:
    section = _section(text)
    raw_lines: list[tuple[int, str, str, list[str], list[list[_Hop]]]] = []
    heading = ""
    for number, raw in section:
        chains = [normalise(found) for found in _CHAIN.findall(raw)]
        if not chains:
            if raw.strip() and not raw.lstrip().startswith(("-", "*")):
                heading = normalise(raw).rstrip(":")
            continue
        prefix = raw[: raw.index("`")]
        if not prefix.strip("-* ") and _hops(chains[0])[0].source is None and heading:
            prefix = f"{prefix}({heading})"
        raw_lines.append((number, raw, prefix, chains, [_hops(chain) for chain in chains]))
    named: set[str] = set()
    for *_, hop_lists in raw_lines:
        for hops in hop_lists:
            for hop in hops:
                scratch: list[str] = []
                if hop.source is not None:
                    named.update(n for n in _source(hop.source, scratch).names if "*" not in n)
                dest = _dest(hop.dest, scratch)
                if dest.kind == "state":
                    named.update(n for n in dest.names if "*" not in n)
    states = frozenset(named)
    lines = [
        _line(number, raw, prefix, chains, hop_lists, states) for number, raw, prefix, chains, hop_lists in raw_lines
    ]
    return SpecFile(path=path, lines=tuple(lines), states=states)


def _section(text: str) -> list[tuple[int, str]]:
    """The lines of ``## States and transitions``, and of a ``States and transitions:`` list inside another
    section (file 03 keeps the substitution-therapy branch in one under ``## Branch S``)."""
    inside = False
    block = False
    found: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if raw.startswith("## "):
            inside, block = stripped == SECTION, False
            continue
        if not inside and stripped == SUBSECTION:
            block = True
            continue
        if block and stripped and not stripped.startswith("- "):
            block = False
        if inside or block:
            found.append((number, raw))
    return found


def _line(
    number: int, raw: str, prefix: str, chains: list[str], hop_lists: list[list[_Hop]], states: frozenset[str]
) -> SpecLine:
    notes: list[str] = []
    transitions: list[SpecTransition] = []
    current: _Place | None = None
    current_names: list[tuple[str, str | None]] = []
    previous_source: tuple[_Place, list[tuple[str, str | None]]] | None = None
    previous_events: tuple[str, ...] = ()
    for chain, hops in zip(chains, hop_lists, strict=True):
        for hop in hops:
            label = _label(hop.label)
            notes += label.notes
            if hop.source is not None:
                place = _source(hop.source, notes)
                names = _expand(place.names, states)
            elif current is None:
                place, names = _prefix_source(prefix), []
            elif previous_source is not None and _complementary(previous_events, label.events):
                place, names = previous_source
            else:
                place, names = current, current_names
            dest = _dest(hop.dest, notes)
            transitions += _transitions(place, names, label, dest, states, chain)
            previous_source, previous_events = (place, names), label.events
            if dest.kind == "same":
                current, current_names = place, names
            else:
                current = _Place("state", dest.names) if dest.kind in {"state", "external"} else dest
                current_names = _expand(dest.names, states)
    return SpecLine(
        number=number,
        raw=raw,
        prefix=" ".join(prefix.split()),
        chains=tuple(chains),
        transitions=tuple(dict.fromkeys(transitions)),
        notes=tuple(notes),
    )


def _transitions(
    place: _Place,
    names: list[tuple[str, str | None]],
    label: _Label,
    dest: _Place,
    states: frozenset[str],
    chain: str,
) -> list[SpecTransition]:
    dest_kind: DestKind
    if dest.kind == "same":
        dest_names, dest_kind = [SAME], "same"
    elif dest.kind == "unspecified":
        dest_names, dest_kind = [UNSPECIFIED], "unspecified"
    elif dest.kind == "external":
        dest_names, dest_kind = list(dest.names), "external"
    else:
        dest_names, dest_kind = [name for name, _ in _expand(dest.names, states)], "state"
    if place.kind in {"any", "some"}:
        kind: SourceKind = "any" if place.kind == "any" else "some"
        pairs = [(ANY if kind == "any" else SOME, d) for d in dest_names]
    else:
        kind = "state"
        pairs = _pairs(names, dest_names)
    return [
        SpecTransition(
            source=source,
            source_kind=kind,
            event=event,
            dest=destination,
            dest_kind=dest_kind,
            segment=chain,
            guard=label.guard,
            roles=label.roles,
            scope=place.scope,
        )
        for event in label.events
        for source, destination in pairs
    ]


def spec_path(code: str, spec_dir: Path | None = None) -> Path | None:
    """The research file of a procedure code, if there is one."""
    number = SPEC_FILES.get(code)
    folder = spec_dir or SPEC_DIR
    if number is None or not folder.is_dir():
        return None
    found = sorted(folder.glob(f"{number}-*.md"))
    return found[0] if found else None


def parse_file(path: Path) -> SpecFile:
    return parse_text(path.read_text(encoding="utf-8"), path)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(SPEC_DIR.glob("0[1-8]*.md"))
    for path in paths:
        spec = parse_file(path)
        print(f"=== {path.name}: {len(spec.states)} states: {' '.join(sorted(spec.states))}")
        for line in spec.lines:
            print(f"{line.number:4}: {line.text}" + (f"   [prefix: {line.prefix}]" if line.prefix.strip("- ") else ""))
            for transition in line.transitions:
                extra = f"   guard: {transition.guard}" if transition.guard else ""
                print(f"        {transition}{extra}")
            for note in line.notes:
                print(f"        NOTE: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
