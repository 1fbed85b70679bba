"""Transcript readers: plain text / Markdown, WebVTT, SRT, DOCX (Teams' transcript export) and JSON `{Speaker,
Utterance}` lists (the assembly format) → `Transcript` (turns + what the file says about the meeting).

`read_transcript(data, name=…)` detects the form (`detect_format`) and reads it. What cannot be read is reported
in `Transcript.warnings` (Japanese) while everything else is kept; input with no readable turn at all raises
`CorruptFile` / `UnsupportedFile` with a message the user can act on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.minutes.speakers import UNKNOWN_SPEAKER, metadata_line, parse_speaker_line
from assistant.tasks.minutes_models import Turn
from core.errors import CorruptFile, UnsupportedFile

FORMATS = ("text", "vtt", "srt", "docx", "json")
_SRT_HEAD = re.compile(r"\A\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_TIMED_NAME = re.compile(
    r"^(?P<name>[^\s。、:：「」][^。、:：「」]{0,29}?)\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)$"
)
_CUE_TIME = re.compile(
    r"^(?P<start>\d{1,2}:\d{1,2}:\d{1,2})(?:[.,]\d+)?\s*-->\s*(?P<end>\d{1,2}:\d{1,2}:\d{1,2})"
)
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*$")
_LIST_ITEM = re.compile(
    r"^\s*(?:[-*・]|\(?[0-9０-９]+[.)．）]|[一二三四五六七八九十]+[、.．])\s*(?P<text>.+)$"
)
_SPEAKER_KEYS = ("speaker", "話者", "発言者", "name")
_TEXT_KEYS = ("utterance", "text", "発言", "content", "transcript")


@dataclass
class Transcript:
    turns: list[Turn]
    format: str
    title: str = ""
    held_on: str = ""
    place: str = ""
    attendees: list[str] = field(default_factory=list)
    agenda: list[str] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (index of the next turn, heading text)
    warnings: list[str] = field(default_factory=list)


def detect_format(data: str | bytes, name: str | None = None) -> str:
    """One of FORMATS, from the content first and the file name second."""
    suffix = Path(name).suffix.lower() if name else ""
    if isinstance(data, bytes):
        if data[:2] == b"PK" or suffix == ".docx":
            return "docx"
        data = data[:4096].decode("utf-8", errors="ignore")
    head = data.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT") or suffix == ".vtt":
        return "vtt"
    if _SRT_HEAD.match(head) or suffix == ".srt":
        return "srt"
    if (head and head[0] in "[{") or suffix == ".json":
        return "json"
    return "text"


def read_transcript_file(path: Path, *, meeting: int | None = None) -> Transcript:
    """Read a transcript file of any supported form (text encodings, cp932 included, are detected)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnsupportedFile(f"ファイル「{path.name}」を開けません（{exc.strerror or exc}）。") from exc
    return read_transcript(data, name=path.name, meeting=meeting)


def read_transcript(data: str | bytes, *, name: str | None = None, meeting: int | None = None) -> Transcript:
    """Turns and meeting metadata from a transcript given as text or as the bytes of a file."""
    label = name or "入力"
    kind = detect_format(data, name)
    if kind == "docx":
        if isinstance(data, str):
            raise UnsupportedFile(f"{label}: DOCX の文字起こしはファイルとして指定してください。")
        transcript = read_docx(data, label)
    else:
        text = data if isinstance(data, str) else _decode(data, label)
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        from assistant.minutes.captions import read_srt, read_vtt

        reader = {"vtt": read_vtt, "srt": read_srt, "json": read_json, "text": read_text}[kind]
        transcript = reader(text, meeting=meeting) if kind == "json" else reader(text)
    if not transcript.turns:
        raise CorruptFile(
            f"{label}: 発言を読み取れませんでした。{'；'.join(transcript.warnings[:3])}"
            "文字起こしのテキスト（発言者行つき）、WebVTT、SRT、DOCX、JSON のいずれかを指定してください。"
        )
    return transcript


def _decode(data: bytes, label: str) -> str:
    from ingest.encoding import decode_bytes

    return decode_bytes(data, name=label)


# --- plain text, Markdown and timed text (Teams .txt / .docx) ------------------------------------------------------


