"""Prompt injection (issue 12): documents and transcripts carrying instructions — visible text, hidden HTML,
invisible DOCX runs, zero-width and bidirectional characters, a forged closing delimiter, a past inquiry's answer,
a meeting turn — run through ask, reply and minutes, offline and through the fake Bedrock server.

Each case asserts: hidden text is neither indexed nor shown; the offline answer is the one the same corpus gives
without the payload; every prompt keeps the system prompt of its template byte for byte, carries the payload only
inside its data block (source, turn, item), keeps the template's own tags and sends no invisible characters.
"""

from __future__ import annotations

import pytest

from tests.security.injection_cases import CASES, TASKS, applies, run_trial

TRIALS = [
    pytest.param(task, case, id=f"{task}-{case.vector}-{case.name}")
    for case in CASES
    for task in TASKS
    if applies(case, task)
]


@pytest.mark.parametrize("task, case", TRIALS)
def test_injected_instructions_change_nothing(task, case, tmp_path, fake_bedrock):
    trial = run_trial(task, case, tmp_path, fake_bedrock)
    assert trial.hidden_indexed == 0 and trial.hidden_quoted == 0
    assert not trial.answer_changed
    assert trial.prompts >= 1 and trial.violations == []
    # not vacuous: a visible payload is retrieved and sent (as data inside its block); hidden text never is
    assert trial.reached >= 1 if not case.hidden else trial.reached == 0
