"""Japanese texts of the inquiry-reply pages (照会回答, 確認・承認, 一括作成); the rest of the UI's are in texts.py."""

from __future__ import annotations

# --- inquiry replies (照会回答, issue 10) -------------------------------------------------------------------------
REPLY_HEADER = "照会回答"
REPLY_CAPTION = (
    "他団体からの照会に対する回答案を、登録された規程等と過去の回答から作成します。"
    "作成した回答案は、内容を確認・修正したうえで確認を依頼してください。"
)
REPLY_TAB_NEW = "回答案の作成"
REPLY_TAB_MINE = "作成した回答案"
REPLY_INPUT_MODE = "入力の方法"
REPLY_INPUT_FORM = "項目ごとに入力"
REPLY_INPUT_PASTE = "照会文を貼り付け"
REPLY_PASTE_LABEL = "照会文"
REPLY_PASTE_PLACEHOLDER = (
    "受け取った照会文（件名、照会元、照会日、照会番号、照会事項など）をそのまま貼り付けてください。"
)
REPLY_SPLIT_BUTTON = "項目に分ける"
REPLY_SPLIT_DONE = (
    "照会文を項目に分けました。内容を確認し、誤りがあれば修正してから回答案を作成してください。"
)
REPLY_SPLIT_ITEMS = "照会事項（{count}件）"
REPLY_SPLIT_EMPTY = "照会文を入力してください。"
REPLY_FIELDS = {
    "subject": "件名",
    "sender": "照会元",
    "sender_section": "照会元の課",
    "asked_on": "照会日",
    "reference": "照会番号（文書番号）",
    "content": "照会内容",
    "due_on": "回答期限",
    "section": "所管課（分かっている場合）",
}
REPLY_CONTENT_HELP = (
    "質問が複数ある場合は「1.」「(1)」「①」「問1」などの番号を付けると、番号ごとに回答します。"
)
REPLY_MODEL_LABEL = "回答案の作成に使うモデル"
REPLY_DRAFT_BUTTON = "回答案を作成する"
REPLY_DRAFTING = "資料と過去の回答を確認し、回答案を作成しています…"
REPLY_CONTENT_MISSING = "照会内容を入力してください。"
REPLY_MINE_NONE = "作成した回答案はまだありません。"
REPLY_OPEN_LABEL = "表示する回答案"
REPLY_OPTION = "{subject}（{state}・第{version}版・{updated}）"
REPLY_STATE = "状態：{state}"
REPLY_VERSION = "第{version}版"
REPLY_OWNER = "作成者：{owner}"
REPLY_REVIEWER = "確認者：{reviewer}"
REPLY_STATE_COLORS = {"下書き": "gray", "確認依頼": "blue", "承認済": "green", "差戻し": "red"}
REPLY_DOC_HEADER = "回答案"
REPLY_KI = "記"
REPLY_END = "以上"
REPLY_ANSWER_PREFIX = "（回答）"
REPLY_CHECK_PREFIX = "（要確認）"
REPLY_CHECK_DEFAULT = "根拠となる資料が見当たらないため、所管課において確認のうえ回答してください。"
REPLY_SOURCES_HEADER = "根拠（{count}件）"
REPLY_SOURCES_NONE = "引用した資料はありません。"
REPLY_SOURCE_PAST = "過去の回答"
REPLY_SOURCE_LINE = "**[{n}] {title}**　{location}　{detail}　{label}"
REPLY_OPEN_POINTS = "要確認事項（{count}件）"
REPLY_OPEN_POINTS_HELP = "次の事項は、資料による裏付けがありません。所管課で確認し、回答を記入してください。"
REPLY_SECTIONS_HEADER = "所管課の候補"
REPLY_SECTIONS_HELP = "類似する過去の照会に回答した課から推定しています（割合は推定の確からしさ）。"
REPLY_SECTIONS_NONE = "所管課を推定できる過去の照会がありません。"
REPLY_SECTION_LINE = "{section}（{confidence:.0%}）"
REPLY_SIMILAR_HEADER = "類似する過去の照会（{count}件）"
REPLY_SIMILAR_NONE = "類似する過去の照会は見つかりませんでした。"
REPLY_SIMILAR_LABEL = "{subject}（{date}・{section}）"
REPLY_SIMILAR_QUESTION = "照会"
REPLY_SIMILAR_ANSWER = "回答"
REPLY_SIMILAR_META = "照会元：{sender}　照会日：{asked}　回答日：{answered}　回答課：{section}　{label}"
REPLY_UNKNOWN = "不明"
REPLY_EDIT_HEADER = "回答案を修正する"
REPLY_EDIT_ITEM = "記{number}の回答"
REPLY_EDIT_STATUS = "記{number}の扱い"
REPLY_EDIT_STATUSES = {"回答": "回答する", "要確認": "要確認（所管課で確認）"}
REPLY_EDIT_NOTE = "記{number}の確認事項"
REPLY_EDIT_OPEN_POINTS = "要確認事項（1行に1件）"
REPLY_EDIT_COMMENT = "修正内容のメモ（任意）"
REPLY_EDIT_SAVE = "修正を保存する"
REPLY_EDIT_SAVED = "修正を保存しました（第{version}版）。"
REPLY_EDIT_FIELDS = {
    "document_number": "文書番号",
    "date": "日付",
    "addressee": "宛先",
    "sender": "発信者",
    "subject": "件名",
    "opening": "本文",
    "contact": "担当",
}
REPLY_SUBMIT_COMMENT = "確認者への連絡事項（任意）"
REPLY_SUBMIT_BUTTON = "確認を依頼する"
REPLY_SUBMITTED = "確認を依頼しました。確認者が承認又は差戻しを行います。"
REPLY_RETURNED_NOTE = "差戻しの理由（{reviewer}）：{comment}"
REPLY_DOWNLOAD_DOCX = "Word形式でダウンロード"
REPLY_DOWNLOAD_TXT = "テキスト形式でダウンロード"
REPLY_DOWNLOAD_DRAFT_NOTE = "承認前の回答案には「案」が表示されます。"
REPLY_HISTORY_HEADER = "処理の履歴"
REPLY_HISTORY_LINE = "{time}　{actor}　{action}（第{version}版）{comment}"
REPLY_ACTIONS = {
    "create": "作成",
    "edit": "修正",
    "submit": "確認依頼",
    "approve": "承認",
    "return": "差戻し",
}
REPLY_MODE_EXTRACTIVE_EXPLAIN = (
    "この回答案はAIによる文章生成ではなく、資料及び過去の回答の該当箇所を抜き出して組み立てたものです。"
)

