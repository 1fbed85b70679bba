"""`python -m ingest.sample OUT_DIR`: write the sample corpus into OUT_DIR."""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest.sample.corpus import write_sample_corpus
from ingest.sample.new_inquiries import write_new_inquiries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.sample",
        description="Write the sample corpus of the fictional city みなと市 (every supported format).",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write into (created if missing)")
    args = parser.parse_args(argv)
    paths = write_sample_corpus(args.out_dir) + write_new_inquiries(
        args.out_dir
    )  # new inquiries: not indexed
    for path in paths:
        print(path.relative_to(args.out_dir).as_posix())
    print(f"wrote {len(paths)} files to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
