"""WebVTT (webvtt-py) and SRT (srt) transcripts, as Teams and Zoom export them: speakers from `<v 山田>` voice tags or
a 「山田: 」 prefix; consecutive cues of one speaker make one turn (start of the first, end of the last).

A file the library rejects is read again cue by cue: the readable cues are kept and the others reported.
"""

from __future__ import annotations

import re

from assistant.minutes.speakers import UNKNOWN_SPEAKER, parse_speaker_line
from assistant.minutes.transcripts import Transcript, TurnBuilder, hms

_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>(?P<text>.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_TIMING = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}\s*-->")
_NOT_CUES = ("NOTE", "STYLE", "REGION")


def _cue_parts(raw: str) -> list[tuple[str, str]]:
    """(speaker, text) pieces of one cue: `<v 山田>` voice tags, else a 「山田: 」 prefix, else unknown."""
    voices = [(m["name"].strip(), _TAG.sub("", m["text"]).strip()) for m in _VOICE.finditer(raw)]
    if voices:
        return [(name, text) for name, text in voices if text]
    text = _TAG.sub("", raw).strip()
    if not text:
        return []
    first, _, others = text.partition("\n")
    speaker = parse_speaker_line(first)
    if speaker and speaker.rest:
        return [(speaker.speaker, "\n".join(p for p in (speaker.rest, others) if p).strip())]
    return [(UNKNOWN_SPEAKER, text)]


def _cues_to_transcript(cues: list[tuple[str, str, str]], kind: str, warnings: list[str]) -> Transcript:
    acc = TurnBuilder(merge=True)
    for start, end, raw in cues:
        for speaker, text in _cue_parts(raw):
            acc.open(speaker, start, end)
            acc.add(text)
    acc.close()
    return Transcript(turns=acc.turns, format=kind, warnings=warnings)


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]


def read_vtt(text: str) -> Transcript:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        cues = [(hms(c.start), hms(c.end), c.raw_text) for c in webvtt.from_string(text)]
        untimed = [
            b for b in _blocks(text)[1:] if not _TIMING.search(b) and not b.lstrip().startswith(_NOT_CUES)
        ]
        warnings = [f"WebVTT の時刻のない区切りを読み飛ばしました（{_snippet(b)}）" for b in untimed]
        return _cues_to_transcript(cues, "vtt", warnings)
    except MalformedFileError:
        pass
    cues, warnings = [], []  # read cue by cue, keeping the readable ones
    for n, block in enumerate(_blocks(text)[1:], start=1):
        try:
            cues += [
                (hms(c.start), hms(c.end), c.raw_text) for c in webvtt.from_string(f"WEBVTT\n\n{block}\n")
            ]
        except MalformedFileError:
            if not block.lstrip().startswith(_NOT_CUES):
                warnings.append(f"WebVTT の{n}番目の区切りを読み取れませんでした（{_snippet(block)}）")
    return _cues_to_transcript(cues, "vtt", warnings)


def read_srt(text: str) -> Transcript:
    import srt

    def hms(delta) -> str:
        seconds = int(delta.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

    # block by block: srt itself would swallow a block with a broken timing line into the cue before it
    cues, warnings = [], []
    for n, block in enumerate(_blocks(text), start=1):
        try:
            cues += [(hms(s.start), hms(s.end), s.content) for s in srt.parse(block + "\n")]
        except srt.SRTParseError:
            warnings.append(f"SRT の{n}番目の字幕を読み取れませんでした（{_snippet(block)}）")
    return _cues_to_transcript(cues, "srt", warnings)


def _snippet(block: str) -> str:
    flat = " ".join(block.split())
    return flat[:30] + ("…" if len(flat) > 30 else "")
