"""New inquiries (照会) the fictional city みなと市 has received and not yet answered: the input of the reply task.

Written beside the sample corpus into 新規照会/ and kept out of the index (the folder is added to the corpus's
.yakubaignore): they are questions to answer, not documents to cite. Files:
- 新規照会一覧.csv (UTF-8): one row per inquiry with the batch-input headers (番号, 照会日, 照会元, 照会番号,
  回答期限, 件名, 照会内容) and 正解所管課, the section that should answer (the evaluators' column), so the file
  serves `yakuba reply batch` and evaluation alike;
- 照会文_NN.txt: a few of them as pasted official letters (for `yakuba reply draft --file`).
Several inquiries hold numbered questions (1. / (1) / ① / 問1); some ask what no sample document answers, so their
drafts must say 要確認. All senders and numbers are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.sample.plain import write_csv, write_text

FOLDER = "新規照会"
CSV_NAME = "新規照会一覧.csv"
COLUMNS = ["番号", "照会日", "照会元", "照会番号", "回答期限", "件名", "照会内容", "正解所管課"]
IGNORE_LINE = f"{FOLDER}/*"
LETTERS = (0, 4, 12)  # inquiries also written as pasted letters


@dataclass(frozen=True)
class NewInquiry:
    asked: date
    sender: str
    reference: str
    due: date
    subject: str
    content: str
    section: str  # the section that should answer


def _d(y: int, m: int, d: int) -> date:
    return date(y, m, d)


NEW_INQUIRIES: list[NewInquiry] = [
    NewInquiry(
        _d(2025, 6, 2),
        "つばさ町総務課",
        "つ総第210号",
        _d(2025, 6, 16),
        "会計年度任用職員の休暇について",
        "1　会計年度任用職員の夏季休暇の日数及び取得できる期間はどうなっているか。\n"
        "2　病気休暇は有給としているか。\n3　年次有給休暇の繰越しはできるか。",
        "人事課",
    ),
    NewInquiry(
        _d(2025, 6, 4),
        "ひかり市総務課",
        "ひ総発第88号",
        _d(2025, 6, 18),
        "公文書の公開請求への対応について",
        "(1) 公開決定等の期限を延長する場合の手続はどうしているか。\n(2) 写しの交付に要する費用はいくらか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 6, 5),
        "あおば市市民課",
        "あ市第41号",
        _d(2025, 6, 20),
        "マイナンバーカードの交付について",
        "① 窓口で申請する場合に必要な書類は何か。\n② 代理人が受け取る場合の手続はどうなっているか。\n"
        "③ 再交付の手数料はいくらか。",
        "市民課",
    ),
    NewInquiry(
        _d(2025, 6, 9),
        "かわせ市情報政策課",
        "か情第15号",
        _d(2025, 6, 23),
        "生成AIの利用について",
        "問1　生成AIに入力してはならない情報の範囲をどのように定めているか。\n"
        "問2　生成AIで作成した文書を対外的に用いる場合の確認はどうしているか。",
        "情報政策課",
    ),
    NewInquiry(
        _d(2025, 6, 10),
        "みどり町総務課",
        "み総第72号",
        _d(2025, 6, 24),
        "文書の保存期間について",
        "1　保存期間の起算日はいつとしているか。\n2　保存期間を延長する場合の手続はどうしているか。\n"
        "3　保存期間が満了した文書の廃棄前にどのような選別をしているか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 6, 11),
        "しおかぜ町総務課",
        "し総第33号",
        _d(2025, 6, 25),
        "公印の押印の省略について",
        "公印の押印を省略できる文書の範囲をどのように定めているか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 6, 12),
        "やまなみ市人事課",
        "や人第19号",
        _d(2025, 6, 26),
        "テレワーク勤務について",
        "(1) テレワーク勤務で職員の私物端末の利用を認めているか。\n(2) 在宅勤務を行う職員の通勤手当はどうしているか。",
        "人事課",
    ),
    NewInquiry(
        _d(2025, 6, 13),
        "さくら市市民課",
        "さ市発第27号",
        _d(2025, 6, 27),
        "住民票の写しの請求について",
        "住民票の写しをコンビニエンスストアで取得する場合、どのような事項が記載されるか。",
        "市民課",
    ),
    NewInquiry(
        _d(2025, 6, 16),
        "うみべ県税務課",
        "う税第102号",
        _d(2025, 6, 30),
        "個人住民税の取扱いについて",
        "1　年度の途中で転出した者の個人住民税はどの団体が課税しているか。\n"
        "2　課税証明書を代理人が請求する場合に必要なものは何か。",
        "税務課",
    ),
    NewInquiry(
        _d(2025, 6, 17),
        "ひかり市介護保険課",
        "ひ介第12号",
        _d(2025, 7, 1),
        "要介護認定の取扱いについて",
        "(1) 転入者の要介護認定はどのように引き継いでいるか。\n(2) 更新申請はいつから受け付けているか。",
        "介護保険課",
    ),
    NewInquiry(
        _d(2025, 6, 18),
        "あおば市こども課",
        "あこ第8号",
        _d(2025, 7, 2),
        "児童手当の制度改正について",
        "① 高校生年代の児童に係る認定請求はどのように受け付けているか。\n"
        "② 多子加算の算定に当たり大学生年代の兄姉をどのように確認しているか。",
        "子育て支援課",
    ),
    NewInquiry(
        _d(2025, 6, 19),
        "かわせ市総務課",
        "か総第64号",
        _d(2025, 7, 3),
        "情報公開条例の運用について",
        "特定の個人を名指しした公文書の公開請求について、存否を明らかにしないで拒否した事例はあるか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 6, 20),
        "つばさ町町民課",
        "つ町第17号",
        _d(2025, 7, 4),
        "戸籍の届出等について",
        "1　婚姻届の証人欄に記載漏れがあった場合はどのように取り扱っているか。\n"
        "2　戸籍証明書の広域交付を請求できるのは誰か。\n"
        "3　氏名の振り仮名の届出は、通知の到着前でも受け付けているか。",
        "市民課",
    ),
    NewInquiry(
        _d(2025, 6, 23),
        "みどり町住民課",
        "み住第5号",
        _d(2025, 7, 7),
        "行政手続のオンライン化について",
        "貴市の行政手続オンライン化推進計画において、オンライン化の目標と重点的に取り組む手続をどのように定めているか。",
        "情報政策課",
    ),
    NewInquiry(
        _d(2025, 6, 24),
        "さくら市人事課",
        "さ人第31号",
        _d(2025, 7, 8),
        "会計年度任用職員の任用について",
        "(1) 公募によらない再度の任用は何回まで行っているか。\n(2) パートタイム会計年度任用職員に勤勉手当を支給しているか。",
        "人事課",
    ),
    NewInquiry(
        _d(2025, 6, 25),
        "やまなみ市納税課",
        "や納第44号",
        _d(2025, 7, 9),
        "ふるさと納税について",
        "ワンストップ特例の申請書は、いつまでに提出されたものを受け付けているか。",
        "税務課",
    ),
    NewInquiry(
        _d(2025, 6, 26),
        "うみべ県みなと警察署刑事課",
        "う刑第301号",
        _d(2025, 7, 3),
        "捜査関係事項照会への対応について",
        "捜査関係事項照会により住民の個人情報の提供を求められた場合、どのように対応しているか。",
        "市民課",
    ),
    NewInquiry(
        _d(2025, 6, 27),
        "しおかぜ町福祉課",
        "し福第22号",
        _d(2025, 7, 11),
        "介護保険料の徴収について",
        "転入した第1号被保険者の保険料は、特別徴収と普通徴収のどちらで徴収しているか。",
        "介護保険課",
    ),
    NewInquiry(
        _d(2025, 6, 30),
        "ひかり市財政課",
        "ひ財第9号",
        _d(2025, 7, 14),
        "公用車の管理について",
        "1　公用車の台数及び更新の基準を教えてほしい。\n2　電気自動車の導入計画はあるか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 7, 1),
        "かわせ市子育て支援課",
        "か子第13号",
        _d(2025, 7, 15),
        "児童手当の受給者について",
        "(1) 離婚協議中で父母が別居している場合、どちらを受給者としているか。\n"
        "(2) 公務員が退職した場合、児童手当の切替えをどのように行っているか。",
        "子育て支援課",
    ),
    NewInquiry(
        _d(2025, 7, 2),
        "あおば市総務課",
        "あ総第77号",
        _d(2025, 7, 16),
        "職員の電子メールの取扱いについて",
        "問1　職員個人のメールボックスにある業務上の電子メールは公文書に該当するか。\n"
        "問2　電子決裁した文書はどのように保存しているか。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 7, 3),
        "つばさ町企画課",
        "つ企第4号",
        _d(2025, 7, 17),
        "庁舎の再編について",
        "本庁舎の建替えの予定と、支所の統廃合の方針を教えてほしい。",
        "総務課",
    ),
    NewInquiry(
        _d(2025, 7, 4),
        "みどり町税務課",
        "み税第28号",
        _d(2025, 7, 18),
        "固定資産税の取扱いについて",
        "① 納税義務者が死亡した場合の固定資産税はどのように取り扱っているか。\n"
        "② 滞納整理のための固定資産の所有状況の照会に応じているか。",
        "税務課",
    ),
]


def _era(d: date) -> str:
    return f"令和{d.year - 2018}年{d.month}月{d.day}日"


def letter(inquiry: NewInquiry) -> str:
    """The inquiry as an official letter, the way a clerk pastes it."""
    questions = "\n".join(f"{line}" for line in inquiry.content.splitlines())
    return (
        f"{inquiry.reference}\n{_era(inquiry.asked)}\n\nみなと市長　様\n\n{inquiry.sender}長\n（公印省略）\n\n"
        f"　　　{inquiry.subject}（照会）\n\n"
        f"　標記の件について、下記のとおり照会します。お忙しいところ恐縮ですが、{_era(inquiry.due)}までに御回答"
        f"くださいますようお願いします。\n\n記\n\n{questions}\n\n以上\n\n（担当）{inquiry.sender}　電話 000-000-0000\n"
    )


def write_new_inquiries(out_dir: Path) -> list[Path]:
    """Write 新規照会/ under the sample corpus folder and keep it out of the index (.yakubaignore)."""
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        [f"N-{i:03d}", _era(q.asked), q.sender, q.reference, _era(q.due), q.subject, q.content, q.section]
        for i, q in enumerate(NEW_INQUIRIES, start=1)
    ]
    written = [write_csv(folder / CSV_NAME, COLUMNS, rows, encoding="utf-8")]
    written += [write_text(folder / f"照会文_{i + 1:02d}.txt", letter(NEW_INQUIRIES[i])) for i in LETTERS]
    ignore = Path(out_dir) / ".yakubaignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    if IGNORE_LINE not in lines:
        write_text(
            ignore,
            "\n".join(
                [*lines, "# not content: new inquiries to answer (input of the reply task)", IGNORE_LINE]
            )
            + "\n",
        )
    return written
