"""Question understanding without an LLM: type, regions, document number, and focus terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

import cn2an
import rjieba

from bot.wordlists import consequence, roles, stopwords
from ingest import gazetteer
from ingest.clean import DOC_NUMBER
from ingest.meta import NATIONAL
from ingest.normalize import normalize
from ingest.punct import CLAUSE_SEP, CLOSING_QUOTES, OPENING_QUOTES
from ingest.regions import provinces_in


class QType(StrEnum):
    """What kind of answer a question asks for; decides how sentences are scored and chosen."""

    NUMBER = "number"
    LIST = "list"
    DEFINITION = "definition"
    REQUIREMENT = "requirement"
    CONSEQUENCE = "consequence"  # what follows a breach: "违反了会怎么处罚？"
    COMPARISON = "comparison"
    GENERAL = "general"


_TYPE_PATTERNS: list[tuple[QType, re.Pattern[str]]] = [
    (QType.LIST, re.compile(r"哪些|哪几|哪[两二三四五六七八九十]个?(?:方面|项|类|种|点|条|级|大)|"
                        r"有什么(?!.{0,3}?(?:规定|要求|不同|不一样|区别|差别))|包括什么|"
                        r"包含|几个方面|几项|列举|主要(?:做法|措施|内容)")),
    (QType.NUMBER, re.compile(r"多少|几个|几家|几名|几年|几成|比例|百分|多大|多长|何时|什么时候|"
                          r"哪[一1]?年|数量|规模|覆盖率|人数|哪[一1]?天|几号|几月几日|"
                          # 十几岁 / 几十天 say "some", they ask nothing
                          r"多久|(?<![十百千])几(?:天|日|周|岁|次|倍|小时|人|所|项|支|位|条|种|类|级|批)")),
    (QType.DEFINITION, re.compile(r"什么是|是什么意思|是指|指的是|指什么|界定|定义|含义|何谓|"
                              r"(?<!分别)(?<!各)是什么|是(?:一|1)种什么|是什么样的")),
    (QType.REQUIREMENT, re.compile(r"要求|条件|规定|怎么做|如何|怎样|应当|需要|必须|标准|资格")),
]  # fmt: skip


_QUOTED_TITLE = re.compile(r"《([^《》]{2,40})》")
# A local document implementing a quoted law: "浙江省实施《中华人民共和国慈善法》办法".
_IMPLEMENTING_TITLE = re.compile(r"([\u4e00-\u9fff]{2,12}实施)《([^《》]{2,40})》(办法|细则|条例)")
# A quoted name is a title when it is more than its kind ("《通知》" names no document).
_KIND_OF_TITLE = re.compile(r"..(?:法|条例|办法|规定|细则|意见|规划|方案|通知|决定)")
# A local regulation named by its place and kind: "北京市志愿服务条例", "按浙江省社会救助条例".
_LOCAL_TITLE = re.compile(r"[\u4e00-\u9fff]{2,20}?(?:条例|暂行办法|实施办法|办法|细则)")
# A law named right before an article: "社区矫正法第二十五条", "反家暴法第2条".
_LAW_BEFORE_ARTICLE = re.compile(r"([\u4e00-\u9fff]{2,12}法)(?=第)")
# A law or regulation named without 《》 where a question names its source: at the start or
# after 按/根据/依照, and followed by what it says ("社会救助暂行办法规定，…", "按慈善法，…");
# 方法/做法/依法… are no titles.
_SOURCE_NAMED = re.compile(
    r"(?:按照|按|根据|依照|依据|^)([\u4e00-\u9fff]{2,14}?"
    r"(?:暂行办法|实施办法|办法|条例|细则|(?<![方做说看想用合违依立执司])法))"
    r"(?=规定|中|里|第|[,，]|对|要求|提出|明确|可以)"
)
_ASKED_APART = re.compile(r"[?？]")  # where one question of a message ends
_WHEN = re.compile(r"何时|什么时候|哪[一1]?年|哪[一1]?天|几号|几月|日期")
_GLUED_BEFORE = "各每"
_GLUED_AFTER = "了着的得"
_A_NOT_A = re.compile(r"(\w{1,2})[不没]\1\w?")


@dataclass(frozen=True)
class Question:
    """A question as the retriever and the answerer need it."""

    text: str  # the standalone question, as asked (or as condensed from a follow-up)
    search: str  # normalize(text): simplified, NFKC
    qtype: QType
    provinces: list[str] = field(default_factory=list)
    doc_number: str = ""
    focus: list[str] = field(default_factory=list)  # terms the evidence must speak about
    # Named in the question, so a supporting sentence must name them too (a near miss about
    # another place or year is no answer): cities/districts, and years.
    places: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    article: str = ""  # an article the question names, as laws write it: "第二十五条"
    subject: str = ""  # the term a definition question asks about ("学生欺凌")
    role: str = ""  # a role the question asks about ("助理社会工作师"); the evidence must name it
    document: str = ""  # a law or policy the question names ("反家暴法", "北京市志愿服务条例")
    # The question without the names of the documents it names: what its words ask about.
    # Those names choose the document; as content they would favour a title or purpose clause.
    content: str = ""
    # A follow-up's or a later part's own words, without the topic carried over from before
    # ("那批下来以后几天内报到？" after a question about applying): what picks the sentence.
    own: list[str] = field(default_factory=list)


def focus_terms(search: str, provinces: list[str]) -> list[str]:
    """Content words of a question: what a supporting sentence has to mention."""
    # The segmenter glues particles to neighbours ("考了", "涨得", "各定"): trim those that
    # hardly ever begin or end a topic word. Not 就/地/在/过/和: they begin or end real words
    # (就业, 地区, 在岗, 过程, 和谐).
    words = [w.strip().lstrip(_GLUED_BEFORE).rstrip(_GLUED_AFTER) for w in rjieba.cut(search)]
    stop = stopwords()
    terms = [
        w
        for w in words
        if w
        and w not in stop
        and w not in provinces
        and re.search(r"[\u4e00-\u9fffA-Za-z0-9]", w)
        and len(w) > 1  # one character, or one digit ("一种" reads "1种"), names nothing
        and len(w) <= 8  # the segmenter sometimes returns a whole clause as one "word"
        and not _A_NOT_A.fullmatch(w)  # 多不多, 是不是: how it is asked, not what
    ]
    return list(dict.fromkeys(terms))


MAX_SUBJECT_CHARS = 12
_ARTICLE = re.compile(r"第\s*(\d{1,3}|[一二三四五六七八九十百零〇两]{1,6})\s*条")
_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
_PLACE_SUFFIXES = ("市", "州", "区", "县", "旗", "盟", "镇", "乡")
_NATIONAL = re.compile(r"国家|全国|国务院|中央")
# A law (法) is national: only the National People's Congress makes 法, local legislatures make
# 条例 and 办法 ("慈善法和广州市慈善促进条例有什么不同" compares the nation with 广州). 方法,
# 做法, 办法 … are no laws.
_NATIONAL_LAW = re.compile(r"[\u4e00-\u9fff]{2}(?<![办方做说看想用合违依立执司])法(?![规院官人])")
_COMPARE = re.compile(r"和|与|及|、|分别|各|对比|比较|区别|不同")
_QUOTED_TERM = re.compile(r"[“\"「]([^”\"」]{1,12})[”\"」]")
_SUBJECT = re.compile(
    r"(?:什么是|何谓)(.+?)[??。]?$|^(?:请问)?(.+?)(?:是什么|的定义|的含义|是指什么|是(?:一|1)种什么|是什么样的)"
)


def _definition_subject(search: str) -> str:
    """What a definition question asks about: "什么是社会工作?" -> "社会工作"; a quoted term
    ("…里说的“志愿服务”指的是什么") is the term."""
    if quoted := list(_QUOTED_TERM.finditer(search)):
        # "…离开所居住的“市、县”，这里的“市”指什么": the term quoted last before the asking.
        asking = _ASKS_MEANING.search(search)
        before = [m for m in quoted if asking and m.end() <= asking.start()]
        return before[-1].group(1) if before else quoted[0].group(1)
    m = _SUBJECT.search(search.strip())
    subject = (m.group(1) or m.group(2)) if m else ""
    if len(subject) > MAX_SUBJECT_CHARS:  # a whole clause, not a term being defined
        return ""
    return subject.strip(" \t" + CLAUSE_SEP + OPENING_QUOTES + CLOSING_QUOTES + '"')


def article_named(search: str) -> str:
    """The article a question names, in the Chinese numerals laws use: "第25条" -> "第二十五条"."""
    m = _ARTICLE.search(search)
    if not m:
        return ""
    number = m.group(1)
    return f"第{cn2an.an2cn(number) if number.isdigit() else number}条"


def without_article(search: str) -> str:
    """The question without the article it names: what is left names the law."""
    return _ARTICLE.sub(" ", search)


def asks_when(search: str) -> bool:
    """Whether a question asks for a date or a year ("什么时候通过的", "哪年公布")."""
    return bool(_WHEN.search(search))


# A question that asks what a term means is a definition question whatever else it asks:
# "“学校”具体指哪些学校" and "“慈善募捐”是什么意思？分哪几种？" want the defining clause.
_ASKS_MEANING = re.compile(r"什么是|何谓|什么意思|是指|指的是|指什么|指哪|的定义|的含义")


def kind_asked(search: str) -> QType:
    """What a question asks for, leaving comparison aside: of a comparison, what each side is
    asked ("…分别是多少" asks a number of each)."""
    if _ASKS_MEANING.search(search):
        return QType.DEFINITION
    if consequence().asks.search(search):
        return QType.CONSEQUENCE
    return next((name for name, pattern in _TYPE_PATTERNS if pattern.search(search)), QType.GENERAL)


def _first_kind(search: str) -> QType:
    """What a message asks first: "…年限有什么要求？达不到会怎么样？" asks a requirement (its
    later questions are later_parts'); the whole message's kind when the first asks none."""
    kind = kind_asked(_ASKED_APART.split(search)[0])
    return kind if kind is not QType.GENERAL else kind_asked(search)


def analyse(text: str) -> Question:
    """Classify a question and pull out what it is about."""
    search = normalize(text)
    article = article_named(search)
    provinces = provinces_in(search)
    qtype = QType.COMPARISON if len(provinces) >= 2 else _first_kind(search)
    subject = _definition_subject(search) if qtype is QType.DEFINITION else ""
    focus_extra = [subject] if subject else []
    number = DOC_NUMBER.search(search)
    doc_number = re.sub(r"\s+", "", number.group()) if number else ""
    content = without_names(search.replace(doc_number, " ") if doc_number else search)
    focus = focus_terms(content, provinces)
    focus = list(dict.fromkeys(focus_extra + focus))
    places = places_in(search)
    years = years_in(search)
    # "浙江和国家的规定有什么不同": the national rules are a side of their own.
    national = _NATIONAL.search(search) or _NATIONAL_LAW.search(search)
    if provinces + places and national and _COMPARE.search(search):
        provinces = [*provinces, NATIONAL]
        focus = _without_sides(focus, provinces)
    if (
        qtype is not QType.COMPARISON
        and len(provinces) + len(places) >= 2
        and _COMPARE.search(search)
    ):
        qtype = QType.COMPARISON
    role = next((m.group() for m in roles().finditer(search)), "")
    document = document_named(search)
    return Question(
        text,
        search,
        qtype,
        provinces,
        doc_number,
        focus,
        places,
        years,
        article,
        subject,
        role,
        document,
        content,
    )


def document_named(search: str) -> str:
    """A law or regulation the question names, when it says which: 《…》, a local regulation
    with its place ("北京市志愿服务条例"), a law before an article ("社区矫正法第二十五条"), or
    one named as the question's source ("社会救助暂行办法规定，…").
    Looser phrases ("…的规划", "三步法") name nothing: a wrong name would refuse answers."""
    if m := _IMPLEMENTING_TITLE.search(search):  # "浙江省实施《…慈善法》办法" as a whole
        return "".join(m.groups())
    if (m := _QUOTED_TITLE.search(search)) and _KIND_OF_TITLE.search(m.group(1)):
        return m.group(1).removeprefix("中华人民共和国")
    for m in _LOCAL_TITLE.finditer(search):
        found = gazetteer.places_in(m.group())
        if found:
            start = m.group().index(found[0][0])
            return m.group()[start:]
    m = _LAW_BEFORE_ARTICLE.search(search) or _SOURCE_NAMED.search(search)
    return m.group(1).removeprefix("中华人民共和国") if m else ""


def without_names(search: str) -> str:
    """A question with the documents it names cut out, where a pattern of document_named finds
    where the name starts ("罚款幅度在山东省反家庭暴力条例和…" -> "罚款幅度在 和…")."""
    spans = [m.span() for m in _IMPLEMENTING_TITLE.finditer(search)]
    spans += [m.span() for m in _QUOTED_TITLE.finditer(search) if _KIND_OF_TITLE.search(m[1])]
    for m in _LOCAL_TITLE.finditer(search):
        if found := gazetteer.places_in(m.group()):
            spans.append((m.start() + m.group().index(found[0][0]), m.end()))
    spans += [m.span(1) for m in _LAW_BEFORE_ARTICLE.finditer(search)]
    spans += [m.span(1) for m in _SOURCE_NAMED.finditer(search)]
    return _cut(search, spans)


def without_titles(q: Question, titles: list[str]) -> Question:
    """The question with the titles of the given documents cut from its content, and its focus
    worked out again ("国务院社会救助暂行办法和…" names 《社会救助暂行办法》 whole)."""
    spans = [m.span() for t in titles if len(t) >= 4 for m in re.finditer(re.escape(t), q.content)]
    if not spans:
        return q
    content = _cut(q.content, spans)
    focus = [q.subject] if q.subject else []
    focus = _without_sides(focus + focus_terms(content, q.provinces), q.provinces)
    return replace(q, content=content, focus=focus)


def _without_sides(focus: list[str], provinces: list[str]) -> list[str]:
    """Focus terms less the words that name the national side of a comparison (国家, 全国 …):
    like a province's name, they choose a side, they are not what is asked."""
    national = NATIONAL in provinces
    return list(dict.fromkeys(t for t in focus if not (national and _NATIONAL.fullmatch(t))))


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    kept = list(text)
    for start, end in spans:
        kept[start:end] = [" "] * (end - start)
    return re.sub(r" +", " ", "".join(kept)).strip()


def years_in(text: str) -> list[str]:
    """Years a text names ("2023年" -> "2023"), in order, without repeats."""
    return list(dict.fromkeys(_YEAR.findall(normalize(text))))


def places_in(search: str) -> list[str]:
    """Prefectures, cities and counties a question names ("恩施州", "西陵区", "唐山"), from the
    national gazetteer; provinces are `provinces_in`'s."""
    return list(dict.fromkeys(name for name, place in gazetteer.places_in(search) if place.city))


def place_variants(place: str) -> list[str]:
    """Ways a text may name a place: "宜昌西陵区" -> it, "宜昌", "西陵区"; "唐山市" -> "唐山";
    a county also by its prefecture ("西陵区" -> "宜昌")."""
    known = gazetteer.places().get(place)
    if known and known.city:
        forms = [place, known.city, known.city + "市", known.city + "州"]
        return list(dict.fromkeys([*forms, place.removesuffix("市").removesuffix("州")]))
    parts = [p for p in rjieba.cut(place) if len(p) >= 2] or [place]
    short = [p[:-1] for p in [place, *parts] if p.endswith(_PLACE_SUFFIXES) and len(p) >= 3]
    return list(dict.fromkeys([place, *parts, *short]))


# "A和B(的…)分别…": two things asked about side by side, each answered on its own. A starts
# after the last clause break before 和/与 (or at the start); B ends at 的, a clause break or 分别.
_SIDES = re.compile(
    r"^(?P<pre>(?:.*[，,：:])?)(?P<a>[^，,：:。？?]{2,24}?)(?:和|与|以及|跟)"
    r"(?P<b>[^，,：:。？?的]{2,24})(?P<rest>(?:的|[，,])?[^。？?]*?(?:分别|各(?=自|有|是))[^。？?]*)"
    r"[。？?]?$"
)
_EACH = re.compile(r"分别|各自|各(?=有|是)")


def topic_sides(text: str) -> list[tuple[str, str]]:
    """(side, its own question) for each side of "A和B…分别…" ("新设慈善组织和登记民办非企业
    单位，民政部门分别要在多长时间内作出决定" -> 新设慈善组织 / 登记民办非企业单位, each with
    the rest of the question); [] when the question compares no two things that way."""
    m = _SIDES.match(text.strip())
    if not m:
        return []
    rest = _EACH.sub("", m.group("rest"), count=1)
    return [(side, f"{m.group('pre')}{side}{rest}？") for side in (m.group("a"), m.group("b"))]


def later_parts(first: Question) -> list[Question]:
    """The later questions of a message that asks several ("威海…对经营年限有什么要求？达不到会
    怎么样？"), each about the first one's topic (its places, document and focus terms) and, when
    it asks nothing of its own kind ("情况紧急的呢？"), asking what the first one asks."""
    parts = [p.strip() for p in _ASKED_APART.split(first.text) if p.strip()]
    if len(parts) < 2:
        return []
    lead = analyse(parts[0])
    regions = [p for p in lead.provinces + lead.places if p != NATIONAL]
    topic = "".join(dict.fromkeys([*regions, lead.document, *lead.focus]))
    asked = [with_own_words(analyse(f"{topic} {part}？"), part) for part in parts[1:]]
    return [q if q.qtype is not QType.GENERAL else replace(q, qtype=lead.qtype) for q in asked]


def with_own_words(q: Question, asked: str) -> Question:
    """A question carrying an earlier topic, with the focus terms that only what was asked
    itself has (not those of the topic carried over)."""
    asked = normalize(asked)
    carried = set(focus_terms(q.search.replace(asked, " "), q.provinces))
    own = [t for t in focus_terms(asked, q.provinces) if t in q.focus and t not in carried]
    return replace(q, own=own) if own != q.focus else q
