"""Schema-driven fuzzing of the whole API (issue 12): schemathesis reads the app's own OpenAPI document and runs
its examples, coverage (boundary and invalid values of every parameter) and fuzzing phases in-process through
ASGI, with a valid administrator's key. No request may get a server error, and every error body carries a code
from the schema's enum and a Japanese message. Examples per operation are bounded and generation is
deterministic, so the run is short and the same in CI; `YAKUBA_FUZZ_EXAMPLES` is not read here on purpose (raise
`FUZZ_EXAMPLES` locally for a longer campaign)."""

from __future__ import annotations

import re
from typing import get_args

import schemathesis
from schemathesis import engine
from schemathesis.engine import events

from assistant.api.schemas import ErrorCode
from assistant.records import create_user

FUZZ_EXAMPLES = 10  # per operation and phase
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@schemathesis.check
def error_body_has_code_and_japanese_message(ctx, response, case) -> None:
    """Every 4xx/5xx body: a code from ErrorCode and a Japanese message."""
    if response.status_code < 400:
        return
    body = response.json()
    assert body.get("error") in get_args(ErrorCode), body
    assert _JAPANESE.search(body.get("message", "")), body


def test_no_generated_request_gets_a_server_error(make_api):
    api = make_api()
    with api.ctx.write_sessions.begin() as session:  # may do everything: administrator, uploader, clearance 3
        key = create_user(session, "fuzzer", ["文書管理", "財政課"], 3, admin=True)[1]
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    schema.config.update(headers={"Authorization": f"Bearer {key}"})
    schema.config.generation.update(max_examples=FUZZ_EXAMPLES, deterministic=True)
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    schema.config.checks.update(
        included_check_names=["not_a_server_error", "error_body_has_code_and_japanese_message"]
    )

    sent, failures, errors = 0, set(), []
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            sent += len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                failures |= {
                    f"{event.recorder.label} {check.name}: {check.failure_info.failure.title}\n"
                    f"{check.failure_info.code_sample}"
                    for check in checks
                    if check.failure_info is not None
                }
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(repr(event))
    print(f"fuzzing: {sent} requests")
    assert sent > 1000 and not errors, errors
    assert not failures, "\n\n".join(sorted(failures))
