"""Document metadata: what the manifest says, filled in by what the text itself says."""

from __future__ import annotations

import re
import tomllib
from enum import Enum
from pathlib import Path

from ingest.articles import Article
from ingest.clean import DOC_NUMBER
from ingest.headings import (
    ARTICLE,
    CHAPTER,
    CN_NUM,
    SECTION,
    TOP_ITEM,
    chinese_number,
    parse_heading,
)
from ingest.punct import CJK, CLOSE_BRACKET_CLASS, OPEN_BRACKET_CLASS
from ingest.regions import city_of, covered_regions, find_region, short_province
from ingest.schema import LIST_SEP, DocMeta

MANIFEST_NAME = "manifest.toml"
NATIONAL = "全国"
# Metadata is read from the head of a document: its first paragraphs, each a short line.
HEAD_PARAGRAPHS = 12
_BODY_LEVELS = frozenset({CHAPTER, SECTION, TOP_ITEM, ARTICLE})
MAX_HEAD_LINE = 200
MAX_SIGNATURE_LINE = 20  # "2024年3月1日", "二〇二一年十一月十一日"
_CN_DIGIT = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_ANY_FULL_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2}|[一二三四五六七八九〇○零]{4})\s*年\s*"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日"
    r"|(?P<iso>(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)"
)
_PUBLISHED = re.compile(r"(公布|发布|印发)")
_IN_FORCE = re.compile(r"自.{6,16}日起施行")
# An adoption record: what follows its date ("…会议通过", "国务院令第649号公布", "…修正").
_RECORDED = re.compile(r"(?:通过|公布|修正|修订|批准|发布|施行)(?:$|[;；,，])")
MAX_RECORD_LINE = 160
# "国务院令第685号", "中华人民共和国国务院令第649号"; the body is the issuer.
_ORDER_NUMBER = re.compile(rf"(?P<body>[{CJK}]{{2,20}}?)令第?(?:\d+|{CN_NUM})号")
_ADOPTED_BY = re.compile(
    rf"(?P<body>[{CJK}]{{2,40}}?)第(?:\d+|{CN_NUM})次(?:全体|常务)?(?:会议)?(?:通过|批准|修正|修订)"
)
# Titles of laws, regulations and policy documents (what is cited with 《》).
_INSTRUMENT = re.compile(r"(法|条例|办法|规定|细则|规则|意见|规划|方案|通知|决定|纲要|标准)$")
_TRAILING_NOTE = re.compile(rf"{OPEN_BRACKET_CLASS}[^（）()]*{CLOSE_BRACKET_CLASS}$")


# What a closing article says the text repeals or replaces: "《广州市募捐条例》同时废止",
# "《社区矫正实施办法》（司发通〔2012〕12号）同时废止", "…予以废止", "本办法代替《…》". Read
# from the wording of the 20 real documents and the usual drafting formulas (废止, 停止执行,
# 代替, 取代).
def _named(side: str) -> str:
    """《title》 and an optional bracketed document number, as groups `side` and `side_no`."""
    number = rf"{OPEN_BRACKET_CLASS}(?P<{side}_no>[^（）()\n]{{2,30}}号){CLOSE_BRACKET_CLASS}"
    return rf"《(?P<{side}>[^《》\n]{{2,60}})》(?:{number})?"


_REPEALS = re.compile(
    _named("a")
    + r"[^。；;\n《》]{0,6}?(?:同时|予以|即行|一并)?(?:废止|停止执行|不再执行)"
    + r"|(?:代替|取代|废止)"
    + _named("b")
)
# An issuing body's name ends in one of these: 民政局, 民政厅, 人民政府, 办公室, 委员会…
_BODY = r"(?:局|厅|部|委员会|委|办公室|人民政府|政府|联合会|协会|法院|检察院)"
# A notice's title names its issuers before 关于: "宜昌市民政局关于印发…的通知".
_ISSUER_IN_TITLE = re.compile(rf"^(?P<body>[{CJK}、\s]{{2,60}}?{_BODY})关于")
# A signature line above the closing date: "宜昌市民政局", "甘肃省民政厅 甘肃省财政厅".
_SIGNATORY = re.compile(rf"^[{CJK}、\s]{{2,40}}{_BODY}$")
_NATIONAL_ISSUER = re.compile(
    r"^(全国人民代表大会|国务院|中共中央|最高人民|民政部|财政部|人力资源)"
)


def load_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """The corpus manifest, keyed by source path; empty when the corpus has none."""
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {key: {k: str(v) for k, v in value.items()} for key, value in data.items()}


