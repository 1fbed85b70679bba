"""The fixed parts of a reply: the addressee's honorific, the 件名, the opening with missing references."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.inquiry.compose import addressee, opening, reply_subject

TEMPLATE = "{asked}付け{reference}で照会のありました標記の件について、下記のとおり回答します。"


@pytest.mark.parametrize(
    ("sender", "section", "expected"),
    [
        ("つばさ町総務課長", "", "つばさ町総務課長　様"),
        ("東京都総務局長", "", "東京都総務局長　様"),
        ("つばさ町", "", "つばさ町長　様"),
        ("うみべ県", "", "うみべ県知事　様"),
        ("ひかり市総務課", "", "ひかり市総務課　御中"),
        ("東京都総務局", "行政部区政課", "東京都総務局行政部区政課　御中"),
        ("ひかり市情報政策センター", "", "ひかり市情報政策センター　御中"),
        ("松本文明（自民党）", "", "松本文明（自民党）　様"),
        ("つばさ町長　山田太郎", "", "つばさ町長　山田太郎　様"),
        ("ひかり市総務課　御中", "", "ひかり市総務課　御中"),
        ("", "", "ご照会元　様"),
    ],
)
def test_addressee(sender, section, expected):
    assert addressee(sender, section) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("休暇の取扱いについて（照会）", "休暇の取扱いについて（回答）"),
        ("休暇の取扱いについて", "休暇の取扱いについて（回答）"),
        ("休暇の取扱い(照会)", "休暇の取扱いについて（回答）"),
        ("", "照会事項について（回答）"),
    ],
)
def test_reply_subject(subject, expected):
    assert reply_subject(subject) == expected


def test_opening_with_and_without_date_and_number():
    asked = date(2025, 4, 1)
    assert (
        opening(TEMPLATE, asked, "総第1号")
        == "令和7年4月1日付け総第1号で照会のありました標記の件について、下記のとおり回答します。"
    )
    assert (
        opening(TEMPLATE, asked, "")
        == "令和7年4月1日付けで照会のありました標記の件について、下記のとおり回答します。"
    )
    assert (
        opening(TEMPLATE, None, "総第1号")
        == "総第1号で照会のありました標記の件について、下記のとおり回答します。"
    )
    assert opening(TEMPLATE, None, "") == "照会のありました標記の件について、下記のとおり回答します。"
    assert opening(TEMPLATE, date(2019, 5, 1), "事務連絡").startswith("令和元年5月1日付け事務連絡で")
