"""Raw text of a file -> cleaned documents with metadata (one per article)."""

from __future__ import annotations

from ingest.articles import split_articles
from ingest.clean import clean_lines
from ingest.meta import extract_meta
from ingest.noise import page_chrome
from ingest.schema import Document


def parse_text(source: str, raw: str, file_hash: str, manifest: dict[str, str]) -> list[Document]:
    """Clean `raw`, split it into articles, and give each its metadata and stable id."""
    articles = split_articles(clean_lines(raw))
    single = len(articles) == 1
    chrome = page_chrome(raw)
    return [
        Document(
            doc_id=f"{source}#{n}",
            source=source,
            text="\n".join(article.paragraphs),
            meta=extract_meta(article, manifest, single, chrome),
            file_hash=file_hash,
        )
        for n, article in enumerate(articles, start=1)
    ]
