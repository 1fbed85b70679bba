"""Content of the sample workbook (内部, 機密性2): 事業別予算 and 窓口手続件数, each with a two-row merged header,
a blank row and a blank column, as such sheets are kept in a city office."""

from __future__ import annotations

from datetime import datetime

from ingest.sample.blocks import Meta, Sheet

META = Meta(
    title="令和6年度 事業別予算・決算及び窓口手続件数",
    author="みなと市総務部財政課",
    when=datetime(2025, 5, 30, 17, 0, 0),
)

NONE = "－"  # how the office marks "no value" (e.g. a project that did not exist that year)

# The data tables below are laid out as the sheets are; keep ruff format from exploding them.
# fmt: off
# 款, 事業名, 所管課, 令和5年度 予算額・決算額, 令和6年度 予算額・決算額 (千円), 備考
PROJECT_GROUPS: list[tuple[str, list[tuple[str, str, int | str, int | str, int, int, str]]]] = [
    ("総務費", [
        ("電子申請システム運用事業", "情報政策課", 18500, 17842, 21300, 20915, "オンライン決済機能を追加"),
        ("基幹業務システム標準化事業", "情報政策課", 245000, 231560, 386000, 371248,
         "デジタル基盤改革支援補助金を充当"),
        ("窓口キャッシュレス決済導入事業", "市民課", NONE, NONE, 12800, 11930, "令和6年度新規"),
        ("書かない窓口導入事業", "市民課", NONE, NONE, 24600, 23105, "令和6年10月稼働"),
        ("文書管理システム更新事業", "総務課", 9200, 9018, 35400, 34650, "電子決裁の全面導入"),
        ("生成AI試行導入事業", "情報政策課", NONE, NONE, 6600, 5874, "令和6年度新規（試行）"),
    ]),
    ("民生費", [
        ("児童手当支給事業", "子育て支援課", 2830000, 2794325, 3412000, 3368770,
         "令和6年10月制度改正（所得制限の撤廃等）"),
        ("介護保険事業特別会計繰出金", "介護保険課", 1524000, 1518650, 1571000, 1566210, ""),
        ("子育て支援手続オンライン化事業", "子育て支援課", 4800, 4512, 7900, 7640, "現況届の電子化"),
    ]),
    ("衛生費", [
        ("粗大ごみ収集受付システム改修事業", "環境課", 3300, 3135, 2100, 2046, "LINEによる申込みを追加"),
    ]),
]

# 手続, 所管課, 令和5年度 窓口・オンライン, 令和6年度 窓口・オンライン (件)
COUNTER_GROUPS: list[list[tuple[str, str, int, int | str, int, int | str]]] = [
    [
        ("住民票の写しの交付", "市民課", 42780, 19220, 36450, 25310),
        ("印鑑登録証明書の交付", "市民課", 28400, 12100, 24900, 15800),
        ("戸籍証明書の交付", "市民課", 15300, 2100, 16800, 2900),
        ("転出届", "市民課", 5740, 1260, 5020, 2010),
        ("マイナンバーカードの交付", "市民課", 21500, NONE, 13200, NONE),
    ],
    [
        ("市税の証明書の交付", "税務課", 18900, 1200, 17600, 2400),
        ("児童手当の認定請求・現況届", "子育て支援課", 3640, 360, 6850, 2150),
        ("要介護認定申請", "介護保険課", 7520, 230, 7610, 480),
        ("情報公開請求", "総務課", 312, 38, 298, 71),
        ("粗大ごみの収集申込み", "環境課", 9800, 6010, 8900, 7300),
    ],
]
# fmt: on


def online_rate(counter: int, online: int | str) -> float | str:
    """Share of online applications, e.g. 0.31; "－" where a procedure cannot be done online."""
    if isinstance(online, str):
        return NONE
    return round(online / (counter + online), 3)


def _number_sum(values) -> int:
    return sum(v for v in values if isinstance(v, int))


def budget_sheet() -> Sheet:
    rows: list[list] = [
        ["令和6年度　事業別予算・決算一覧（一般会計・情報化関連等）"] + [None] * 8,
        [None] * 8 + ["（単位：千円）"],
        ["款", "事業名", "所管課", "令和5年度", None, "令和6年度", None, None, "備考"],
        [None, None, None, "予算額", "決算額", "予算額", "決算額", None, None],
    ]
    merges = ["A1:I1", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:G3", "I3:I4"]
    projects = []
    for n, (section, items) in enumerate(PROJECT_GROUPS):
        if n == 1:
            rows.append([None] * 9)  # the blank row the office leaves between 款
        first = len(rows) + 1
        for name, dept, b5, s5, b6, s6, note in items:
            rows.append([section if len(rows) + 1 == first else None, name, dept, b5, s5, b6, s6, None, note])
            projects.append((b5, s5, b6, s6))
        if len(items) > 1:
            merges.append(f"A{first}:A{first + len(items) - 1}")
    totals = [_number_sum(column) for column in zip(*projects, strict=True)]
    rows.append(["合計", None, None, *totals, None, None])
    merges.append(f"A{len(rows)}:C{len(rows)}")
    widths = {"A": 9, "B": 34, "C": 14, "D": 13, "E": 13, "F": 13, "G": 13, "H": 3, "I": 36}
    return Sheet("事業別予算", rows, merges, header_rows=[3, 4], widths=widths)


def counter_sheet() -> Sheet:
    rows: list[list] = [
        ["窓口手続件数（令和5年度・令和6年度）"] + [None] * 7,
        [None] * 7 + ["（単位：件）"],
        ["手続", "所管課", "令和5年度", None, "令和6年度", None, None, "令和6年度\nオンライン率"],
        [None, None, "窓口", "オンライン", "窓口", "オンライン", None, None],
    ]
    for n, group in enumerate(COUNTER_GROUPS):
        if n:
            rows.append([None] * 8)
        for name, dept, c5, o5, c6, o6 in group:
            rows.append([name, dept, c5, o5, c6, o6, None, online_rate(c6, o6)])
    merges = ["A1:H1", "A3:A4", "B3:B4", "C3:D3", "E3:F3", "H3:H4"]
    widths = {"A": 30, "B": 14, "C": 11, "D": 11, "E": 11, "F": 11, "G": 3, "H": 14}
    return Sheet("窓口手続件数", rows, merges, header_rows=[3, 4], widths=widths)


SHEETS = [budget_sheet(), counter_sheet()]
