"""The keyed audit chain and its anchors, against the rewrites of issue 12 (failure 9), on SQLite and PostgreSQL.

Each attack is run as someone who can write the database (triggers lifted where the attack needs it)
but holds neither the audit key nor the anchor file.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from assistant.records import AuditEntry, append_audit, verify_audit_chain
from assistant.records.audit_anchor import AnchorError, append_anchor, check_anchor, last_anchor, make_anchor
from assistant.records.audit_log import AuditKeyMissing, bind_audit_key, chain_hash
from assistant.records.models import GENESIS_HASH, AuditLog

KEY = "kanri-secret-audit-key-0123456789"
SQLITE_TRIGGERS = (
    "audit_log_no_update", "audit_log_no_delete", "audit_log_append_next",
    "audit_chain_head_forward", "audit_chain_head_no_delete", "audit_chain_head_no_insert",
)  # fmt: skip


def _fill(engine, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        append_audit(engine, AuditEntry(user="tanaka", task="ask", input_tokens=i, cost=0.001 * i))


def _verify(sessions, key=KEY):
    with sessions() as session:
        return verify_audit_chain(session, key)


def _as_owner(engine, *statements: str, **params) -> None:
    """Run SQL with every trigger of the audit tables lifted, as a database owner could."""
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            for table in ("audit_log", "audit_chain_head"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for name in SQLITE_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for statement in statements:
            conn.execute(text(statement), params)
        if postgres:
            for table in ("audit_log", "audit_chain_head"):
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _rows(sessions) -> list[dict]:
    with sessions() as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [
            {column.name: getattr(row, column.name) for column in AuditLog.__table__.columns} for row in rows
        ]


def _rechain(engine, sessions, start: int, key: bytes | None, **changes) -> None:
    """Change row `start` and recompute the chain from it to the end, then move the head."""
    rows = _rows(sessions)
    prev = rows[start - 2]["row_hash"] if start > 1 else GENESIS_HASH
    for row in rows[start - 1 :]:
        if row["id"] == start:
            row.update(changes)
        row["prev_hash"], row["row_hash"] = prev, chain_hash(prev, row, key)
        prev = row["row_hash"]
        _as_owner(
            engine,
            "UPDATE audit_log SET user_name = :u, cost = :c, prev_hash = :p, row_hash = :h WHERE id = :i",
            u=row["user_name"], c=row["cost"], p=row["prev_hash"], h=row["row_hash"], i=row["id"],
        )  # fmt: skip
    _as_owner(engine, "UPDATE audit_chain_head SET last_hash = :h WHERE id = 1", h=prev)


@pytest.fixture
def keyed(engine):
    return bind_audit_key(engine, KEY)


def _anchor(sessions, tmp_path):
    path = tmp_path / "anchors.jsonl"
    append_anchor(path, make_anchor(_verify(sessions), KEY))
    return path


def _against_anchor(sessions, path) -> str | None:
    with sessions() as session:
        result = verify_audit_chain(session, KEY)
        assert result.ok, result.reason  # each of these attacks leaves a chain that verifies on its own
        return check_anchor(session, result, last_anchor(path), KEY)


# --- what the database itself refuses --------------------------------------------------------------------


def test_replacing_or_inserting_out_of_turn_is_refused(keyed, sessions):
    _fill(keyed, 3)
    row = _rows(sessions)[1]
    if keyed.dialect.name == "sqlite":
        replace = (
            "INSERT OR REPLACE INTO audit_log (id, time, user_name, task, masked, chunk_ids, input_tokens, "
            "output_tokens, cost, outcome, extra, prev_hash, row_hash) VALUES (2, :t, 'mallory', 'ask', '{}', "
            "'[]', 0, 0, 0, 'ok', '{}', :p, :h)"
        )
    else:
        replace = (
            "INSERT INTO audit_log (id, time, user_name, task, masked, chunk_ids, input_tokens, output_tokens, "
            "cost, outcome, extra, prev_hash, row_hash) VALUES (2, :t, 'mallory', 'ask', '{}', '[]', 0, 0, 0, "
            "'ok', '{}', :p, :h) ON CONFLICT (id) DO UPDATE SET user_name = 'mallory'"
        )
    gap = replace.replace("(2,", "(9,").split(" ON CONFLICT")[0].replace("INSERT OR REPLACE", "INSERT")
    for statement in (replace, gap):
        with pytest.raises(DBAPIError, match="append-only"):
            with keyed.begin() as conn:
                conn.execute(text(statement), {"t": row["time"], "p": row["prev_hash"], "h": row["row_hash"]})
    assert [r["user_name"] for r in _rows(sessions)] == ["tanaka"] * 3
    assert _verify(sessions).ok


def test_the_head_cannot_be_rewound_reset_or_deleted_and_tables_not_truncated(keyed, sessions):
    _fill(keyed, 3)
    statements = [
        "UPDATE audit_chain_head SET last_id = 1",
        "UPDATE audit_chain_head SET last_id = 0, last_hash = '" + GENESIS_HASH + "'",
        "UPDATE audit_chain_head SET last_id = 4",
        "DELETE FROM audit_chain_head",
        "DELETE FROM audit_log",
    ]
    if keyed.dialect.name == "postgresql":
        statements += [
            "TRUNCATE audit_log",
            "TRUNCATE audit_chain_head",
            "TRUNCATE audit_log, audit_chain_head",
        ]
    else:
        statements += ["INSERT OR REPLACE INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, 'x')"]
    for statement in statements:
        with pytest.raises(DBAPIError):
            with keyed.begin() as conn:
                conn.execute(text(statement))
    result = _verify(sessions)
    assert (result.ok, result.rows_checked) == (True, 3)


# --- the attacks of failure 9, with the triggers lifted ---------------------------------------------------


def test_a_replaced_row_fails(keyed, sessions):
    _fill(keyed, 5)
    row = _rows(sessions)[2]
    _as_owner(
        keyed,
        "DELETE FROM audit_log WHERE id = 3",
        "INSERT INTO audit_log (id, time, user_name, task, masked, chunk_ids, input_tokens, output_tokens, cost, "
        "outcome, extra, prev_hash, row_hash) VALUES (3, :t, 'mallory', 'ask', '{}', '[]', 2, 0, 0.002, 'ok', "
        "'{}', :p, :h)",
        t=row["time"], p=row["prev_hash"], h=row["row_hash"],
    )  # fmt: skip
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id) == (False, 3)


def test_a_chain_recomputed_without_the_key_after_a_replaced_row_fails(keyed, sessions):
    _fill(keyed, 6)
    _rechain(keyed, sessions, 3, None, user_name="mallory")  # plain SHA-256, as before the key
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id, result.rows_checked) == (False, 3, 2)
    assert "without the audit key" in result.reason


def test_a_chain_recomputed_under_a_guessed_key_fails(keyed, sessions):
    _fill(keyed, 6)
    _rechain(keyed, sessions, 3, b"guessed-key-guessed-key", user_name="mallory")
    result = _verify(sessions)
    assert (result.ok, result.first_bad_id) == (False, 3)


def test_a_whole_chain_recomputed_without_the_key_fails_against_the_anchor(keyed, sessions, tmp_path):
    _fill(keyed, 6)
    path = _anchor(sessions, tmp_path)
    _rechain(keyed, sessions, 1, None, user_name="mallory")  # now it looks like a log from before the key
    assert "row 6 does not match the anchor" in _against_anchor(sessions, path)


def test_deleted_last_rows_with_the_head_rewound_fail_against_the_anchor(keyed, sessions, tmp_path):
    _fill(keyed, 8)
    path = _anchor(sessions, tmp_path)
    rows = _rows(sessions)
    _as_owner(
        keyed,
        "DELETE FROM audit_log WHERE id > 5",
        "UPDATE audit_chain_head SET last_id = 5, last_hash = :h WHERE id = 1",
        h=rows[4]["row_hash"],
    )
    problem = _against_anchor(sessions, path)
    assert "5 rows up to id 5" in problem and "recorded 8 rows" in problem


def test_an_emptied_log_with_the_head_reset_fails_against_the_anchor(keyed, sessions, tmp_path):
    _fill(keyed, 12)
    path = _anchor(sessions, tmp_path)
    _as_owner(
        keyed,
        "DELETE FROM audit_log",
        "UPDATE audit_chain_head SET last_id = 0, last_hash = :h WHERE id = 1",
        h=GENESIS_HASH,
    )
    assert _verify(sessions).rows_checked == 0
    assert "holds 0 rows" in _against_anchor(sessions, path)


def test_rows_appended_after_the_anchor_pass(keyed, sessions, tmp_path):
    _fill(keyed, 4)
    path = _anchor(sessions, tmp_path)
    _fill(keyed, 3, start=4)
    assert _against_anchor(sessions, path) is None


# --- the key: before it existed, and lost --------------------------------------------------------------


def test_rows_written_before_the_key_still_verify_and_keyed_rows_follow(engine, sessions):
    bind_audit_key(engine, None)
    _fill(engine, 3)
    bind_audit_key(engine, KEY)
    _fill(engine, 2, start=3)
    result = _verify(sessions)
    assert (result.ok, result.rows_checked, result.keyed_from) == (True, 5, 4)
    without = _verify(sessions, key=None)
    assert (without.ok, without.first_bad_id, without.rows_checked) == (False, 4, 3)
    wrong = _verify(sessions, key="another-key-another-key")
    assert (wrong.ok, wrong.first_bad_id) == (False, 4)


def test_appending_without_the_key_after_keyed_rows_is_refused(engine, sessions):
    bind_audit_key(engine, KEY)
    _fill(engine, 2)
    bind_audit_key(engine, None)
    with pytest.raises(AuditKeyMissing, match="YAKUBA_AUDIT_KEY"):
        append_audit(engine, AuditEntry(user="tanaka", task="ask"))
    assert _verify(sessions).rows_checked == 2


# --- the anchor file --------------------------------------------------------------------------------------


def test_anchors_are_appended_and_an_edited_anchor_is_refused(keyed, sessions, tmp_path):
    _fill(keyed, 2)
    path = _anchor(sessions, tmp_path)
    _fill(keyed, 2, start=2)
    append_anchor(path, make_anchor(_verify(sessions), KEY))
    first, second = path.read_text().splitlines()
    assert '"rows": 2' in first and '"rows": 4' in second
    # Lowering the anchored count (to hide deleted rows) breaks the anchor's HMAC.
    path.write_text(first + "\n" + second.replace('"rows": 4', '"rows": 1') + "\n")
    assert "altered" in _against_anchor(sessions, path)
    path.write_text(first + "\nnot json\n")
    with pytest.raises(AnchorError):
        last_anchor(path)
    with sessions() as session, pytest.raises(ValueError, match="intact"):
        make_anchor(verify_audit_chain(session, None), KEY)  # keyed rows, no key: not intact
