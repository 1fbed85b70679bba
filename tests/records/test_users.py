"""Users and API keys: create, authenticate, revoke, disable."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from assistant.records import (
    authenticate,
    create_user,
    get_user,
    issue_api_key,
    list_api_keys,
    list_users,
    revoke_api_keys,
    set_user_disabled,
)
from assistant.records.models import ApiKey
from core.errors import InvalidRecord, RecordConflict


def test_create_user_returns_a_key_that_authenticates(sessions):
    with sessions.begin() as session:
        user, key = create_user(session, "tanaka", ["総務課", "総務課", "企画課"], 2)
    assert key.startswith("yk_") and len(key) > 40
    with sessions() as session:
        found = authenticate(session, key)
        assert found is not None and found.id == user.id
        assert found.groups == ["企画課", "総務課"] and found.clearance == 2 and not found.is_admin
        assert authenticate(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert authenticate(session, "not-a-key") is None
        assert authenticate(session, "") is None


def test_only_the_hash_and_a_prefix_are_stored(sessions):
    with sessions.begin() as session:
        user, key = create_user(session, "tanaka")
    with sessions() as session:
        (row,) = session.scalars(select(ApiKey).where(ApiKey.user_id == user.id))
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key.startswith(row.prefix) and len(row.prefix) == 11
        assert key not in {row.key_hash, row.prefix}


def test_revoked_key_stops_working_and_others_keep_working(sessions):
    with sessions.begin() as session:
        user, first = create_user(session, "tanaka")
        second = issue_api_key(session, user)
    with sessions.begin() as session:
        assert revoke_api_keys(session, user, prefix=first) == 1
    with sessions() as session:
        assert authenticate(session, first) is None
        assert authenticate(session, second).name == "tanaka"
        keys = list_api_keys(session, user)
        assert [k.revoked_at is not None for k in keys] == [True, False]
    with sessions.begin() as session:
        assert revoke_api_keys(session, user) == 1  # the remaining one
    with sessions() as session:
        assert authenticate(session, second) is None


def test_disabled_user_cannot_authenticate(sessions):
    with sessions.begin() as session:
        user, key = create_user(session, "tanaka")
        set_user_disabled(session, user, True)
    with sessions() as session:
        assert authenticate(session, key) is None
    with sessions.begin() as session:
        set_user_disabled(session, get_user(session, "tanaka"), False)
    with sessions() as session:
        assert authenticate(session, key).name == "tanaka"


def test_duplicate_names_and_bad_clearance_are_refused(sessions):
    with sessions.begin() as session:
        create_user(session, "tanaka")
    with sessions() as session:
        with pytest.raises(RecordConflict, match="既に登録"):
            create_user(session, "tanaka")
        with pytest.raises(InvalidRecord, match="1から3"):
            create_user(session, "suzuki", clearance=4)
        with pytest.raises(InvalidRecord):
            create_user(session, "  ")
    with sessions() as session:
        assert [u.name for u in list_users(session)] == ["tanaka"]
