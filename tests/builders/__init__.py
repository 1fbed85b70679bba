"""Fixture writers: real files in every ingestible format, generated inside the tests (tmp_path)."""
