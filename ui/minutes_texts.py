"""Japanese texts of the 議事録作成 page; the rest of the UI's are in texts.py and reply_texts.py."""

from __future__ import annotations

HEADER = "議事録作成"
CAPTION = (
    "会議の発言記録（文字起こし）から、選んだ様式の議事録案を作成します。"
    "議事録案の各文には、もとになった発言の番号が付いています。内容を確認・修正したうえで確認を依頼してください。"
)
TAB_NEW = "議事録案の作成"
TAB_MINE = "作成した議事録案"
INPUT_MODE = "発言記録の入力方法"
INPUT_FILE = "ファイルを選択"
INPUT_PASTE = "貼り付け"
FILE_LABEL = "発言記録のファイル（テキスト、Markdown、WebVTT、SRT、Word、JSON）"
FILE_TYPES = ["txt", "md", "vtt", "srt", "docx", "json"]
MEETING_LABEL = "会議の番号（0は指定なし）"
MEETING_HELP = "1つのJSONファイルに複数の会議が含まれる場合に、何番目の会議から作成するかを指定します。"
PASTE_LABEL = "発言記録"
PASTE_PLACEHOLDER = "「○議長（山田太郎君）　…」「山田：…」「【山田】…」のように、発言者名を付けた発言記録を貼り付けてください。"
STYLE_LABEL = "様式"
STYLES = {
    "要点筆記": "要点筆記（議題ごとの要旨）",
    "発言録": "発言録（発言ごと。「えー」等を除く）",
    "質疑応答": "質疑応答（質問と答弁を対で記載）",
}
STYLE_HELP = (
    "要点筆記は議題ごと・発言者ごとの要点を、発言録は各発言を言いよどみや繰返しだけ除いてそのまま、"
    "質疑応答は質問と答弁を対にして記載します。"
)
MAX_CHARS_LABEL = "1項目の字数の上限（0は指定なし）"
MAX_CHARS_HELP = "「100字以内」のように指定すると、要旨・要点の各項目をこの字数以内にします。"
CLASSIFICATION_LABEL = "会議の機密性"
CLASSIFICATION_HELP = (
    "機密性2以上の会議は、利用できるモデルが制限されます。議事録案にも機密性が表示されます。"
)
FIELDS = {"title": "会議名", "held_on": "日時", "place": "場所"}
ATTENDEES_LABEL = "出席者（1行に1人）"
ATTENDEES_HELP = "空欄の場合は、発言記録の発言者から作成します。作成後に修正できます。"
AGENDA_LABEL = "議題（1行に1件）"
AGENDA_HELP = "空欄の場合は、発言記録から議題を推定します。"
MODEL_LABEL = "議事録案の作成に使うモデル"
DRAFT_BUTTON = "議事録案を作成する"
DRAFTING = "発言記録を読み込み、議事録案を作成しています…"
MISSING_FILE = "発言記録のファイルを選択してください。"
MISSING_TEXT = "発言記録を貼り付けてください。"
JOB_HEADER = "議事録案を作成中です"
JOB_PROGRESS = "{stage}（{done}/{total}）"
JOB_STARTING = "{stage}"
JOB_NOTE = "長い会議のため、裏で作成しています。このページを離れても作成は続きます。"
JOB_REFRESH = "状況を更新"
JOB_CANCEL = "作成を取り消す"
JOB_CANCELLED = "議事録案の作成を取り消しました。"
JOB_FAILED = "議事録案を作成できませんでした：{error}"
MINE_NONE = "作成した議事録案はまだありません。"
OPEN_LABEL = "表示する議事録案"
OPTION = "{title}（{state}・第{version}版・{updated}）"
UNTITLED = "（会議名なし）"
STATE = "状態：{state}"
VERSION = "第{version}版"
OWNER = "作成者：{owner}"
REVIEWER = "確認者：{reviewer}"
STYLE_BADGE = "様式：{style}"
LIMIT_BADGE = "{limit}字以内"
TURNS_BADGE = "発言{count}件"
MODE_EXTRACTIVE = (
    "抽出モード：生成AIを使わず、発言記録から文をそのまま抜き出して作成しました。"
    "要旨として十分か確認し、必要に応じて修正してください。"
)
PREVIEW_HEADER = "議事録案（印刷時の体裁）"
PREVIEW_HELP = "〔発言3, 5〕にマウスを重ねると、もとの発言者と発言が表示されます。"
SOURCES_HEADER = "出典の発言を確認する"
SOURCES_POINT = "確認する文"
SOURCES_NONE = "この文には出典の発言が付いていません。"
SOURCES_MISSING = "発言{n}は発言記録にありません。"
TURN_LINE = "発言{n}　{speaker}"
EDIT_HEADER = "議事録案を修正する"
EDIT_HELP = (
    "1行に1文です。文末の〔発言3, 5〕はもとになった発言の番号です。"
    "文を修正しても番号は残してください（番号のない文は出典なしになります）。"
)
EDIT_ATTENDEES = "出席者（1行に1人）"
EDIT_AGENDA_TITLE = "議題{n}"
EDIT_AGENDA_POINTS = "議題{n}の要旨"
EDIT_SPEAKER = "{speaker}の要点"
EDIT_QUESTION = "問{n}（{who}）"
EDIT_ANSWER = "答{n}（{who}）"
EDIT_DECISIONS = "決定事項"
EDIT_ACTIONS = "宿題（1行に1件。「内容｜担当｜期限〔発言5〕」）"
EDIT_NEXT = "次回予定"
EDIT_COMMENT = "修正内容のメモ（任意）"
EDIT_SAVE = "修正を保存する"
EDIT_SAVED = "修正を保存しました（第{version}版）。"
EDIT_RECORD_NOTE = "発言録の各発言は、この画面では修正できません（API で修正できます）。"
SUBMIT_COMMENT = "確認者へのコメント（任意）"
SUBMIT_BUTTON = "確認を依頼する"
SUBMITTED = "確認を依頼しました。"
RETURNED_NOTE = "{reviewer}さんから差し戻されました：{comment}"
DOWNLOAD_DOCX = "Word（DOCX）をダウンロード"
DOWNLOAD_MD = "Markdownをダウンロード"
DOWNLOAD_DRAFT_NOTE = "承認前の議事録案には「案」が表示されます。"
HISTORY_HEADER = "履歴"
HISTORY_LINE = "{time}　{actor}　{action}（第{version}版）{comment}"
ACTIONS = {"create": "作成", "edit": "修正", "submit": "確認依頼", "approve": "承認", "return": "差戻し"}
STATE_COLORS = {"下書き": "gray", "確認依頼": "blue", "承認済": "green", "差戻し": "red"}
