"""Every Japanese string the UI shows, in one place (official but friendly style).

Messages that come from the API (its `message` field) are shown as they are; these are the UI's own.
"""

from __future__ import annotations

APP_TITLE = "役場アシスタント"
APP_ICON = "🏛️"  # the browser tab's icon
# Avatars: the answer speaks for the office (a building), not as a robot, whichever mode produced it.
AVATARS = {"user": ":material/person:", "assistant": ":material/account_balance:"}
APP_CAPTION = "登録された資料に基づいて、業務に関するご質問にお答えします。"

# --- sign-in -------------------------------------------------------------------------------
SIGNIN_HEADER = "サインイン"
SIGNIN_HELP = "システム管理者から交付されたAPIキーを入力してください。"
SIGNIN_KEY_LABEL = "APIキー"
SIGNIN_KEY_PLACEHOLDER = "yk_ で始まるキー"
SIGNIN_BUTTON = "サインインする"
SIGNIN_EMPTY = "APIキーを入力してください。"
SIGNIN_REJECTED = (
    "APIキーが正しくないか、無効になっています。入力内容をご確認のうえ、もう一度お試しください。"
)
SIGNOUT_BUTTON = "サインアウト"
SIGNED_IN_AS = "{name} さんとしてサインインしています。"
SIGNED_IN_BY_PROXY = "組織の認証基盤によりサインインしています（{name} さん）。"

# --- navigation ----------------------------------------------------------------------------
NAV_LABEL = "メニュー"
SECTION_CHAT = "質問する"
SECTION_DOCUMENTS = "資料の管理"
SECTION_USAGE = "利用状況"

# --- chat ----------------------------------------------------------------------------------
CHAT_INPUT_PLACEHOLDER = "ご質問を入力してください（例：マイナンバーカードの交付申請に必要な書類は何ですか）"
CHAT_EMPTY = "資料に関するご質問を下の入力欄からどうぞ。回答には根拠となる資料を添えてお示しします。"
CHAT_THINKING = "資料を確認しています…"
CHAT_LIMIT = "質問は{limit:,}文字まで入力できます（入力欄の右下に文字数が表示されます）。"
MODEL_LABEL = "回答に使うモデル"
MODEL_HELP = "ご利用の権限で選べるモデルのみを表示しています。"
MODEL_UNAVAILABLE_HEADER = "選択できないモデルとその理由"
MODEL_EXTRACTIVE = "抽出モード（生成AIなし）"
MODEL_LOCATION = "処理場所：{location}"
MODEL_ANY_ON_SERVER = "組織内サーバーの生成AIモデル"
MODEL_NONE = "利用できるモデルがありません。システム管理者にお問い合わせください。"
EXTRACTIVE_LABEL = "抽出モード"
EXTRACTIVE_EXPLAIN = "この回答はAIによる文章生成ではなく、資料の該当箇所をそのまま抜き出したものです。"
LLM_LABEL = "生成モード（{model}）"
SOURCES_HEADER = "出典（{count}件）"
SOURCES_NONE = "この回答に対応する出典はありません。"
SOURCE_LINE = "**[{n}] {title}**　{location}　{label}　{groups}"
SOURCE_GROUPS = "閲覧範囲：{groups}"
SOURCE_GROUPS_ALL = "閲覧範囲：全職員"
# 機密性 of an answer and its sources, with a full-width digit as government documents write it (機密性２).
# Level 1 is shown too: on an AI answer a missing label would be ambiguous (public, or unknown?).
ANSWER_CLASSIFICATION = "機密性{level}"
ANSWER_CLASSIFICATION_HELP = (
    "回答の機密性は、引用した資料のうち最も高い機密性です。転記・共有の際はこの表示を残してください。"
)
SUBSTITUTION_LABEL = "選択とは別のモデルで回答"
EXPORT_BUTTON = "回答を保存（テキスト）"
EXPORT_FILE_NAME = "回答_{id}.txt"
EXPORT_ANSWER = "【回答】"
EXPORT_SOURCES = "【出典】"
EXPORT_SOURCE_LINE = "[{n}] {title}　{location}（{label}・{groups}）"
EXPORT_MODEL = "【回答したモデル】{backend}"
USAGE_LINE = "入力 {input_tokens:,} トークン・出力 {output_tokens:,} トークン"
COST_LINE = "・費用 約 ${cost:.4f}"

