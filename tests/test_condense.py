"""Follow-ups are rewritten only when they lean on the conversation."""

from __future__ import annotations

import pytest

from bot.condense import condense_by_rules, depends_on_history
from bot.question import QType, analyse, later_parts, with_own_words

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


@pytest.mark.parametrize(
    ("message", "later", "kinds", "topic"),
    [
        # One question: nothing more is asked.
        ("社区矫正对象外出需要提前几天申请？", [], [], ""),
        # A later question of its own kind keeps it, and carries the first one's topic.
        (
            "浙江的最低生活保障标准由谁制定？多久调整一次？",
            ["多久调整一次"],
            [QType.NUMBER],
            "浙江",
        ),
        # A later question that asks nothing of its own kind asks what the first one asks.
        (
            "慈善组织的年度工作报告要在什么时候公开？财务会计报告呢？",
            ["财务会计报告呢"],
            [QType.NUMBER],
            "慈善组织",
        ),
    ],
)
def test_the_later_questions_of_one_message_carry_its_topic(
    message: str, later: list[str], kinds: list[QType], topic: str
) -> None:
    parts = later_parts(analyse(message))
    assert [p.qtype for p in parts] == kinds
    for part, text in zip(parts, later, strict=True):
        assert part.text.endswith(text + "？") and topic in part.text


@pytest.mark.parametrize(
    ("asked", "history", "own"),
    [
        # A follow-up: its own words, not the topic carried over, pick the sentence.
        ("那逾期未到会怎样？", "社区矫正对象变更执行地要提前多久申请？", ["逾期", "未到"]),
        # A question standing alone has no words of its own apart from its focus.
        ("北京有多少持证社工？", "甘肃的持证社工目标是多少？", []),
    ],
)
def test_a_follow_up_keeps_its_own_words(asked: str, history: str, own: list[str]) -> None:
    turns = [{"role": "user", "content": history}, {"role": "assistant", "content": "…"}]
    question = with_own_words(analyse(condense_by_rules(asked, turns)), asked)
    assert question.own == own
