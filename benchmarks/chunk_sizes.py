"""Measure how chunk size shapes the chunks of a text corpus, to choose `size` for `chunk_documents`.

    .venv/bin/python benchmarks/chunk_sizes.py --corpus /work/shared/datasets/egov_laws_2013/text

For each size it prints the number of chunks, the mean and 95th-percentile chunk length, how many
chunks exceed the size (unbreakable rows and lines), and the share of chunks cut mid-sentence: chunks
other than the last of their document whose text does not end with 。！？!? (closing brackets after
the mark allowed). Headings and wrapped lines also count as mid-sentence, so read the share as an
upper bound and compare it between sizes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from core.model import Chunk, Document
from ingest.chunking import chunk_documents

_SENTENCE_END = "。！？!?"
_CLOSING = "」』）)"


def load_corpus(corpus: Path) -> list[Document]:
    """Documents of every .txt file, through the project's loader when it exists, else one
    plain-text document per file."""
    try:
        from ingest.loaders import load_file
    except ImportError:
        load_file = None
    docs: list[Document] = []
    for path in sorted(corpus.rglob("*.txt")):
        if load_file is not None:
            docs.extend(load_file(path, root=corpus))
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            docs.append(Document(text=text, source=str(path.relative_to(corpus)), title=path.stem))
    return docs


def cut_mid_sentence(chunks: list[Chunk]) -> int:
    """Chunks followed by another chunk of the same document that do not end at a sentence end."""
    cuts = 0
    for chunk, following in zip(chunks, chunks[1:], strict=False):
        same_document = (
            following.source,
            following.page,
            following.slide,
            following.sheet,
            following.article,
        ) == (
            chunk.source,
            chunk.page,
            chunk.slide,
            chunk.sheet,
            chunk.article,
        )
        if same_document and not chunk.text.rstrip(_CLOSING).endswith(tuple(_SENTENCE_END)):
            cuts += 1
    return cuts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, required=True, help="folder of .txt files (searched recursively)"
    )
    parser.add_argument("--sizes", default="200,300,400,600,800", help="comma-separated chunk sizes")
    parser.add_argument("--overlap", type=int, default=1, help="overlap in sentences")
    args = parser.parse_args(argv)

    docs = load_corpus(args.corpus)
    if not docs:
        sys.exit(f"no .txt files under {args.corpus}")
    print(f"{len(docs)} documents, {sum(len(d.text) for d in docs):,} characters, overlap {args.overlap}")
    print(f"{'size':>5} {'chunks':>8} {'mean':>7} {'p95':>6} {'> size':>7} {'mid-sentence':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        chunks = chunk_documents(docs, size=size, overlap=args.overlap)
        lengths = [len(c.text) for c in chunks]
        p95 = statistics.quantiles(lengths, n=20)[-1] if len(lengths) > 1 else lengths[0]
        over = sum(length > size for length in lengths)
        mid = cut_mid_sentence(chunks) / len(chunks)
        print(
            f"{size:>5} {len(chunks):>8} {statistics.mean(lengths):>7.1f} {p95:>6.0f} {over:>7} {mid:>12.1%}"
        )


if __name__ == "__main__":
    main()
