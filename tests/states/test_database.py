"""Transactions and reads: a reader sees committed data only, and never queues behind a writer."""

from __future__ import annotations

import pytest

from tests.conftest import World

POSITIVE = {
    "tested_at": "2026-03-02T08:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}


class _Abort(Exception):
    pass


def test_reader_sees_the_committed_snapshot_while_a_writer_holds_its_transaction(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    with pytest.raises(_Abort), world.db.transaction() as writer:
        writer.close_open_tasks(dossier.id, at=world.clock.now(), seq=3, by=world.actors["police"].user_id)
        # A second connection while the write is uncommitted: on SQLite a reader that asked for the write
        # lock would wait here for the 30-second busy timeout and fail.
        with world.db.reading() as reader:
            statuses = [task["status"] for task in reader.tasks(dossier.id)]
        assert statuses == ["closed", "open"]
        raise _Abort  # roll the writer back
    with world.db.reading() as reader:
        assert [task["status"] for task in reader.tasks(dossier.id)] == ["closed", "open"]