class TurnBuilder:
    """Accumulates turns; consecutive cues of one speaker are merged when `merge` is set."""

    def __init__(self, merge: bool = False):
        self.turns: list[Turn] = []
        self.merge = merge
        self._speaker: str | None = None
        self._lines: list[str] = []
        self._start: str | None = None
        self._end: str | None = None

    def open(self, speaker: str, start: str | None = None, end: str | None = None) -> None:
        if self.merge and speaker == self._speaker and self._lines:
            self._end = end or self._end
            return
        self.close()
        self._speaker, self._start, self._end = speaker, start, end

    def add(self, line: str) -> None:
        if self._speaker is None:
            self._speaker = UNKNOWN_SPEAKER
        self._lines.append(line)

    def close(self) -> None:
        text = "\n".join(self._lines).strip()
        if self._speaker is not None and text:
            index = len(self.turns) + 1
            self.turns.append(
                Turn(index=index, speaker=self._speaker, text=text, start=self._start, end=self._end)
            )
        self._speaker, self._lines, self._start, self._end = None, [], None, None

    @property
    def started(self) -> bool:
        return bool(self.turns) or self._speaker is not None


def read_text(text: str) -> Transcript:
    """Plain text or Markdown with speaker lines; Teams' timed forms (「山田 太郎 0:03」 lines, or a
    「0:0:3.4 --> 0:0:8.1」 line then the name) are read too."""
    return _read_lines(text.split("\n"), "text")


def _read_lines(lines: list[str], kind: str) -> Transcript:
    timed = sum(1 for line in lines if _TIMED_NAME.match(line.strip()) or _CUE_TIME.match(line.strip()))
    if timed >= 2:
        transcript = _read_timed(lines, kind)
        if transcript.turns:
            return transcript
    out = Transcript(turns=[], format=kind)
    acc = TurnBuilder()
    list_key: str | None = None  # 「議題：」 with its items on the following lines
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if not acc.started:
            if list_key and stripped:
                item = _LIST_ITEM.match(stripped)
                if item:
                    _set_meta(out, list_key, item["text"])
                    continue
            list_key = None
            meta = metadata_line(stripped)
            if meta:
                _set_meta(out, *meta)
                continue
            bare = re.match(
                r"^[\s　]*(?:\*\*)?(議題|出席者|参加者|案件)(?:\*\*)?[ 　]*[:：]?[ 　]*$", stripped
            )
            if bare:
                list_key = "attendees" if bare[1] in ("出席者", "参加者") else "agenda"
                continue
        heading = _HEADING.match(stripped)
        if heading:
            if not acc.started and not out.title:
                out.title = heading["text"].strip("* ")
            elif acc.started:
                acc.close()
                out.headings.append((len(acc.turns) + 1, heading["text"].strip("* ")))
            continue
        speaker = parse_speaker_line(stripped)
        if speaker:
            acc.open(speaker.speaker)
            if speaker.rest:
                acc.add(speaker.rest)
            continue
        if stripped or acc.started:
            acc.add(line.replace("**", "") if stripped else "")
    acc.close()
    out.turns = acc.turns
    return out


def _read_timed(lines: list[str], kind: str) -> Transcript:
    out = Transcript(turns=[], format=kind)
    acc = TurnBuilder(merge=True)
    expect_name: tuple[str, str] | None = None
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        cue = _CUE_TIME.match(stripped)
        if cue:
            expect_name = (hms(cue["start"]), hms(cue["end"]))
            continue
        if expect_name is not None:
            start, end = expect_name
            expect_name = None
            voiced = parse_speaker_line(stripped)
            if voiced and voiced.rest:
                acc.open(voiced.speaker, start, end)
                acc.add(voiced.rest)
            elif len(stripped) <= 30 and not re.search(r"[。、？！?!]", stripped):
                acc.open(stripped, start, end)
            else:
                acc.open(UNKNOWN_SPEAKER, start, end)
                acc.add(stripped)
            continue
        named = _TIMED_NAME.match(stripped)
        if named:
            acc.open(named["name"].strip(), hms(named["time"]))
            continue
        if not acc.started:
            meta = metadata_line(stripped)
            if meta:
                _set_meta(out, *meta)
                continue
            if not out.title:
                out.title = stripped
                continue
        acc.add(stripped)
    acc.close()
    out.turns = acc.turns
    return out


