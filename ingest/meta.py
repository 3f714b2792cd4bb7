"""Document metadata: what the manifest says, filled in by what the text itself says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ingest.articles import Article
from ingest.clean import DOC_NUMBER
from ingest.headings import chinese_number
from ingest.regions import city_of, find_region, short_province
from ingest.schema import DocMeta

MANIFEST_NAME = "manifest.toml"
_DATE = re.compile(r"((?:19|20)\d{2})年(?:(\d{1,2})月)?")
_CN_DATE = re.compile(r"([一二三四五六七八九〇○零]{4})年")
_CN_DIGIT = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_FULL_DATE = re.compile(
    r"((?:19|20)\d{2}|[一二三四五六七八九〇○零]{4})年(\d{1,2}|[一二三四五六七八九十]{1,3})月"
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})日"
)
_BYLINE = re.compile(r"^■\s*(.+)$")


def load_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """The corpus manifest, keyed by source path; empty when the corpus has none."""
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {key: {k: str(v) for k, v in value.items()} for key, value in data.items()}


def extract_meta(article: Article, manifest: dict[str, str], single: bool) -> DocMeta:
    """Metadata of one article; manifest fields win, and a title only when the file is `single`."""
    head = article.paragraphs[:6]
    title = (manifest.get("title") if single else None) or article.title
    number = manifest.get("doc_number") or _doc_number(head)
    issuer = manifest.get("issuer") or article.credit or _byline(head)
    if manifest.get("region"):
        province, city = short_province(manifest["region"]), city_of(manifest["region"])
    else:
        province, city = find_region(article.title, "\n".join(article.paragraphs))
    date = manifest.get("date") or _date("\n".join(head))
    return DocMeta(
        title=title, issuer=issuer, doc_number=number, province=province, city=city, date=date
    )


def _doc_number(paragraphs: list[str]) -> str:
    """A document number standing on a line of its own near the top: "甘民发〔2021〕97号"."""
    for p in paragraphs:
        if DOC_NUMBER.fullmatch(p):
            return re.sub(r"\s+", "", p)
    return ""


def _byline(paragraphs: list[str]) -> str:
    for p in paragraphs:
        if m := _BYLINE.match(p):
            return m.group(1).strip()
    return ""


def _date(text: str) -> str:
    """The date the opening of a text gives, as "2021" or "2021-03": a full date (年月日, in
    either kind of numerals) first, else the first year mentioned."""
    full = _FULL_DATE.search(text)
    if full:
        year = full.group(1).translate(_CN_DIGIT)
        month = chinese_number(full.group(2)) if not full.group(2).isdigit() else int(full.group(2))
        return f"{year}-{month:02d}"
    m = _DATE.search(text)
    if m:
        return m.group(1) + (f"-{int(m.group(2)):02d}" if m.group(2) else "")
    m = _CN_DATE.search(text)
    return m.group(1).translate(_CN_DIGIT) if m else ""
