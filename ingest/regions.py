"""Chinese provinces and cities: find the region a text is about, in either script."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from ingest.gazetteer import Place, places_in
from ingest.headings import parse_heading
from ingest.normalize import normalize

# A place named once or twice in passing ("香港" as a comparison) does not make a text about
# it; set by reading the seed articles, whose own places are named far more often.
MIN_MENTIONS = 3
# A text is about one province only when it names that one at least this many times as often as
# any other; a text naming several about equally (a question-and-answer page on three provinces)
# covers them all and is about none alone. A judgment, checked on the seeds and the real
# documents: their own province is named 3 to 26 times as often as the next.
DOMINANCE = 2

# Short name -> full name of the 34 provincial-level divisions.
PROVINCES: dict[str, str] = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "河北": "河北省", "山西": "山西省", "辽宁": "辽宁省", "吉林": "吉林省",
    "黑龙江": "黑龙江省", "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省",
    "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省",
    "湖北": "湖北省", "湖南": "湖南省", "广东": "广东省", "海南": "海南省",
    "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省", "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}  # fmt: skip
_PROVINCE_RE = re.compile("|".join(sorted(PROVINCES, key=len, reverse=True)))


def short_province(text: str) -> str:
    """The first province named in a text, short form ("黑龙江省…" -> "黑龙江"); "" when none."""
    m = _PROVINCE_RE.search(normalize(text))
    return m.group() if m else ""


def city_of(title: str) -> str:
    """The first prefecture named in a title-like text, short form ("唐山", "黔西南")."""
    return next((p.city for _, p in places_in(normalize(title)) if p.city), "")


def find_region(title: str, text: str) -> tuple[str, str]:
    """(province, city) short names of what a document is about: the title first, then the text.

    Places come from the national gazetteer (every province, prefecture and county), so a
    county in a title ("湖北宜昌西陵区") gives its prefecture too."""
    in_title = places_in(normalize(title))
    province = next((p.province for _, p in in_title), "")
    city = next((p.city for _, p in in_title if p.city), "")
    if not province:
        in_text = _places_of(text)
        province = _most_common([p.province for p in in_text])
        if not city:
            city = _most_common([p.city for p in in_text if p.province == province and p.city])
    # A municipality is its own province: 北京 is not also a city of 北京.
    return province, "" if city == province else city


@lru_cache(maxsize=2)
def _places_of(text: str) -> tuple[Place, ...]:
    """The places a document's text names (not bare city names); kept for the last texts,
    because finding its region and the regions it covers read the same text (about 2 s per
    megabyte)."""
    return tuple(p for _, p in places_in(normalize(text), bare_cities=False))


def covered_regions(paragraphs: list[str], province: str, city: str) -> list[str]:
    """Every province and city a document covers, its own first: the places named at least
    MIN_MENTIONS times, and any place named in a heading (an FAQ's "甘肃：…" section), each
    province with its most named city."""
    found = _places_of("\n".join(paragraphs))
    headed: set[Place] = set()
    for paragraph in paragraphs:
        if heading := parse_heading(paragraph):
            headed |= {p for _, p in places_in(normalize(heading.title), bare_cities=False)}
    names = [province, city]
    counts = Counter(p.province for p in found)
    for name, n in counts.items():  # in the order the text names them
        if n < MIN_MENTIONS and name not in {p.province for p in headed}:
            continue
        names.append(name)
        cities = Counter(p.city for p in found if p.province == name and p.city)
        names += [c for c, m in cities.most_common() if m >= MIN_MENTIONS][:1]
        names += sorted(p.city for p in headed if p.province == name and p.city)
    return [n for n in dict.fromkeys(names) if n]


def _most_common(names: list[str]) -> str:
    """The most frequent name when it is mentioned at least MIN_MENTIONS times and DOMINANCE
    times as often as the next, else ""."""
    counts = [*Counter(names).most_common(2), ("", 0), ("", 0)]
    (top, n), (_, runner_up) = counts[0], counts[1]
    return top if n >= MIN_MENTIONS and n >= DOMINANCE * runner_up else ""


def provinces_in(text: str) -> list[str]:
    """Province short names mentioned in a text, in order of appearance, without repeats."""
    return list(dict.fromkeys(_PROVINCE_RE.findall(normalize(text))))
