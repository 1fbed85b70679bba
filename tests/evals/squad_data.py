"""A tiny SQuAD-format file written by the tests (no ../shared needed)."""

from __future__ import annotations

import json

TOPICS = {
    "東京都庁": ("東京都庁は新宿区にある東京都の本庁舎である。", "東京都庁はどこにあるか"),
    "富士山": ("富士山は標高3776メートルで日本最高峰の山である。", "日本最高峰の山の標高は"),
    "琵琶湖": ("琵琶湖は滋賀県にある日本最大の湖である。", "日本最大の湖がある県は"),
    "新幹線": ("東海道新幹線は1964年に開業した高速鉄道である。", "東海道新幹線が開業した年は"),
}


def squad_file(path, topics=TOPICS):
    data = [
        {
            "title": title,
            "paragraphs": [
                {
                    "context": f"{title} [SEP] {text}",
                    "qas": [{"id": str(i), "question": q, "answers": [{"text": title, "answer_start": 0}]}],
                }
            ],
        }
        for i, (title, (text, q)) in enumerate(topics.items())
    ]
    path.write_text(json.dumps({"version": "test", "data": data}, ensure_ascii=False), encoding="utf-8")
    return path
