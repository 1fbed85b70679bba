"""A small task for the batch-engine tests: echoes its text through the runner's offline path, and can fail a
given number of times, take time, or kill its own process at a chosen item (for the kill -9 tests)."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.backends.base import Reply
from assistant.tasks import register_task
from assistant.tasks.base import Sources, Task, TaskContext, TaskOutput
from core.errors import BackendUnavailable, PolicyRefused


class EchoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    fail: int = 0  # attempts that fail with a transient error before one succeeds
    refuse: bool = False  # fail with an error a retry cannot cure
    sleep: float = 0.0


class EchoOutput(TaskOutput):
    answer: str
    pid: int = 0


ATTEMPTS: dict[str, int] = {}
_lock = threading.Lock()
KILL_ON_TEXT: set[str] = set()  # a worker process dies (SIGKILL) when it starts one of these items


class EchoTask(Task[EchoInput, EchoOutput]):
    name: ClassVar[str] = "echo"
    version: ClassVar[int] = 1
    input_model = EchoInput
    output_model = EchoOutput

    def gather(self, inp: EchoInput, ctx: TaskContext) -> Sources:
        if inp.text in KILL_ON_TEXT:
            os.kill(os.getpid(), signal.SIGKILL)
        with _lock:
            ATTEMPTS[inp.text] = ATTEMPTS.get(inp.text, 0) + 1
            attempt = ATTEMPTS[inp.text]
        if inp.refuse:
            raise PolicyRefused("この行は方針により処理できません。")
        if attempt <= inp.fail:
            raise BackendUnavailable(f"一時的な障害です（{attempt}回目）。")
        if inp.sleep:
            time.sleep(inp.sleep)
        return Sources()

    def prompts(self, inp: EchoInput, sources: Sources) -> tuple[str, str]:
        return "", inp.text

    def offline(self, inp: EchoInput, sources: Sources) -> Reply:
        answer = f"回答：{inp.text}"
        return Reply(answer, EchoOutput(answer=answer, pid=os.getpid()))

    def from_model(self, inp, sources, result) -> EchoOutput:
        return EchoOutput(answer=result.text, pid=os.getpid())


ECHO = EchoTask()
register_task("echo", "tests.jobs.tasks:ECHO")
