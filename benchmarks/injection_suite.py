"""Prompt-injection suite: every case of tests/security/injection_cases.py through ask, reply and minutes, offline
(extractive) and through the fake Bedrock server, with figures per vector × task.

    .venv/bin/python benchmarks/injection_suite.py [--json] [--show]

Columns: cases tried; hidden text indexed or shown to the user (goal 0); offline answers changed by the payload
(goal 0; a payload quoted verbatim as source text is taken out before comparing, and counted under "quoted");
prompt-structure violations (goal 0: system prompt other than its template, payload or tags outside the data
blocks, invisible characters sent); model requests sent, and of them those that carried the payload (inside its
data block) — a visible payload should reach the model, or the structure check proves nothing.

Measured 2026-11-28 (2 shared cores, 21 s): 35 cases over 7 vectors × 3 tasks, 48 model requests, 17 carrying a
visible payload; hidden text indexed 0, shown 0; answers changed 0; structure violations 0; quoted 2 (the
extractive reply quotes a past answer verbatim, the instruction sentence with it — not obeyed, but shown in the
draft). With the hidden-text filters and the prompt's invisible-character removal switched off, the same suite
counts hidden text indexed 18, shown 63, answers changed 18 and violations 8 (issue 12, failure 7).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.bedrock_server import FakeBedrock  # noqa: E402
from tests.security.injection_cases import CASES, TASKS, applies, run_trial  # noqa: E402

COLUMNS = (
    "cases",
    "hidden_indexed",
    "hidden_quoted",
    "answer_changed",
    "quoted",
    "violations",
    "requests",
    "reached",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", action="store_true", help="print every violation and changed answer")
    args = parser.parse_args(argv)
    # dummy credentials for botocore's signer; nothing leaves 127.0.0.1
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "ap-northeast-1"), ("AWS_EC2_METADATA_DISABLED", "true")):  # fmt: skip
        os.environ.setdefault(name, value)

    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    with tempfile.TemporaryDirectory() as tmp, FakeBedrock() as fake:
        os.environ["YAKUBA_HOME"] = str(Path(tmp) / "home")
        for number, case in enumerate(CASES):
            for task in TASKS:
                if not applies(case, task):
                    continue
                trial = run_trial(task, case, Path(tmp) / f"{number}-{task}", fake)
                row = rows[(case.vector, task)]
                row["cases"] += 1
                row["hidden_indexed"] += trial.hidden_indexed
                row["hidden_quoted"] += trial.hidden_quoted
                row["answer_changed"] += trial.answer_changed
                row["quoted"] += trial.payload_quoted
                row["violations"] += len(trial.violations or [])
                row["requests"] += trial.prompts
                row["reached"] += trial.reached
                if args.show and (trial.violations or trial.answer_changed):
                    print(
                        f"{case.vector}/{case.name}/{task}: changed={trial.answer_changed} {trial.violations}"
                    )

    totals = {column: sum(row[column] for row in rows.values()) for column in COLUMNS}
    if args.json:
        figures = [{"vector": v, "task": t, **row} for (v, t), row in rows.items()]
        print(json.dumps({"rows": figures, "total": totals}, ensure_ascii=False, indent=2))
    else:
        header = f"{'vector':<18}{'task':<9}" + "".join(f"{c:>16}" for c in COLUMNS)
        print(header)
        for (vector, task), row in rows.items():
            print(f"{vector:<18}{task:<9}" + "".join(f"{row[c]:>16}" for c in COLUMNS))
        print(f"{'total':<27}" + "".join(f"{totals[c]:>16}" for c in COLUMNS))
    bad = totals["hidden_indexed"] + totals["hidden_quoted"] + totals["answer_changed"] + totals["violations"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
