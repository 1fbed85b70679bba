"""Filler and repetition removal for the 発言録 style: 「えー」「あのー」「えっと」「まあ」 and restarts such as
「予算、予算について」「こ、この」 go; nothing else is changed (no word is added, replaced or reordered).

A filler is removed only where it stands on its own: at the start of the text or after punctuation or a space,
with the 読点 or space that follows it. 「あの件」「まあまあ」 and reduplicated words (「いろいろ」「ますます」) stay.
"""

from __future__ import annotations

import re

_BOUNDARY = r"(?:(?<=^)|(?<=[\s、。，,．.！？!?「『（(　]))"
_SEP = r"[、，,\s　]*"
_FILLER_WORDS = (
    r"え[ー〜～]+と?",  # えー えーと えーー
    r"えっと",
    r"ええと",
    r"あの[ー〜～]+",  # あのー (not あの + noun)
    r"その[ー〜～]+",
    r"まあ(?=[、，,\s　])",  # まあ、 (not まあまあ)
    r"まぁ(?=[、，,\s　])",
    r"う[ー〜～]+ん",
    r"ん[ー〜～]+",
)
_FILLER = re.compile(rf"{_BOUNDARY}(?:{'|'.join(_FILLER_WORDS)}){_SEP}", re.M)
_PUNCT = r"\s、。，,．.！？!?「」『』（）()　"
# A restart: a word (2–8 characters from a boundary, 3–8 anywhere, or a 1–2 kana fragment) said, then said
# again right after a 読点 or space.
_REPEAT = re.compile(
    rf"(?:(?<![^{_PUNCT}])(?P<w>[^{_PUNCT}]{{2,8}}|[ぁ-んァ-ヶ]{{1,2}})[、，,　 ](?=(?P=w))"
    rf"|(?P<v>[^{_PUNCT}]{{3,8}})[、，,　 ](?=(?P=v)))",  # 「予算案は、予算案は」 after 「夏祭りの」 too
    re.M,
)


def remove_fillers(text: str) -> str:
    """The text without fillers and immediate repetitions; lines and everything else kept as they were."""
    previous = None
    out = text
    while previous != out:  # 「えー、えー、予算」 and 「予算、予算、予算」 need more than one pass
        previous = out
        out = _FILLER.sub("", out)
        out = _REPEAT.sub("", out)
    return out


def has_fillers(text: str) -> bool:
    return remove_fillers(text) != text
