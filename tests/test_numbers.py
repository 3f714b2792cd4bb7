"""Chinese and Arabic numerals match in search: "六十日" = "60日", "第二十五条" = "第25条"."""

from __future__ import annotations

import pytest

from ingest.lexical import tokenize
from ingest.normalize import compact, fold_numbers


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("公告期不得少于六十日", "公告期不得少于60日"),
        ("第二十五条", "第25条"),
        ("第一百零一条", "第101条"),
        ("二〇一〇年十一月十一日", "2010年11月11日"),
        ("未满八周岁", "未满8周岁"),
        ("三千五百元", "3500元"),
        ("一万人", "1万人"),
        ("两年", "2年"),
        # Not counts: words that happen to hold a numeral stay as written.
        ("统一规定", "统一规定"),
        ("一般情况", "一般情况"),
        ("十分重要", "十分重要"),
        ("星期一", "星期一"),
        ("百人", "百人"),
    ],
)
def test_counted_numerals_are_folded_to_digits(text: str, folded: str) -> None:
    assert fold_numbers(text) == folded


def test_a_question_in_digits_shares_tokens_with_a_text_in_chinese_numerals() -> None:
    assert tokenize("公告期不少于60日") == tokenize("公告期不少于六十日")
    assert compact("每3年进行再登记") == compact("每三年进行再登记")
    assert compact("社区矫正法第25条") == compact("社区矫正法第二十五条")