# --- feedback ------------------------------------------------------------------------------
FEEDBACK_PROMPT = "この回答は役に立ちましたか。"
FEEDBACK_COMMENT_LABEL = "ご意見（任意）"
FEEDBACK_COMMENT_PLACEHOLDER = "改善点などがあればご記入ください。"
FEEDBACK_SEND = "評価を送信する"
FEEDBACK_THANKS = "ご評価ありがとうございました。今後の改善に活用します。"

# --- conversations (sidebar) ---------------------------------------------------------------
CONVERSATIONS_HEADER = "会話の履歴"
CONVERSATION_NEW = "新しい会話を始める"
CONVERSATIONS_NONE = "まだ会話はありません。"
CONVERSATION_UNTITLED = "（無題の会話）"

# --- documents -----------------------------------------------------------------------------
DOCUMENTS_HEADER = "資料の管理"
DOCUMENTS_LIST_HEADER = "登録済みの資料"
DOCUMENTS_NONE = "登録されている資料はありません。"
DOC_TYPES = {"policy": "規程・通知等", "inquiry": "照会記録"}
CLASSIFICATION = "機密性{}"
DOCUMENTS_COLUMNS = {
    "title": "標題",
    "doc_type": "種別",
    "classification": "機密性",
    "groups": "閲覧範囲",
    "updated": "更新日",
    "file_name": "ファイル名",
    "chunks": "分割数",
}
UPLOAD_HEADER = "資料の登録"
UPLOAD_LABEL = "登録するファイル（PDF、Word、Excel、PowerPoint、HTML、テキスト、照会記録の表）"
UPLOAD_BROWSE = "ファイルを選択"
UPLOAD_LIMIT = "1ファイル{mb:g}MBまで"
UPLOAD_CLASSIFICATION = "機密性区分"
UPLOAD_GROUPS = "閲覧できる所属"
UPLOAD_GROUPS_HELP = "選択しない場合は、全職員が閲覧できます。"
UPLOAD_GROUPS_PLACEHOLDER = "所属を選択（任意）"
UPLOAD_BUTTON = "登録する"
UPLOAD_NO_FILES = "登録するファイルを選んでください。"
UPLOAD_RUNNING = "資料を取り込んでいます…"
UPLOAD_SENDING = "{name} を送信しています（{done}/{total}件）"
UPLOAD_DONE = "取り込みが完了しました。"
UPLOAD_FAILED = "取り込みを完了できませんでした。"
UPLOAD_NOT_PERMITTED = "資料の登録は、登録の権限をお持ちの職員のみが行えます。"
SUMMARY_INGESTED = "取り込んだファイル"
SUMMARY_UNCHANGED = "変更のなかったファイル"
SUMMARY_SKIPPED = "取り込めなかったファイル"
SUMMARY_CHUNKS = "検索できる資料の分割数（合計）"
SUMMARY_ISSUE_LINE = "・{source}：{reason}"

# --- usage ---------------------------------------------------------------------------------
USAGE_HEADER = "利用状況"
USAGE_NONE = "まだ利用の記録はありません。"
USAGE_REQUESTS = "質問の件数"
USAGE_TOKENS = "トークン数（入力＋出力）"
USAGE_COST = "費用の合計（米ドル）"
USAGE_COLUMNS = {
    "user": "利用者",
    "backend": "モデル",
    "requests": "件数",
    "input_tokens": "入力トークン",
    "output_tokens": "出力トークン",
    "cost": "費用（米ドル）",
}
USAGE_NO_BACKEND = "（モデル未使用）"

# --- errors --------------------------------------------------------------------------------
ERROR_UNREACHABLE = (
    "役場アシスタントのサービス（{url}）に接続できません。しばらく待ってから画面を再読み込みしてください。"
    "解決しない場合は、システム管理者にサービスの稼働状況をお問い合わせください。"
)
ERROR_TIMEOUT = "サービスからの応答が時間内にありませんでした。しばらく待ってから、もう一度お試しください。"
ERROR_SESSION_EXPIRED = (
    "サインインの有効期限が切れたか、APIキーが無効になりました。もう一度サインインしてください。"
)
ERROR_GENERIC = "処理中に問題が発生しました（状態コード {status}）。時間をおいて再度お試しください。"
ERROR_STREAM_BROKEN = "回答の受信中に接続が切れました。もう一度お試しください。"
ERROR_INVALID = "入力内容に誤りがあります。内容を確認して、もう一度お試しください。"
ERROR_TOO_LARGE = "送信したデータが大きすぎます。内容を減らしてから、もう一度お試しください。"
ERROR_KEPT_INPUT = "入力した質問は入力欄に残しています。"

