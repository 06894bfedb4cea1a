"""The audit of all histories: signed checkpoints of every dossier's head, and a verification of every row
against its chain, its seal and the checkpoints.

A checkpoint lists the head (dossier, seq, hash) of each dossier that gained rows since the previous one, is
chained to the previous checkpoint by its digest, and is signed with an Ed25519 key kept outside the database
(``HOSO_CHECKPOINT_KEY_FILE``). Exported to the procuracy, the checkpoints let anyone holding the public key
show that a row existing at a checkpoint was later rewritten — even by someone who also held the history key.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from states.errors import HosoError
from states.history import GENESIS_HASH, verify_chain
from states.history_seal import HistoryKeys
from states.store.database import Database
from states.store.repository import Record

CHECKPOINT_EVERY = timedelta(days=1)


class CheckpointKeyError(HosoError):
    pass


@dataclass(frozen=True)
class CheckpointKey:
    private: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, path: Path) -> CheckpointKey:
        """The key in ``path`` (PEM, PKCS#8), created with owner-only permissions when the file is missing."""
        if path.is_file():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as error:
                raise CheckpointKeyError(f"Không đọc được khóa ký điểm kiểm tra lịch sử: {path}") from error
            if not isinstance(key, Ed25519PrivateKey):
                raise CheckpointKeyError(f"Khóa ký điểm kiểm tra lịch sử phải là khóa Ed25519: {path}")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
        return cls(key)

    @property
    def public_hex(self) -> str:
        return public_hex(self.private.public_key())

    def sign(self, digest: str) -> str:
        return self.private.sign(digest.encode()).hex()


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def checkpoint_digest(previous: str, created_at: str, last_history_id: int, heads: Iterable[Iterable[Any]]) -> str:
    body = {
        "previous": previous,
        "created_at": created_at,
        "last_history_id": last_history_id,
        "heads": [list(head) for head in heads],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_checkpoint(db: Database, key: CheckpointKey, now: datetime) -> Record:
    """Sign the heads that changed since the last checkpoint (all of them the first time)."""
    with db.transaction() as repo:
        last = repo.audit.last_checkpoint()
        since = int(last["last_history_id"]) if last is not None else 0
        previous = str(last["digest"]) if last is not None else GENESIS_HASH
        up_to = repo.audit.max_history_id()
        heads = repo.audit.heads_after(since, up_to)
        created_at = now.isoformat(timespec="microseconds")
        digest = checkpoint_digest(previous, created_at, up_to, heads)
        values = {
            "created_at": now,
            "previous_digest": previous,
            "last_history_id": up_to,
            "heads": [list(head) for head in heads],
            "dossiers": len(heads),
            "digest": digest,
            "signature": key.sign(digest),
            "public_key": key.public_hex,
        }
        checkpoint_id = repo.audit.insert_checkpoint(**values)
    return {"id": checkpoint_id, **values}


def checkpoint_if_due(
    db: Database, key: CheckpointKey, now: datetime, every: timedelta = CHECKPOINT_EVERY
) -> Record | None:
    """A checkpoint when none was written in the last ``every`` (the sweep flow asks at each run)."""
    with db.reading() as repo:
        last = repo.audit.last_checkpoint()
    if last is not None and now - last["created_at"] < every:
        return None
    return write_checkpoint(db, key, now)


@dataclass
class AuditReport:
    dossiers: int = 0
    rows: int = 0
    checkpoints: int = 0
    broken: list[Record] = field(default_factory=list)
    """Per broken dossier: its id, the first row that fails, and why."""
    checkpoint_problems: list[Record] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    """The dossiers that have history rows."""

    @property
    def valid(self) -> bool:
        return not self.broken and not self.checkpoint_problems

    def as_dict(self) -> Record:
        return {
            "valid": self.valid,
            "dossiers": self.dossiers,
            "rows": self.rows,
            "checkpoints": self.checkpoints,
            "broken": self.broken,
            "checkpoint_problems": self.checkpoint_problems,
        }


def verify_all(db: Database, keys: HistoryKeys, trusted_keys: Iterable[str]) -> AuditReport:
    """Every dossier against its chain and seals, and every checkpoint against its signature (by a trusted
    public key), its link to the previous one, and the rows it named."""
    report = AuditReport()
    trusted = set(trusted_keys)
    with db.reading() as repo:
        checkpoints = repo.audit.checkpoints()
        expected = _checkpoint_heads(checkpoints, trusted, report)
        versions = repo.audit.dossier_versions()
        seen: set[tuple[str, int]] = set()
        rows: list[Record] = []
        for row in repo.audit.history_in_chain_order():
            if rows and rows[-1]["dossier_id"] != row["dossier_id"]:
                _check_dossier(rows, keys, versions, expected, seen, report)
                rows = []
            rows.append(row)
        if rows:
            _check_dossier(rows, keys, versions, expected, seen, report)
    for dossier_id, seq in sorted(set(expected) - seen):
        report.checkpoint_problems.append({"dossier_id": dossier_id, "seq": seq, "reason": "checkpointed_row_missing"})
    for dossier_id in sorted(set(versions) - report.checked):
        report.broken.append({"dossier_id": dossier_id, "first_invalid_seq": 1, "reason": "missing_row"})
    return report


def _checkpoint_heads(checkpoints: list[Record], trusted: set[str], report: AuditReport) -> dict[tuple[str, int], str]:
    expected: dict[tuple[str, int], str] = {}
    previous = GENESIS_HASH
    for checkpoint in checkpoints:
        report.checkpoints += 1
        problem = None
        created_at = checkpoint["created_at"].isoformat(timespec="microseconds")
        digest = checkpoint_digest(
            checkpoint["previous_digest"], created_at, checkpoint["last_history_id"], checkpoint["heads"]
        )
        if checkpoint["previous_digest"] != previous:
            problem = "checkpoint_chain_broken"
        elif digest != checkpoint["digest"]:
            problem = "checkpoint_changed"
        elif checkpoint["public_key"] not in trusted:
            problem = "untrusted_key"
        elif not _signed(checkpoint["public_key"], checkpoint["signature"], digest):
            problem = "bad_signature"
        if problem is not None:
            report.checkpoint_problems.append({"checkpoint_id": checkpoint["id"], "reason": problem})
        previous = checkpoint["digest"]
        for dossier_id, seq, head_hash in checkpoint["heads"]:
            expected[(str(dossier_id), int(seq))] = str(head_hash)
    return expected


def _signed(public_key: str, signature: str, digest: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(bytes.fromhex(signature), digest.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_dossier(
    rows: list[Record],
    keys: HistoryKeys,
    versions: dict[str, int],
    expected: dict[tuple[str, int], str],
    seen: set[tuple[str, int]],
    report: AuditReport,
) -> None:
    dossier_id = str(rows[0]["dossier_id"])
    report.checked.add(dossier_id)
    report.dossiers += 1
    report.rows += len(rows)
    result = verify_chain(rows, keys)
    if result["valid"] and rows[-1]["seq"] != versions.get(dossier_id):
        result = {"valid": False, "first_invalid_seq": rows[-1]["seq"], "reason": "version_mismatch"}
    for row in rows:
        key = (dossier_id, int(row["seq"]))
        if key in expected:
            seen.add(key)
            if expected[key] != row["hash"]:
                report.checkpoint_problems.append(
                    {"dossier_id": dossier_id, "seq": row["seq"], "reason": "differs_from_checkpoint"}
                )
    if not result["valid"]:
        report.broken.append(
            {"dossier_id": dossier_id, "first_invalid_seq": result.get("first_invalid_seq"), "reason": result["reason"]}
        )


def seal_legacy_rows(db: Database, keys: HistoryKeys) -> int:
    """Seal the rows written before seals existed, dossier by dossier, only where the chain is whole."""
    sealed = 0
    with db.reading() as repo:
        pending = repo.audit.unsealed_dossiers()
    for dossier_id in pending:
        with db.transaction() as repo:
            rows = repo.audit.history_of(dossier_id)
            if not verify_chain(rows)["valid"]:
                raise HosoError(f"Chuỗi lịch sử của hồ sơ {dossier_id} đã hỏng: không niêm phong")
            seals = []
            for row in rows:
                if row["seal"] is None:
                    key_id, seal = keys.seal(dossier_id, int(row["seq"]), str(row["hash"]))
                    seals.append((int(row["id"]), key_id, seal))
            repo.audit.seal_rows(seals)
            sealed += len(seals)
    return sealed


def export_checkpoints(db: Database) -> Record:
    """All checkpoints, as a JSON document for the procuracy: anyone with the public key can check them."""
    with db.reading() as repo:
        checkpoints = repo.audit.checkpoints()
    return {
        "format": "hoso-history-checkpoints/1",
        "checkpoints": [
            {
                **{key: value for key, value in checkpoint.items() if key != "created_at"},
                "created_at": checkpoint["created_at"].isoformat(timespec="microseconds"),
            }
            for checkpoint in checkpoints
        ],
    }
