"""Japanese texts of the documents page's list and administrators' actions, and of the usage page."""

from __future__ import annotations

# --- documents: the list ---------------------------------------------------------------------------
EVERYONE = "全職員"
NOT_UPLOADED = "コマンドで登録"
DATE = "{:%Y/%m/%d}"
LIST_CAPTION = (
    "閲覧できる資料のみを表示しています。照会記録の表は、ファイル名と記録の件数で表示します。"
    "「更新日」は画面から登録・差し替えをした日です。"
)
CHUNKS_HELP = "検索のために資料を分割した数です（通常は気にする必要はありません）。"

# --- documents: administrators' actions ------------------------------------------------------------
MANAGE_HEADER = "資料の削除・差し替え・区分の変更（管理者）"
MANAGE_PICK = "操作する資料"
MANAGE_PICK_PLACEHOLDER = "資料を選択してください"
MANAGE_OPTION = "{name}・{date}"
CLI_MANAGED = (
    "この資料は管理者がコマンドで登録した文書のため、画面からは削除・差し替え・区分の変更ができません。"
    "登録元のフォルダでファイルを削除・差し替え、又は区分ファイル（.yakuba.json）を変更したうえで、"
    "サーバーで「yakuba ingest <フォルダ>」を実行して登録し直してください。"
)
TAB_RECLASSIFY = "機密性・閲覧範囲の変更"
TAB_REPLACE = "差し替え"
TAB_DELETE = "削除"
CURRENT_LABELS = "現在の区分：{labels}"
LABELS = "機密性{classification}・{groups}"
NEW_CLASSIFICATION = "変更後の機密性"
NEW_GROUPS = "変更後の閲覧範囲（所属）"
NEW_GROUPS_HELP = "選択しない場合は、全職員が閲覧できます。一覧にない所属は入力して追加できます。"
NEW_GROUPS_PLACEHOLDER = "所属を選択（任意）"
RECLASSIFY_BUTTON = "区分を変更する"
RECLASSIFY_SAME = "現在の区分と同じです。変更後の機密性又は閲覧範囲を選んでください。"
REPLACE_LABEL = "新しい版のファイル（「{name}」と同じ名前のファイル）"
REPLACE_BUTTON = "差し替える"
REPLACE_NO_FILE = "差し替えるファイルを選んでください。"
REPLACE_WRONG_NAME = "選んだファイル（{given}）の名前が元のファイル名（{name}）と異なります。同じ名前のファイルを選んでください。"
DELETE_BUTTON = "削除する"
DELETE_NOTE = "削除すると、この資料は検索の対象から外れ、ファイルも削除されます。元に戻すことはできません。"
CONFIRM_RECLASSIFY = "「{title}」の区分を「{old}」から「{new}」に変更します。よろしいですか。"
CONFIRM_DOWN = "機密性を下げると、これまで閲覧できなかった職員も閲覧できるようになります。"
CONFIRM_REPLACE = "「{title}」を新しい版（{size}）に差し替えます。よろしいですか。"
CONFIRM_DELETE = "「{title}」を削除します。元に戻すことはできません。よろしいですか。"
CONFIRM_YES = {"reclassify": "変更を確定する", "replace": "差し替えを確定する", "delete": "削除を確定する"}
CONFIRM_NO = "取りやめる"
WORKING = "索引を更新しています…"
DONE = {
    "reclassify": "「{name}」の区分を変更しました（{old} → {new}）。検索結果にも反映されています。",
    "replace": "「{name}」を新しい版に差し替えました。検索結果にも反映されています。",
    "delete": "「{name}」を削除しました。検索の対象からも外れています。",
}

# --- usage ------------------------------------------------------------------------------------------
PERIOD = "期間"
PERIODS = ("今月", "先月", "期間指定")
PERIOD_FROM = "開始日"
PERIOD_TO = "終了日"
PERIOD_BAD = "終了日は開始日以降の日付を指定してください。"
PERIOD_SHOWN = "{start}から{end}まで"
DAY = "{d.year}年{d.month}月{d.day}日"
SECTION = "所属（管理者のみ）"
SECTION_ALL = "全所属"
SECTION_HELP = "所属を選ぶと、その所属の職員の利用のみを集計します。一覧にない所属は入力できます。"
COST_JPY = "費用（円換算）"
COST_JPY_VALUE = "約{:,.0f}円"
RATE_NOTE = "円換算は1米ドル＝{rate:g}円で計算しています（設定 YAKUBA_USD_JPY_RATE で変更できます）。"
CHART_HEADER = "日ごとの利用"
CHART_DAY = "日付"
CHART_REQUESTS = "件数"
CHART_COST = "費用（円）"
CHART_MEASURE = "グラフの表示"
CHART_MEASURES = ("件数", "費用（円）")
TABLE_HEADER = "モデル別の内訳"
COST_JPY_COLUMN = "費用（円）"