# --- review (確認・承認) --------------------------------------------------------------------------------------------
REVIEW_HEADER = "確認・承認"
REVIEW_CAPTION = "確認を依頼された回答案を確認し、承認又は差戻しを行います。"
REVIEW_QUEUE_NONE = (
    "確認を依頼されている回答案はありません。"
    "回答案の承認は、管理者又は承認を担当する所属の職員が行います（自ら作成した回答案は承認できません）。"
)
REVIEW_FILTER = "表示する回答案"
REVIEW_FILTERS = {"確認依頼": "確認待ち", "差戻し": "差戻し済み", "承認済": "承認済み"}
REVIEW_COLUMNS = {
    "subject": "件名",
    "owner": "作成者",
    "classification": "機密性",
    "version": "版",
    "submitted": "依頼日時",
    "state": "状態",
}
REVIEW_SELECT = "確認する回答案"
REVIEW_OPTION = "{subject}（{owner}・第{version}版・{time}）"
REVIEW_TAB_DRAFT = "回答案"
REVIEW_TAB_VERSIONS = "版の比較"
REVIEW_VERSIONS_FROM = "比較元の版"
REVIEW_VERSIONS_TO = "比較先の版"
REVIEW_VERSION_OPTION = "第{number}版（{author}・{time}）{comment}"
REVIEW_VERSIONS_ONE = "この回答案は第1版のみです（修正の履歴はありません）。"
REVIEW_VERSIONS_SAME = "比較する版を2つ選んでください。"
REVIEW_DIFF_NONE = "選んだ版の間に違いはありません。"
REVIEW_DIFF_HELP = "「-」で始まる行は削除された内容、「+」で始まる行は追加された内容です。"
REVIEW_COMMENT = "コメント（差戻しの場合は理由を記入してください）"
REVIEW_APPROVE = "承認する"
REVIEW_RETURN = "差し戻す"
REVIEW_APPROVED = "回答案を承認しました。"
REVIEW_RETURNED = "回答案を差し戻しました。"
REVIEW_RETURN_NEEDS_COMMENT = "差し戻す場合は、理由をコメントに記入してください。"
REVIEW_OWN = "自ら作成した回答案は承認できません。"

