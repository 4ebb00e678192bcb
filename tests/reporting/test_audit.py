from __future__ import annotations

import pytest
from sqlalchemy import text

from hashwatch.reporting import audit
from hashwatch.store.engine import Database


def _append(db: Database, n: int) -> None:
    for i in range(n):
        with db.transaction() as session:
            audit.record(
                session,
                actor="tester",
                action="thing.change",
                object_type="thing",
                object_id=i,
                before={"n": i},
                after={"n": i + 1, "名称": "海淀"},
            )


def _verify(db: Database) -> audit.ChainReport:
    with db.read() as session:
        return audit.verify_chain(session)


def test_an_untouched_chain_verifies(db: Database) -> None:
    _append(db, 5)
    report = _verify(db)
    assert report.ok
    assert report.rows_checked == 5


def test_an_empty_chain_verifies(db: Database) -> None:
    assert _verify(db) == audit.ChainReport(0, True)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "intruder"),
        ("after_json", '{"n":99}'),
        ("before_json", None),
        ("object_id", "x"),
        ("action", "thing.delete"),
    ],
)
def test_an_edited_row_is_named(db: Database, column: str, value: str | None) -> None:
    _append(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = 3"), {"v": value})
    report = _verify(db)
    assert not report.ok
    assert report.bad_row_id == 3
    assert report.problem == "row 3 was altered"


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_row(db: Database) -> None:
    _append(db, 4)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET row_sha256 = :h WHERE id = 2"), {"h": "f" * 64})
    report = _verify(db)
    assert report.bad_row_id == 2


def test_a_deleted_row_is_named(db: Database) -> None:
    _append(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    report = _verify(db)
    assert not report.ok
    assert report.bad_row_id == 2
    assert "missing" in (report.problem or "")


def test_deleting_the_newest_rows_is_detected(db: Database) -> None:
    _append(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id >= 4"))
    report = _verify(db)
    assert not report.ok
    assert report.bad_row_id == 4


def test_reordered_rows_are_detected(db: Database) -> None:
    _append(db, 5)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET id = 100 WHERE id = 2"))
        conn.execute(text("UPDATE audit_log SET id = 2 WHERE id = 3"))
        conn.execute(text("UPDATE audit_log SET id = 3 WHERE id = 100"))
    report = _verify(db)
    assert not report.ok
    assert report.bad_row_id == 2


def test_rows_hash_their_predecessor(db: Database) -> None:
    _append(db, 3)
    with db.read() as session:
        rows = session.execute(text("SELECT prev_sha256, row_sha256 FROM audit_log ORDER BY id"))
        pairs = list(rows)
    assert pairs[0][0] == audit.GENESIS_SHA256
    assert pairs[1][0] == pairs[0][1]
    assert pairs[2][0] == pairs[1][1]
