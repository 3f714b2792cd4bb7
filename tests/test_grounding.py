"""Generated sentences are checked one by one against the chunks they cite (bot/grounding.py),
and the packaged model is joined and verified before use (bot/local_model.py)."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest

import bot.local_model as local_model
from bot.grounding import check_sentence, numbers_in, sentences, with_inherited_markers
from ingest.schema import Chunk, DocMeta, Evidence


def _evidence(i: int, text: str, title: str = "甘肃省关于加快推进社会工作发展的意见") -> Evidence:
    meta = DocMeta(title=title, province="甘肃", date="2021")
    return Evidence(
        Chunk(f"c{i}", f"d{i}", f"{i}.txt", text, text, "二、目标", 0, len(text), meta), 1.0, i
    )


EVIDENCE = [
    _evidence(1, "到2025年,全省持证社会工作者总量达到1万人,社会工作服务机构达到380家以上。"),
    _evidence(2, "确实无法联系到捐赠人的,应当予以公告,公告时间不得少于六十日。", "慈善法"),
    _evidence(3, "社会工作师每年参加继续教育的时间累计不少于30小时。", "继续教育办法"),
]


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("甘肃到2025年持证社会工作者达到1万人。[1]", ""),
        ("甘肃省持证社会工作者总量达到一万人。[1]", ""),  # either numerals
        ("公告时间不得少于60日。[2]", ""),
        ("公告时间不得少于六十日。[1][2]", ""),  # one of the cited chunks holds it
        ("甘肃到2025年持证社会工作者达到2万人。[1]", "数字 2 不在所引资料中"),
        ("公告时间不得少于60日。[1]", "数字 60 不在所引资料中"),  # the wrong chunk cited
        ("北京持证社会工作者总量达到1万人。[1]", "“北京”不在所引资料中"),
        ("社会工作者的继续教育时间不少于30小时。[3]", ""),
        ("助理社会工作师的继续教育时间不少于30小时。[3]", "所引资料说的不是“助理社会工作师”"),
        ("依照《志愿服务条例》持证社会工作者总量达到1万人。[1]", "“志愿服务条例”不在所引资料中"),
        ("全省持证社会工作者总量达到1万人。", "没有标注所依据的资料"),
        ("全省持证社会工作者总量达到1万人。[7]", "没有标注所依据的资料"),  # [7] is no evidence
        ("今天兰州天气晴朗适合出游。[1]", "与所引资料的用词重合太少"),
        ("1. [1]", "没有内容"),
        ("社会工作师每年参加继续教育累计不少于30小时。[3]", ""),
        ("社会工作师每月参加继续教育累计不少于30小时。[3]", "“每月”不在所引资料中"),
        ("| 地区 | 规定或数据 | 来源 |", ""),  # a table's frame has nothing to check
        ("| 北京 | 资料未提及 | — |", ""),
        ("| 甘肃 | 持证社会工作者达到3万人 | [1] |", "数字 3 不在所引资料中"),
    ],
)
def test_a_generated_sentence_holds_only_what_its_cited_chunks_say(
    sentence: str, problem: str
) -> None:
    assert check_sentence(sentence, EVIDENCE).problem == problem


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("不得少于六十日[3]", {"60"}),
        ("百分之七十", {"70"}),
        ("1.50倍", {"1.5"}),
        ("2025年达到1万人", {"2025", "1"}),
        ("没有数字[1]", set()),
        # 一 inside a word is no number; before a measure word or after 第 it is one.
        ("一般在七十二小时内作出", {"72"}),
        ("新建的和已建成的生活区一样,统一标准,进一步落实", set()),
        ("每年进行一次", {"1"}),
        ("第一条", {"1"}),
        ("一季度", {"1"}),
        ("十一个", {"11"}),
    ],
)
def test_numbers_are_compared_in_arabic_digits_whatever_numerals_a_text_uses(
    text: str, numbers: set[str]
) -> None:
    assert numbers_in(text) == numbers


def test_streamed_pieces_become_whole_sentences_lines_and_table_rows() -> None:
    pieces = ["甘肃省", "到2025年达到1万人。", "[1]", "[2]后来", "又一句。 [", "3]", "\n| 地区 |",
              " 来源 |\n| 甘肃 | 1万人。 | [1] |\n", "没有句号的结尾"]  # fmt: skip
    assert list(sentences(iter(pieces))) == [
        "甘肃省到2025年达到1万人。[1][2]",
        "后来又一句。 [3]",
        "\n",
        "| 地区 | 来源 |\n",
        "| 甘肃 | 1万人。 | [1] |\n",
        "没有句号的结尾",
    ]


@pytest.mark.parametrize(
    ("units", "cited"),
    [
        # A list marked only at its last item: every item cites what the last one cites.
        (["(一)以开展慈善活动为宗旨；\n", "(二)不以营利为目的；\n", "(七)其他条件。[1]"],
         ["(一)以开展慈善活动为宗旨；[1]\n", "(二)不以营利为目的；[1]\n", "(七)其他条件。[1]"]),
        (["一般七十二小时内作出。", "紧急的二十四小时内。[1][2]"],
         ["一般七十二小时内作出。[1][2]", "紧急的二十四小时内。[1][2]"]),
        # A blank line ends the paragraph: the marker after it is another paragraph's.
        (["前一段。", "\n", "后一段。[2]"], ["前一段。", "\n", "后一段。[2]"]),
        # Nothing marked after it: it stays unmarked.
        (["有出处。[1]", "没有出处。"], ["有出处。[1]", "没有出处。"]),
        # Table lines are not given a row's markers.
        (["| 地区 | 来源 |\n", "| 甘肃 | 1万人 | [1] |\n"],
         ["| 地区 | 来源 |\n", "| 甘肃 | 1万人 | [1] |\n"]),
    ],
)  # fmt: skip
def test_an_unmarked_sentence_cites_what_the_next_marked_one_of_its_paragraph_cites(
    units: list[str], cited: list[str]
) -> None:
    assert list(with_inherited_markers(iter(units))) == cited


# ---------------------------------------------------------------- bot/local_model.py


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Three small part packages standing in for the 22 real ones; returns their joined bytes."""
    blobs = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 999, b"end"]
    for i, blob in enumerate(blobs, start=1):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(blob)
        module = types.ModuleType(f"fake_model_part{i}")
        module.get_part_path = lambda path=path: str(path)
        monkeypatch.setitem(sys.modules, f"fake_model_part{i}", module)
    joined = b"".join(blobs)
    monkeypatch.setattr(local_model, "PART_MODULE", "fake_model_part{}")
    monkeypatch.setattr(local_model, "PART_PACKAGES", len(blobs))
    monkeypatch.setattr(local_model, "MODEL_BYTES", len(joined))
    monkeypatch.setattr(local_model, "MODEL_SHA256", hashlib.sha256(joined).hexdigest())
    return joined


def test_the_parts_are_joined_verified_once_and_then_reused(
    fake_parts: bytes, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    path = local_model.ensure_local_model(models, progress=False)
    assert path.read_bytes() == fake_parts
    stamp_time = path.stat().st_mtime_ns
    assert local_model.ensure_local_model(models, progress=False) == path
    assert path.stat().st_mtime_ns == stamp_time  # not joined again
    assert not list(models.glob("*.partial"))


def test_a_join_that_does_not_match_the_checksum_is_refused_and_removed(
    fake_parts: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_model, "MODEL_SHA256", "0" * 64)
    models = tmp_path / "models"
    with pytest.raises(local_model.LocalModelMissing, match="不是预期的文件"):
        local_model.ensure_local_model(models, progress=False)
    assert not any(models.iterdir())


def test_missing_part_packages_are_named_with_the_command_that_installs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local_model, "PART_MODULE", "no_such_model_part{}")
    with pytest.raises(local_model.LocalModelMissing, match="make local-llm"):
        local_model.part_paths()
