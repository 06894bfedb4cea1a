"""A history no one can rewrite unseen: every row sealed with a key kept outside the database, signed
checkpoints of all heads, append-only tables on PostgreSQL — and a database administrator who edits a row and
recomputes every later hash is caught, naming the first broken row."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Executable, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.cli import app as cli_app
from config.settings import get_settings
from states.audit import CheckpointKey, checkpoint_if_due, export_checkpoints, seal_legacy_rows, verify_all
from states.history import row_hash
from states.history_seal import DEVELOPMENT_KEYS, HistoryKeys
from states.store.tables import history, history_checkpoints, task_events
from states.taskdesk import TaskDesk
from states.views import verify_history
from tests.conftest import Dossier, World, as_administrator
from tests.states.test_history import three_steps


def forge_from(world: World, dossier: Dossier, seq: int, keys: HistoryKeys | None = None) -> None:
    """Edit row ``seq`` and recompute its hash and every later hash and link (and with ``keys``, the seals)."""
    with as_administrator(world) as conn:
        rows = [
            dict(row)
            for row in conn.execute(
                select(history).where(history.c.dossier_id == dossier.id).order_by(history.c.seq)
            ).mappings()
        ]
        previous = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
        for row in rows[seq - 1 :]:
            if row["seq"] == seq:
                row["actor_username"] = "nguoi_sua"
            row["prev_hash"] = previous
            row["hash"] = row_hash(row, previous)
            values = {"actor_username": row["actor_username"], "prev_hash": previous, "hash": row["hash"]}
            if keys is not None:
                values["key_id"], values["seal"] = keys.seal(dossier.id, row["seq"], row["hash"])
            conn.execute(update(history).where(history.c.id == row["id"]).values(**values))
            previous = row["hash"]


def verify(world: World, dossier: Dossier, keys: HistoryKeys | None = DEVELOPMENT_KEYS) -> dict[str, Any]:
    with world.db.reading() as repo:
        return verify_history(repo, world.rulebook, dossier.id, world.actors["police"], keys)


@pytest.fixture
def key(tmp_path: Path) -> CheckpointKey:
    return CheckpointKey.load_or_create(tmp_path / "checkpoint.key.pem")


def test_every_row_is_sealed_under_the_history_key(world: World) -> None:
    dossier = three_steps(world)
    with world.db.reading() as repo:
        rows = repo.history(dossier.id)
    assert all(row["seal"] and row["key_id"] == DEVELOPMENT_KEYS.current_id for row in rows)
    assert verify(world, dossier)["valid"] is True
    # Under another key (a server that does not hold this one) the same rows do not verify.
    assert verify(world, dossier, HistoryKeys(b"another-key-" * 4))["reason"] == "unknown_key"
    # After a rotation the earlier key still verifies.
    rotated = HistoryKeys.of(b"the-new-history-key-of-this-server!!", [DEVELOPMENT_KEYS.current])
    assert verify(world, dossier, rotated)["valid"] is True


def test_a_rewritten_history_with_every_hash_recomputed_is_caught_at_its_first_row(
    world: World, key: CheckpointKey
) -> None:
    dossier = three_steps(world)
    untouched = three_steps(world)
    forge_from(world, dossier, 2)
    # The chain alone is whole again: that is what the seal is for.
    assert verify(world, dossier, keys=None)["valid"] is True
    result = verify(world, dossier)
    assert (result["valid"], result["first_invalid_seq"], result["reason"]) == (False, 2, "seal_mismatch")
    report = verify_all(world.db, DEVELOPMENT_KEYS, {key.public_hex})
    assert report.broken == [{"dossier_id": dossier.id, "first_invalid_seq": 2, "reason": "seal_mismatch"}]
    assert report.dossiers == 2 and verify(world, untouched)["valid"] is True


def test_a_forger_holding_the_history_key_is_caught_by_the_signed_checkpoint(world: World, key: CheckpointKey) -> None:
    dossier = three_steps(world)
    checkpoint = checkpoint_if_due(world.db, key, world.clock.now())
    assert checkpoint is not None and [dossier.id, 3] == checkpoint["heads"][0][:2]
    forge_from(world, dossier, 2, keys=DEVELOPMENT_KEYS)
    assert verify(world, dossier)["valid"] is True  # chain and seals recomputed with the stolen key
    report = verify_all(world.db, DEVELOPMENT_KEYS, {key.public_hex})
    assert not report.valid
    assert report.checkpoint_problems == [{"dossier_id": dossier.id, "seq": 3, "reason": "differs_from_checkpoint"}]


def test_checkpoints_chain_sign_only_what_changed_and_refuse_tampering(world: World, key: CheckpointKey) -> None:
    first, second = three_steps(world), three_steps(world)
    assert checkpoint_if_due(world.db, key, world.clock.now()) is not None
    assert checkpoint_if_due(world.db, key, world.clock.now() + timedelta(hours=23)) is None
    world.at("2026-03-02T08:45:00+07:00")
    first.fire("chief", "custody_ordered", _custody())
    later = checkpoint_if_due(world.db, key, world.clock.now() + timedelta(days=1))
    assert later is not None and [head[0] for head in later["heads"]] == [first.id]
    assert verify_all(world.db, DEVELOPMENT_KEYS, {key.public_hex}).valid
    exported = export_checkpoints(world.db)
    assert exported["format"] == "hoso-history-checkpoints/1" and len(exported["checkpoints"]) == 2
    assert {c["public_key"] for c in exported["checkpoints"]} == {key.public_hex}
    # A key the verifier does not trust, and a checkpoint edited afterwards, are both reported.
    assert verify_all(world.db, DEVELOPMENT_KEYS, set()).checkpoint_problems[0]["reason"] == "untrusted_key"
    with as_administrator(world) as conn:
        conn.execute(update(history_checkpoints).where(history_checkpoints.c.id == 1).values(dossiers=99, heads=[]))
    problems = verify_all(world.db, DEVELOPMENT_KEYS, {key.public_hex}).checkpoint_problems
    assert {"checkpoint_id": 1, "reason": "checkpoint_changed"} in problems
    assert second.id  # untouched


def _custody() -> dict[str, str]:
    return {
        "decision_number": "01/QĐ",
        "ordered_at": "2026-03-02T08:40:00+07:00",
        "custody_started_at": "2026-03-02T08:30:00+07:00",
        "custody_place": "Trụ sở Công an phường",
    }


def test_rows_written_before_seals_are_sealed_once_and_then_verify(world: World) -> None:
    dossier = three_steps(world)
    with as_administrator(world) as conn:
        conn.execute(update(history).where(history.c.dossier_id == dossier.id).values(seal=None, key_id=None))
    assert verify(world, dossier)["reason"] == "unsealed"
    assert seal_legacy_rows(world.db, DEVELOPMENT_KEYS) == 3
    assert verify(world, dossier)["valid"] is True
    assert seal_legacy_rows(world.db, DEVELOPMENT_KEYS) == 0


def test_the_cli_names_the_first_broken_row(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    dossier = three_steps(world)
    monkeypatch.setenv("HOSO_DATABASE_URL", world.db.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli_app, ["audit", "checkpoint"]).exit_code == 0
        good = runner.invoke(cli_app, ["audit", "verify"])
        assert good.exit_code == 0 and "Lịch sử toàn vẹn" in good.output, good.output
        forge_from(world, dossier, 2)
        bad = runner.invoke(cli_app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert bad.exit_code == 1
    assert f"Hồ sơ {dossier.id}: dòng 2 — niêm phong không khớp" in bad.output


@pytest.mark.postgres
def test_history_task_events_and_checkpoints_are_append_only_on_postgresql(world: World, key: CheckpointKey) -> None:
    if world.db.backend != "postgresql":
        pytest.skip("chỉ PostgreSQL có trình kích hoạt chỉ-ghi-thêm")
    dossier = three_steps(world)
    task_id = int(next(row["id"] for row in _tasks(world, dossier) if row["status"] == "open"))
    TaskDesk(world.rulebook, world.db, world.clock).claim(world.actors["police"], task_id)
    checkpoint_if_due(world.db, key, world.clock.now())
    refused: list[Executable] = [
        update(history).where(history.c.dossier_id == dossier.id).values(actor_username="x"),
        history.delete().where(history.c.dossier_id == dossier.id),
        update(task_events).values(note="x"),
        task_events.delete(),
        update(history_checkpoints).values(dossiers=0),
        history_checkpoints.delete(),
        text("TRUNCATE history CASCADE"),
        # Sealing is allowed only for a row without a seal: re-sealing a sealed row is refused.
        update(history).where(history.c.dossier_id == dossier.id, history.c.seq == 1).values(seal="0" * 64),
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="chỉ được ghi thêm"), world.db.engine.begin() as conn:
            conn.execute(statement)
    assert verify(world, dossier)["valid"] is True


def _tasks(world: World, dossier: Dossier) -> list[dict[str, Any]]:
    with world.db.reading() as repo:
        return repo.tasks(dossier.id)