# --- evaluation ----------------------------------------------------------------------------
SECTION_EVALS = "評価"
EVALS_HEADER = "評価"
EVALS_CAPTION = "評価用の質問集で回答の品質を測定し、実行結果を比較します。"
EVALS_FORBIDDEN = (
    "評価の実行及び結果の閲覧は、管理者又は評価担当の職員のみ行うことができます。"
    "必要な場合は、管理者にお問い合わせください。"
)
EVALS_TAB_RUNS = "実行結果"
EVALS_TAB_COMPARE = "比較"
EVALS_TAB_START = "評価の実行"
EVALS_RUNS_NONE = "評価の実行結果はまだありません。「評価の実行」から実行してください。"
EVALS_RUN_COLUMNS = {
    "run_id": "実行ID",
    "suite": "評価セット",
    "status": "状態",
    "n_items": "問題数",
    "headline": "主な指標",
    "created": "開始日時",
    "user": "実行者",
}
EVALS_TASKS = {
    "ask": "質問応答",
    "choice": "択一問題",
    "reply": "照会への回答",
    "minutes": "議事録",
    "retrieval": "検索",
}
EVALS_STATUS = {"queued": "待機中", "running": "実行中", "done": "完了", "failed": "失敗"}
EVALS_RUN_SELECT = "詳細を表示する実行"
EVALS_RUN_SUMMARY = "評価セット：{suite}　業務：{task}　問題数：{n_items}　実行者：{user}　状態：{status}"
EVALS_METRICS_HEADER = "指標（95%信頼区間）"
EVALS_METRIC_COLUMNS = {
    "variant": "設定",
    "metric": "指標",
    "value": "平均",
    "interval": "95%信頼区間",
    "n": "件数",
}
EVALS_THRESHOLD_FAILED = "基準を下回った指標があります：{items}"
EVALS_THRESHOLD_LINE = "{variant} の{metric}（{value} ＜ 基準 {threshold}）"
EVALS_RUN_ERROR = "この実行は失敗しました：{error}"
EVALS_ITEMS_HEADER = "問題ごとの結果"
EVALS_ITEMS_PAGE = "表示する範囲"
EVALS_ITEMS_PAGE_LABEL = "{start}〜{end}件目（全{total}件）"
EVALS_ITEMS_NONE = "記録された問題はありません。"
EVALS_ITEM_LABEL = "{id}［{variant}］{question}"
EVALS_ITEM_QUESTION = "質問"
EVALS_ITEM_EXPECTED = "期待される回答"
EVALS_ITEM_ANSWER = "回答"
EVALS_ITEM_SCORES = "採点"
EVALS_ITEM_ERROR = "エラー：{error}"
EVALS_ITEM_NO_ANSWER = "（回答なし）"
EVALS_REPORT_PREPARE = "報告書（HTML）を作成する"
EVALS_REPORT_DOWNLOAD = "報告書（HTML）をダウンロードする"
EVALS_COMPARE_HELP = "2件の実行を選ぶと、1件目を基準として指標の差と有意性を表示します。"
EVALS_COMPARE_BASE = "基準とする実行"
EVALS_COMPARE_OTHER = "比較する実行"
EVALS_COMPARE_NEED_TWO = "比較するには、実行結果が2件以上必要です。"
EVALS_COMPARE_SAME = "異なる実行を選んでください。"
EVALS_COMPARE_COLUMNS = {
    "metric": "指標",
    "column": "実行・設定",
    "value": "平均",
    "interval": "95%信頼区間",
    "delta": "基準との差",
    "delta_interval": "差の95%信頼区間",
    "p_value": "p値",
    "significant": "有意差",
}
EVALS_SIGNIFICANT = {True: "あり", False: "なし", None: "—"}
EVALS_COMPARE_LEGEND = "有意差は、対応のあるブートストラップ法（有意水準{alpha:g}）によります。"
EVALS_START_SUITE = "評価セット"
EVALS_START_BACKENDS = "比較するモデル（任意）"
EVALS_START_BACKENDS_HELP = "選択しない場合は、評価セットに定められた設定で実行します。"
EVALS_START_BACKENDS_PLACEHOLDER = "モデルを選択（任意）"
EVALS_START_LIMIT = "問題数の上限（0は全件）"
EVALS_START_BUTTON = "評価を実行する"
EVALS_START_NO_SUITES = "実行できる評価セットがありません。"
EVALS_START_RUNNING = "評価を実行しています（実行ID：{run_id}）…"
EVALS_START_PROGRESS = "{done}/{total}件を処理しました"
EVALS_START_DONE = "評価が完了しました（実行ID：{run_id}）。「実行結果」で内容を確認できます。"
EVALS_START_FAILED = "評価を完了できませんでした（実行ID：{run_id}）。{error}"
EVALS_START_STILL_RUNNING = (
    "評価は引き続き実行中です（実行ID：{run_id}）。しばらくしてから「実行結果」で確認してください。"
)
EVALS_METRIC_NAMES = {
    "containment": "正答の包含率",
    "char_f1": "文字単位F1",
    "rouge": "ROUGE",
    "exact_choice": "選択肢の正答率",
    "citation_validity": "出典の妥当性",
    "citation_coverage": "出典の網羅性",
    "source_hit": "正しい出典の提示率",
    "refusal": "回答の差控え率",
    "false_refusal": "不要な差控え率",
    "latency_ms": "応答時間（ミリ秒）",
    "cost_usd": "費用（米ドル）",
    "tokens": "トークン数",
    "input_tokens": "入力トークン数",
    "output_tokens": "出力トークン数",
    "length_chars": "文字数",
    "within_max_chars": "字数制限の遵守率",
    "format_ok": "書式の適合率",
    "errors": "エラー件数",
}

