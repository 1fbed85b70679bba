"""Japanese texts of staying signed in and signing out (issue 13); the sign-in form's are in texts.py."""

from __future__ import annotations

SIGNIN_KEEP = (
    "サインインすると、有効期限までの間は、ページを再読み込みしたり新しいタブで開いたりしても、"
    "サインインしたままとなります。共用の端末では、使用後に必ずサインアウトしてください。"
)
SIGNIN_LOST_KEY = (
    "APIキーを紛失した場合又は他人に知られたおそれがある場合は、システム管理者に再発行を依頼してください"
    "（管理者が `yakuba users reset-key 利用者名` を実行すると、従前のキーは無効となり、"
    "すべての端末でサインアウトされます。）。"
)
SESSION_UNTIL = "有効期限：{month}月{day}日 {time}まで"
SIGNOUT_EVERYWHERE_BUTTON = "すべての端末からサインアウト"
SIGNOUT_EVERYWHERE_HELP = (
    "この端末を含め、同じ利用者としてサインインしているすべてのブラウザーからサインアウトします。"
    "APIキーは引き続き使用できます。"
)
SIGNED_OUT = "サインアウトしました。"
SIGNED_OUT_EVERYWHERE = "すべての端末からサインアウトしました（{count}件）。"
SIGNOUT_UNCONFIRMED = (
    "この端末ではサインアウトしましたが、サービスに接続できなかったため、サインインの取消しを確認できませんでした。"
    "他人に使用されるおそれがある場合は、もう一度サインインして「すべての端末からサインアウト」を行ってください。"
)
SIGNOUT_EVERYWHERE_FAILED = (
    "すべての端末からのサインアウトを完了できませんでした。時間をおいて、もう一度お試しください。（{reason}）"
)
CONVERSATION_NOT_REOPENED = "前回開いていた会話を表示できませんでした。削除されたか、閲覧できない会話です。左の一覧から選択してください。"
