"""The evaluation report: summary.json, a one-line summary, and report.html with a chart."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

CHART_METRICS = ("hit@5", "mrr", "key_fact_accuracy", "citation_support", "refusal_recall")
TABLE_METRICS = (*CHART_METRICS, "hit@1", "false_refusal_rate", "latency_p50_ms", "latency_p95_ms")
_COLOURS = {"ours": "#2b6cb0", "dense": "#68d391", "lexical": "#f6ad55", "baseline": "#a0aec0"}


def one_line(summary: dict, label: str) -> str:
    """The stdout summary: ours vs the baseline in one line."""
    o = summary["systems"]["ours"]["overall"]
    line = (
        f"[{label}] n={o['items']} hit@1={o['hit@1']} hit@5={o['hit@5']} MRR={o['mrr']} "
        f"key_facts={o['key_fact_accuracy']} cite={o['citation_support']} "
        f"refusal_recall={o['refusal_recall']} false_refusal={o['false_refusal_rate']} "
        f"p50={o['latency_p50_ms']}ms p95={o['latency_p95_ms']}ms"
    )
    base = summary["systems"].get("baseline", {}).get("overall")
    if base:
        line += (
            f" | baseline hit@5={base['hit@5']} MRR={base['mrr']}"
            f" key_facts={base['key_fact_accuracy']}"
        )
    return line


def _bar_chart(summary: dict) -> str:
    """Grouped bars: each metric, one bar per system (inline SVG, no network)."""
    systems = list(summary["systems"])
    width, height, group = 760, 260, 140
    bar = (group - 20) / max(1, len(systems))
    parts = [f'<svg width="{width}" height="{height + 60}" role="img" aria-label="对比图">']
    for gi, metric in enumerate(CHART_METRICS):
        x0 = 40 + gi * group
        for si, system in enumerate(systems):
            value = summary["systems"][system]["overall"].get(metric) or 0.0
            h = value * height
            x = x0 + si * bar
            colour = _COLOURS.get(system, "#888")
            parts.append(
                f'<rect x="{x:.0f}" y="{height - h + 10:.0f}" width="{bar - 2:.0f}" '
                f'height="{h:.0f}" fill="{colour}"><title>{system} {metric} {value}</title></rect>'
            )
        parts.append(f'<text x="{x0}" y="{height + 30}" font-size="12">{escape(metric)}</text>')
    for si, system in enumerate(systems):
        parts.append(
            f'<rect x="{40 + si * 110}" y="{height + 42}" width="12" height="12" '
            f'fill="{_COLOURS.get(system, "#888")}"/><text x="{56 + si * 110}" y="{height + 53}" '
            f'font-size="12">{escape(system)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: dict[str, dict], first: str) -> str:
    head = "".join(f"<th>{escape(m)}</th>" for m in TABLE_METRICS)
    body = ""
    for name, metrics in rows.items():
        cells = "".join(
            f"<td>{'' if metrics.get(m) is None else metrics.get(m)}</td>" for m in TABLE_METRICS
        )
        body += f"<tr><td>{escape(name)}</td><td>{metrics['items']}</td>{cells}</tr>"
    return f"<table><tr><th>{escape(first)}</th><th>n</th>{head}</tr>{body}</table>"


def worst_items(results: list[dict], gold: dict[str, dict], n: int = 10) -> list[dict]:
    """The items ours got most wrong: wrong refusals, missing key facts, retrieval misses."""

    def badness(r: dict) -> float:
        s = r["scores"]
        if not s["answerable"]:
            return 3.0 if not s["refused"] else 0.0
        bad = 2.0 if s["refused"] else 0.0
        bad += 0.0 if s["key_facts"] else 1.5
        bad += 0.0 if s["citation_support"] else 0.5
        bad += 1.0 if not s["rank"] else (s["rank"] - 1) / 10
        return bad

    ranked = sorted(results, key=badness, reverse=True)
    return [r | {"gold": gold[r["id"]]} for r in ranked[:n] if badness(r) > 0]


def write_report(
    out: Path, summary: dict, results: dict[str, list[dict]], gold: dict[str, dict], label: str
) -> None:
    """summary.json and report.html into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    worst = worst_items(results["ours"], gold)
    summary = summary | {"split": label, "worst": [w["id"] for w in worst]}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8")
    overall = {name: s["overall"] for name, s in summary["systems"].items()}
    per_cat = summary["systems"]["ours"]["by_category"]
    worst_html = ""
    for w in worst:
        retrieved = "".join(
            f"<li>{escape(r['source'])} · {escape(r.get('section', ''))}<br>"
            f"{escape(r['text'][:200])}</li>"
            for r in w["retrieved"][:3]
        )
        gold_item = w["gold"]
        worst_html += (
            f"<div class='item'><b>{escape(w['id'])}</b> ({escape(w['category'])}) "
            f"<p>问:{escape(w['question'])}</p><p>标准答案:{escape(gold_item['answer'])} "
            f"(要点:{escape('、'.join(gold_item['key_facts']))})</p>"
            f"<p>我们的回答{'(拒答)' if w['refused'] else ''}:{escape(w['answer'])}</p>"
            f"<p>命中排名:{w['scores'].get('rank', '-')}</p><ol>{retrieved}</ol></div>"
        )
    html = f"""<!doctype html><html lang="zh"><meta charset="utf-8">
<title>shegong-bot 评测报告 · {escape(label)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px}}
.item{{border:1px solid #ddd;padding:8px;margin:8px 0}}</style>
<h1>shegong-bot 评测报告</h1>
<p>数据划分:<b>{escape(label)}</b>(dev 用于调参,test 只用于报告)。系统:ours=本项目;dense/lexical=
只用向量或只用词法检索的本项目;baseline=朴素 LangChain 流程。</p>
<h2>总体</h2>{_table(overall, "系统")}
<h2>对比图</h2>{_bar_chart(summary)}
<h2>本项目分类别结果</h2>{_table(per_cat, "类别")}
<h2>最差的 {len(worst)} 题</h2>{worst_html}
</html>"""
    (out / "report.html").write_text(html, "utf-8")
