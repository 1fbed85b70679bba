"""Records: users and API keys, conversations, feedback and the audit log (SQLAlchemy + Alembic).

    engine = init_db(settings.resolved_database_url)   # migrates to the newest schema
    Session = make_session_factory(engine)
    with Session.begin() as session:
        user, api_key = create_user(session, "tanaka", groups=["総務課"], clearance=2)

Repository functions take a `Session` and flush; the caller commits. Audit appends take the engine
and commit on their own, under the chain lock.
"""

from assistant.records.audit_log import (
    AuditEntry,
    DbAuditSink,
    VerifyResult,
    append_audit,
    entry_from_event,
    verify_audit_chain,
)
from assistant.records.conversations import (
    add_message,
    create_conversation,
    delete_conversation,
    get_conversation,
    list_conversations,
    list_messages,
    purge_deleted_conversations,
    rename_conversation,
    restore_conversation,
    trash_conversation,
)
from assistant.records.db import create_db_engine, init_db, make_session_factory
from assistant.records.feedback import add_feedback, list_feedback
from assistant.records.models import ApiKey, AuditLog, Conversation, Feedback, Message, User
from assistant.records.usage import UsageRow, usage_summary
from assistant.records.users import (
    authenticate,
    create_user,
    get_user,
    issue_api_key,
    list_api_keys,
    list_users,
    revoke_api_keys,
    set_user_disabled,
)

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuditLog",
    "Conversation",
    "DbAuditSink",
    "Feedback",
    "Message",
    "UsageRow",
    "User",
    "VerifyResult",
    "add_feedback",
    "add_message",
    "append_audit",
    "authenticate",
    "create_conversation",
    "create_db_engine",
    "create_user",
    "delete_conversation",
    "entry_from_event",
    "get_conversation",
    "get_user",
    "init_db",
    "issue_api_key",
    "list_api_keys",
    "list_conversations",
    "list_feedback",
    "list_messages",
    "list_users",
    "make_session_factory",
    "purge_deleted_conversations",
    "rename_conversation",
    "restore_conversation",
    "revoke_api_keys",
    "set_user_disabled",
    "trash_conversation",
    "usage_summary",
    "verify_audit_chain",
]
