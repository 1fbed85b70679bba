"""Datasets written by the project for its own suites (package data only)."""
