"""Text fixtures: statutes (e-Gov plain-text layout, hand-typed layout, lawqa_jp Markdown), an HTML page
with site chrome around its main text, and a writer for any encoding. All texts are invented."""

from __future__ import annotations

from pathlib import Path

# e-Gov plain-text layout: number markers alone on a line, body indented with a full-width space,
# captions above bare article lines, lines broken at cross-references, a table of contents.
EGOV_STATUTE = """\

架空市文書管理条例
（令和二年三月二十七日条例第五号）最終改正：令和五年三月二十四日条例第十二号
　架空市は、公文書の適正な管理のため、この条例を制定する。

　第一章　総則（第一条―第三条の二）
　第二章　公文書の管理
　　第一節　作成（第四条）
　附則

　　　第一章　総則

（目的）
第一条

　この条例は、公文書等の管理に関する法律
（平成二十一年法律第六十六号）第三十四条
の規定に基づき、市の公文書の管理に関し必要な事項を定めるものとする。

（定義）
第二条

　この条例において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。
一

　実施機関　市長、教育委員会及び選挙管理委員会をいう。

二

　公文書　実施機関の職員が職務上作成し、又は取得した文書をいう。

２

　前項第二号の文書には、電磁的記録を含むものとする。


（責務）
第三条

　実施機関は、この条例の趣旨にのっとり、公文書を適正に管理しなければならない。

（電子化の推進）
第三条の二

　実施機関は、公文書の電子化に努めるものとする。

　　　第二章　公文書の管理
　　　　第一節　作成

（作成）
第四条

　職員は、経緯を含めた意思決定に至る過程を合理的に跡付けることができるよう、文書を作成しなければならない。

　　　附　則　抄

（施行期日）
第一条

　この条例は、令和二年四月一日から施行する。

別表第一（第二条関係）

実施機関の名称

市長
"""

# Hand-typed layout: caption on the article line, paragraph and item numbers before the text.
HAND_STATUTE = """\
架空町情報公開条例
（令和四年条例第三号）

第一条（目的）　この条例は、町民の知る権利を保障することを目的とする。
第二条（定義）　この条例において「公文書」とは、次に掲げるものをいう。
一　文書
二　図画
２　前項の規定にかかわらず、官報は公文書に含まない。
第十条の二（手数料）　開示の手数料は、無料とする。
"""

# The Digital Agency's lawqa_jp Markdown layout: ## law / ### 条 / #### 項 / ##### 号.
MARKDOWN_LAW = """\
## 架空行政手続法
### 第5条
#### 第1項
行政庁は、審査基準を定めるものとする。
#### 第2項
行政庁は、審査基準を公にしておかなければならない。
##### 第1号
法令により公にすることが禁止されている場合
### 第6条の2
行政庁は、標準処理期間を定めるよう努めなければならない。
"""

HTML_PAGE = """\
<!DOCTYPE html>
<html lang="ja">
<head><meta charset="utf-8"><title>ごみの出し方｜架空市</title>
<script>var tracking = "スクリプトの文字";</script><style>.x{color:red}</style></head>
<body>
<header><p>架空市公式ホームページ</p></header>
<nav><ul><li>ホーム</li><li>くらし</li></ul></nav>
<div class="pankuzu">ホーム &gt; くらし &gt; ごみ</div>
<main>
<h1>ごみの出し方</h1>
<p>ごみは<strong>収集日の朝8時</strong>までに出してください。</p>
<h2>分別の区分</h2>
<p>次の表のとおり分別してください。</p>
<table>
<tr><th rowspan="2">区分</th><th colspan="2">収集日</th></tr>
<tr><th>東地区</th><th>西地区</th></tr>
<tr><td>可燃ごみ</td><td>月・木</td><td>火・金</td></tr>
<tr><td>資源ごみ</td><td>水</td><td>水</td></tr>
</table>
<h3>粗大ごみ</h3>
<ul><li>事前に申込みが必要です。</li><li>手数料がかかります。</li></ul>
</main>
<aside>関連リンク</aside>
<footer>Copyright 架空市</footer>
</body>
</html>
"""


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text in the given encoding ("utf-8", "utf-8-sig", "cp932", "utf-16" …)."""
    path.write_bytes(text.encode(encoding))
    return path