def extract_meta(
    article: Article, manifest: dict[str, str], single: bool, chrome: list[str] | None = None
) -> DocMeta:
    """Metadata of one article; manifest fields win, and a title only when the file is `single`.

    `chrome`: the web page's own lines ("发布时间:2013-04-07"), read for a date last."""
    head = _head(article.paragraphs)
    title = (manifest.get("title") if single else None) or article.title
    number = manifest.get("doc_number") or _doc_number(title, head)
    issuer = manifest.get("issuer") or article.credit or _issuer(head)
    issuer = issuer or _issuer_in_title(title) or _signatory(article.paragraphs)
    if manifest.get("region"):
        province, city = short_province(manifest["region"]), city_of(manifest["region"])
    else:
        province, city = find_region(title, "\n".join(article.paragraphs))
        if is_national(title, issuer, province):
            province, city = NATIONAL, ""
    date = manifest.get("date") or _date(head) or _signed(article.paragraphs)
    date = date or _in_force(article.paragraphs)
    date = date or next((d[0] for line in chrome or [] if (d := _dates(line))), "")
    return DocMeta(
        title=title,
        issuer=issuer,
        doc_number=number,
        province=province,
        city=city,
        date=date,
        repeals=LIST_SEP.join(repealed_in(article.paragraphs)),
        regions=LIST_SEP.join(covered_regions(article.paragraphs, province, city)),
    )


def repealed_in(paragraphs: list[str]) -> list[str]:
    """The documents a text says it repeals or replaces, as named there: "《X》" or
    "《X》（number）"; a law's own 《》 references that are not repealed are not listed."""
    found: list[str] = []
    for p in paragraphs:
        for m in _REPEALS.finditer(p):
            side = "a" if m.group("a") else "b"
            name = f"《{m.group(side)}》"
            if m.group(f"{side}_no"):
                name += f"（{m.group(side + '_no')}）"
            if name not in found:
                found.append(name)
    return found


def repealed_names(meta: DocMeta) -> list[tuple[str, str]]:
    """(title, document number) of each document `meta` repeals; the number may be ""."""
    out = []
    for item in filter(None, meta.repeals.split(LIST_SEP)):
        title, _, rest = item.removeprefix("《").partition("》")
        out.append((title, rest.strip("（）()")))
    return out


def not_understood(metas: list[DocMeta]) -> tuple[str, ...]:
    """What the text did not say about its documents, for the ingest report ("未找到标题")."""
    labels = (("title", "未找到标题"), ("date", "未识别出日期"), ("province", "未识别出地区"))
    notes = []
    for field, label in labels:
        missing = sum(not getattr(m, field) for m in metas)
        if missing:
            notes.append(label if len(metas) == 1 else f"{label}({missing}/{len(metas)} 篇)")
    return tuple(notes)


def short_title(title: str) -> str:
    """ "中华人民共和国社区矫正法" -> "社区矫正法"; a trailing note "（2023年修正）" dropped."""
    return _TRAILING_NOTE.sub("", title.removeprefix("中华人民共和国")).strip()


def section_label(meta: DocMeta) -> str:
    """How a chunk's heading path starts: a notice's document number ("甘民发〔2021〕97号"), else
    《short title》 for laws, regulations and policy documents (a State Council order number
    such as 国务院令第685号 names the order, not the text), else the title."""
    if meta.doc_number and not _ORDER_NUMBER.search(meta.doc_number):
        return meta.doc_number
    short = short_title(meta.title)
    if _INSTRUMENT.search(short):
        return "《" + short.replace("《", "〈").replace("》", "〉") + "》"
    return meta.title


class DocKind(Enum):
    """What a document is, for the library's filter; `.label` is what staff see."""

    LAW = "法律"
    REGULATION = "法规"
    RULES = "规章与办法"
    POLICY = "政策文件"
    OTHER = "新闻及其他"

    @property
    def label(self) -> str:
        return self.value


# The last word of a short title decides the kind: 条例 a regulation, 办法/规定/细则/规则 rules,
# 意见/通知/规划… a policy document, 法 a law (checked last: 办法 also ends in 法); anything
# else (news, FAQs, web pages) is other.
_KIND_ENDINGS = (
    (re.compile(r"条例$"), DocKind.REGULATION),
    (re.compile(r"(办法|规定|细则|规则)$"), DocKind.RULES),
    (re.compile(r"(意见|规划|方案|通知|决定|纲要|标准|通告|公告|指引|指南)$"), DocKind.POLICY),
    (re.compile(r"法$"), DocKind.LAW),
)


def doc_kind(title: str) -> DocKind:
    """A document's kind, from how its title ends ("…社区矫正法" a law, "…的通知" a policy)."""
    short = short_title(title)
    return next((kind for pattern, kind in _KIND_ENDINGS if pattern.search(short)), DocKind.OTHER)


def short_section(section: str, meta: DocMeta) -> str:
    """A chunk's heading path without its first segment when that only names the document
    (its label, number or title): "甘民发〔2021〕97号 > 二、…" -> "二、…"; "" when nothing is
    left."""
    head, _, rest = section.partition(" > ")
    names = {section_label(meta), meta.doc_number, meta.title} - {""}
    if head in names or (head.startswith("《") and head.strip("《》") in meta.title):
        return rest
    return section


