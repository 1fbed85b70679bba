"""Japanese personal names and street addresses: found, masked, restored; look-alikes left alone."""

from __future__ import annotations

import pytest

from assistant.masking import Detector, Masker, find_personal_data
from tests.masking.labelled import SPLITS, load


def found(text: str, detector: Detector | None = None) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_personal_data(text, detector)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("山田太郎様からの申請", "山田太郎"),
        ("課長 鈴木一郎が決裁した", "鈴木一郎"),
        ("佐藤課長に確認する", "佐藤"),
        ("田中 花子さんの転入届", "田中 花子"),
        ("伊藤氏より意見書", "伊藤"),
        ("渡辺君は研修に参加", "渡辺"),
        ("中村殿", "中村"),
        ("担当の高橋が対応します", "高橋"),
        ("千葉様からお問い合わせ", "千葉"),  # a place name as a surname
        ("福岡さんの住民票", "福岡"),
        ("長野課長が説明した", "長野"),
        ("ジョン・スミス氏が来庁", "ジョン・スミス"),
        ("熊本 健二の届出", "熊本 健二"),  # a place-name surname with a given name
        ("岩崎副課長が担当", "岩崎"),
        ("小池様より申請", "小池"),  # analysed as a common noun (a pond), listed as a surname too
        ("大橋係長が起案", "大橋"),
        ("太郎君の表彰", "太郎"),
    ],
)
def test_names_with_honorifics_titles_or_alone(text, name):
    assert found(text) == [("name", name)]


@pytest.mark.parametrize(
    "text",
    [
        "千葉県の人口は減少傾向にある。",
        "福岡市で全国大会が開催された。",
        "千葉市長が挨拶した。",
        "千葉銀行様との協定",
        "山田建設株式会社が入札に参加した。",
        "株式会社山口製作所との契約",
        "令和6年4月1日から施行する。",
        "昭和50年に建設された庁舎",
        "地方自治法第252条の19",
        "第3章 総則",
        "総務部総務課文書係",
        "お客様各位",
        "担当者様",
        "市民の皆さんへ",
        "東京都の方針に従う。",
        "横浜市と川崎市の連携事業",
        "千代田区内の事業所",
        "東京都条例第1号",
        "大阪府告示第3号による",
        "横浜市営地下鉄3号線",
        "健康課長が出席した。",
        "神様と王様の物語",
        "保護者様各位",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "address",
    [
        "東京都千代田区霞が関1丁目2番3号",
        "神奈川県横浜市中区本町6丁目50番地10",
        "大阪府大阪市北区梅田一丁目3番1号",
        "北海道札幌市中央区北1条西2丁目1番地",
        "横浜市青葉区美しが丘2-15-3",
        "世田谷区世田谷4丁目21番27号",
        "静岡県浜松市中区元城町103番地の2",
        "名古屋市中村区名駅四丁目7番1号",
        "横浜市青葉区美しが丘２－１５－３",
        "京都市下京区烏丸通七条下る東塩小路町721番地の1",  # Kyoto's street directions
        "北海道旭川市6条通9丁目46番地",
    ],
)
def test_street_addresses_with_or_without_prefecture(address):
    assert found(f"住所は{address}です。") == [("address", address)]


def test_names_and_addresses_masked_and_restored_like_other_placeholders():
    masker = Masker(Detector())
    text = "申請者 山田太郎様（神奈川県横浜市中区本町6丁目50番地10、電話090-1234-5678）。山田太郎様へ回答"
    masked = masker.mask(text)
    assert masked == "申請者 ［氏名1］様（［住所1］、電話［電話番号1］）。［氏名1］様へ回答"
    assert masker.counts == {"name": 1, "address": 1, "phone": 1}
    answer = "［氏名1］様、［住所1］宛てに[氏名1]様の通知を送付します。"
    expected = "山田太郎様、神奈川県横浜市中区本町6丁目50番地10宛てに山田太郎様の通知を送付します。"
    assert masker.unmask(answer) == expected
    restorer = masker.restorer()
    pieces = [restorer.feed(answer[i : i + 3]) for i in range(0, len(answer), 3)] + [restorer.flush()]
    assert "".join(pieces) == expected


def test_names_and_addresses_can_be_turned_off():
    text = "山田太郎様（横浜市中区本町6丁目50番地10、電話090-1234-5678）"
    assert found(text, Detector(names=False, addresses=False)) == [("phone", "090-1234-5678")]
    assert [k for k, _ in found(text, Detector(names=False))] == ["address", "phone"]


@pytest.mark.parametrize("split", SPLITS)
def test_labelled_set_recall_of_names_and_addresses(split):
    """The figure benchmarks/masking_pii.py prints, held to the issue's goal (recall ≥ 0.95)."""
    items = load(split)
    for kind in ("name", "address"):
        gold = recalled = 0
        for item in items:
            spans = [(s, e) for k, s, e in item.spans if k == kind]
            covered = {
                i for f in find_personal_data(item.text) if f.kind == kind for i in range(f.start, f.end)
            }
            gold += len(spans)
            recalled += sum(set(range(s, e)) <= covered for s, e in spans)
        assert gold and recalled / gold >= 0.95, (split, kind, recalled, gold)


def test_labelled_look_alikes_stay_unmasked():
    unlabelled = [item.text for split in SPLITS for item in load(split) if not item.spans]
    assert len(unlabelled) >= 40
    assert [(text, found(text)) for text in unlabelled if found(text)] == []
