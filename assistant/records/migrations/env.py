"""Alembic environment. `init_db` passes an open connection (already in a locked transaction) in
`config.attributes["connection"]`; the migrations run inside that transaction.

To add a migration, write `versions/NNNN_<what>.py` from `script.py.mako` (or autogenerate one
against a scratch database: `command.revision(config, message, autogenerate=True)` with the same
`config` as `init_db` builds), then run tests/records/test_migrations.py, which checks that the
models and the migrations agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from alembic import context

from assistant.records.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through assistant.records.init_db(url)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
