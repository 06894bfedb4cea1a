"""The hash-chained history of a dossier: each row's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from states.history_seal import HistoryKeys

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "dossier_id",
    "seq",
    "event",
    "from_state",
    "to_state",
    "actor_user_id",
    "actor_username",
    "actor_role",
    "actor_unit",
    "regime",
    "occurred_at",
    "payload",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("history timestamps must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in history: {type(value).__name__}")


def canonical_json(row: Mapping[str, Any]) -> str:
    content = {name: row[name] for name in HASHED_FIELDS}
    # Rows written since the legal time of a fact was separated from the time of writing carry both.
    if row.get("recorded_at") is not None:
        content["recorded_at"] = row["recorded_at"]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256((prev_hash + canonical_json(row)).encode("utf-8")).hexdigest()


def verify_chain(rows: Iterable[Mapping[Any, Any]], keys: HistoryKeys | None = None) -> dict[str, Any]:
    """Re-compute the chain, and with ``keys`` each row's seal; report the first row that does not match (rows
    in ``seq`` order): ``missing_row``, ``broken_link``, ``content_changed``, or for the seal ``seal_mismatch``
    (rewritten by someone without the key), ``unsealed``, ``unknown_key``."""
    previous = GENESIS_HASH
    count = 0
    for expected_seq, row in enumerate(rows, start=1):
        count += 1
        if row["seq"] != expected_seq:
            return {"valid": False, "rows": count, "first_invalid_seq": expected_seq, "reason": "missing_row"}
        if row["prev_hash"] != previous:
            return {"valid": False, "rows": count, "first_invalid_seq": row["seq"], "reason": "broken_link"}
        if row_hash(row, previous) != row["hash"]:
            return {"valid": False, "rows": count, "first_invalid_seq": row["seq"], "reason": "content_changed"}
        if keys is not None:
            problem = keys.check(str(row["dossier_id"]), int(row["seq"]), row["hash"], row["key_id"], row["seal"])
            if problem is not None:
                return {"valid": False, "rows": count, "first_invalid_seq": row["seq"], "reason": problem}
        previous = row["hash"]
    return {"valid": True, "rows": count, "head_hash": previous}
