"""Alembic migrations of the records database, shipped inside the package (run by `init_db`)."""
