"""Print answers to questions of our own across categories, for reading (not a metric).

Run: python -m evals.sample_answers. These questions are not in the gold set; read the output
to see what the bot says to plain questions, follow-ups and unanswerable ones.
"""

from __future__ import annotations

from ingest.offline import go_offline
from ingest.settings import Settings

# (category, question, history)
QUESTIONS: list[tuple[str, str, list[dict]]] = [
    ("数字", "黑龙江累计有多少人通过了国家社会工作资格考试?", []),
    ("数字", "北京有多少家社会工作服务机构?", []),
    ("数字", "黔西南州投入了多少钱建设社工站?", []),
    ("数字", "唐山市总工会有多少名工会社会工作者涨了工资?", []),
    ("列举", "江苏社工站党建示范点要从哪五个方面建设?", []),
    ("列举", "黑龙江社工人才队伍呈现出哪些特点?", []),
    ("列举", "北京对社工服务平台建设提出了哪些具体要求?", []),
    ("定义", "什么是社会工作?", []),
    ("定义", "乡镇社工站是什么?", []),
    ("要求", "甘肃对社会工作服务站建设有什么要求?", []),
    ("要求", "甘肃要求各地怎么保障社会工作经费?", []),
    ("比较", "甘肃和黑龙江的持证社工目标分别是多少?", []),
    ("比较", "北京和黑龙江的持证社工各有多少?", []),
    ("繁体提问", "甘肅省社會工作專業人才的目標是多少?", []),
    ("繁体提问", "臺州社會工作人才隊伍建設有哪些對策?", []),
    ("简体问繁体", "绵阳市2009年以来社会工作人才队伍建设存在哪些问题?", []),
    ("简体问繁体", "社会工作的定义是什么?", []),
    ("简体问繁体", "资阳市成立了什么领导小组?", []),
    ("口语", "考了社工证在唐山工会每月能多拿多少?", []),
    ("口语", "我想在甘肃考社工证,政府鼓励哪些人去考?", []),
    ("口语", "齐齐哈尔的社工站都干些啥?", []),
    ("追问", "那黑龙江呢?", [{"role": "user", "content": "甘肃的持证社工目标是多少?"}]),
    ("追问", "这个办法是哪些单位一起出台的?",
     [{"role": "user", "content": "唐山市工会社会工作岗位管理办法有什么内容?"}]),
    ("无法回答", "广东省社工站覆盖率是多少?", []),
    ("无法回答", "社会工作者职业水平考试的报名费是多少?", []),
    ("无法回答", "甘肃每个社工站每年的运营经费是多少?", []),
    ("无法回答", "北京2025年持证社工目标是多少?", []),
    ("无法回答", "高级社会工作师在唐山能拿多少补贴?", []),
]  # fmt: skip


def main() -> None:
    """Ask every question and print the answer and its first citation."""
    go_offline()
    from bot.service import QAService

    service = QAService(Settings())
    for category, question, history in QUESTIONS:
        answer = service.ask(question, history=history)
        flag = "拒答" if answer.refused else "回答"
        print(f"【{category}】{question}\n  {flag}:{answer.answer.splitlines()[0][:160]}")
        for c in answer.citations[:2]:
            print(f"  [{c.n}] {c.source} · {c.section[:50]}")
        print()


if __name__ == "__main__":
    main()
