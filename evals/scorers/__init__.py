"""Scorers: objects with a `name` and `score(item, outcome) -> {metric: value | None}` (None = not applicable,
left out of the mean). Build them by name with `get_scorers(["containment", "rouge", …], **options)`.

| scorer            | metrics                                                                     |
| ----------------- | --------------------------------------------------------------------------- |
| containment       | containment                                                                 |
| char_f1           | char_f1                                                                     |
| rouge             | rouge{1,2,L}_{r,p,f} (Sudachi content words)                                |
| rouge_char        | rouge_char{1,2,L}_{r,p,f} (characters)                                      |
| exact_choice      | exact_choice                                                                |
| length            | length_chars, within_max_chars                                              |
| format            | format_ok                                                                   |
| citation_validity | citation_validity                                                           |
| citation_coverage | citation_coverage                                                           |
| refusal           | refusal (unanswerable items), false_refusal (answerable items)              |
| retrieval         | recall@1, recall@5, recall@10, mrr@10                                       |
| section_match     | section_top1, section_top3 (reply: suggested 所管課 vs expected section)     |
| latency           | latency_ms                                                                  |
| tokens            | tokens, input_tokens, output_tokens                                         |
| cost              | cost_usd                                                                    |
| judge             | judge_{groundedness,relevance,style}, judge_refused, judge_failed, judge_cost_usd |
"""

from evals.scorers.registry import SCORERS, UnknownScorerError, get_scorers

__all__ = ["SCORERS", "UnknownScorerError", "get_scorers"]
