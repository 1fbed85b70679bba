"""Tasks (ask, and later inquiry replies and minutes), all run by `assistant.tasks.runner.Runner`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.tasks.base import Task

# name → "module:attribute", imported on first use
_TASKS = {
    "ask": "assistant.tasks.ask:ASK",
    "choice": "assistant.tasks.choice:CHOICE",
    "reply": "assistant.tasks.reply:REPLY",
    "minutes": "assistant.tasks.minutes:MINUTES",
}


def task_names() -> list[str]:
    return list(_TASKS)


def get_task(name: str) -> Task:
    """The task called `name`; raises YakubaError naming the known tasks."""
    import importlib

    from core.errors import YakubaError

    if name not in _TASKS:
        raise YakubaError(f"業務「{name}」はありません。指定できるもの: {', '.join(_TASKS)}")
    module, _, attr = _TASKS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def register_task(name: str, reference: str) -> None:
    """Add a task as a lazy "module:attribute" reference (used by later tasks and by tests)."""
    _TASKS[name] = reference
