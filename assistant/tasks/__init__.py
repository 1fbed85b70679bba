"""Tasks: each takes a typed request and returns a typed result (answer, citations, backend, mode).

Each task has an LLM path and an extractive path; the router decides which backend serves it.
"""