# --- answers: related documents offered with 「見当たりません」 (issue 9) ------------------------------------
RELATED_HEADER = "関連する可能性のある資料（{count}件）"
RELATED_CAPTION = "ご質問への回答は記載されていませんが、内容が近い資料です。回答の根拠ではありません。"
ALLOW_AUTO_LABEL = "利用できないときは別のモデルで回答する（自動切替）"
ALLOW_AUTO_HELP = (
    "選択したモデルが障害等で利用できないとき、又は資料の機密性により送信できないときに、利用できる別のモデルで"
    "回答します。切り替えた場合は、どのモデルが回答したかとその理由を回答に表示します。"
    "オフにすると、切り替えずに理由をお知らせします。"
)

# --- inquiry replies (issue 10): the menu entries; the pages' own texts are in ui/reply_texts.py ------------------
SECTION_REPLY = "照会回答"
SECTION_REVIEW = "確認・承認"
SECTION_BATCH = "一括作成"
SECTION_MINUTES = "議事録作成"  # issue 11; the page's own texts are in ui/minutes_texts.py
# The menu in its order (評価 is added for the users the API lets into /evals).
MENU = [
    SECTION_CHAT,
    SECTION_REPLY,
    SECTION_BATCH,
    SECTION_REVIEW,
    SECTION_MINUTES,
    SECTION_DOCUMENTS,
    SECTION_USAGE,
]

# --- answer actions and original files of sources (issue 13) ------------------------------------------------------
ACTION_COPY = "コピー"
ACTION_COPY_HELP = "回答を、機密性の表示と出典を付けたテキストとしてコピーします。"
ACTION_COPY_CAPTION = "下の枠にマウスを重ねると右上に表示されるボタンで、全文をコピーできます。貼り付けた先でも機密性の表示を残してください。"
ACTION_REGENERATE = "別のモデルで再回答"
ACTION_REGENERATE_HELP = "同じ質問を、ご利用の権限で選べる別のモデルにもう一度送ります。"
ACTION_REGENERATE_MODEL = "再回答に使うモデル"
ACTION_REGENERATE_SEND = "このモデルで再回答する"
ACTION_REGENERATED = "同じ質問を「{model}」で再回答しました。"
ACTION_EDIT = "質問を編集"
ACTION_EDIT_HELP = "この回答の質問を入力欄に戻します。編集して送信すると、新しい回答が作成されます。"
ACTION_EDIT_NOTICE = "質問を入力欄に戻しました。内容を編集して送信してください。"
ACTION_DOCX = "Wordで保存"
ACTION_DOCX_FILE_NAME = "回答_{id}.docx"
SOURCE_OPEN_AT_PAGE = "原本を開く（{page}ページ）"
SOURCE_OPEN = "原本を開く"
SOURCE_DOWNLOAD = "原本をダウンロード"
SOURCE_OPEN_LOOK_AT = "ファイルを開いたら、{location}をご覧ください。"
