"""Write the whole sample corpus of the fictional city みなと市 into one folder."""

from __future__ import annotations

from pathlib import Path

from ingest.sample import (
    budget,
    child_allowance,
    guideline,
    meeting,
    notices,
    online_plan,
    ordinance,
    records_rule,
    restricted,
    web_page,
)
from ingest.sample.inquiry_files import write_inquiry_files
from ingest.sample.office import write_docx, write_pptx, write_xlsx
from ingest.sample.pdf import write_pdf
from ingest.sample.plain import write_sidecar, write_text

INTERNAL_DIR = "内部"  # 機密性2, groups 財政課 and 総務課
SECRET_DIR = "機密"  # 機密性3, group 総務課
INTERNAL_LABELS = (2, ["財政課", "総務課"])
SECRET_LABELS = (3, ["総務課"])

README_MD = """\
# サンプル文書（架空の自治体「みなと市」）

このフォルダーの文書は、Yakuba（役場）の動作を確認するために作成した説明用のサンプルです。
「みなと市」は架空の自治体であり、文書に登場する自治体、団体、部署、人物、電話番号、メールアドレス及び住所は
いずれも架空のものです。実在の自治体、団体又は個人とは関係ありません。

文書中の制度の説明は、実在の法令等を参考にしていますが、正確性を保証するものではありません。
実際の事務に当たっては、必ず最新の法令、通知等の原文を確認してください。

## 収録している文書

| フォルダー | 内容 | 形式 | 機密性 |
| --- | --- | --- | --- |
| 計画 | みなと市行政手続オンライン化推進計画 | PDF | 機密性1 |
| 通知 | テレワーク勤務の実施について（通知） | Word | 機密性1 |
| 通知 | 児童手当の制度改正に伴う事務の取扱いについて（通知） | Word | 機密性1 |
| 通知 | 文書管理規程の運用について（通知） | テキスト（UTF-8） | 機密性1 |
| 通知 | 会計年度任用職員の休暇等の取扱いについて（事務連絡） | テキスト（Shift_JIS） | 機密性1 |
| 例規 | みなと市情報公開条例、みなと市文書管理規程 | テキスト（法令形式） | 機密性1 |
| 会議 | 第5回みなと市DX推進本部会議資料 | PowerPoint | 機密性1 |
| 手続案内 | マイナンバーカードの申請と受け取り、住民票の写し・戸籍証明書の請求（市ホームページ） | HTML | 機密性1 |
| ガイドライン | みなと市生成AI利用ガイドライン | Markdown | 機密性1 |
| 照会回答 | 照会と回答の記録（50件） | CSV（Shift_JIS）、Excel、JSON Lines | 機密性1 |
| 内部 | 事業別予算・窓口手続件数、予算編成に向けた内部検討メモ | Excel、テキスト | 機密性2（財政課、総務課） |
| 機密 | 情報セキュリティ事案対応記録 | テキスト | 機密性3（総務課） |

各フォルダーの機密性と閲覧できる課は、フォルダー内の `.yakuba.json` で設定しています。
設定ファイルのないフォルダーの文書は、機密性1（全職員が閲覧可能）として取り込まれます。
"""


def write_sample_corpus(out_dir: Path) -> list[Path]:
    """Write every sample file (and the access-label sidecars) under `out_dir`; return the paths written.

    Existing files of the same names are overwritten; other files in `out_dir` are left alone. Output is the same
    bytes on every run (document dates and metadata are fixed).
    """
    out_dir = Path(out_dir)
    folders = {
        name: out_dir / name
        for name in (
            "計画",
            "通知",
            "例規",
            "会議",
            "手続案内",
            "ガイドライン",
            "照会回答",
            INTERNAL_DIR,
            SECRET_DIR,
        )
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    written = [
        write_text(out_dir / "README.md", README_MD),
        # the README explains the samples to people; it is not a policy document, so it is not indexed
        write_text(out_dir / ".yakubaignore", "# not content: explains the sample corpus\nREADME.md\n"),
        write_pdf(
            folders["計画"] / "みなと市行政手続オンライン化推進計画.pdf", online_plan.META, online_plan.BLOCKS
        ),
        write_docx(
            folders["通知"] / "テレワーク勤務の実施について.docx",
            notices.TELEWORK_META,
            notices.TELEWORK_BLOCKS,
        ),
        write_docx(
            folders["通知"] / "児童手当の制度改正に伴う事務の取扱いについて.docx",
            child_allowance.META,
            child_allowance.BLOCKS,
        ),
        write_text(folders["通知"] / "文書管理規程の運用について.txt", notices.RECORDS_MANAGEMENT_TEXT),
        write_text(
            folders["通知"] / "事務連絡_会計年度任用職員の休暇等の取扱い.txt",
            notices.PART_TIME_LEAVE_TEXT,
            encoding="cp932",
            line_end="\r\n",  # as saved by a Windows editor
        ),
        write_text(folders["例規"] / "みなと市情報公開条例.txt", ordinance.INFORMATION_DISCLOSURE_ORDINANCE),
        write_text(folders["例規"] / "みなと市文書管理規程.txt", records_rule.RECORDS_MANAGEMENT_RULE),
        write_pptx(folders["会議"] / "第5回DX推進本部会議資料.pptx", meeting.META, meeting.SLIDES),
        write_text(
            folders["手続案内"] / "マイナンバーカードの申請と受け取り.html", web_page.MYNUMBER_CARD_HTML
        ),
        write_text(folders["手続案内"] / "住民票の写し・戸籍証明書の請求.html", web_page.CERTIFICATES_HTML),
        write_text(
            folders["ガイドライン"] / "生成AI利用ガイドライン.md", guideline.GENERATIVE_AI_GUIDELINE_MD
        ),
        *write_inquiry_files(folders["照会回答"]),
        write_sidecar(folders[INTERNAL_DIR], *INTERNAL_LABELS),
        write_xlsx(
            folders[INTERNAL_DIR] / "令和6年度事業別予算・窓口手続件数.xlsx", budget.META, budget.SHEETS
        ),
        write_text(
            folders[INTERNAL_DIR] / "令和7年度予算編成に向けた内部検討メモ.txt", restricted.BUDGET_MEMO_TEXT
        ),
        write_sidecar(folders[SECRET_DIR], *SECRET_LABELS),
        write_text(folders[SECRET_DIR] / "情報セキュリティ事案対応記録.txt", restricted.INCIDENT_RECORD_TEXT),
    ]
    return written
