"""One self-contained HTML report of evaluation runs (評価結果レポート): the runs, the compared columns, the metrics
with 95% intervals and paired differences, plots drawn as inline SVG (matplotlib, no browser-side library), the
items that changed most, and every item with its answer, cited passages and scores behind an HTML <details>.

Nothing is loaded from the network (no CDN, web fonts or external scripts), so the file opens on a closed
network. Every text from a run — questions, answers, documents, even run and variant names — is escaped.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from html import escape
from pathlib import Path
from typing import Any

from evals.compare import N_RESAMPLES, Comparison, compare_runs, items_by_id, question_of

STATUS = {"running": "実行中", "done": "完了", "failed": "失敗"}
EXPECTED = {"answers": "正解", "reference": "模範解答", "sources": "根拠文書", "answerable": "回答可能",
            "choice": "正しい選択肢", "section": "該当箇所", "max_chars": "最大文字数"}
# Fonts a browser may have for Japanese text inside the plots (text stays text in the SVG); none is downloaded.
PLOT_FONTS = ["DejaVu Sans", "Noto Sans CJK JP", "IPAexGothic", "Yu Gothic", "Meiryo", "Hiragino Sans", "sans-serif"]
COLORS = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#6a4c93", "#8c6d1f", "#2a9d8f", "#555555"]

CSS = """
body{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic","Meiryo",sans-serif;margin:0 auto;max-width:1200px;
padding:1.5rem;color:#222;line-height:1.6}
h1{font-size:1.6rem;border-bottom:3px solid #1f5fa8;padding-bottom:.3rem}
h2{font-size:1.25rem;margin-top:2rem;border-left:6px solid #1f5fa8;padding-left:.5rem}
h3{font-size:1.05rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}.scroll{overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
th{background:#eef3f9;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sig{color:#b03a48;font-weight:bold}.muted{color:#777}.fail{color:#b03a48}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plot{border:1px solid #ddd;padding:.5rem;background:#fff}
.plot svg{max-width:100%;height:auto;display:block}
.text{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:.4rem;border-radius:4px;margin:.2rem 0}
.controls{margin:.5rem 0;display:flex;gap:1rem;align-items:center}
.controls input{width:20rem;padding:.2rem}
.items{border-top:1px solid #ccc}
.items .head,.item>summary{display:grid;grid-template-columns:7rem 1fr 13rem 17rem;gap:.5rem;padding:.3rem .4rem}
.items .head{font-weight:bold;background:#eef3f9}
.item{border-bottom:1px solid #ddd}
.item>summary{cursor:pointer;list-style:none}.item>summary::-webkit-details-marker{display:none}
.item>summary span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.item>summary span:first-child::before{content:'▸ ';color:#1f5fa8}.item[open]>summary span:first-child::before{content:'▾ '}
.item>summary:hover{background:#f3f7fc}.item[open]>summary{background:#e4edf8}
.body details>summary{cursor:pointer;color:#1f5fa8}
.items .body{padding:.4rem 1rem 1rem 2rem}
.items .error{color:#b03a48}
"""

SCRIPT = """
(function(){
  var q=document.getElementById('filter'), c=document.getElementById('column'), n=document.getElementById('shown');
  function apply(){
    var text=q.value.toLowerCase(), col=c.value, shown=0;
    document.querySelectorAll('details.item').forEach(function(d){
      var ok=(!text||d.dataset.search.indexOf(text)>=0)&&(!col||d.dataset.column===col);
      d.hidden=!ok; if(ok){shown++;}
    });
    n.textContent=shown;
  }
  q.addEventListener('input',apply); c.addEventListener('change',apply);
})();
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _num(value: float | None, digits: int = 3, signed: bool = False) -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _p(p_value: float) -> str:
    return "p &lt; 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


# ---------------------------------------------------------------------------------------------- plots


def _svg(fig, prefix: str) -> str:
    """The figure as an inline <svg> element: ids prefixed (several plots share a page), no XML prologue."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": prefix}):
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)  # not needed inline in HTML
    text = text.replace('id="', f'id="{prefix}-').replace('href="#', f'href="#{prefix}-')
    return text.replace("url(#", f"url(#{prefix}-")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # the object API: no pyplot state, no GUI backend

    return Figure(figsize=(width, height), dpi=100)


def _short(comparison: Comparison, index: int) -> str:
    column = comparison.columns[index]
    label = f"[{column.index}] {column.variant}"
    return label if len(label) <= 26 else label[:25] + "…"


def metric_plot(comparison: Comparison, metric_index: int) -> str:
    row = comparison.metrics[metric_index]
    n = len(comparison.columns)
    fig = _figure(4.6, 0.5 + 0.42 * n)
    ax = fig.subplots()
    for i, cell in enumerate(row.cells):
        if cell.value is None:
            continue
        y = n - 1 - i
        err = [[cell.value - cell.ci_low], [cell.ci_high - cell.value]]
        ax.errorbar([cell.value], [y], xerr=err, fmt="o", color=COLORS[i % len(COLORS)], capsize=4)
        ax.annotate(f"{cell.value:.3f}", (cell.value, y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8)
    ax.set_yticks(range(n), [_short(comparison, n - 1 - y) for y in range(n)])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_title(row.metric, fontsize=10)
    ax.set_xlabel("mean, 95% CI", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig, f"metric{metric_index}")


def latency_plot(comparison: Comparison, runs: list[dict[str, Any]]) -> str | None:
    data = []
    for column in comparison.columns:
        items = items_by_id(runs[column.run_index], column.variant)
        data.append([float(i["latency_ms"]) for i in items.values() if i.get("latency_ms") is not None])
    if not any(data):
        return None
    n = len(data)
    fig = _figure(7, 0.8 + 0.45 * n)
    ax = fig.subplots()
    positions = list(range(n, 0, -1))
    box = ax.boxplot([d or [float("nan")] for d in data], positions=positions, orientation="horizontal",
                     widths=0.5, patch_artist=True, showfliers=True)
    for i, patch in enumerate(box["boxes"]):
        patch.set_facecolor(COLORS[i % len(COLORS)] + "55")
    ax.set_yticks(positions, [_short(comparison, i) for i in range(n)])
    ax.set_xlabel("latency (ms)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig, "latency")


def cost_plot(runs: list[dict[str, Any]]) -> str | None:
    totals: dict[str, list[float]] = {}
    for run in runs:
        for item in run.get("items", []):
            cost = (item.get("usage") or {}).get("cost")
            totals.setdefault(item.get("backend") or "(unknown)", []).append(float(cost or 0))
    if not totals:
        return None
    names = list(totals)
    fig = _figure(7, 0.8 + 0.45 * len(names))
    ax = fig.subplots()
    sums = [sum(totals[name]) for name in names]
    ax.barh(range(len(names), 0, -1), sums, color=[COLORS[i % len(COLORS)] for i in range(len(names))])
    for y, name, total in zip(range(len(names), 0, -1), names, sums, strict=True):
        mean = total / len(totals[name])
        ax.annotate(f"{total:.4f} (mean {mean:.5f}/item, n={len(totals[name])})", (total, y),
                    textcoords="offset points", xytext=(4, -3), fontsize=8)
    ax.set_yticks(range(len(names), 0, -1), names)
    ax.set_xlabel("total cost", fontsize=9)
    ax.set_xlim(0, (max(sums) or 1) * 1.6)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig, "cost")


# ---------------------------------------------------------------------------------------------- sections


def _runs_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        ds = run.get("dataset") or {}
        bad = ds.get("bad_rows") or []
        rows.append(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in [
                _e(run.get("run_id")), _e(run.get("suite")), f"{_e(run.get('task'))} v{_e(run.get('task_version'))}",
                _e(run.get("created")), _e(run.get("finished") or "—"),
                _e(STATUS.get(run.get("status"), run.get("status"))),
                f"{_e(ds.get('name'))}<br><span class='muted'>sha256 {_e(str(ds.get('sha256', ''))[:12])}</span>",
                _e(ds.get("n_items")), _e(len(bad)), _e(str(run.get("git_commit") or "—")[:10]),
            ]) + "</tr>"
        )
    head = ["実行ID", "評価セット", "タスク", "開始日時", "終了日時", "状態", "データセット", "項目数",
            "読み込めなかった行", "コミット"]
    return _table(head, rows)


def _table(head: list[str], rows: list[str]) -> str:
    return "<div class='scroll'><table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + \
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"


def _columns_table(comparison: Comparison) -> str:
    rows = []
    for c in comparison.columns:
        cells = [f"[{c.index}]", _e(c.run_id), _e(c.variant), _e(c.backend)]
        nums = [str(c.n_items), str(c.n_errors), _num(c.latency_p50_ms, 0), _num(c.latency_p95_ms, 0),
                f"{c.input_tokens:,}", f"{c.output_tokens:,}", _num(c.cost_total, 4)]
        rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells)
                    + "".join(f"<td class='num'>{x}</td>" for x in nums) + "</tr>")
    head = ["列", "実行ID", "比較条件", "バックエンド", "件数", "エラー件数", "応答時間 中央値(ms)",
            "応答時間 95%点(ms)", "入力トークン数", "出力トークン数", "費用 合計"]
    return _table(head, rows)


def _metrics_table(comparison: Comparison) -> str:
    head = ["指標"] + [f"[{c.index}] 平均値<br>[95%信頼区間]" for c in comparison.columns]
    head += [f"[{c.index}] と [1] の差 [95%信頼区間]<br>p値" for c in comparison.columns[1:]]
    rows = []
    for row in comparison.metrics:
        cells = [f"<td>{_e(row.metric)}</td>"]
        for cell in row.cells:
            cells.append("<td class='num'>—</td>" if cell.value is None else
                         f"<td class='num'>{_num(cell.value)} [{_num(cell.ci_low)}, {_num(cell.ci_high)}]"
                         f" <span class='muted'>n={cell.n}</span></td>")
        for cell in row.cells[1:]:
            pd = cell.paired
            if pd is None:
                cells.append("<td class='num'>—</td>")
                continue
            mark = " <span class='sig'>＊</span>" if pd.significant else ""
            cells.append(f"<td class='num'>{_num(pd.delta, signed=True)} [{_num(pd.ci_low, signed=True)}, "
                         f"{_num(pd.ci_high, signed=True)}]<br>{_p(pd.p_value)}{mark}"
                         f" <span class='muted'>n={pd.n}</span></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = (f"<p class='muted'>信頼区間はブートストラップ法（{N_RESAMPLES}回の再標本化）による。差は両方で採点された項目を"
            f"項目IDで対応付けて算出した。＊は p &lt; {comparison.alpha:g} を示す。</p>")
    return _table(head, rows) + note


def _thresholds(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        for f in run.get("threshold_failures") or []:
            rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in [
                _e(run.get("run_id")), _e(f.get("variant")), _e(f.get("metric")),
                _num(f.get("value")), _num(f.get("threshold"))]) + "</tr>")
    if not rows:
        return ""
    return ("<h2>基準値を下回った指標</h2>"
            + _table(["実行ID", "比較条件", "指標", "値", "基準値"], rows).replace("<tr><td>", "<tr class='fail'><td>"))


def _changed(comparison: Comparison) -> str:
    parts = []
    for row in comparison.metrics:
        if not row.changed:
            continue
        rows = []
        for ch in row.changed:
            rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in [
                _e(ch.item_id), f"[1]→[{ch.column}]", f"{_num(ch.base_score)} → {_num(ch.score)} "
                f"({_num(ch.change, signed=True)})", f"<div class='text'>{_e(ch.question)}</div>",
                f"<div class='text'>{_e(ch.base_text)}</div>", f"<div class='text'>{_e(ch.text)}</div>"]) + "</tr>")
        parts.append(f"<h3>{_e(row.metric)}</h3>"
                     + _table(["項目ID", "列", "得点の変化", "質問", "[1] の回答", "比較先の回答"], rows))
    if not parts:
        return ""
    return "<h2>得点の変化が大きい項目</h2>" + "".join(parts)


def _item(item: dict[str, Any], column: int, label: str) -> str:
    scores = item.get("scores") or {}
    score_text = "  ".join(f"{k}={_num(v)}" for k, v in scores.items())
    question = question_of(item)
    search = " ".join([str(item.get("id")), question, label]).lower()
    body = [f"<h3>質問</h3><div class='text'>{_e(question)}</div>"]
    expected = item.get("expected") or {}
    if expected:
        lines = [f"{EXPECTED.get(k, k)}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
                 for k, v in expected.items()]
        body.append(f"<h3>期待される回答</h3><div class='text'>{_e(chr(10).join(lines))}</div>")
    body.append(f"<h3>回答</h3><div class='text'>{_e(item.get('text'))}</div>")
    if item.get("error"):
        body.append(f"<h3>エラー</h3><div class='text error'>{_e(item['error'])}</div>")
    citations = item.get("citations") or []
    if citations:
        rows = ["<tr>" + "".join(f"<td>{x}</td>" for x in [
            _e(c.get("n")), _e(c.get("title")), _e(c.get("location")), f"<div class='text'>{_e(c.get('quote'))}</div>",
        ]) + "</tr>" for c in citations]
        body.append("<h3>引用箇所</h3>" + _table(["番号", "文書名", "箇所", "引用文"], rows))
    sources = item.get("sources") or []
    if sources:
        docs = "".join(f"<p><b>{_e(s.get('title'))}</b> <span class='muted'>{_e(s.get('source'))}</span></p>"
                       f"<div class='text'>{_e(s.get('text'))}</div>" for s in sources)
        body.append(f"<details><summary>参照した文書（{len(sources)}件）</summary>{docs}</details>")
    usage = item.get("usage") or {}
    facts = [("得点", score_text or "—"), ("応答時間", f"{_e(item.get('latency_ms'))} ms"),
             ("費用", _num(usage.get("cost"), 5)),
             ("トークン数（入力/出力）", f"{_e(usage.get('input_tokens'))} / {_e(usage.get('output_tokens'))}"),
             ("バックエンド", _e(item.get("backend"))), ("方式", _e(item.get("mode")))]
    body.append("<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts) + "</table>")
    if item.get("output"):
        body.append("<details><summary>構造化出力</summary><div class='text'>"
                    f"{_e(json.dumps(item['output'], ensure_ascii=False, indent=2))}</div></details>")
    error_mark = " <span class='error'>エラー</span>" if item.get("error") else ""
    return (f"<details class='item' data-column='{column}' data-search='{_e(search)}'><summary>"
            f"<span>{_e(item.get('id'))}</span><span>{_e(question)}</span><span>[{column}] {_e(label)}"
            f"{error_mark}</span><span>{_e(score_text)}</span></summary><div class='body'>{''.join(body)}</div>"
            "</details>")


def _items(comparison: Comparison, runs: list[dict[str, Any]]) -> str:
    order: dict[str, int] = {}
    entries = []
    for column in comparison.columns:
        for item_id, item in items_by_id(runs[column.run_index], column.variant).items():
            order.setdefault(item_id, len(order))
            entries.append((order[item_id], column.index, item, column.variant))
    entries.sort(key=lambda e: (e[0], e[1]))
    options = "".join(f"<option value='{c.index}'>[{c.index}] {_e(c.label)}</option>" for c in comparison.columns)
    return (
        "<h2>項目別の結果</h2><div class='controls'><label>絞り込み <input id='filter' type='search' "
        "placeholder='項目ID・質問文'></label><label>列 <select id='column'><option value=''>すべて</option>"
        f"{options}</select></label><span>表示件数 <span id='shown'>{len(entries)}</span></span></div>"
        "<div class='items'><div class='head'><span>項目ID</span><span>質問</span><span>比較条件</span>"
        "<span>得点</span></div>"
        + "".join(_item(item, index, variant) for _o, index, item, variant in entries) + "</div>"
    )


# ---------------------------------------------------------------------------------------------- report


def render_report(runs: list[dict[str, Any]], *, comparison: Comparison | None = None,
                  title: str = "評価結果レポート") -> str:
    """The report as one HTML string."""
    import matplotlib

    comparison = comparison or compare_runs(runs)
    # Text stays text in the SVG (svg.fonttype none), so the browser draws Japanese run and variant names with
    # its own fonts even where matplotlib has no CJK font.
    with warnings.catch_warnings(), matplotlib.rc_context({"font.sans-serif": PLOT_FONTS, "svg.fonttype": "none"}):
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        warnings.filterwarnings("ignore", message="findfont")
        metric_svgs = [metric_plot(comparison, i) for i in range(len(comparison.metrics))]
        latency_svg = latency_plot(comparison, runs)
        cost_svg = cost_plot(runs)
    legend = "、".join(f"[{c.index}] {_e(c.label)}" for c in comparison.columns)
    plots = "".join(f"<div class='plot'>{svg}</div>" for svg in metric_svgs)
    parts = [
        f"<h1>{_e(title)}</h1>",
        f"<p class='muted'>実行 {len(runs)} 件、比較する列 {len(comparison.columns)} 件（[1] を基準とする）</p>",
        "<h2>実行の概要</h2>", _runs_table(runs),
        "<h2>比較する列</h2>", _columns_table(comparison),
        "<h2>指標</h2>", _metrics_table(comparison), _thresholds(runs),
        "<h2>指標と95%信頼区間</h2>", f"<p class='muted'>{legend}</p>",
        f"<div class='plots'>{plots or '<p>採点された指標はない。</p>'}</div>",
        "<h2>応答時間の分布</h2>", f"<div class='plot'>{latency_svg}</div>" if latency_svg else "<p>記録なし。</p>",
        "<h2>バックエンド別の費用</h2>", f"<div class='plot'>{cost_svg}</div>" if cost_svg else "<p>記録なし。</p>",
        _changed(comparison),
        _items(comparison, runs),
    ]
    return ("<!DOCTYPE html>\n<html lang='ja'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}"
            f"<script>{SCRIPT}</script></body></html>\n")


def write_report(runs: list[dict[str, Any]], out_path: str | Path, **options: Any) -> Path:
    """Write the report of `runs` (run.json dicts with their "items", see evals.compare.load_run_dir) to one
    self-contained HTML file and return its path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render_report(runs, **options), encoding="utf-8")
    return out_path