def _set_meta(out: Transcript, key: str, value: str) -> None:
    if key in ("attendees", "agenda"):
        parts = re.split(r"[、，,・\s　]+", value) if key == "attendees" else [value]
        getattr(out, key).extend(p.strip() for p in parts if p.strip())
    elif not getattr(out, key):
        setattr(out, key, value)


def hms(value: str) -> str:
    parts = [int(float(p)) for p in re.split(r"[:]", value.split(",")[0].split(".")[0])]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts[-3:]
    return f"{h:02d}:{m:02d}:{s:02d}"


# --- DOCX ------------------------------------------------------------------------------------------------------------


def read_docx(data: bytes, label: str = "入力") -> Transcript:
    """A Word transcript (Teams' export: a name-and-time line, then what was said; or any speaker-line form)."""
    import io
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptFile(
            f"{label}: Word（DOCX）ファイルとして読み込めません（破損しているか、別の形式です）。"
        ) from exc
    lines: list[str] = []
    for paragraph in document.paragraphs:
        lines.extend(paragraph.text.split("\n"))
        lines.append("")
    for table in document.tables:  # some exports put the transcript in a table: speaker | time | text
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[0] and cells[-1]:
                lines += [f"{cells[0]}：{cells[-1]}", ""]
    transcript = _read_lines(lines, "docx")
    props = document.core_properties
    if not transcript.title and props.title:
        transcript.title = props.title
    return transcript


# --- JSON ------------------------------------------------------------------------------------------------------------


def read_json(text: str, *, meeting: int | None = None) -> Transcript:
    """A list of {Speaker, Utterance}; a meeting {ProceedingTitle, Date, Proceeding: [...]}; or a list of meetings
    (`meeting` picks one, 1-based; required when there are several)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CorruptFile(f"JSON として読み込めません（{exc.lineno}行目付近: {exc.msg}）。") from exc
    meetings = _meetings(data)
    if meetings is not None:
        if len(meetings) == 1 and meeting is None:
            meeting = 1
        if meeting is None or not 1 <= meeting <= len(meetings):
            listing = "、".join(
                f"{n}: {m.get('ProceedingTitle') or '無題'}（{m.get('Date') or '日付なし'}）"
                for n, m in enumerate(meetings[:12], start=1)
            )
            raise UnsupportedFile(
                f"この JSON には会議が{len(meetings)}件あります。番号で1件を選んでください（--meeting）。"
                f"{listing}{' …' if len(meetings) > 12 else ''}"
            )
        chosen = meetings[meeting - 1]
        out = _utterances(chosen.get("Proceeding"))
        out.title = str(chosen.get("ProceedingTitle") or "").strip()
        out.held_on = str(chosen.get("Date") or "").strip()
        return out
    return _utterances(data)


def _meetings(data: object) -> list[dict] | None:
    if isinstance(data, dict) and "Proceeding" in data:
        return [data]
    if isinstance(data, list) and data and all(isinstance(m, dict) and "Proceeding" in m for m in data):
        return data
    return None


def _field(record: dict, keys: tuple[str, ...]) -> object:
    lowered = {str(k).lower(): v for k, v in record.items()}
    return next((lowered[k] for k in keys if k in lowered), None)


def _utterances(records: object) -> Transcript:
    out = Transcript(turns=[], format="json")
    if not isinstance(records, list):
        out.warnings.append("発言の一覧（{Speaker, Utterance} の配列）が見つかりません")
        return out
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            out.warnings.append(f"{n}番目の要素がオブジェクトではありません")
            continue
        text = _field(record, _TEXT_KEYS)
        if not isinstance(text, str) or not text.strip():
            out.warnings.append(f"{n}番目の要素に発言（Utterance）がありません")
            continue
        speaker = _field(record, _SPEAKER_KEYS)
        speaker = str(speaker).strip() if speaker not in (None, "", "null") else UNKNOWN_SPEAKER
        if speaker.lower() == "null":
            speaker = UNKNOWN_SPEAKER
        out.turns.append(Turn(index=len(out.turns) + 1, speaker=speaker, text=text.strip()))
    return out
