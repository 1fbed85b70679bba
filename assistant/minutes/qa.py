"""質疑応答: questions paired with their answers.

A question turn is a turn, not the chair's, that ends in a question (a question sentence — 「か。」「伺います」
「お聞きします」「お答えください」 … — among its last sentences, closing formulas left out). Its answers are the following turns by other speakers (the chair's calls in between are
skipped) up to the next question turn or the questioner's next turn (a reply that answers and then asks back is
an answer, and a question of its own). One pair per answering turn: the question
side holds the question sentences that share most terms with that answer (all of them when one turn answers);
an unanswered question is kept with no answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.minutes.extract import Sentence, Weights, score, select, terms
from assistant.minutes.speakers import UNKNOWN_SPEAKER, is_chair
from assistant.tasks.minutes_models import Point, QAPair, Turn

TAIL = 3  # a question turn ends with a question among its last sentences (closing formulas left out)
_ASKS = re.compile(
    r"(?:を伺い(?:ます|たい|、)|お伺いし(?:ます|たい)|お聞きし(?:ます|たい)|お尋ねし(?:ます|たい)|(?:答弁|見解|所見)を求め)"
)
_CLOSING = re.compile(r"(?:終わります|終わりといたします|以上です|以上でございます|よろしくお願い)")


def asks(sentence: Sentence) -> bool:
    """A question sentence, or one that asks on the way (「…知事の決意を伺い、質問を終わります。」)."""
    return sentence.question or bool(_ASKS.search(sentence.text))


def is_question_turn(turn: Turn, sentences: Sequence[Sentence]) -> bool:
    """Not the chair's, and either asking explicitly (「伺います」「見解を求めます」) or ending in a question: an
    answer's rhetorical 「…でしょうか。」 in its middle does not make it a question."""
    if is_chair(turn.speaker):
        return False
    if any(_ASKS.search(s.text) for s in sentences):
        return True
    said = [s for s in sentences if not _CLOSING.search(s.text)]
    return any(s.question for s in said[-TAIL:])


def answer_turns(turns: Sequence[Turn], sentences: Sequence[Sequence[Sentence]], q: int) -> list[int]:
    """Positions (0-based) of the turns answering the question turn at position `q`."""
    asker = turns[q].speaker
    out = []
    for pos in range(q + 1, len(turns)):
        turn = turns[pos]
        if is_chair(turn.speaker) and asker != UNKNOWN_SPEAKER:
            continue
        if turn.speaker == asker and asker != UNKNOWN_SPEAKER:
            break
        if is_question_turn(
            turn, sentences[pos]
        ):  # the next question: the right reply may answer and ask back
            if not out and _answers_too(sentences[pos]):
                out.append(pos)
            break
        out.append(pos)
    return out


def _answers_too(sentences: Sequence[Sentence]) -> bool:
    """A turn that answers and then asks back is still an answer when most of it is not questions."""
    questions = sum(1 for s in sentences if s.question)
    return questions * 2 < len(sentences)


def qa_pairs(
    turns: Sequence[Turn], sentences: Sequence[Sequence[Sentence]], weights: Weights, limit: int | None
) -> list[QAPair]:
    pairs: list[QAPair] = []
    for q, turn in enumerate(turns):
        mine = sentences[q]
        if not is_question_turn(turn, mine):
            continue
        questions = [s for s in mine if asks(s)]
        answers = answer_turns(turns, sentences, q)
        if not answers:
            pairs.append(QAPair(question=_point(questions, weights, limit), questioner=turn.speaker))
            continue
        for a in answers:
            asked = questions if len(answers) == 1 else _matching(questions, sentences[a], weights)
            pairs.append(
                QAPair(
                    question=_point(asked, weights, limit),
                    questioner=turn.speaker,
                    answer=_point(list(sentences[a]), weights, limit),
                    answerer=turns[a].speaker,
                )
            )
    return pairs


def _matching(questions: list[Sentence], answer: Sequence[Sentence], weights: Weights) -> list[Sentence]:
    """The question sentences sharing the most (rare) terms with the answer."""
    said: set[str] = set()
    for s in answer:
        said.update(terms(s.text))
    scored = [(sum(weights.idf(t) for t in set(terms(q.text)) & said), q) for q in questions]
    best = max((n for n, _ in scored), default=0.0)
    return [q for n, q in scored if n > 0 and n >= best * 0.6] or questions[:1]


def _point(group: list[Sentence], weights: Weights, limit: int | None) -> Point:
    copies = [Sentence(s.text, s.turn, s.position, s.question, s.decision) for s in group]
    score(copies, weights, prefer_questions=True)
    chosen = select(copies, limit, default=400, floor=0.0)
    turns = sorted({s.turn for s in group})
    return Point(text="".join(s.text for s in chosen), turns=turns)
