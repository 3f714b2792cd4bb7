"""Follow-ups are rewritten only when they lean on the conversation."""

from __future__ import annotations

import pytest

from bot.condense import condense_by_rules, depends_on_history

GANSU_TURN = [
    {"role": "user", "content": "甘肃的持证社工目标是多少?"},
    {"role": "assistant", "content": "甘民发〔2021〕97号提出，到2025年持证社工达到1万人。"},
]


@pytest.mark.parametrize(
    ("question", "depends"),
    [
        ("那黑龙江呢?", True),
        ("北京呢？", True),
        ("它的期限是多久？", True),
        ("这个补贴要什么条件?", True),
        ("要多久?", True),
        ("北京有多少持证社工?", False),
        ("什么是社会工作?", False),
        ("社区矫正法第二十五条怎么规定的?", False),
        ("公告期不得少于多少天?", False),
    ],
)
def test_a_question_depends_on_history_only_when_it_leans_on_it(question: str, depends: bool):
    assert depends_on_history(question) is depends


@pytest.mark.parametrize(
    ("question", "standalone"),
    [
        ("北京有多少持证社工?", "北京有多少持证社工?"),  # its own subject: not a comparison
        ("什么是社会工作?", "什么是社会工作?"),
        ("那黑龙江呢?", "黑龙江的持证社工目标是多少?"),
    ],
)
def test_follow_ups_are_condensed_and_others_stand_alone(question: str, standalone: str):
    assert condense_by_rules(question, GANSU_TURN) == standalone
