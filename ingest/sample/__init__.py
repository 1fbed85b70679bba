"""A small sample corpus of a fictional city (みなと市) in every format Yakuba ingests.

`write_sample_corpus(out_dir)` or `python -m ingest.sample OUT_DIR` writes it; `make run` indexes it.
"""

from ingest.sample.corpus import write_sample_corpus

__all__ = ["write_sample_corpus"]
