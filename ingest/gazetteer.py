"""Every Chinese province, prefecture and county, from the administrative-code table that the
`cpca` package ships (read as data: importing cpca would load pandas)."""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")
# Short forms of prefecture names this short are too often ordinary words ("海东", "白山").
MIN_SHORT_CITY_CHARS = 2


@dataclass(frozen=True)
class Place:
    """A place a name points at: province and prefecture short names ("湖北", "恩施")."""

    province: str
    city: str = ""


def _resource(name: str) -> Path:
    """A data file of the cpca package, found without importing it."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (its adcodes table) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / name


@cache
def _ethnic() -> re.Pattern[str]:
    """Ethnic names inside the names of autonomous places: "黔西南布依族苗族自治州"."""
    names = _resource("56_nations.csv").read_text(encoding="utf-8").split()
    stems = sorted({n.removesuffix("族") for n in names if n}, key=len, reverse=True)
    return re.compile(f"(?:(?:{'|'.join(stems)})族?)+(?=自治[州区县旗])")


def _short(full: str, suffix: re.Pattern[str]) -> str:
    """The name without its suffix and ethnic names, unless that leaves under two characters
    ("内蒙古自治区" keeps its 蒙古)."""
    short = suffix.sub("", _ethnic().sub("", full))
    return short if len(short) >= 2 else suffix.sub("", full)


def short_province_name(full: str) -> str:
    """ "广西壮族自治区" -> "广西", "湖北省" -> "湖北", "北京市" -> "北京"."""
    return _short(full, _PROVINCE_SUFFIX)


def short_city_name(full: str) -> str:
    """ "黔西南布依族苗族自治州" -> "黔西南", "唐山市" -> "唐山", "大兴安岭地区" -> "大兴安岭"."""
    return _short(full, _CITY_SUFFIX)


@cache
def places() -> dict[str, Place]:
    """Every name a place goes by -> the place; names shared by two places are left out."""
    rows = list(csv.DictReader(_resource("adcodes.csv").open(encoding="utf-8")))
    provinces = {r["adcode"][:2]: r["name"] for r in rows if r["adcode"][2:].strip("0") == ""}
    cities = {
        r["adcode"][:4]: r["name"]
        for r in rows
        if r["adcode"][4:].strip("0") == "" and r["adcode"][2:4] != "00"
    }
    found: dict[str, set[Place]] = {}

    def add(name: str, place: Place) -> None:
        found.setdefault(name, set()).add(place)

    for full in provinces.values():
        short = short_province_name(full)
        for name in (full, short):
            add(name, Place(short))
    for code, full in cities.items():
        province = short_province_name(provinces.get(code[:2], ""))
        short = short_city_name(full)
        if short == province:  # the districts of a municipality
            continue
        place = Place(province, short)
        add(full, place)
        if full.endswith("自治州"):
            add(short + "州", place)  # "黔西南州", "恩施州": how people write them
        if len(short) >= MIN_SHORT_CITY_CHARS:
            add(short, place)
    for r in rows:
        code, full = r["adcode"], r["name"]
        if code[4:].strip("0") == "" or len(full) < 3:
            continue
        province = short_province_name(provinces.get(code[:2], ""))
        city = short_city_name(cities.get(code[:4], ""))
        add(full, Place(province, "" if city == province else city))
    return {name: next(iter(ps)) for name, ps in found.items() if name and len(ps) == 1}


@cache
def _pattern() -> re.Pattern[str]:
    names = sorted(places(), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


def places_in(text: str, bare_cities: bool = True) -> list[tuple[str, Place]]:
    """(name, place) for each place named in a text, in order, longest names first.

    `bare_cities=False` skips prefecture names written without 市/州 ("中山", "长治"), which in
    running text are more often parts of other words (中山大学, 长治久安) than places."""
    found = [(m.group(), places()[m.group()]) for m in _pattern().finditer(text)]
    return [(n, p) for n, p in found if bare_cities or n != p.city]
