"""The ground floor: types, errors and rules that every package imports and that import nothing of ours.

`ingest/`, `assistant/`, `evals/` and `ui/` may import `core`; `core` imports none of them.
"""