# --- batch (一括作成) ------------------------------------------------------------------------------------------------
BATCH_HEADER = "一括作成"
BATCH_CAPTION = (
    "照会の一覧表（CSV、Excel又はJSONL）から、照会ごとの回答案をまとめて作成します。"
    "見出しは「件名」「照会元」「照会日」「照会番号」「照会内容」「回答期限」「所管課」などを使用できます。"
)
BATCH_UPLOAD_LABEL = "照会の一覧表（CSV、Excel又はJSONL）"
BATCH_MODEL_LABEL = "回答案の作成に使うモデル"
BATCH_START = "一括作成を開始する"
BATCH_NO_FILE = "照会の一覧表を選んでください。"
BATCH_STARTED = "一括作成を開始しました（{n_items}件）。"
BATCH_BAD_ROWS = "読み込めなかった行（{count}件）：次の行は処理の対象外です。"
BATCH_BAD_COLUMNS = {"row": "行", "reason": "理由"}
BATCH_JOBS_HEADER = "一括作成の一覧"
BATCH_JOBS_NONE = "一括作成の記録はまだありません。"
BATCH_JOB_SELECT = "表示する一括作成"
BATCH_JOB_OPTION = "{created}　{n_items}件　{state}"
BATCH_STATES = {
    "running": "処理中",
    "done": "完了",
    "cancelled": "取消し",
    "failed": "失敗",
    "queued": "待機中",
}
BATCH_ITEM_STATES = {
    "pending": "未処理",
    "running": "処理中",
    "done": "作成済み",
    "failed": "失敗",
    "cancelled": "取消し",
}
BATCH_PROGRESS = (
    "{finished}/{total}件を処理しました（作成済み {done}件・失敗 {failed}件・処理中 {running}件）"
)
BATCH_METRICS = {"done": "作成済み", "failed": "失敗", "running": "処理中", "pending": "未処理"}
BATCH_REFRESH = "最新の状況に更新"
BATCH_CANCEL = "一括作成を取り消す"
BATCH_CANCELLED = "一括作成を取り消しました。処理済みの回答案はダウンロードできます。"
BATCH_RESUME = "未処理の分を再開する"
BATCH_RESUMED = "一括作成を再開しました。"
BATCH_ITEMS_HEADER = "照会ごとの状況"
BATCH_ITEM_COLUMNS = {
    "row": "行",
    "subject": "件名",
    "state": "状態",
    "attempts": "試行回数",
    "error": "エラー",
}
BATCH_DOWNLOADS = "結果のダウンロード"
BATCH_DOWNLOAD = {"zip": "一式（ZIP）", "xlsx": "一覧表（Excel）", "csv": "一覧表（CSV）"}
BATCH_DOWNLOAD_NOTE = (
    "一式（ZIP）には、一覧表（Excel・CSV）と照会ごとの回答文書（Word）が入っています。"
    "いずれも承認前の回答案であり、回答文書には「案」が表示されます。"
)
BATCH_BACKEND = "モデル：{backend}"