def is_national(title: str, issuer: str, province: str) -> bool:
    """A national document: a law of the PRC, a national body's, or an instrument (意见, 条例,
    规划…) whose title names no place — a local one always names its province or city."""
    if title.startswith("中华人民共和国") or _NATIONAL_ISSUER.match(issuer):
        return True
    return not province and bool(_INSTRUMENT.search(short_title(title)))


def _head(paragraphs: list[str]) -> list[str]:
    """The paragraphs before the body: up to the first chapter, article or numbered heading."""
    head = []
    for p in paragraphs[:HEAD_PARAGRAPHS]:
        heading = parse_heading(p)
        if head and heading and (heading.level in _BODY_LEVELS or p.startswith("##")):
            break
        head.append(p)
    return head


def is_adoption_record(text: str) -> bool:
    """Whether a line only records when and by whom a text was adopted, amended or issued
    ("2014年7月31日浙江省第十二届人民代表大会常务委员会第十一次会议通过"): it says nothing
    the text rules."""
    text = text.strip().strip("()（）[]【】;；。")
    m = _ANY_FULL_DATE.match(text)
    rest = text[m.end() :] if m else ""
    return bool(m) and len(text) <= MAX_RECORD_LINE and bool(_RECORDED.search(rest))


def _without_dates(text: str) -> str:
    return _ANY_FULL_DATE.sub(" ", text)


def _doc_number(title: str, paragraphs: list[str]) -> str:
    """A document number in the title or the head: "甘民发〔2021〕97号", "国务院令第685号"."""
    for text in (title, *paragraphs):
        text = _without_dates(text)
        m = DOC_NUMBER.search(text) or _ORDER_NUMBER.search(text)
        if m:
            return re.sub(r"\s+", "", m.group()).removeprefix("中华人民共和国")
    return ""


def _issuer(paragraphs: list[str]) -> str:
    """The body that adopted or issued the text, from a head line such as "2019年12月28日
    第十三届全国人民代表大会常务委员会第十五次会议通过" or "…国务院令第685号公布"."""
    for p in map(_without_dates, paragraphs):
        m = _ADOPTED_BY.search(p) or _ORDER_NUMBER.search(p)
        if m and m.group("body"):
            body = re.sub(rf"第{CN_NUM}届", "", m.group("body"))
            return body.removeprefix("中华人民共和国").strip()
    return ""


def _issuer_in_title(title: str) -> str:
    """The issuers a notice's title names before 关于 ("宜昌市民政局关于…" -> 宜昌市民政局)."""
    m = _ISSUER_IN_TITLE.match(title)
    return " ".join(m.group("body").split()) if m else ""


def _signatory(paragraphs: list[str]) -> str:
    """The body signing a notice: the short line right above its closing date line."""
    tail = paragraphs[-3:]
    for i in range(len(tail) - 1, 0, -1):
        if len(tail[i]) <= MAX_SIGNATURE_LINE and _dates(tail[i]):
            signer = " ".join(tail[i - 1].split())
            return signer if _SIGNATORY.match(signer) else ""
    return ""


def _dates(text: str) -> list[str]:
    """Full dates in a text, as ISO strings, in order (年月日 in either numerals, or ISO)."""
    found = []
    for m in _ANY_FULL_DATE.finditer(text):
        if m.group("iso"):
            y, mo, d = m.group("iso").split("-")
            found.append(f"{y}-{int(mo):02d}-{int(d):02d}")
            continue
        year = m.group("y").translate(_CN_DIGIT)
        mo, d = (int(x) if x.isdigit() else chinese_number(x) for x in (m.group("m"), m.group("d")))
        found.append(f"{year}-{mo:02d}-{d:02d}")
    return found


def _date(paragraphs: list[str]) -> str:
    """The date of the version: the first full date of the last dated head line (the latest
    adoption, amendment or publication), never a bare target year such as "到2025年"."""
    dated = [(p, d) for p in paragraphs if len(p) <= MAX_HEAD_LINE and (d := _dates(p))]
    published = [d for p, d in dated if _PUBLISHED.search(p)]
    if published:  # a regulation's 公布 line dates it, not its later 施行 line
        return published[-1][0]
    return dated[-1][1][0] if dated else ""


def _signed(paragraphs: list[str]) -> str:
    """The date under a notice's signature: a closing line that is a date and nothing more."""
    for p in reversed(paragraphs[-3:]):
        if len(p) <= MAX_SIGNATURE_LINE and (dates := _dates(p)):
            return dates[0]
    return ""


def _in_force(paragraphs: list[str]) -> str:
    """ "本办法自2020年7月1日起施行" in a closing article: the in-force date, when nothing else."""
    for p in reversed(paragraphs[-3:]):
        if (m := _IN_FORCE.search(p)) and (dates := _dates(m.group())):
            return dates[0]
    return ""
